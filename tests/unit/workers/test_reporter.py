"""The worker's reporter tells a provider when a preview would be kept."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest

from genfactory.workers.reporter import JobReporter


def test_a_preview_is_wanted_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    service: Any = SimpleNamespace(settings=SimpleNamespace(preview_interval=0.2))
    reporter = JobReporter(service, "job", "worker", count=1)

    assert reporter.wants_preview()  # the first one always
    reporter._last_preview = clock[0]  # what preview() records when it keeps one
    clock[0] += 0.1
    assert not reporter.wants_preview()
    clock[0] += 0.1
    assert reporter.wants_preview()
