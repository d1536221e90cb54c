"""Which quality checks run on a job's images, and how strict each one is.

A :class:`QCConfig` is part of a job's configuration, so it is a strict Pydantic model: an
unknown field or an out-of-range threshold is rejected when the job is submitted, not when
its images are checked.

Every threshold is measured on the *analysis copy* of an image (longest side
:data:`~genfactory.qc.analysis.ANALYSIS_SIZE` pixels, see :mod:`genfactory.qc.analysis`), so
the same numbers mean the same thing for a 512×512 and a 2048×2048 image. The optional
vision check (:class:`VisionQC`) is the exception: a model looks at the image instead.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator


class QCCheck(StrEnum):
    """A check that can be switched on or off. The values are the stored strings."""

    BLANK = "blank"
    """Blank or nearly a single colour (a failed or filtered generation)."""
    BLUR = "blur"
    """Blurry, or too little detail to be a usable image."""
    DIMENSIONS = "dimensions"
    """Not the width and height that were asked for."""
    DUPLICATE = "duplicate"
    """Nearly the same as an earlier image of the same job."""


ALL_CHECKS: frozenset[QCCheck] = frozenset(QCCheck)

#: The vision model asked when a configuration names none: current, vision-capable, cheap.
DEFAULT_VISION_MODEL: Final = "gpt-4.1-mini"
DEFAULT_VISION_INSTRUCTIONS: Final = (
    "Is this a usable image that matches the prompt? Reject distorted anatomy, garbled text, "
    "artifacts."
)


class VisionQC(BaseModel):
    """The optional vision-model check: OpenAI looks at each image and says whether it is
    usable (see ``docs/quality-checks.md``, "Vision check").

    It sends every image (shrunk) and the job's prompt to OpenAI, which bills for it, so it
    runs only when ``enabled`` is true; the rest of the fields keep their values while it is
    switched off.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=False,
        description=(
            "Send each image and the job's prompt to an OpenAI vision model for a verdict. "
            "Off by default: it needs an OpenAI API key, and OpenAI bills every image."
        ),
    )
    model: str = Field(
        default=DEFAULT_VISION_MODEL,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$",
        description=(
            "The OpenAI model that judges the images. It must accept images and Structured "
            "Outputs (gpt-4.1-mini, gpt-4.1, gpt-4o, gpt-4o-mini, …)."
        ),
    )
    instructions: str = Field(
        default=DEFAULT_VISION_INSTRUCTIONS,
        min_length=1,
        max_length=2000,
        description=(
            "What the model judges, in plain words. It sees these, the job's prompt and the image."
        ),
    )
    min_score: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description=(
            "An image passes when the model accepts it and scores it at least this (0–1). "
            "0 trusts the model's yes or no alone."
        ),
    )
    detail: Literal["low", "high", "auto"] = Field(
        default="low",
        description=(
            "How closely the model looks: `low` sends a 512-pixel copy and costs the fewest "
            "tokens; `high` and `auto` send a 1024-pixel copy."
        ),
    )
    timeout: float = Field(
        default=60.0,
        gt=0.0,
        le=600.0,
        description="Seconds to wait for OpenAI's answer on one image before giving up.",
    )

    @field_validator("instructions")
    @classmethod
    def _strip_instructions(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("instructions must not be empty")
        return value


class QCConfig(BaseModel):
    """The quality checks of a job: which run, and their thresholds.

    The defaults are deliberately lenient: they flag images that are clearly broken (blank,
    smeared, wrong size, repeated) and leave matters of taste to people.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    checks: frozenset[QCCheck] = Field(
        default=ALL_CHECKS,
        description="The checks that run. An empty list turns quality checks off.",
    )
    min_colour_spread: float = Field(
        default=4.0,
        ge=0.0,
        le=128.0,
        description=(
            "Blank check: an image passes when the standard deviation of its most varied "
            "colour channel (0–255 scale) is at least this. A flat colour scores 0, faint "
            "noise on a flat colour about 1, an ordinary picture 30–80."
        ),
    )
    max_same_colour_share: float = Field(
        default=0.99,
        gt=0.0,
        le=1.0,
        description=(
            "Blank check: an image fails when more than this share (0–1) of its pixels are "
            "the same colour (within `same_colour_tolerance` of the dominant colour). Catches "
            "a black frame with a few stray pixels, which `min_colour_spread` lets through. "
            "1.0 switches this part off."
        ),
    )
    same_colour_tolerance: int = Field(
        default=8,
        ge=0,
        le=255,
        description=(
            "Blank check: how far (0–255, in every channel) a pixel may be from the dominant "
            "colour and still count as the same colour."
        ),
    )
    min_detail: float = Field(
        default=3.0,
        ge=0.0,
        description=(
            "Blur check: an image passes when its detail score is at least this. The score "
            "is the standard deviation of the Laplacian (edge response) of the grayscale "
            "analysis copy: a smooth gradient scores 0, a heavy blur about 1–2.5, a sharp "
            "picture 8–40."
        ),
    )
    max_hash_distance: int = Field(
        default=6,
        ge=0,
        le=64,
        description=(
            "Duplicate check: two images whose 64-bit perceptual hashes differ in at most "
            "this many bits are near-duplicates. Re-encoding or a small brightness change "
            "moves the hash 0–4 bits; unrelated images differ in about 32. 0 flags only "
            "images with identical hashes."
        ),
    )

    vision: VisionQC | None = Field(
        default=None,
        description=(
            "Optional vision-model check through OpenAI (off unless `vision.enabled` is true)."
        ),
    )

    def runs(self, check: QCCheck) -> bool:
        """Whether ``check`` is switched on."""
        return check in self.checks

    @field_serializer("checks")
    def _serialize_checks(self, checks: frozenset[QCCheck]) -> list[str]:
        # A stable order, so the stored job configuration is the same JSON every time.
        return sorted(check.value for check in checks)
