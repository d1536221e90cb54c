"""Server-side preferences the Settings page edits: the defaults a new job starts with on the
Start Generation page, and the export preferences every export follows (include the images,
save a copy in a folder on the server).

Stored one group per row (:mod:`genfactory.store.preferences`); a group never saved reads as
its defaults. Values are checked when they are saved; a value that goes stale later (its
configuration deleted, its folder gone) is reported in ``notices`` and ignored by its users,
never an error.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.api.deps import AppState, StateDep
from genfactory.core.service import InvalidRequest
from genfactory.domain.errors import NotFound
from genfactory.domain.events import iso_time
from genfactory.store import configurations as config_store
from genfactory.store import preferences as pref_store
from genfactory.store.engine import Database

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/preferences", tags=["preferences"])
VALIDATION: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid preferences: the field and a readable message"}
}

DEFAULTS = "defaults"
EXPORTS = "exports"


def _optional_name(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("Must not contain control characters.")
    return value or None


class DefaultsPreferences(BaseModel):
    """What a new job on the Start Generation page starts with. Options given in the page's
    address (``?configuration=…``, ``?size=…``, "Edit prompt & restart") win over these."""

    model_config = ConfigDict(extra="forbid", strict=True)

    configuration: str | None = Field(
        default=None,
        max_length=100,
        description="A configuration's name: new jobs start from its newest version. "
        "None: each provider's own defaults.",
    )
    provider: str | None = Field(
        default=None,
        max_length=64,
        description="The provider new jobs use unless the configuration names one. "
        "None: the server's default provider.",
    )
    count: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Images per job unless the configuration sets a count.",
    )

    @field_validator("configuration", "provider")
    @classmethod
    def _names(cls, value: str | None) -> str | None:
        return _optional_name(value)


class ExportPreferences(BaseModel):
    """What every export does unless its request says otherwise (the Job Management page's
    exports, ``POST /api/exports``, ``genfactory jobs export``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    include_images: bool = Field(
        default=False,
        description="Exports are a ZIP holding the .xlsx and every image file, unless a "
        "request sets include_images itself.",
    )
    folder: str | None = Field(
        default=None,
        max_length=1024,
        description="An absolute path on the server: every finished export is also saved "
        "there. None: exports are only downloaded.",
    )

    @field_validator("folder")
    @classmethod
    def _folder(cls, value: str | None) -> str | None:
        value = _optional_name(value)
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_absolute():
            raise ValueError(
                f"Folder must be an absolute path on the server, like /srv/exports (got {value!r})."
            )
        return os.path.normpath(path)


class PreferenceNotice(BaseModel):
    """A saved preference that no longer applies as saved (and what happens instead)."""

    group: Literal["defaults", "exports"]
    field: str
    message: str


class PreferencesPublic(BaseModel):
    defaults: DefaultsPreferences
    exports: ExportPreferences
    updated_at: dict[str, str] = Field(
        description="When each group was last saved (ISO 8601); a group never saved is absent."
    )
    notices: list[PreferenceNotice] = Field(
        description="Saved values that no longer apply, e.g. a deleted default configuration."
    )


Group = TypeVar("Group", DefaultsPreferences, ExportPreferences)


def _stored(model: type[Group], value: dict[str, Any] | None) -> Group:
    """A stored group as its model; fields that no longer validate fall back to their
    defaults (an older server may have written them), the rest is kept."""
    known = {k: v for k, v in (value or {}).items() if k in model.model_fields}
    try:
        return model.model_validate(known)
    except ValidationError as exc:
        bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        log.warning("ignoring invalid stored %s preferences: %s", model.__name__, sorted(bad))
        try:
            return model.model_validate({k: v for k, v in known.items() if k not in bad})
        except ValidationError:
            return model()


async def read_export_preferences(db: Database) -> ExportPreferences:
    """The export preferences as saved (their defaults when never saved)."""
    async with db.read() as conn:
        record = await pref_store.read_group(conn, EXPORTS)
    return _stored(ExportPreferences, record.value if record else None)


# -- checks -------------------------------------------------------------------------------


def prepare_export_folder(folder: str) -> None:
    """Make sure the server can write exports into ``folder`` (created when missing);
    raises :class:`InvalidRequest` for the ``folder`` field saying why not."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise InvalidRequest("folder", f"Folder {folder} is a file, not a folder.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidRequest(
            "folder",
            f"Folder {folder} does not exist and the server cannot create it "
            f"({exc.strerror or exc}).",
        ) from None
    try:
        # A real write: permission bits alone do not tell (read-only mounts, ACLs, root).
        with tempfile.NamedTemporaryFile(dir=path, prefix=".genfactory-write-check-"):
            pass
    except OSError:
        raise InvalidRequest("folder", f"Folder {folder} is not writable by the server.") from None


def _folder_notice(folder: str) -> str | None:
    """Why exports can no longer be saved in ``folder`` (cheap checks, nothing created)."""
    path = Path(folder)
    if path.exists():
        if not path.is_dir():
            return f"{folder} is now a file, not a folder: exports are only downloaded."
        if not os.access(path, os.W_OK | os.X_OK):
            return (
                f"Folder {folder} is no longer writable by the server: exports are only downloaded."
            )
        return None
    return None  # created again by the next export


async def _defaults_notices(
    state: AppState, defaults: DefaultsPreferences
) -> tuple[str | None, str | None]:
    providers = state.service.providers
    configuration_notice = provider_notice = None
    if defaults.configuration is not None:
        async with state.db.read() as conn:
            try:
                await config_store.latest_by_name(conn, defaults.configuration)
            except NotFound:
                configuration_notice = (
                    f"The default configuration “{defaults.configuration}” no longer exists: "
                    "new jobs start from the provider’s defaults."
                )
    if defaults.provider is not None:
        if defaults.provider not in providers:
            provider_notice = (
                f"The default provider “{defaults.provider}” is no longer offered: new jobs "
                "use the server’s default provider."
            )
        else:
            info = providers.get(defaults.provider).info
            if not info.available:
                provider_notice = (
                    f"The default provider {info.title} is unavailable: "
                    f"{info.unavailable_reason}. New jobs use another provider until it is "
                    "available again."
                )
    return configuration_notice, provider_notice


async def _public(state: AppState) -> PreferencesPublic:
    async with state.db.read() as conn:
        stored = await pref_store.read_preferences(conn)
    defaults_record, exports_record = stored.get(DEFAULTS), stored.get(EXPORTS)
    defaults = _stored(DefaultsPreferences, defaults_record.value if defaults_record else None)
    exports = _stored(ExportPreferences, exports_record.value if exports_record else None)
    notices: list[PreferenceNotice] = []
    configuration_notice, provider_notice = await _defaults_notices(state, defaults)
    if configuration_notice:
        notices.append(
            PreferenceNotice(group="defaults", field="configuration", message=configuration_notice)
        )
    if provider_notice:
        notices.append(
            PreferenceNotice(group="defaults", field="provider", message=provider_notice)
        )
    if exports.folder is not None:
        folder_notice = await asyncio.to_thread(_folder_notice, exports.folder)
        if folder_notice:
            notices.append(PreferenceNotice(group="exports", field="folder", message=folder_notice))
    return PreferencesPublic(
        defaults=defaults,
        exports=exports,
        updated_at={key: iso_time(record.updated_at) for key, record in stored.items()},
        notices=notices,
    )


# -- routes -------------------------------------------------------------------------------


@router.get("", response_model=PreferencesPublic, summary="Defaults and export preferences")
async def read_preferences(state: StateDep) -> PreferencesPublic:
    return await _public(state)


@router.put(
    "/defaults",
    response_model=PreferencesPublic,
    responses=VALIDATION,
    summary="Save the defaults a new job starts with",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/DefaultsPreferences"}}
            },
        }
    },
)
async def save_defaults(
    raw: Annotated[dict[str, Any], Body()], state: StateDep
) -> PreferencesPublic:
    """Unknown configuration or provider names are refused (422, naming the value). Every
    bad field is reported in one 422, each at its field, so a client fixes them in one go."""
    errors: list[dict[str, Any]] = []
    try:
        body = DefaultsPreferences.model_validate(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        # The names the model accepted are checked too: their errors belong in the same 422.
        bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        names = {k: raw[k] for k in ("configuration", "provider") if k in raw and k not in bad}
        body = DefaultsPreferences.model_validate(names)
    async with state.db.write() as tx:
        errors += [
            {"loc": ("body", field), "msg": message, "type": "value_error"}
            for field, message in await _defaults_problems(state, tx.conn, body)
        ]
        if errors:
            raise RequestValidationError(errors)
        await pref_store.save_group(tx, DEFAULTS, body.model_dump(mode="json"))
    return await _public(state)


async def _defaults_problems(
    state: AppState, conn: AsyncConnection, body: DefaultsPreferences
) -> list[tuple[str, str]]:
    """What is wrong with the names in ``body``: (field, message) for each."""
    problems = []
    if body.provider is not None and body.provider not in state.service.providers:
        names = ", ".join(info.name for info in state.service.providers.infos())
        problems.append(("provider", f"Unknown provider “{body.provider}”; choose one of {names}."))
    if body.configuration is not None:
        try:
            await config_store.latest_by_name(conn, body.configuration)
        except NotFound:
            problems.append(("configuration", f"No configuration named “{body.configuration}”."))
    return problems


@router.put(
    "/exports",
    response_model=PreferencesPublic,
    responses=VALIDATION,
    summary="Save the export preferences",
)
async def save_exports(body: ExportPreferences, state: StateDep) -> PreferencesPublic:
    """A folder must be an absolute path the server can write to; it is created when
    missing (422 saying why otherwise)."""
    if body.folder is not None:
        await asyncio.to_thread(prepare_export_folder, body.folder)
    async with state.db.write() as tx:
        await pref_store.save_group(tx, EXPORTS, body.model_dump(mode="json"))
    return await _public(state)
