"""Settings, read from ``GENFACTORY_*`` environment variables (and CLI flags)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Mode(StrEnum):
    """``production`` refuses fault injection; ``dev`` and ``test`` allow it."""

    PRODUCTION = "production"
    DEV = "dev"
    TEST = "test"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("genfactory", appauthor=False))


class Settings(BaseSettings):
    """Everything the server and workers can be told. Each field is documented in
    ``docs/settings.md`` (generated from this class; a test keeps them in step)."""

    model_config = SettingsConfigDict(env_prefix="GENFACTORY_", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for the SQLite database, images and thumbnails.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: SQLite file `genfactory.db` in the data folder. "
        "PostgreSQL: `postgresql+asyncpg://user@host/db`.",
    )
    mode: Mode = Field(
        default=Mode.PRODUCTION,
        description="`production`, `dev` or `test`. Fault injection is allowed only in dev/test.",
    )
    host: str = Field(default="127.0.0.1", description="Address to bind.")
    port: int = Field(default=8000, description="Port to bind.")
    api_token: str | None = Field(
        default=None,
        description="Bearer token required on the API. Mandatory for a non-loopback bind. "
        "Spaces around it are dropped; an empty or blank value means no token.",
    )

    @field_validator("api_token")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        """A blank token is no token (so a non-loopback bind is refused, not protected by
        a space); spaces around one are not part of it (pasted from a file)."""
        return (value or "").strip() or None

    workers: int = Field(default=2, ge=0, le=64, description="In-process workers (0 = none).")
    lease_seconds: float = Field(
        default=30.0, gt=0, description="How long a worker's claim on a job lasts unrenewed."
    )
    heartbeat_seconds: float = Field(
        default=1.0, gt=0, description="How often a worker renews its leases and sees cancels."
    )
    recovery_interval: float = Field(
        default=5.0, gt=0, description="How often expired leases are looked for."
    )
    max_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Attempts per job run (a manual retry starts a new run of as many).",
    )
    retry_base_seconds: float = Field(
        default=2.0,
        ge=0,
        description="First automatic retry delay of a run; doubles each attempt.",
    )
    retry_max_seconds: float = Field(
        default=300.0,
        ge=0,
        description="Longest automatic back-off between attempts (a provider's own Retry-After "
        "is honoured even when longer).",
    )
    step_delay: float = Field(
        default=0.15,
        ge=0,
        description="Seconds per step of the built-in procedural renderer (demo pacing).",
    )
    preview_interval: float = Field(
        default=0.2, ge=0, description="At most one preview event per job per this many seconds."
    )
    tail_interval: float = Field(
        default=0.25,
        gt=0,
        description="How often to look for events appended by other processes (PostgreSQL "
        "NOTIFY wakes it sooner).",
    )
    provider_limits: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Per-provider caps overriding the provider's own, as JSON: "
        '`{"openai": {"concurrency": 2, "per_minute": 5}}`.',
    )
    openai_base_url: str = Field(
        default="https://api.openai.com/v1",
        description="OpenAI API base URL (…/v1): images, and the optional vision check.",
    )
    openai_model: str = Field(
        default="gpt-image-1",
        description="OpenAI image model (a job's configuration may name another).",
    )
    openai_partial_images: int = Field(
        default=2, ge=0, le=3, description="Partial images OpenAI streams as previews (0–3)."
    )
    comfyui_url: str | None = Field(
        default=None, description="ComfyUI server URL, e.g. `http://127.0.0.1:8188`."
    )
    comfyui_workflow: Path | None = Field(
        default=None,
        description="A ComfyUI workflow in API format (JSON file). Default: ComfyUI's txt2img.",
    )
    comfyui_mapping: dict[str, Any] | None = Field(
        default=None,
        description="Where request values go in the workflow, as JSON: "
        '`{"prompt": "6.text", "seed": "3.seed", …}`.',
    )
    diffusers_model: str | None = Field(
        default=None,
        description="A local diffusers pipeline folder (or a model id already in the local "
        "Hugging Face cache; never downloaded).",
    )
    poll_interval: float = Field(
        default=0.25, gt=0, description="How often an idle worker looks for new jobs."
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'genfactory.db'}"

    @property
    def faults_allowed(self) -> bool:
        return self.mode in (Mode.DEV, Mode.TEST)

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"
