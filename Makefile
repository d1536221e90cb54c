# Two commands for a fresh machine:  make run   and   make test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HASH := $(shell cat pyproject.toml | sha1sum | cut -c1-12)
# make test installs everything (dev tools, the diffusers extra with torch); make run only
# the package itself, unless everything is installed already.
STAMP := $(VENV)/.installed-$(HASH)
RUN_STAMP := $(VENV)/.installed-run-$(HASH)

.PHONY: run test install lint typecheck pytest jstest e2e bench docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,diffusers]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -f $(STAMP) || $(BIN)/python -m pip install --quiet --upgrade pip
	test -f $(STAMP) || $(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.installed-run-* && touch $(RUN_STAMP)

install: $(STAMP)

## Start the product: SQLite in the user data folder, built-in procedural provider.
run: $(RUN_STAMP)
	$(BIN)/genfactory serve

## Everything CI runs: dependencies, Chromium, PostgreSQL check, lint, types, all tests.
test: $(STAMP)
	bash scripts/test-deps.sh
	$(MAKE) lint typecheck jstest pytest

lint: $(STAMP)
	$(BIN)/ruff check genfactory tests bench
	$(BIN)/ruff format --check genfactory tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

jstest:
	node --test tests/js/

pytest: $(STAMP)
	$(BIN)/pytest -q

e2e: $(STAMP)
	$(BIN)/pytest -q -m e2e

bench: $(STAMP)
	$(BIN)/python bench/dispatch.py
	$(BIN)/python bench/stream.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
