#!/usr/bin/env bash
# What the tests need beyond Python packages: Debian's Chromium, Node, a running PostgreSQL.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null 2>&1; then
  echo "test-deps: installing Debian's chromium (browser tests)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi
command -v node >/dev/null 2>&1 || { echo "test-deps: node is required for tests/js" >&2; exit 1; }

if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if [ -d /etc/postgresql ]; then
    echo "test-deps: starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
fi
if [ "${CI:-}" = "true" ] && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "test-deps: PostgreSQL is not reachable on 127.0.0.1:5432 and CI=true needs it" >&2
  exit 1
fi
