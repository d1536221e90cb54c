"""The vision-model check against a local server that speaks OpenAI's Chat Completions
protocol (Structured Outputs): verdicts parsed strictly, every failure turned into a "could
not judge" result (never a guess), 429/5xx retried a little, and the pipeline merging the
verdict into each image's QC."""

from __future__ import annotations

import base64
import io
import json
import logging
import random
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw, ImageStat
from pydantic import ValidationError

from genfactory.qc import QCConfig, QCStatus
from genfactory.qc.config import DEFAULT_VISION_MODEL, VisionQC
from genfactory.qc.pipeline import quality_check
from genfactory.qc.vision import (
    NO_KEY,
    SCHEMA_NAME,
    VERDICT_SCHEMA,
    VISION_CHECK,
    VisionEndpoint,
    VisionUnavailable,
    image_data_url,
    judge_images,
    parse_completion,
    request_body,
)
from tests.fakes import ServerThread, free_port
from tests.fakes.openai_server import DEFAULT_KEY, FakeOpenAI, judge

KEY = DEFAULT_KEY
SIZE = 256
ON = VisionQC(enabled=True)


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[FakeOpenAI, ServerThread]]:
    """One fake server for the module; each test starts from a clean state."""
    fake = FakeOpenAI(KEY)
    with ServerThread(fake.app) as thread:
        yield fake, thread


@pytest.fixture
def fake(running: tuple[FakeOpenAI, ServerThread]) -> FakeOpenAI:
    running[0].reset()
    return running[0]


@pytest.fixture
def endpoint(running: tuple[FakeOpenAI, ServerThread], fake: FakeOpenAI) -> VisionEndpoint:
    return VisionEndpoint(f"{running[1].url}/v1", KEY)


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def detailed_png(
    seed: int = 1, size: int = SIZE, tint: tuple[int, int, int] | None = None
) -> bytes:
    """Shapes over noise: passes every built-in check, and the fake model accepts it."""
    rnd = random.Random(seed)
    noise = Image.merge("RGB", [Image.effect_noise((size, size), 60) for _ in range(3)])
    base = Image.new("RGB", (size, size), tint or (rnd.randrange(256), 90, 160))
    image = Image.blend(base, noise, 0.3)
    draw = ImageDraw.Draw(image)
    for _ in range(20 if tint is None else 6):
        x, y, r = rnd.randrange(size), rnd.randrange(size), rnd.randrange(8, size // 4)
        fill = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=fill, outline=(0, 0, 0), width=3)
    return png(image)


def blank_png(size: int = SIZE) -> bytes:
    return png(Image.new("RGB", (size, size), (40, 40, 40)))


async def judge_one(data: bytes, endpoint: VisionEndpoint, config: VisionQC = ON) -> Any:
    [result] = await judge_images([data], prompt="a red fox", config=config, endpoint=endpoint)
    assert result.name == VISION_CHECK
    return result


def assert_not_judged(result: Any, *words: str) -> None:
    assert result.passed is None, result
    assert result.value is None
    assert result.reason.startswith("Vision check could not judge the image: "), result.reason
    for word in words:
        assert word.lower() in result.reason.lower(), result.reason
    assert KEY not in result.reason


# -- configuration ------------------------------------------------------------------------------


def test_vision_is_off_by_default_and_strict() -> None:
    assert QCConfig().vision is None
    assert VisionQC().enabled is False
    assert VisionQC().model == DEFAULT_VISION_MODEL
    assert VisionQC().detail == "low"
    config = QCConfig.model_validate({"vision": {"enabled": True, "min_score": 0.7}})
    assert config.vision == VisionQC(enabled=True, min_score=0.7)
    # Stored as JSON in job snapshots: it must survive a round trip.
    again = QCConfig.model_validate_json(config.model_dump_json())
    assert again == config
    for bad in (
        {"enabled": True, "colour": "red"},  # unknown field
        {"min_score": 1.5},
        {"detail": "medium"},
        {"timeout": 0},
        {"instructions": "   "},
        {"model": ""},
        {"model": "gpt 4"},
    ):
        with pytest.raises(ValidationError):
            QCConfig.model_validate({"vision": bad})
    assert "vision" in QCConfig.model_json_schema()["properties"]


