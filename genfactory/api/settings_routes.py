"""Settings the Settings page shows and changes: provider secrets (keyring or environment,
never the database) and provider connection tests."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from genfactory.api.deps import StateDep
from genfactory.api.errors import NOT_FOUND, problem
from genfactory.providers.secrets import ENVIRONMENT, get_secret, keyring_status, set_secret

router = APIRouter(tags=["settings"])


class SecretStatus(BaseModel):
    name: str
    source: str = Field(description="keyring, the environment variable's name, or unset")
    environment: list[str] = Field(description="Variables read when the keyring has none")


class KeyringPublic(BaseModel):
    usable: bool
    backend: str
    reason: str | None


class SettingsPublic(BaseModel):
    data_dir: str
    database_backend: str
    mode: str
    keyring: KeyringPublic
    secrets: list[SecretStatus] = Field(
        description="Where each secret comes from (never its value)"
    )


class SecretUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str | None = Field(default=None, max_length=4096, description="None deletes it")


class ConnectionTest(BaseModel):
    ok: bool
    message: str


def _secret_statuses() -> list[SecretStatus]:
    return [
        SecretStatus(name=name, source=get_secret(name)[1], environment=list(variables))
        for name, variables in ENVIRONMENT.items()
    ]


@router.get("/api/settings", response_model=SettingsPublic, summary="Settings and secret sources")
async def read_settings(state: StateDep) -> SettingsPublic:
    status = keyring_status()
    return SettingsPublic(
        data_dir=str(state.settings.data_dir),
        database_backend="sqlite" if state.db.is_sqlite else "postgresql",
        mode=state.settings.mode.value,
        keyring=KeyringPublic(usable=status.usable, backend=status.backend, reason=status.reason),
        secrets=_secret_statuses(),
    )


@router.put(
    "/api/secrets/{name}",
    response_model=list[SecretStatus],
    responses={
        **NOT_FOUND,
        409: {"description": "No OS keyring here: set the environment variable instead"},
    },
    summary="Store a provider secret in the OS keyring",
)
async def update_secret(name: str, body: SecretUpdate, state: StateDep) -> Any:
    if name not in ENVIRONMENT:
        return problem(404, "not_found", f"No secret named {name!r}.")
    try:
        set_secret(name, body.value)
    except RuntimeError as exc:
        variables = " or ".join(ENVIRONMENT[name])
        return problem(
            409,
            "no_keyring",
            f"{exc} Set {variables} in the server's environment and restart it.",
        )
    return _secret_statuses()


@router.post(
    "/api/providers/{name}/test",
    response_model=ConnectionTest,
    responses=NOT_FOUND,
    summary="Test a provider's connection (updates its availability)",
)
async def test_provider(name: str, state: StateDep) -> ConnectionTest:
    ok, message = await state.service.providers.test_connection(name)
    return ConnectionTest(ok=ok, message=message)
