"""Per-provider caps, so a batch never trips a provider's rate limit by itself.

Concurrency is counted in the database (jobs of the provider running or uploading, on any
node) inside the claim transaction, which is serialised, so the count is exact. The rate of
attempt starts is a token bucket in this process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from genfactory.providers.registry import ProviderRegistry
from genfactory.settings import Settings


@dataclass
class Limit:
    concurrency: int | None
    per_minute: float | None


class TokenBucket:
    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, per_minute / 60.0 * 10)  # at most ~10 s worth in a burst
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def available(self) -> bool:
        self._refill()
        return self.tokens >= 1.0

    def take(self) -> None:
        self._refill()
        self.tokens -= 1.0


class ProviderLimits:
    def __init__(self, settings: Settings, providers: ProviderRegistry) -> None:
        self.limits: dict[str, Limit] = {}
        for info in providers.infos():
            override = settings.provider_limits.get(info.name, {})
            concurrency = override.get("concurrency", info.max_concurrency)
            per_minute = override.get("per_minute", info.max_per_minute)
            if concurrency is not None or per_minute is not None:
                self.limits[info.name] = Limit(
                    int(concurrency) if concurrency is not None else None, per_minute
                )
        self.buckets = {
            name: TokenBucket(limit.per_minute)
            for name, limit in self.limits.items()
            if limit.per_minute is not None
        }

    @property
    def concurrency_capped(self) -> dict[str, int]:
        return {n: lim.concurrency for n, lim in self.limits.items() if lim.concurrency is not None}

    def rate_limited_now(self) -> set[str]:
        return {name for name, bucket in self.buckets.items() if not bucket.available()}

    def started(self, provider: str) -> None:
        bucket = self.buckets.get(provider)
        if bucket is not None:
            bucket.take()