def test_the_request_asks_for_structured_outputs_with_a_small_image() -> None:
    body = request_body("a red fox", image_data_url(detailed_png(size=1200), 512), ON)
    assert body["model"] == DEFAULT_VISION_MODEL
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": VERDICT_SCHEMA},
    }
    # Strict mode: every property required, nothing else allowed.
    assert VERDICT_SCHEMA["additionalProperties"] is False
    assert set(VERDICT_SCHEMA["required"]) == set(VERDICT_SCHEMA["properties"])
    user = body["messages"][-1]
    assert user["role"] == "user"
    text, image = user["content"]
    assert "a red fox" in text["text"] and ON.instructions in text["text"]
    assert image["image_url"]["detail"] == "low"
    url = image["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    sent = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert sent.format == "JPEG" and max(sent.size) == 512


def test_transparent_images_are_sent_over_white() -> None:
    clear = Image.new("RGBA", (64, 64), (255, 0, 0, 0))
    url = image_data_url(png(clear), 512)
    sent = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")
    assert sent.size == (64, 64)  # never enlarged
    # Every channel of every pixel is near white (a red, fully transparent image).
    assert all(low > 240 for low, _ in ImageStat.Stat(sent).extrema)


# -- verdicts over HTTP --------------------------------------------------------------------------


async def test_an_accepted_image_passes_with_the_models_score_and_reason(
    fake: FakeOpenAI, endpoint: VisionEndpoint
) -> None:
    result = await judge_one(detailed_png(), endpoint)
    assert result.passed is True
    assert result.metric == "score" and result.value == 0.9 and result.threshold == 0.5
    assert result.reason.startswith(f"Vision check ({DEFAULT_VISION_MODEL}) accepted the image")
    assert "clear picture" in result.reason
    [seen] = fake.chat_requests()
    assert seen.authorized
    assert seen.body["response_format"]["json_schema"]["strict"] is True
    assert seen.body["store"] is False


async def test_a_rejected_image_fails_with_the_models_reasons(
    fake: FakeOpenAI, endpoint: VisionEndpoint
) -> None:
    result = await judge_one(blank_png(), endpoint)
    assert result.passed is False
    assert result.value == 0.05
    assert "rejected the image (score 0.05)" in result.reason
    assert "blank" in result.reason


async def test_a_score_below_min_score_fails_even_when_the_model_says_yes(
    fake: FakeOpenAI, endpoint: VisionEndpoint
) -> None:
    fake.reply_next("verdict", verdict={"passed": True, "score": 0.3, "reasons": ["Meh."]})
    result = await judge_one(detailed_png(), endpoint, VisionQC(enabled=True, min_score=0.6))
    assert result.passed is False
    assert "scored the image 0.30, needs ≥ 0.60: Meh" in result.reason
    fake.reply_next("verdict", verdict={"passed": True, "score": 0.3, "reasons": []})
    lenient = await judge_one(detailed_png(), endpoint, VisionQC(enabled=True, min_score=0))
    assert lenient.passed is True


async def test_many_reasons_are_cut_to_three(fake: FakeOpenAI, endpoint: VisionEndpoint) -> None:
    reasons = ["Hands have six fingers.", "Text is garbled.", "Halo artifacts.", "Too dark."]
    fake.reply_next("verdict", verdict={"passed": False, "score": 0.1, "reasons": reasons})
    result = await judge_one(detailed_png(), endpoint)
    assert result.passed is False
    assert result.reason.endswith("Hands have six fingers; Text is garbled; Halo artifacts")


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        ({"kind": "refusal", "message": "I can't help with that."}, ["refused", "can't help"]),
        ({"kind": "malformed"}, ["not valid JSON"]),
        ({"kind": "length"}, ["cut short"]),
        ({"kind": "content_filter"}, ["content filter"]),
        ({"kind": "empty"}, ["empty"]),
        ({"kind": "verdict", "verdict": {"ok": True}}, ["did not match the verdict schema"]),
        (
            {"kind": "verdict", "verdict": {"passed": True, "score": 1.5, "reasons": []}},
            ["did not match", "score"],
        ),
        (
            {"kind": "verdict", "verdict": {"passed": "yes", "score": 0.9, "reasons": []}},
            ["did not match", "passed"],
        ),
        (
            {
                "kind": "verdict",
                "verdict": {"passed": True, "score": 0.9, "reasons": [], "extra": 1},
            },
            ["did not match", "extra"],
        ),
    ],
)
async def test_unusable_answers_are_never_guessed(
    fake: FakeOpenAI, endpoint: VisionEndpoint, reply: dict[str, Any], words: list[str]
) -> None:
    fake.reply_next(**reply)
    assert_not_judged(await judge_one(detailed_png(), endpoint), *words)


