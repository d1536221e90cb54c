"""Fault injection: make any provider fail in a chosen way, at a chosen step, on chosen attempts.

For tests and demos only. A job asks for it with ``options={"faults": {...}}``; the API
accepts that option only in dev/test mode. Example: ``{"rate_limit_at_step": 3,
"retry_after": 2, "attempts": [1]}`` makes the first attempt fail at step 3 as rate limited,
so the automatic retry (attempt 2) succeeds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from genfactory.domain.errors import ErrorCode, ProviderError
from genfactory.providers.base import (
    CancelToken,
    GeneratedImage,
    GenerationRequest,
    Provider,
    Reporter,
)
from genfactory.providers.procedural import ProceduralProvider

#: A step number, as the provider reports it in ``progress(step=…)``.
Step = Annotated[int, Field(strict=True, ge=1, le=150)]
Attempt = Annotated[int, Field(strict=True, ge=1)]


class FaultPlan(BaseModel):
    """Which failure to inject, where. Each ``*_at_step`` fault fires when the provider
    reports that step; the first one reached wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate_limit_at_step: Step | None = Field(
        default=None, description="Fail as rate_limited (retryable) at this step."
    )
    timeout_at_step: Step | None = Field(
        default=None, description="Fail as timeout (retryable) at this step."
    )
    unavailable_at_step: Step | None = Field(
        default=None, description="Fail as unavailable (retryable) at this step."
    )
    crash_at_step: Step | None = Field(
        default=None,
        description="Raise a plain RuntimeError at this step: an untyped bug (internal).",
    )
    reject: bool = Field(
        default=False,
        description="Refuse the prompt before step 1, like a content policy (not retryable).",
    )
    auth_error: bool = Field(
        default=False,
        description="Refuse before step 1 as if the API key were wrong (auth, not retryable).",
    )
    retry_after: float | None = Field(
        default=None, ge=0, le=3600, description="Seconds to put on the rate_limited error."
    )
    attempts: list[Attempt] | None = Field(
        default=None,
        min_length=1,
        description="Attempt numbers (from 1) the faults apply to; omitted means every attempt.",
    )
    step_delay: float | None = Field(
        default=None,
        ge=0,
        le=5,
        description="Seconds per step for the procedural provider in this job.",
    )

    @model_validator(mode="after")
    def _check_consistent(self) -> Self:
        steps = [s for s in self.fault_steps().values() if s is not None]
        clashes = sorted({s for s in steps if steps.count(s) > 1})
        if clashes:
            raise ValueError(
                f"only one fault can be injected at a step; step {clashes[0]} has several"
            )
        if self.retry_after is not None and self.rate_limit_at_step is None:
            raise ValueError("retry_after only applies to rate_limit_at_step; set that too")
        return self

    def applies_to(self, attempt: int) -> bool:
        """Whether the faults fire on this attempt (``step_delay`` applies to every attempt)."""
        return self.attempts is None or attempt in self.attempts

    def error_at(self, step: int) -> Exception | None:
        """What the provider raises when it reports ``step``, if anything."""
        if step == self.rate_limit_at_step:
            return ProviderError(
                ErrorCode.RATE_LIMITED,
                f"The provider is rate limiting requests (injected fault at step {step})",
                retry_after=self.retry_after,
            )
        if step == self.timeout_at_step:
            return ProviderError(
                ErrorCode.TIMEOUT, f"The provider timed out (injected fault at step {step})"
            )
        if step == self.unavailable_at_step:
            return ProviderError(
                ErrorCode.UNAVAILABLE,
                f"The provider is unavailable (injected fault at step {step})",
            )
        if step == self.crash_at_step:
            return RuntimeError(f"Injected crash at step {step}")
        return None

    def fault_steps(self) -> dict[str, int | None]:
        return {
            "rate_limited": self.rate_limit_at_step,
            "timeout": self.timeout_at_step,
            "unavailable": self.unavailable_at_step,
            "crash": self.crash_at_step,
        }

    @property
    def has_faults(self) -> bool:
        """False for a plan that only slows the renderer down (``step_delay``)."""
        return self.reject or self.auth_error or any(self.fault_steps().values())

    def describe(self) -> str:
        """A short human summary for the job's log, e.g. ``"timeout at step 3"``."""
        parts = ["reject before step 1"] if self.reject else []
        parts += ["auth error before step 1"] if self.auth_error else []
        parts += [f"{kind} at step {step}" for kind, step in self.fault_steps().items() if step]
        return ", ".join(parts) or "no faults"


def fault_plan_from_options(options: Mapping[str, Any]) -> FaultPlan | None:
    """The plan in a request's ``options["faults"]``, or None when there is none.

    Raises :class:`pydantic.ValidationError` when the plan is malformed, so the API can
    call this at submission time and answer 422.
    """
    raw = options.get("faults")
    if raw is None:
        return None
    return FaultPlan.model_validate(raw)


class FaultInjectingProvider:
    """Wraps a provider (keeping its ``info``) and makes it fail as a :class:`FaultPlan` says."""

    def __init__(self, inner: Provider, plan: FaultPlan) -> None:
        self.inner = inner
        self.plan = plan
        self.info = inner.info

    async def generate(
        self, request: GenerationRequest, reporter: Reporter, cancel: CancelToken
    ) -> list[GeneratedImage]:
        provider = self._provider_for_job()
        if not self.plan.applies_to(request.attempt):
            return await provider.generate(request, reporter, cancel)
        if self.plan.has_faults:
            await reporter.log(
                f"Fault injection on attempt {request.attempt}: {self.plan.describe()}", "warning"
            )
        for kind, step in self.plan.fault_steps().items():
            if step is not None and step > request.steps:
                await reporter.log(
                    f"Injected {kind} at step {step} will not fire: "
                    f"the job has only {request.steps} steps",
                    "warning",
                )
        if self.plan.auth_error:
            cancel.raise_if_cancelled()
            raise ProviderError(ErrorCode.AUTH, "The provider refused the API key (injected fault)")
        if self.plan.reject:
            cancel.raise_if_cancelled()
            raise ProviderError(
                ErrorCode.REJECTED,
                "Your prompt was rejected by the provider's content policy (injected fault)",
            )
        return await provider.generate(request, _FaultingReporter(reporter, self.plan), cancel)

    def _provider_for_job(self) -> Provider:
        if self.plan.step_delay is not None and isinstance(self.inner, ProceduralProvider):
            return self.inner.with_step_delay(self.plan.step_delay)
        return self.inner


class _FaultingReporter:
    """Passes everything through, but raises the plan's fault when its step is reported."""

    def __init__(self, inner: Reporter, plan: FaultPlan) -> None:
        self._inner = inner
        self._plan = plan

    async def progress(
        self, step: int, total: int, message: str = "", *, image_index: int = 0
    ) -> None:
        error = self._plan.error_at(step)
        if error is not None:
            raise error
        await self._inner.progress(step, total, message, image_index=image_index)

    async def preview(self, image: bytes, *, width: int, height: int, step: int) -> None:
        await self._inner.preview(image, width=width, height=height, step=step)

    def wants_preview(self) -> bool:
        return self._inner.wants_preview()

    async def log(self, message: str, level: str = "info") -> None:
        await self._inner.log(message, level)
