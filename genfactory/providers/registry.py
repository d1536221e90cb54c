"""Which providers this server offers."""

from __future__ import annotations

from genfactory.domain.errors import NotFound
from genfactory.providers.base import Provider, ProviderInfo
from genfactory.settings import Settings


class ProviderRegistry:
    def __init__(self, providers: list[Provider] | None = None) -> None:
        self._providers: dict[str, Provider] = {}
        for provider in providers or []:
            self.add(provider)

    def add(self, provider: Provider) -> None:
        self._providers[provider.info.name] = provider

    def get(self, name: str) -> Provider:
        try:
            return self._providers[name]
        except KeyError:
            raise NotFound(f"No provider named {name!r}.") from None

    def __contains__(self, name: object) -> bool:
        return name in self._providers

    def infos(self) -> list[ProviderInfo]:
        return [p.info for p in self._providers.values()]

    @property
    def default(self) -> str:
        return "procedural"


def default_registry(settings: Settings) -> ProviderRegistry:
    from genfactory.providers.procedural import ProceduralProvider

    return ProviderRegistry([ProceduralProvider(step_delay=settings.step_delay)])
