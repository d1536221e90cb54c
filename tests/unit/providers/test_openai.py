"""The ``openai`` provider against a local server that speaks OpenAI's Images API: streamed
partial images as previews, one request per image, prompt cancellation, and every error
class mapped to the taxonomy without ever showing the API key."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from genfactory.domain.errors import ErrorCode, JobCancelled, ProviderError
from genfactory.providers._http import (
    parse_duration,
    race,
    redact,
    retry_after_from_headers,
)
from genfactory.providers.base import CancelToken, GenerationRequest, Provider
from genfactory.providers.openai import SIZES, OpenAIProvider
from tests.fakes import RecordingReporter, ServerThread, free_port
from tests.fakes.openai_server import FakeOpenAI

KEY = "sk-test-fake0000000000000000000000000000SECRET"


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[FakeOpenAI, ServerThread]]:
    """One fake server for the module; each test starts from a clean state."""
    fake = FakeOpenAI(KEY)
    with ServerThread(fake.app) as thread:
        yield fake, thread


@pytest.fixture
def fake(running: tuple[FakeOpenAI, ServerThread]) -> FakeOpenAI:
    running[0].reset(partial_delay=0.005)
    return running[0]


@pytest.fixture
def server(running: tuple[FakeOpenAI, ServerThread], fake: FakeOpenAI) -> ServerThread:
    return running[1]


def make_provider(server: ServerThread, key: str | None = KEY, **kwargs: Any) -> OpenAIProvider:
    return OpenAIProvider(key, base_url=f"{server.url}/v1", **kwargs)


def make_request(
    *, size: str = "1024x1024", count: int = 1, seed: int = 42, prompt: str = "a lighthouse"
) -> GenerationRequest:
    width, height = (int(v) for v in size.split("x"))
    return GenerationRequest(
        job_id="job-1", prompt=prompt, width=width, height=height, steps=20, count=count, seed=seed
    )


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


async def failure(provider: OpenAIProvider, **kwargs: Any) -> ProviderError:
    reporter = RecordingReporter()
    with pytest.raises(ProviderError) as caught:
        await provider.generate(make_request(**kwargs), reporter, CancelToken())
    error = caught.value
    assert_no_secret(error, reporter)
    return error


def assert_no_secret(error: ProviderError, reporter: RecordingReporter | None = None) -> None:
    texts = [error.message, str(error), json.dumps(error.to_dict())]
    if reporter is not None:
        texts.append(reporter.text())
    for text in texts:
        assert KEY not in text
        assert "SECRET" not in text
        assert "sk-" not in text


# -- availability ------------------------------------------------------------------------------


def test_it_is_a_provider() -> None:
    provider: Provider = OpenAIProvider(KEY)
    info = provider.info
    assert info.name == "openai"
    assert info.available and info.unavailable_reason is None
    assert info.sizes == SIZES == ("1024x1024", "1536x1024", "1024x1536")
    assert info.streams_previews and info.supports_cancel and not info.supports_seed
    assert info.default_steps == 3  # two partial images + the final one
    assert not OpenAIProvider(KEY, stream=False).info.streams_previews
    assert KEY not in repr(provider)


@pytest.mark.parametrize("key", [None, "", "   "])
async def test_without_a_key_it_is_unavailable_and_sends_nothing(
    key: str | None, fake: FakeOpenAI, server: ServerThread
) -> None:
    provider = make_provider(server, key)
    assert not provider.info.available
    reason = "no API key (set GENFACTORY_OPENAI_API_KEY or OPENAI_API_KEY)"
    assert provider.info.unavailable_reason == reason
    error = await failure(provider)
    assert error.code is ErrorCode.AUTH and not error.retryable
    assert await provider.test_connection() == (False, reason)
    assert fake.requests == []


def test_constructor_refuses_bad_settings() -> None:
    with pytest.raises(ValueError, match="max_partial_images"):
        OpenAIProvider(KEY, max_partial_images=4)
    with pytest.raises(ValueError, match="quality"):
        OpenAIProvider(KEY, quality="ultra")


# -- success -----------------------------------------------------------------------------------


async def test_streams_partial_images_as_previews_then_the_final_image(
    fake: FakeOpenAI, server: ServerThread
) -> None:
    reporter = RecordingReporter()
    images = await make_provider(server).generate(make_request(), reporter, CancelToken())

    assert len(images) == 1
    image = images[0]
    assert (image.index, image.seed, image.format) == (0, 42, "png")
    picture = decode(image.data)
    assert picture.format == "PNG" and picture.size == (1024, 1024) == (image.width, image.height)

    assert [(s, t) for s, t, _, _ in reporter.progress_calls] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert [p.step for p in reporter.previews] == [1, 2]
    for preview in reporter.previews:
        small = decode(preview.image)
        assert small.format == "WEBP"
        assert max(small.size) <= 256 and small.size == (preview.width, preview.height)

    (seen,) = fake.requests
    assert seen.authorized and seen.path == "/v1/images/generations"
    assert seen.body == {
        "model": "gpt-image-1",
        "prompt": "a lighthouse",
        "n": 1,
        "size": "1024x1024",
        "quality": "auto",
        "output_format": "png",
        "background": "auto",
        "stream": True,
        "partial_images": 2,
    }
    assert fake.streams_completed == 1 and fake.disconnects == 0


async def test_each_image_is_its_own_request_with_its_own_progress(
    fake: FakeOpenAI, server: ServerThread
) -> None:
    reporter = RecordingReporter()
    images = await make_provider(server, max_partial_images=1).generate(
        make_request(count=3, seed=7), reporter, CancelToken()
    )
    assert [(i.index, i.seed) for i in images] == [(0, 7), (1, 8), (2, 9)]
    assert len({i.data for i in images}) == 3
    assert [r.body["n"] for r in fake.requests] == [1, 1, 1]
    done = [(s, t, i) for s, t, _, i in reporter.progress_calls if s == t]
    assert done == [(2, 2, 0), (2, 2, 1), (2, 2, 2)]
    assert "Image 2/3" in reporter.progress_calls[-4][2]
    assert any("takes no seed" in message for _, message in reporter.logs)


async def test_without_streaming_one_request_asks_for_n_images(
    fake: FakeOpenAI, server: ServerThread
) -> None:
    reporter = RecordingReporter()
    provider = make_provider(server, stream=False, quality="low", output_format="jpeg")
    images = await provider.generate(
        make_request(size="1536x1024", count=3), reporter, CancelToken()
    )
    (seen,) = fake.requests
    assert seen.body["n"] == 3 and "stream" not in seen.body and "partial_images" not in seen.body
    assert seen.body["quality"] == "low" and seen.body["output_format"] == "jpeg"
    assert [(i.index, i.format, i.width, i.height) for i in images] == [
        (k, "jpeg", 1536, 1024) for k in range(3)
    ]
    assert decode(images[0].data).format == "JPEG"
    assert reporter.previews == []


async def test_a_style_is_appended_to_the_prompt(fake: FakeOpenAI, server: ServerThread) -> None:
    request = make_request()
    styled = GenerationRequest(**{**request.__dict__, "style": "watercolour"})
    await make_provider(server).generate(styled, RecordingReporter(), CancelToken())
    assert fake.requests[0].body["prompt"] == "a lighthouse\n\nStyle: watercolour"


async def test_a_configurations_model_is_the_model_asked_for(
    fake: FakeOpenAI, server: ServerThread
) -> None:
    request = make_request()
    chosen = GenerationRequest(**{**request.__dict__, "options": {"model": "gpt-image-1-mini"}})
    reporter = RecordingReporter()
    await make_provider(server).generate(chosen, reporter, CancelToken())
    await make_provider(server).generate(request, RecordingReporter(), CancelToken())
    assert [r.body["model"] for r in fake.requests] == ["gpt-image-1-mini", "gpt-image-1"]
    assert any("OpenAI gpt-image-1-mini:" in line for _level, line in reporter.logs)


async def test_test_connection(fake: FakeOpenAI, server: ServerThread) -> None:
    ok, message = await make_provider(server).test_connection()
    assert ok and "gpt-image-1" in message
    ok, message = await make_provider(server, model="gpt-image-9").test_connection()
    assert not ok and "not available" in message
    ok, message = await make_provider(server, "sk-wrong-key-0123456789").test_connection()
    assert not ok and "rejected the API key" in message
    assert "sk-" not in message and "6789" not in message
    ok, message = await OpenAIProvider(
        KEY, base_url=f"http://127.0.0.1:{free_port()}/v1"
    ).test_connection()
    assert not ok and "Cannot connect" in message and KEY not in message


def test_an_address_that_is_not_an_openai_api_is_not_called_a_model_problem() -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse

    def not_found(_request: Any) -> PlainTextResponse:
        return PlainTextResponse("Not Found", status_code=404)

    elsewhere = Starlette()
    elsewhere.add_route("/{path:path}", not_found)
    with ServerThread(elsewhere) as server:
        provider = OpenAIProvider(KEY, base_url=f"{server.url}/v1")
        ok, message = asyncio.run(provider.test_connection())
    assert not ok and "does not look like an OpenAI-compatible API" in message
    assert "GENFACTORY_OPENAI_BASE_URL" in message and "not available to it" not in message


# -- cancellation ------------------------------------------------------------------------------


async def test_cancel_closes_the_stream_at_once(fake: FakeOpenAI, server: ServerThread) -> None:
    fake.partial_delay = 3.0  # the server is slow: the first partial image would take 3 s
    token = CancelToken()
    loop = asyncio.get_running_loop()
    cancelled_at: list[float] = []

    def cancel_soon(step: int, total: int, index: int) -> None:
        def fire() -> None:
            cancelled_at.append(time.monotonic())
            token.cancel("user")

        loop.call_later(0.2, fire)

    reporter = RecordingReporter(on_progress=cancel_soon)
    with pytest.raises(JobCancelled, match="user"):
        await make_provider(server).generate(make_request(count=2), reporter, token)
    assert time.monotonic() - cancelled_at[0] < 1.0
    # The server sees the client hang up (it stops generating), and no second image is asked.
    deadline = time.monotonic() + 2
    while fake.disconnects == 0 and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    assert fake.disconnects == 1 and fake.streams_completed == 0
    assert len(fake.requests) == 1


async def test_an_already_cancelled_job_sends_nothing(
    fake: FakeOpenAI, server: ServerThread
) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        await make_provider(server).generate(make_request(), RecordingReporter(), token)
    assert fake.requests == []


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "headers", "retry_after"),
    [
        ({"retry_after": "7"}, {}, 7.0),  # Retry-After wins
        ({}, {}, 12.0),  # else the reset of the exhausted limit (x-ratelimit-reset-requests)
        ({"retry_after": "7"}, {"retry-after-ms": "1500"}, 1.5),
    ],
)
async def test_rate_limit_is_retryable_after_the_servers_hint(
    fake: FakeOpenAI,
    server: ServerThread,
    fault: dict[str, Any],
    headers: dict[str, str],
    retry_after: float,
) -> None:
    fake.fail_next("rate_limit", headers=headers, **fault)
    error = await failure(make_provider(server))
    assert error.code is ErrorCode.RATE_LIMITED
    assert error.retryable and error.retry_after == retry_after
    assert "Rate limit reached" in error.message and "rate_limit_exceeded" in error.message


async def test_exhausted_quota_is_not_worth_retrying(
    fake: FakeOpenAI, server: ServerThread
) -> None:
    fake.fail_next("quota")
    error = await failure(make_provider(server))
    assert error.code is ErrorCode.RATE_LIMITED and not error.retryable
    assert error.retry_after is None and "quota" in error.message


@pytest.mark.parametrize("how", ["prompt", "fault"])
async def test_content_policy_refusal_is_rejected_for_good(
    fake: FakeOpenAI, server: ServerThread, how: str
) -> None:
    if how == "fault":
        fake.fail_next("moderation")
    prompt = "something forbidden" if how == "prompt" else "a lighthouse"
    error = await failure(make_provider(server), prompt=prompt)
    assert error.code is ErrorCode.REJECTED and not error.retryable
    assert "content policy" in error.message and "moderation_blocked" in error.message
    assert "safety system" in error.message and "(request req_" in error.message


async def test_a_refusal_in_the_middle_of_the_stream_is_rejected(
    fake: FakeOpenAI, server: ServerThread
) -> None:
    fake.fail_next("stream_error", after_partials=1)
    reporter = RecordingReporter()
    with pytest.raises(ProviderError) as caught:
        await make_provider(server).generate(make_request(), reporter, CancelToken())
    assert caught.value.code is ErrorCode.REJECTED and not caught.value.retryable
    assert len(reporter.previews) == 1  # what came before the refusal was shown


@pytest.mark.parametrize(
    ("kind", "code", "retryable", "retry_after", "text"),
    [
        ("unauthorized", ErrorCode.AUTH, False, None, "rejected the API key"),
        ("forbidden", ErrorCode.AUTH, False, None, "must be verified"),
        ("server_error", ErrorCode.UNAVAILABLE, True, None, "server had an error"),
        ("overloaded", ErrorCode.UNAVAILABLE, True, 3.0, "overloaded"),
        ("timeout", ErrorCode.TIMEOUT, True, None, "timed out"),
        ("bad_request", ErrorCode.REJECTED, False, None, "Invalid request."),
    ],
)
async def test_http_errors_map_to_the_taxonomy(
    fake: FakeOpenAI,
    server: ServerThread,
    kind: str,
    code: ErrorCode,
    retryable: bool,
    retry_after: float | None,
    text: str,
) -> None:
    fake.fail_next(kind, retry_after="3" if kind == "overloaded" else None)
    error = await failure(make_provider(server))
    assert (error.code, error.retryable, error.retry_after) == (code, retryable, retry_after)
    assert text in error.message


async def test_a_wrong_key_fails_as_auth_without_echoing_the_key(
    fake: FakeOpenAI, server: ServerThread
) -> None:
    wrong = "sk-proj-another0000000000000000000000000SECRET"
    error = await failure(make_provider(server, wrong))
    assert error.code is ErrorCode.AUTH and not error.retryable
    assert wrong not in error.message and "[redacted]" in error.message
    assert "invalid_api_key" in error.message


async def test_an_unknown_model_is_rejected(server: ServerThread) -> None:
    error = await failure(make_provider(server, model="gpt-image-9"))
    assert error.code is ErrorCode.REJECTED and "model_not_found" in error.message


async def test_a_silent_server_times_out(fake: FakeOpenAI, server: ServerThread) -> None:
    fake.fail_next("hang")
    started = time.monotonic()
    error = await failure(make_provider(server, timeout=0.3))
    assert error.code is ErrorCode.TIMEOUT and error.retryable
    assert time.monotonic() - started < 2


async def test_an_unreachable_server_is_unavailable() -> None:
    provider = OpenAIProvider(KEY, base_url=f"http://127.0.0.1:{free_port()}/v1")
    error = await failure(provider)
    assert error.code is ErrorCode.UNAVAILABLE and error.retryable


@pytest.mark.parametrize("size", ["512x512", "1024x768"])
async def test_sizes_the_model_does_not_make_are_rejected_before_any_request(
    fake: FakeOpenAI, server: ServerThread, size: str
) -> None:
    error = await failure(make_provider(server), size=size)
    assert error.code is ErrorCode.REJECTED and "1536x1024" in error.message
    assert fake.requests == []


# -- odd answers (a mock transport is enough) -------------------------------------------------


def png(size: tuple[int, int] = (1024, 1024)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def test_a_server_that_ignores_stream_still_works() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"created": 1, "data": [{"b64_json": png()}]})

    provider = OpenAIProvider(KEY, transport=httpx.MockTransport(answer))
    reporter = RecordingReporter()
    (image,) = await provider.generate(make_request(), reporter, CancelToken())
    assert (image.width, image.height, image.format) == (1024, 1024, "png")
    assert reporter.progress_calls[-1][:2] == (3, 3)


@pytest.mark.parametrize(
    "body",
    [
        b'event: image_generation.completed\ndata: {"b64_json": "%%%"}\n\n',
        b"event: image_generation.partial_image\ndata: {not json}\n\n",
        b": keep-alive\n\n",  # the stream ends without an image
    ],
)
async def test_malformed_streams_are_unavailable_and_retryable(body: bytes) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    provider = OpenAIProvider(KEY, transport=httpx.MockTransport(answer))
    error = await failure(provider)
    assert error.code is ErrorCode.UNAVAILABLE and error.retryable


async def test_the_key_goes_only_into_the_authorization_header() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            401,
            json={"error": {"message": f"Incorrect API key provided: {KEY}", "code": None}},
        )

    provider = OpenAIProvider(
        KEY, transport=httpx.MockTransport(answer), organization="org-1", project="proj-1"
    )
    error = await failure(provider)
    assert error.code is ErrorCode.AUTH
    (request,) = seen
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["openai-organization"] == "org-1"
    assert request.headers["openai-project"] == "proj-1"
    assert KEY not in str(request.url) and KEY.encode() not in request.content


# -- helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6m0s", 360.0), ("1s", 1.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("0.5s", 0.5)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "6 minutes", "s", "1x"])
def test_parse_duration_refuses_nonsense(text: str) -> None:
    assert parse_duration(text) is None


def test_retry_after_reads_every_documented_header() -> None:
    assert retry_after_from_headers({"Retry-After": "20"}) == 20.0
    assert retry_after_from_headers({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_from_headers(
        {"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"}, now=1445412480.0
    ) == pytest.approx(30.0)
    assert (
        retry_after_from_headers(
            {"x-ratelimit-reset-tokens": "1m", "x-ratelimit-reset-requests": "2s"}
        )
        == 60.0
    )
    assert (
        retry_after_from_headers(
            {
                "x-ratelimit-reset-tokens": "1m",
                "x-ratelimit-reset-requests": "2s",
                "x-ratelimit-remaining-requests": "0",
            }
        )
        == 2.0
    )
    assert retry_after_from_headers({"retry-after": "soon"}) is None
    assert retry_after_from_headers({"retry-after": "99999999"}) == 3600.0
    assert retry_after_from_headers({}) is None


def test_redact_hides_keys_even_partly_masked() -> None:
    text = f"key {KEY} or sk-pr*****1234 and Bearer abcdefghijklmnop"
    cleaned = redact(text, [KEY])
    assert "SECRET" not in cleaned and "sk-" not in cleaned and "abcdefghijklmnop" not in cleaned


async def test_race_returns_raises_and_cleans_up() -> None:
    token = CancelToken()
    assert await race(asyncio.sleep(0, "done"), token) == "done"
    with pytest.raises(TimeoutError):
        await race(asyncio.sleep(5), token, within=0.01)
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, token.cancel, "stop")
    started = time.monotonic()
    with pytest.raises(JobCancelled, match="stop"):
        await race(asyncio.sleep(5), token)
    assert time.monotonic() - started < 1


async def test_race_with_a_fired_token_does_not_start_the_work() -> None:
    token = CancelToken()
    token.cancel("early")
    started: list[bool] = []

    async def work() -> None:
        started.append(True)

    with pytest.raises(JobCancelled, match="early"):
        await race(work(), token)
    assert started == []  # and no "coroutine was never awaited" warning


def test_the_doc_page_matches_the_code() -> None:
    from pathlib import Path

    from genfactory.providers.openai import CONTENT_POLICY_CODES, NO_KEY_REASON
    from tests.fakes.openai_server import FAULT_KINDS

    doc = (Path(__file__).parents[3] / "docs" / "providers" / "openai.md").read_text()
    assert NO_KEY_REASON in doc
    assert all(f"`{size}`" in doc for size in SIZES)
    assert all(
        f"`{code}`" in doc for code in CONTENT_POLICY_CODES - {"image_content_policy_violation"}
    )
    assert all(f'"{kind}"' in doc for kind in FAULT_KINDS if kind != "rate_limit")
