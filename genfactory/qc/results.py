"""What the quality checks found: one :class:`CheckResult` per measurement, one
:class:`ImageQC` per image. Both are Pydantic models so they can be stored with the image and
returned by the API as they are."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class QCStatus(StrEnum):
    """The verdict on one image. The values are the stored strings."""

    PASSED = "passed"
    FAILED = "failed"


class CheckResult(BaseModel):
    """One measurement of one check, with the threshold it was compared to.

    ``name`` is the check (``blank``, ``blur``, ``dimensions``, ``duplicate``, ``vision``,
    or ``readable`` when the file could not be decoded); ``metric`` says what was measured,
    because one check can measure more than one thing (the blank check looks at both colour
    spread and the share of the dominant colour). ``reason`` is a sentence for end users,
    written whether the check passed or failed.

    ``passed`` is ``None`` when the check did not judge the image (the vision check when
    OpenAI could not be asked or gave no usable answer, or when the image had already
    failed): such a result neither passes nor fails the image, and ``reason`` says why.
    Results stored before this existed always have a boolean.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    metric: str
    passed: bool | None
    value: int | float | str | None
    threshold: int | float | str | None
    reason: str


class ImageQC(BaseModel):
    """The quality verdict on one image.

    ``reasons`` holds one sentence per failed check, in the order the checks ran (when a
    check failed on several measurements, the first one speaks for it: a blank image is
    "nearly blank", not also "almost a single colour"); it is empty when the image passed.
    ``checks`` keeps every measurement. ``phash`` is the image's 64-bit perceptual hash as 16
    hex digits (empty if the image could not be read), kept so that later images can be
    compared with this one. ``duplicate_of`` is the index of the earlier image this one
    repeats, if any. ``notes`` are sentences about checks that were asked for but could not
    judge the image ("Vision check could not judge the image: …"); they do not change the
    status.
    """

    model_config = ConfigDict(frozen=True)

    status: QCStatus
    reasons: list[str]
    checks: list[CheckResult]
    phash: str
    width: int | None = None
    height: int | None = None
    duplicate_of: int | None = None
    notes: list[str] = []

    @property
    def passed(self) -> bool:
        return self.status is QCStatus.PASSED

    def with_check(self, check: CheckResult, *, note: str | None = None) -> ImageQC:
        """This verdict with one more check (the vision check, run after the built-in ones),
        the status and reasons recomputed; ``note`` is added to :attr:`notes`."""
        return ImageQC.from_checks(
            [*self.checks, check],
            phash=self.phash,
            width=self.width,
            height=self.height,
            duplicate_of=self.duplicate_of,
            notes=[*self.notes, note] if note else self.notes,
        )

    @classmethod
    def from_checks(
        cls,
        checks: list[CheckResult],
        *,
        phash: str,
        width: int | None,
        height: int | None,
        duplicate_of: int | None = None,
        notes: list[str] | None = None,
    ) -> ImageQC:
        """Build the verdict: failed as soon as one check failed (a check that did not judge
        the image, ``passed is None``, counts neither way)."""
        reasons: list[str] = []
        failed: set[str] = set()
        for check in checks:
            if check.passed is False and check.name not in failed:
                failed.add(check.name)
                reasons.append(check.reason)
        return cls(
            status=QCStatus.FAILED if reasons else QCStatus.PASSED,
            reasons=reasons,
            checks=checks,
            phash=phash,
            width=width,
            height=height,
            duplicate_of=duplicate_of,
            notes=list(notes or ()),
        )
