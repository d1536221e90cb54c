"""Which providers this server offers, built from the settings and the secrets."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from genfactory.domain.errors import ErrorCode, NotFound, ProviderError
from genfactory.providers.base import (
    CancelToken,
    GeneratedImage,
    GenerationRequest,
    Provider,
    ProviderInfo,
    Reporter,
)
from genfactory.providers.secrets import get_secret
from genfactory.settings import Settings

log = logging.getLogger(__name__)


class UnavailableProvider:
    """Stands in for a provider that could not be set up, saying why."""

    def __init__(self, info: ProviderInfo, reason: str) -> None:
        self.info = replace(info, available=False, unavailable_reason=reason)

    async def generate(
        self, request: GenerationRequest, reporter: Reporter, cancel: CancelToken
    ) -> list[GeneratedImage]:
        raise ProviderError(ErrorCode.UNAVAILABLE, self.info.unavailable_reason or "unavailable")


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

    async def test_connection(self, name: str) -> tuple[bool, str]:
        """Ask a provider whether it can work now (updates its availability)."""
        provider: Any = self.get(name)
        check = getattr(provider, "check", None) or getattr(provider, "test_connection", None)
        if check is None:
            info = provider.info
            return info.available, info.unavailable_reason or "ready"
        try:
            ok, message = await check()
        except Exception as exc:
            return False, f"{type(exc).__name__}: {exc}"
        return bool(ok), str(message)

    async def check_all(self) -> None:
        """Refresh the availability of providers that can check themselves (in background)."""
        names = [n for n, p in self._providers.items() if hasattr(p, "check")]
        results = await asyncio.gather(
            *(self.test_connection(n) for n in names), return_exceptions=True
        )
        for name, result in zip(names, results, strict=True):
            log.info("provider %s: %s", name, result)


def default_registry(settings: Settings) -> ProviderRegistry:
    from genfactory.providers.procedural import ProceduralProvider

    registry = ProviderRegistry([ProceduralProvider(step_delay=settings.step_delay)])
    for build in (_openai, _comfyui, _diffusers):
        registry.add(build(settings))
    return registry


def _openai(settings: Settings) -> Provider:
    from genfactory.providers.openai import OpenAIProvider

    key, _source = get_secret("openai_api_key")
    return OpenAIProvider(
        key,
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        max_partial_images=settings.openai_partial_images,
    )


def _comfyui(settings: Settings) -> Provider:
    from genfactory.providers.comfyui import ComfyUIProvider, comfyui_info, load_workflow

    if not settings.comfyui_url:
        return UnavailableProvider(
            comfyui_info(), "no server configured (set GENFACTORY_COMFYUI_URL)"
        )
    token, _source = get_secret("comfyui_token")
    try:
        workflow = load_workflow(settings.comfyui_workflow) if settings.comfyui_workflow else None
        return ComfyUIProvider(
            settings.comfyui_url,
            workflow,
            settings.comfyui_mapping,
            headers={"Authorization": f"Bearer {token}"} if token else None,
        )
    except (ValueError, OSError) as exc:
        return UnavailableProvider(comfyui_info(), f"bad workflow or mapping: {exc}")


def _diffusers(settings: Settings) -> Provider:
    from genfactory.providers.diffusers import DiffusersProvider

    return DiffusersProvider(settings.diffusers_model)
