"""Configuration routes: named presets with immutable versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from genfactory.api.deps import AppState, StateDep
from genfactory.api.errors import CONFLICT, NOT_FOUND, problem
from genfactory.api.schemas import (
    ConfigurationCreate,
    ConfigurationPublic,
    ConfigurationSettings,
    ConfigurationVersionCreate,
    Problem,
)
from genfactory.core.service import InvalidRequest, JobSpec
from genfactory.domain.events import iso_time
from genfactory.qc import QCConfig
from genfactory.store import configurations as config_store
from genfactory.store.configurations import ConfigurationRecord, StaleVersion

router = APIRouter(prefix="/api/configurations", tags=["configurations"])
VALIDATION: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid settings: the field and a readable message"}
}
UNCHANGED: dict[int | str, dict[str, Any]] = {
    409: {
        "model": Problem,
        "description": "Nothing changed: the newest version already has these settings "
        "(code conflict); or `base_version` is no longer the newest version, another was "
        "saved since (code stale_version)",
    }
}


def public(record: ConfigurationRecord, jobs: int | None = None) -> ConfigurationPublic:
    return ConfigurationPublic(
        id=record.id,
        name=record.name,
        version=record.version,
        description=record.description,
        settings=record.settings,
        created_at=iso_time(record.created_at),
        jobs=jobs,
    )


def _checked(state: AppState, settings: ConfigurationSettings) -> dict[str, object]:
    """Refuse settings no job could run with (unknown provider, size not offered, …)."""
    state.service.params_for(
        JobSpec(
            prompt="(configuration check)",
            provider=settings.provider,
            size=settings.size,
            steps=settings.steps,
            style=settings.style,
            count=settings.count or 1,
        )
    )
    if settings.qc is not None:
        try:
            QCConfig.model_validate(settings.qc)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InvalidRequest("qc", f"Invalid quality checks: {where}: {first['msg']}") from None
    return settings.model_dump(exclude_none=True)


@router.get("", response_model=list[ConfigurationPublic], summary="Newest version of each")
async def list_configurations(state: StateDep) -> list[ConfigurationPublic]:
    async with state.db.read() as conn:
        return [public(r, uses) for r, uses in await config_store.list_latest(conn)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ConfigurationPublic,
    responses={**VALIDATION, **CONFLICT},
    summary="Create a configuration (version 1)",
)
async def create_configuration(body: ConfigurationCreate, state: StateDep) -> ConfigurationPublic:
    settings = _checked(state, body.settings)
    async with state.db.write() as tx:
        record = await config_store.save_configuration(
            tx, body.name, settings, body.description, new=True
        )
    return public(record)


@router.get(
    "/{config_id}",
    response_model=ConfigurationPublic,
    responses=NOT_FOUND,
    summary="One version, by id",
)
async def get_configuration(config_id: str, state: StateDep) -> ConfigurationPublic:
    async with state.db.read() as conn:
        return public(await config_store.get_configuration(conn, config_id))


@router.get(
    "/by-name/{name}/versions",
    response_model=list[ConfigurationPublic],
    responses=NOT_FOUND,
    summary="Every version of a configuration, newest first",
)
async def configuration_versions(name: str, state: StateDep) -> list[ConfigurationPublic]:
    async with state.db.read() as conn:
        return [public(r) for r in await config_store.versions(conn, name)]


@router.post(
    "/by-name/{name}/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=ConfigurationPublic,
    responses={**VALIDATION, **NOT_FOUND, **UNCHANGED},
    summary="Save a new version (refused when it repeats the newest or base_version is stale)",
)
async def save_version(
    name: str, body: ConfigurationVersionCreate, state: StateDep
) -> ConfigurationPublic | JSONResponse:
    settings = _checked(state, body.settings)
    try:
        async with state.db.write() as tx:
            record = await config_store.save_configuration(
                tx, name, settings, body.description, new=False, base_version=body.base_version
            )
    except StaleVersion as exc:
        return problem(409, "stale_version", str(exc))
    return public(record)


@router.delete(
    "/by-name/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Delete every version (only while no job uses it)",
)
async def delete_configuration(name: str, state: StateDep) -> Response:
    async with state.db.write() as tx:
        await config_store.delete_configuration(tx, name)
    return Response(status_code=204)