def test_parse_completion_reads_only_the_documented_shape() -> None:
    good = {"passed": True, "score": 1, "reasons": ["fine"]}
    message = {"role": "assistant", "content": json.dumps(good), "refusal": None}
    verdict = parse_completion({"choices": [{"message": message, "finish_reason": "stop"}]})
    assert (verdict.passed, verdict.score, verdict.reasons) == (True, 1.0, ["fine"])
    broken: list[dict[str, Any]] = [{}, {"choices": []}, {"choices": [{"finish_reason": "stop"}]}]
    for data in broken:
        with pytest.raises(VisionUnavailable):
            parse_completion(data)


async def test_a_wrong_key_is_not_judged_and_not_retried(
    running: tuple[FakeOpenAI, ServerThread], fake: FakeOpenAI
) -> None:
    wrong = VisionEndpoint(f"{running[1].url}/v1", "sk-wrong-key-1234567890abcdef")
    assert_not_judged(await judge_one(detailed_png(), wrong), "rejected the API key", "401")
    assert len(fake.chat_requests()) == 1
    [result] = await judge_images(
        [detailed_png()], prompt="x", config=ON, endpoint=VisionEndpoint(wrong.base_url, "")
    )
    assert_not_judged(result, NO_KEY)
    assert len(fake.chat_requests()) == 1  # no key: nothing was sent


async def test_a_rate_limit_is_retried_after_the_servers_delay(
    fake: FakeOpenAI, endpoint: VisionEndpoint
) -> None:
    fake.fail_next("rate_limit", retry_after="0.3")
    started = time.monotonic()
    result = await judge_one(detailed_png(), endpoint)
    assert result.passed is True
    assert time.monotonic() - started >= 0.3
    assert len(fake.chat_requests()) == 2


async def test_a_lasting_rate_limit_gives_up_after_three_tries(
    fake: FakeOpenAI, endpoint: VisionEndpoint
) -> None:
    for _ in range(3):
        fake.fail_next("rate_limit", retry_after="0.05")
    assert_not_judged(await judge_one(detailed_png(), endpoint), "rate limit", "after 3 tries")
    assert len(fake.chat_requests()) == 3


async def test_an_exhausted_quota_or_a_long_wait_is_not_retried(
    fake: FakeOpenAI, endpoint: VisionEndpoint
) -> None:
    fake.fail_next("quota")
    assert_not_judged(await judge_one(detailed_png(), endpoint), "quota exhausted")
    assert len(fake.chat_requests()) == 1
    fake.fail_next("rate_limit", retry_after="120")
    assert_not_judged(await judge_one(detailed_png(), endpoint), "rate limit")
    assert len(fake.chat_requests()) == 2


async def test_a_server_error_is_retried(fake: FakeOpenAI, endpoint: VisionEndpoint) -> None:
    fake.fail_next("server_error")
    result = await judge_one(detailed_png(), endpoint)
    assert result.passed is True
    assert len(fake.chat_requests()) == 2
    for _ in range(3):
        fake.fail_next("server_error")
    assert_not_judged(await judge_one(detailed_png(), endpoint), "server error", "HTTP 500")


async def test_a_server_that_does_not_answer_times_out(
    fake: FakeOpenAI, endpoint: VisionEndpoint
) -> None:
    fake.fail_next("hang")
    started = time.monotonic()
    result = await judge_one(detailed_png(), endpoint, VisionQC(enabled=True, timeout=0.5))
    assert_not_judged(result, "did not answer within 0.5 s")
    assert time.monotonic() - started < 5


async def test_no_server_at_the_address_is_not_judged() -> None:
    nowhere = VisionEndpoint(f"http://127.0.0.1:{free_port()}/v1", KEY)
    assert_not_judged(await judge_one(detailed_png(), nowhere), "cannot connect")


async def test_a_model_that_cannot_chat_is_reported(
    fake: FakeOpenAI, endpoint: VisionEndpoint
) -> None:
    result = await judge_one(detailed_png(), endpoint, VisionQC(enabled=True, model="dall-e-3"))
    assert_not_judged(result, "does not offer this model", "404", "model_not_found")


# -- the fake holds the client to the protocol ---------------------------------------------------


