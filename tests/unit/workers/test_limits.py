from __future__ import annotations

from pathlib import Path

import pytest

from genfactory.providers.procedural import ProceduralProvider
from genfactory.providers.registry import ProviderRegistry
from genfactory.settings import Settings
from genfactory.workers.limits import ProviderLimits, TokenBucket


def test_token_bucket_allows_a_burst_then_refills(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("genfactory.workers.limits.time.monotonic", lambda: clock[0])
    bucket = TokenBucket(per_minute=60)  # one a second, bursts of 10
    for _ in range(10):
        assert bucket.available()
        bucket.take()
    assert not bucket.available()
    clock[0] += 1.0
    assert bucket.available()
    bucket.take()
    assert not bucket.available()


def test_settings_override_the_providers_own_caps(tmp_path: Path) -> None:
    registry = ProviderRegistry([ProceduralProvider(step_delay=0)])
    assert ProviderLimits(Settings(data_dir=tmp_path), registry).limits == {}
    limits = ProviderLimits(
        Settings(
            data_dir=tmp_path, provider_limits={"procedural": {"concurrency": 1, "per_minute": 6}}
        ),
        registry,
    )
    assert limits.concurrency_capped == {"procedural": 1}
    assert limits.rate_limited_now() == set()
    limits.started("procedural")
    assert limits.rate_limited_now() == {"procedural"}
