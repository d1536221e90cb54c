"""Fault injection: each fault fails the right way, at the right step, on the right attempts."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from genfactory.domain.errors import ErrorCode, ProviderError
from genfactory.providers.base import (
    CancelToken,
    GeneratedImage,
    GenerationRequest,
    Provider,
    ProviderInfo,
    Reporter,
)
from genfactory.providers.faults import FaultInjectingProvider, FaultPlan, fault_plan_from_options
from genfactory.providers.procedural import PROCEDURAL_INFO, ProceduralProvider

from .test_procedural import DOC_PAGE, RecordingReporter, make_request


def faulty(plan: FaultPlan | dict[str, Any], inner: Provider | None = None) -> Provider:
    return FaultInjectingProvider(
        inner or ProceduralProvider(step_delay=0), FaultPlan.model_validate(plan)
    )


@pytest.fixture
def recorder() -> RecordingReporter:
    return RecordingReporter()


def steps_reported(recorder: RecordingReporter) -> list[int]:
    return [call[0] for call in recorder.progress_calls]


@pytest.mark.parametrize(
    ("plan", "code", "retryable"),
    [
        ({"rate_limit_at_step": 3, "retry_after": 1.5}, ErrorCode.RATE_LIMITED, True),
        ({"timeout_at_step": 2}, ErrorCode.TIMEOUT, True),
        ({"unavailable_at_step": 5}, ErrorCode.UNAVAILABLE, True),
    ],
    ids=["rate_limited", "timeout", "unavailable"],
)
async def test_typed_fault_fires_when_its_step_is_reached(
    plan: dict[str, Any], code: ErrorCode, retryable: bool, recorder: RecordingReporter
) -> None:
    step = next(v for k, v in plan.items() if k.endswith("_at_step"))
    with pytest.raises(ProviderError) as caught:
        await faulty(plan).generate(make_request(steps=6), recorder, CancelToken())
    assert caught.value.code is code
    assert caught.value.retryable is retryable
    assert "injected" in caught.value.message
    assert steps_reported(recorder) == list(range(1, step))
    assert [p.step for p in recorder.previews] == list(range(1, step))


async def test_rate_limit_carries_retry_after(recorder: RecordingReporter) -> None:
    with pytest.raises(ProviderError) as caught:
        await faulty({"rate_limit_at_step": 1, "retry_after": 2.5}).generate(
            make_request(), recorder, CancelToken()
        )
    assert caught.value.retry_after == 2.5
    assert caught.value.to_dict()["code"] == "rate_limited"
    assert steps_reported(recorder) == []


async def test_crash_is_an_untyped_error(recorder: RecordingReporter) -> None:
    with pytest.raises(RuntimeError, match="step 4") as caught:
        await faulty({"crash_at_step": 4}).generate(make_request(steps=6), recorder, CancelToken())
    assert not isinstance(caught.value, ProviderError)
    assert steps_reported(recorder) == [1, 2, 3]


async def test_reject_refuses_before_step_one(recorder: RecordingReporter) -> None:
    with pytest.raises(ProviderError) as caught:
        await faulty({"reject": True}).generate(make_request(), recorder, CancelToken())
    assert caught.value.code is ErrorCode.REJECTED
    assert caught.value.retryable is False
    assert caught.value.message == (
        "Your prompt was rejected by the provider's content policy (injected fault)"
    )
    assert recorder.progress_calls == []
    assert recorder.previews == []


async def test_first_fault_reached_wins(recorder: RecordingReporter) -> None:
    provider = faulty({"crash_at_step": 4, "timeout_at_step": 2})
    with pytest.raises(ProviderError) as caught:
        await provider.generate(make_request(steps=6), recorder, CancelToken())
    assert caught.value.code is ErrorCode.TIMEOUT


async def test_attempts_one_fails_first_attempt_and_the_retry_succeeds() -> None:
    provider = faulty({"timeout_at_step": 2, "attempts": [1]})
    request = make_request(steps=3)
    with pytest.raises(ProviderError):
        await provider.generate(request, RecordingReporter(), CancelToken())
    retry = RecordingReporter()
    images = await provider.generate(replace(request, attempt=2), retry, CancelToken())
    assert len(images) == 1
    assert steps_reported(retry) == [1, 2, 3]
    assert not any(level == "warning" for level, _ in retry.logs)


async def test_faults_on_every_attempt_when_attempts_is_omitted() -> None:
    provider = faulty({"unavailable_at_step": 1})
    for attempt in (1, 2, 3):
        with pytest.raises(ProviderError):
            request = replace(make_request(steps=2), attempt=attempt)
            await provider.generate(request, RecordingReporter(), CancelToken())


async def test_a_later_attempt_can_be_the_one_that_fails() -> None:
    provider = faulty({"reject": True, "attempts": [2]})
    assert await provider.generate(make_request(steps=1), RecordingReporter(), CancelToken())
    with pytest.raises(ProviderError):
        await provider.generate(
            replace(make_request(steps=1), attempt=2), RecordingReporter(), CancelToken()
        )


async def test_the_job_log_says_faults_are_injected(recorder: RecordingReporter) -> None:
    with pytest.raises(ProviderError):
        await faulty({"timeout_at_step": 2}).generate(make_request(), recorder, CancelToken())
    assert ("warning", "Fault injection on attempt 1: timeout at step 2") in recorder.logs


async def test_a_fault_after_the_last_step_warns_and_never_fires(
    recorder: RecordingReporter,
) -> None:
    images = await faulty({"crash_at_step": 9}).generate(
        make_request(steps=3), recorder, CancelToken()
    )
    assert len(images) == 1
    assert any("will not fire" in message for _, message in recorder.logs)


async def test_wrapper_keeps_the_inner_info_and_images() -> None:
    inner = ProceduralProvider(step_delay=0)
    provider = faulty({}, inner)
    assert provider.info is PROCEDURAL_INFO
    wrapped = await provider.generate(make_request(steps=2), RecordingReporter(), CancelToken())
    plain = await inner.generate(make_request(steps=2), RecordingReporter(), CancelToken())
    assert wrapped == plain


async def test_step_delay_overrides_the_procedural_delay() -> None:
    provider = faulty({"step_delay": 0}, ProceduralProvider(step_delay=30))
    started = time.perf_counter()
    await provider.generate(make_request(steps=5), RecordingReporter(), CancelToken())
    assert time.perf_counter() - started < 2


class CountingProvider:
    """A minimal non-procedural provider: reports its steps, returns one fixed image."""

    info = ProviderInfo(
        name="counting", title="Counting", description="test", sizes=("64x64",), styles=()
    )

    async def generate(
        self, request: GenerationRequest, reporter: Reporter, cancel: CancelToken
    ) -> list[GeneratedImage]:
        for step in range(1, request.steps + 1):
            cancel.raise_if_cancelled()
            await reporter.progress(step, request.steps)
        return [GeneratedImage(0, request.seed, 64, 64, b"png")]


async def test_wraps_any_provider(recorder: RecordingReporter) -> None:
    provider = faulty({"unavailable_at_step": 3, "step_delay": 1}, CountingProvider())
    assert provider.info.name == "counting"
    with pytest.raises(ProviderError) as caught:
        await provider.generate(make_request(steps=5), recorder, CancelToken())
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert steps_reported(recorder) == [1, 2]


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"timeout_at_step": 0}, "greater than or equal to 1"),
        ({"crash_at_step": -2}, "greater than or equal to 1"),
        ({"rate_limit_at_step": "3"}, "valid integer"),
        ({"unavailable_at_step": 151}, "less than or equal to 150"),
        ({"timeout_at_step": 2, "crash_at_step": 2}, "only one fault can be injected at a step"),
        ({"retry_after": 3}, "retry_after only applies to rate_limit_at_step"),
        ({"rate_limit_at_step": 1, "retry_after": -1}, "greater than or equal to 0"),
        ({"attempts": []}, "at least 1 item"),
        ({"attempts": [0]}, "greater than or equal to 1"),
        ({"step_delay": 6}, "less than or equal to 5"),
        ({"explode_at_step": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_plans_are_refused_with_a_clear_message(plan: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FaultPlan.model_validate(plan)


def test_plan_from_options() -> None:
    assert fault_plan_from_options({}) is None
    assert fault_plan_from_options({"faults": None, "other": 1}) is None
    plan = fault_plan_from_options({"faults": {"timeout_at_step": 2, "attempts": [1]}})
    assert plan == FaultPlan(timeout_at_step=2, attempts=[1])
    assert plan.applies_to(1) and not plan.applies_to(2)
    with pytest.raises(ValidationError):
        fault_plan_from_options({"faults": {"timeout_at_step": "soon"}})
    with pytest.raises(ValidationError):
        fault_plan_from_options({"faults": "crash"})


def test_doc_page_explains_every_plan_field() -> None:
    doc = DOC_PAGE.read_text(encoding="utf-8")
    for name in FaultPlan.model_fields:
        assert f"| `{name}` |" in doc, name


async def test_auth_error_fails_before_any_step_and_is_not_retryable() -> None:
    from genfactory.domain.errors import ErrorCode, ProviderError
    from genfactory.providers.base import CancelToken, GenerationRequest
    from genfactory.providers.faults import FaultInjectingProvider, FaultPlan
    from genfactory.providers.procedural import ProceduralProvider

    calls: list[tuple[int, int]] = []

    class Recorder:
        async def progress(
            self, step: int, total: int, message: str = "", *, image_index: int = 0
        ) -> None:
            calls.append((step, total))

        async def preview(self, image: bytes, *, width: int, height: int, step: int) -> None:
            pass

        def wants_preview(self) -> bool:
            return True

        async def log(self, message: str, level: str = "info") -> None:
            pass

    provider = FaultInjectingProvider(ProceduralProvider(step_delay=0), FaultPlan(auth_error=True))
    request = GenerationRequest(
        job_id="j", prompt="p", width=64, height=64, steps=3, count=1, seed=1
    )
    try:
        await provider.generate(request, Recorder(), CancelToken())
    except ProviderError as error:
        assert error.code is ErrorCode.AUTH
        assert error.retryable is False
    else:
        raise AssertionError("no auth error")
    assert calls == []