def test_the_fake_refuses_what_openai_refuses(
    running: tuple[FakeOpenAI, ServerThread], fake: FakeOpenAI
) -> None:
    url = f"{running[1].url}/v1/chat/completions"
    headers = {"Authorization": f"Bearer {KEY}"}
    body = request_body("a fox", image_data_url(detailed_png(), 512), ON)

    def post(changed: dict[str, Any]) -> httpx.Response:
        return httpx.post(url, json={**body, **changed}, headers=headers)

    loose = {**VERDICT_SCHEMA, "additionalProperties": True}
    format_ = {"type": "json_schema", "json_schema": {"name": "v", "strict": True, "schema": loose}}
    refused = post({"response_format": format_})
    assert refused.status_code == 400
    assert "additionalProperties" in refused.json()["error"]["message"]
    assert post({"temperature": 3}).status_code == 400
    assert post({"colour": "red"}).json()["error"]["message"].endswith("colour")
    bad_image = json.loads(json.dumps(body))
    bad_image["messages"][-1]["content"][1]["image_url"]["url"] = "data:image/png;base64,AAAA"
    assert httpx.post(url, json=bad_image, headers=headers).status_code == 400
    ok = post({})
    assert ok.status_code == 200
    choice = ok.json()["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["refusal"] is None
    assert set(json.loads(choice["message"]["content"])) == {"passed", "score", "reasons"}
    assert ok.json()["usage"]["prompt_tokens"] > 85


# -- the pipeline ---------------------------------------------------------------------------------


def params(**vision: Any) -> dict[str, Any]:
    """A job snapshot of SIZE×SIZE images with the vision check on (and ``vision`` set)."""
    return {"width": SIZE, "height": SIZE, "qc": {"vision": {"enabled": True, **vision}}}


def reject_reddish(images: list[Image.Image], text: str) -> dict[str, Any]:
    """A "model" that tells the test's images apart (requests run concurrently)."""
    red, green, _ = ImageStat.Stat(images[0].convert("RGB")).mean
    if red > green + 40:
        return {"passed": False, "score": 0.2, "reasons": ["Six toes."]}
    return judge(images, text)


async def test_the_pipeline_adds_the_vision_verdict(
    fake: FakeOpenAI, endpoint: VisionEndpoint
) -> None:
    fake.judge = reject_reddish
    images = [(0, detailed_png(1, tint=(230, 40, 40))), (1, detailed_png(2)), (2, blank_png())]
    verdicts = await quality_check(params(), images, prompt="a cat", vision_endpoint=endpoint)
    assert [v.status for v in verdicts] == [QCStatus.FAILED, QCStatus.PASSED, QCStatus.FAILED]
    assert verdicts[0].reasons == [
        f"Vision check ({DEFAULT_VISION_MODEL}) rejected the image (score 0.20): Six toes"
    ]
    assert [c.name for c in verdicts[1].checks][-1] == VISION_CHECK
    assert verdicts[1].checks[-1].passed is True
    # The blank image failed the built-in checks: it is not sent, and says so.
    assert verdicts[2].checks[-1].passed is None
    assert "already failed" in verdicts[2].checks[-1].reason
    assert all("Vision" not in r for r in verdicts[2].reasons)
    sent = fake.chat_requests()
    assert len(sent) == 2
    assert all("a cat" in r.body["messages"][-1]["content"][0]["text"] for r in sent)


async def test_without_vision_nothing_is_sent(fake: FakeOpenAI, endpoint: VisionEndpoint) -> None:
    configs: list[dict[str, Any]] = [{}, {"vision": {"enabled": False}}, {"checks": []}]
    for qc in configs:
        verdicts = await quality_check(
            {"width": SIZE, "height": SIZE, "qc": qc},
            [(0, detailed_png())],
            prompt="a cat",
            vision_endpoint=endpoint,
        )
        assert verdicts[0].passed
        assert all(c.name != VISION_CHECK for c in verdicts[0].checks)
    assert fake.chat_requests() == []


async def test_an_unjudged_image_keeps_the_built_in_verdict_with_a_note(
    fake: FakeOpenAI, endpoint: VisionEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    fake.reply_next("refusal")
    with caplog.at_level(logging.WARNING, logger="genfactory.qc.pipeline"):
        [verdict] = await quality_check(
            params(), [(4, detailed_png())], prompt="a cat", vision_endpoint=endpoint
        )
    assert verdict.status is QCStatus.PASSED and verdict.reasons == []
    assert len(verdict.notes) == 1 and "could not judge" in verdict.notes[0]
    assert "image 5: Vision check could not judge" in caplog.text


async def test_the_pipeline_finds_openai_through_the_settings(
    running: tuple[FakeOpenAI, ServerThread], fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENFACTORY_OPENAI_BASE_URL", f"{running[1].url}/v1")
    monkeypatch.setenv("GENFACTORY_OPENAI_API_KEY", KEY)
    endpoint = VisionEndpoint.from_environment()
    assert KEY not in repr(endpoint)
    [verdict] = await quality_check(params(model="gpt-4o"), [(0, detailed_png())], prompt="x")
    assert verdict.checks[-1].passed is True
    assert [r.body["model"] for r in fake.chat_requests()] == ["gpt-4o"]
