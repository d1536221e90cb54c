"""Providers are built from the settings and secrets; each says why it is unavailable."""

from __future__ import annotations

from pathlib import Path

import pytest

from genfactory.domain.errors import ProviderError
from genfactory.providers.base import CancelToken, GenerationRequest
from genfactory.providers.registry import default_registry
from genfactory.providers.secrets import get_secret, keyring_status, set_secret
from genfactory.settings import Settings


def _clear_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_API_KEY", "GENFACTORY_OPENAI_API_KEY", "GENFACTORY_COMFYUI_TOKEN"):
        monkeypatch.delenv(var, raising=False)


def test_without_configuration_only_procedural_is_available(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear_env(monkeypatch)
    infos = {i.name: i for i in default_registry(Settings(data_dir=tmp_path)).infos()}
    assert set(infos) == {"procedural", "openai", "comfyui", "diffusers"}
    assert infos["procedural"].available
    assert "no API key" in (infos["openai"].unavailable_reason or "")
    assert "GENFACTORY_COMFYUI_URL" in (infos["comfyui"].unavailable_reason or "")
    assert not infos["diffusers"].available and infos["diffusers"].unavailable_reason


def test_openai_key_from_the_environment_makes_it_available(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear_env(monkeypatch)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    assert get_secret("openai_api_key") == ("sk-test-not-real", "OPENAI_API_KEY")
    infos = {i.name: i for i in default_registry(Settings(data_dir=tmp_path)).infos()}
    assert infos["openai"].available


async def test_a_bad_comfyui_workflow_is_reported_not_raised(tmp_path: Path) -> None:
    broken = tmp_path / "workflow.json"
    broken.write_text("{not json")
    registry = default_registry(
        Settings(data_dir=tmp_path, comfyui_url="http://127.0.0.1:9", comfyui_workflow=broken)
    )
    comfy = registry.get("comfyui")
    assert not comfy.info.available
    assert "bad workflow" in (comfy.info.unavailable_reason or "")
    request = GenerationRequest(
        job_id="j", prompt="p", width=64, height=64, steps=1, count=1, seed=1
    )
    with pytest.raises(ProviderError):
        await comfy.generate(request, None, CancelToken())  # type: ignore[arg-type]


async def test_unreachable_comfyui_server_becomes_unavailable_after_a_check(tmp_path: Path) -> None:
    registry = default_registry(Settings(data_dir=tmp_path, comfyui_url="http://127.0.0.1:9"))
    ok, message = await registry.test_connection("comfyui")
    assert not ok and message
    assert not registry.get("comfyui").info.available


def test_no_keyring_is_said_plainly() -> None:
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        status = keyring_status()
        assert not status.usable
        assert "environment variables" in (status.reason or "")
        with pytest.raises(RuntimeError, match="keyring"):
            set_secret("openai_api_key", "x")
    finally:
        keyring.set_keyring(previous)
