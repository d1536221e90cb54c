"""The ``comfyui`` provider against a local server that speaks ComfyUI's protocol: WebSocket
first, then the prompt; progress and binary previews; outputs from /history and /view;
interrupt on cancel; validation and execution errors; a silent or dropped WebSocket."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from genfactory.domain.errors import ErrorCode, JobCancelled, ProviderError
from genfactory.providers.base import CancelToken, GenerationRequest, Provider
from genfactory.providers.comfyui import (
    DEFAULT_MAPPING,
    ComfyUIProvider,
    default_workflow,
    execution_error,
    load_workflow,
    parse_mapping,
)
from tests.fakes import RecordingReporter, ServerThread, free_port
from tests.fakes.comfyui_server import Failure, FakeComfyUI

SECRET = "Bearer proxy-token-SECRET-0123456789"


@pytest.fixture
def fake() -> FakeComfyUI:
    return FakeComfyUI(step_delay=0.002)


@pytest.fixture
def server(fake: FakeComfyUI) -> Iterator[ServerThread]:
    with ServerThread(fake.app) as running:
        yield running


def make_provider(server: ServerThread, **kwargs: Any) -> ComfyUIProvider:
    options: dict[str, Any] = {
        "ws_idle_timeout": 5.0,
        "poll_interval": 0.05,
        "preview_interval": 0.0,
        **kwargs,
    }
    return ComfyUIProvider(server.url, **options)


def make_request(
    *,
    steps: int = 4,
    count: int = 1,
    seed: int = 7,
    size: tuple[int, int] = (128, 96),
    **extra: Any,
) -> GenerationRequest:
    return GenerationRequest(
        job_id="job-1",
        prompt="a lighthouse at dusk",
        width=size[0],
        height=size[1],
        steps=steps,
        count=count,
        seed=seed,
        **extra,
    )


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


async def failure(
    provider: ComfyUIProvider, reporter: RecordingReporter | None = None, **kwargs: Any
) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await provider.generate(
            make_request(**kwargs), reporter or RecordingReporter(), CancelToken()
        )
    error = caught.value
    assert "SECRET" not in json.dumps(error.to_dict())
    return error


async def wait_for(condition: Any, seconds: float = 2.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


# -- construction ------------------------------------------------------------------------------


def test_it_is_a_provider_and_construction_is_offline() -> None:
    provider: Provider = ComfyUIProvider(f"http://127.0.0.1:{free_port()}")  # nothing listens
    info = provider.info
    assert info.name == "comfyui" and info.available
    assert info.supports_seed and info.supports_cancel and info.streams_previews
    assert "512x512" in info.sizes and (info.min_steps, info.max_steps) == (1, 150)


def test_mapping_and_template_are_checked_when_built() -> None:
    with pytest.raises(ValueError, match="node '42' is not in the workflow"):
        ComfyUIProvider(mapping={"prompt": ["42", "text"]})
    with pytest.raises(ValueError, match="has no input 'txt'"):
        ComfyUIProvider(mapping={"prompt": "6.txt"})
    with pytest.raises(ValueError, match="where the prompt goes"):
        ComfyUIProvider(mapping={"seed": ["3", "seed"]})
    with pytest.raises(ValueError, match="unknown mapping key"):
        ComfyUIProvider(mapping={"prompt": ["6", "text"], "colour": ["3", "cfg"]})
    with pytest.raises(ValueError, match="API format"):
        ComfyUIProvider(workflow={"nodes": [], "links": []}, mapping={})
    with pytest.raises(ValueError, match="http"):
        ComfyUIProvider("ftp://example.com")
    assert parse_mapping({"prompt": "6.text", "seed": ["3", "seed"]}) == {
        "prompt": ("6", "text"),
        "seed": ("3", "seed"),
    }
    without_seed = ComfyUIProvider(mapping={"prompt": ["6", "text"]})
    assert not without_seed.info.supports_seed


def test_load_workflow_refuses_the_ui_format(tmp_path: Path) -> None:
    api = tmp_path / "api.json"
    api.write_text(json.dumps(default_workflow()))
    assert load_workflow(api) == default_workflow()
    ui = tmp_path / "ui.json"
    ui.write_text(json.dumps({"nodes": [], "links": [], "version": 0.4}))
    with pytest.raises(ValueError, match="Save \\(API Format\\)"):
        load_workflow(ui)


def test_fill_puts_each_value_where_the_mapping_says() -> None:
    provider = ComfyUIProvider()
    request = make_request(
        steps=12, seed=100, size=(640, 448), style="watercolour", options={"negative_prompt": "fog"}
    )
    filled = provider.fill(request, 2)
    assert filled["6"]["inputs"]["text"] == "a lighthouse at dusk, watercolour"
    assert filled["7"]["inputs"]["text"] == "fog"
    assert filled["3"]["inputs"]["seed"] == 102 and filled["3"]["inputs"]["steps"] == 12
    assert (filled["5"]["inputs"]["width"], filled["5"]["inputs"]["height"]) == (640, 448)
    assert filled["5"]["inputs"]["batch_size"] == 1
    assert filled["4"]["inputs"]["ckpt_name"] == default_workflow()["4"]["inputs"]["ckpt_name"]
    assert provider.workflow == default_workflow()  # the template itself is untouched
    # A configuration's model is the checkpoint to load.
    chosen = make_request(options={"model": "sdxl_base_1.0.safetensors"})
    assert provider.fill(chosen, 0)["4"]["inputs"]["ckpt_name"] == "sdxl_base_1.0.safetensors"


# -- success -----------------------------------------------------------------------------------


async def test_generates_with_progress_previews_and_the_saved_image(
    fake: FakeComfyUI, server: ServerThread
) -> None:
    reporter = RecordingReporter()
    (image,) = await make_provider(server).generate(make_request(), reporter, CancelToken())

    picture = decode(image.data)
    assert picture.format == "PNG" and picture.size == (128, 96) == (image.width, image.height)
    assert (image.index, image.seed, image.format) == (0, 7, "png")

    steps = [(s, t) for s, t, _, _ in reporter.progress_calls]
    assert steps[:4] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert reporter.progress_calls[0][2] == "KSampler step 1/4"
    assert [p.step for p in reporter.previews] == [1, 2, 3, 4]
    for preview in reporter.previews:
        small = decode(preview.image)
        assert small.format == "WEBP" and max(small.size) <= 256

    # The WebSocket was open before the prompt went in, and the prompt names that client.
    (submitted,) = fake.prompts
    (ws_client,) = [who for kind, who in fake.timeline if kind == "ws"]
    assert fake.timeline.index(("ws", ws_client)) < fake.timeline.index(
        ("prompt", submitted["prompt_id"])
    )
    assert submitted["client_id"] == ws_client
    inputs = submitted["prompt"]
    assert inputs["6"]["inputs"]["text"] == "a lighthouse at dusk"
    assert (inputs["3"]["inputs"]["seed"], inputs["3"]["inputs"]["steps"]) == (7, 4)
    assert (inputs["5"]["inputs"]["width"], inputs["5"]["inputs"]["height"]) == (128, 96)
    assert fake.history[submitted["prompt_id"]]["status"]["status_str"] == "success"


@pytest.mark.parametrize(("metadata", "fmt"), [(True, "JPEG"), (False, "JPEG"), (False, "PNG")])
async def test_both_kinds_of_preview_frame_are_understood(
    fake: FakeComfyUI, server: ServerThread, metadata: bool, fmt: str
) -> None:
    fake.honour_feature_flags = metadata  # False: an older server sends type-1 frames
    fake.preview_format = fmt
    reporter = RecordingReporter()
    await make_provider(server).generate(make_request(steps=3), reporter, CancelToken())
    assert len(reporter.previews) == 3


async def test_each_image_is_a_prompt_with_the_next_seed(
    fake: FakeComfyUI, server: ServerThread
) -> None:
    reporter = RecordingReporter()
    images = await make_provider(server).generate(
        make_request(count=3, seed=40), reporter, CancelToken()
    )
    assert [(i.index, i.seed) for i in images] == [(0, 40), (1, 41), (2, 42)]
    assert [p["prompt"]["3"]["inputs"]["seed"] for p in fake.prompts] == [40, 41, 42]
    assert len({i.data for i in images}) == 3  # the seed changes the picture
    assert {i for _, _, _, i in reporter.progress_calls} == {0, 1, 2}
    assert any(m.startswith("Image 2/3 · KSampler") for _, _, m, _ in reporter.progress_calls)
    assert fake.connections == 1  # one WebSocket for the whole job

    # The same seed gives the same picture again, as image 1 of another job.
    (again,) = await make_provider(server).generate(
        make_request(seed=41), RecordingReporter(), CancelToken()
    )
    assert again.data == images[1].data


async def test_check_reports_the_server(fake: FakeComfyUI, server: ServerThread) -> None:
    provider = make_provider(server)
    ok, message = await provider.check()
    assert ok and "ComfyUI 0.3.64" in message and "cpu" in message
    assert provider.info.available and await provider.test_connection() == (True, message)


# -- cancellation ------------------------------------------------------------------------------


async def test_cancel_interrupts_the_running_prompt(
    fake: FakeComfyUI, server: ServerThread
) -> None:
    fake.step_delay = 0.05  # 200 steps would take 10 s
    token = CancelToken()
    cancelled_at: list[float] = []

    def cancel_at_step_3(step: int, total: int, index: int) -> None:
        if step == 3 and not token.cancelled:
            cancelled_at.append(time.monotonic())
            token.cancel("user")

    reporter = RecordingReporter(on_progress=cancel_at_step_3)
    with pytest.raises(JobCancelled, match="user"):
        await make_provider(server).generate(make_request(steps=200, count=2), reporter, token)
    assert time.monotonic() - cancelled_at[0] < 1.0

    (submitted,) = fake.prompts  # the second image was never asked for
    prompt_id = submitted["prompt_id"]
    assert {"prompt_id": prompt_id} in fake.interrupts
    assert prompt_id in fake.queue_deletes
    await wait_for(lambda: prompt_id in fake.interrupted, 1.0)  # the server really stopped
    assert fake.history[prompt_id]["status"]["status_str"] == "error"
    assert max(s for s, _, _, _ in reporter.progress_calls) < 10


async def test_cancel_takes_a_waiting_prompt_out_of_the_queue(
    fake: FakeComfyUI, server: ServerThread
) -> None:
    fake.paused = True
    token = CancelToken()
    reporter = RecordingReporter(
        on_log=lambda message: token.cancel() if message.startswith("Queued") else None
    )
    with pytest.raises(JobCancelled):
        await make_provider(server).generate(make_request(), reporter, token)
    (submitted,) = fake.prompts
    assert fake.queue_deletes == [submitted["prompt_id"]] and fake.queue == []
    fake.paused = False
    await asyncio.sleep(0.05)
    assert submitted["prompt_id"] not in fake.history  # it never ran


async def test_an_interrupt_by_someone_else_fails_the_attempt_retryably(
    fake: FakeComfyUI, server: ServerThread
) -> None:
    fake.step_delay = 0.02
    interrupted: list[bool] = []

    def global_interrupt(step: int, total: int, index: int) -> None:
        if step == 2 and not interrupted:
            interrupted.append(True)
            httpx.post(f"{server.url}/interrupt", json={}, timeout=5)  # ComfyUI's own Cancel

    reporter = RecordingReporter(on_progress=global_interrupt)
    error = await failure(make_provider(server), reporter, steps=100)
    assert error.code is ErrorCode.UNAVAILABLE and error.retryable
    assert "interrupted on the ComfyUI server" in error.message


# -- errors ------------------------------------------------------------------------------------


async def test_a_workflow_that_fails_validation_is_rejected(
    fake: FakeComfyUI, server: ServerThread
) -> None:
    workflow = default_workflow(checkpoint="missing-model.safetensors")
    error = await failure(make_provider(server, workflow=workflow))
    assert error.code is ErrorCode.REJECTED and not error.retryable
    assert "Prompt outputs failed validation" in error.message
    assert "node 4 (CheckpointLoaderSimple)" in error.message
    assert "Value not in list" in error.message and "missing-model" in error.message


async def test_an_unknown_node_type_is_rejected(server: ServerThread) -> None:
    workflow = default_workflow()
    workflow["8"]["class_type"] = "VAEDecodeTurbo"
    error = await failure(make_provider(server, workflow=workflow))
    assert error.code is ErrorCode.REJECTED
    assert "node VAEDecodeTurbo does not exist" in error.message


async def test_a_workflow_without_output_is_rejected(server: ServerThread) -> None:
    workflow = default_workflow()
    del workflow["9"]
    error = await failure(make_provider(server, workflow=workflow))
    assert error.code is ErrorCode.REJECTED and "Prompt has no outputs" in error.message


async def test_values_out_of_the_nodes_range_are_rejected_by_the_server(
    server: ServerThread,
) -> None:
    error = await failure(make_provider(server), size=(32768, 512))
    assert error.code is ErrorCode.REJECTED
    assert "bigger than max of 16384" in error.message and "width" in error.message


async def test_sizes_that_are_not_multiples_of_8_are_rejected_before_sending(
    fake: FakeComfyUI, server: ServerThread
) -> None:
    error = await failure(make_provider(server), size=(130, 96))
    assert error.code is ErrorCode.REJECTED and "multiple of 8" in error.message
    assert fake.prompts == []


@pytest.mark.parametrize(
    ("failure_", "code", "retryable", "text"),
    [
        (Failure(), ErrorCode.UNAVAILABLE, True, "ran out of memory"),
        (
            Failure(
                "RuntimeError", "mat1 and mat2 shapes cannot be multiplied (77x768 and 1024x320)"
            ),
            ErrorCode.INTERNAL,
            False,
            "RuntimeError: mat1 and mat2 shapes",
        ),
    ],
)
async def test_execution_errors_map_to_the_taxonomy(
    fake: FakeComfyUI,
    server: ServerThread,
    failure_: Failure,
    code: ErrorCode,
    retryable: bool,
    text: str,
) -> None:
    fake.fail = replace_step(failure_, 2)
    reporter = RecordingReporter()
    error = await failure(make_provider(server), reporter)
    assert (error.code, error.retryable) == (code, retryable)
    assert text in error.message and "node 3 (KSampler)" in error.message
    assert [s for s, _, _, _ in reporter.progress_calls] == [1]
    assert fake.interrupts == []  # a finished prompt is not interrupted


def replace_step(failure_: Failure, step: int) -> Failure:
    changed = copy.copy(failure_)
    changed.at_step = step
    return changed


def test_execution_error_mapping_of_real_event_bodies() -> None:
    oom = execution_error(
        {
            "prompt_id": "p",
            "node_id": "3",
            "node_type": "KSampler",
            "exception_type": "torch.OutOfMemoryError",
            "exception_message": "CUDA out of memory. Tried to allocate 2.00 GiB",
        }
    )
    assert oom.code is ErrorCode.UNAVAILABLE and oom.retryable
    network = execution_error(
        {"node_id": "12", "exception_type": "requests.exceptions.ConnectionError"}
    )
    assert network.code is ErrorCode.UNAVAILABLE and network.retryable
    missing = execution_error(
        {"node_id": "4", "exception_type": "FileNotFoundError", "exception_message": "no model"}
    )
    assert missing.code is ErrorCode.INTERNAL and not missing.retryable


async def test_an_unreachable_server_is_unavailable_and_check_says_why() -> None:
    provider = ComfyUIProvider(f"http://127.0.0.1:{free_port()}", headers={"Authorization": SECRET})
    error = await failure(provider)
    assert error.code is ErrorCode.UNAVAILABLE and error.retryable
    assert "Cannot connect to the ComfyUI server" in error.message
    ok, message = await provider.check()
    assert not ok and "unreachable" in message
    assert not provider.info.available and provider.info.unavailable_reason == message
    assert "SECRET" not in message and "SECRET" not in repr(provider)


async def test_a_server_error_on_submit_is_unavailable(
    fake: FakeComfyUI, server: ServerThread
) -> None:
    fake.prompt_status = 500
    error = await failure(make_provider(server))
    assert error.code is ErrorCode.UNAVAILABLE and error.retryable and "HTTP 500" in error.message


async def test_a_prompt_that_never_finishes_times_out_and_is_withdrawn(
    fake: FakeComfyUI, server: ServerThread
) -> None:
    fake.paused = True
    started = time.monotonic()
    error = await failure(make_provider(server, timeout=0.4, ws_idle_timeout=0.1))
    assert error.code is ErrorCode.TIMEOUT and error.retryable
    assert time.monotonic() - started < 2
    (submitted,) = fake.prompts
    assert fake.queue_deletes == [submitted["prompt_id"]]


# -- a WebSocket that misbehaves (ComfyUI #3128) -----------------------------------------------


async def test_a_silent_websocket_is_covered_by_polling_the_history(
    fake: FakeComfyUI, server: ServerThread
) -> None:
    fake.silent_ws = True
    reporter = RecordingReporter()
    started = time.monotonic()
    (image,) = await make_provider(server, ws_idle_timeout=0.15).generate(
        make_request(), reporter, CancelToken()
    )
    assert decode(image.data).size == (128, 96)
    assert time.monotonic() - started < 3
    assert reporter.previews == []  # nothing came over the socket
    assert reporter.progress_calls[-1][:2] == (1, 1)


async def test_a_dropped_websocket_falls_back_to_polling(
    fake: FakeComfyUI, server: ServerThread
) -> None:
    fake.drop_ws_after_start = True
    reporter = RecordingReporter()
    (image,) = await make_provider(server).generate(make_request(), reporter, CancelToken())
    assert image.width == 128
    assert any("WebSocket closed" in message for _, message in reporter.logs)


async def test_a_missing_final_event_does_not_hang(fake: FakeComfyUI, server: ServerThread) -> None:
    fake.skip_final_executing = True
    started = time.monotonic()
    (image,) = await make_provider(server, ws_idle_timeout=0.2).generate(
        make_request(), RecordingReporter(), CancelToken()
    )
    assert image.height == 96 and time.monotonic() - started < 2


async def test_a_failure_seen_only_in_the_history_is_still_typed(
    fake: FakeComfyUI, server: ServerThread
) -> None:
    fake.silent_ws = True
    fake.fail = Failure(at_step=1)
    error = await failure(make_provider(server, ws_idle_timeout=0.1))
    assert error.code is ErrorCode.UNAVAILABLE and "ran out of memory" in error.message


async def test_outputs_of_a_preview_only_workflow_are_used(server: ServerThread) -> None:
    workflow = default_workflow()
    workflow["9"] = {"class_type": "PreviewImage", "inputs": {"images": ["8", 0]}}
    (image,) = await make_provider(server, workflow=workflow).generate(
        make_request(), RecordingReporter(), CancelToken()
    )
    assert decode(image.data).size == (128, 96)


def test_default_mapping_matches_the_default_workflow() -> None:
    workflow = default_workflow()
    for node, name in DEFAULT_MAPPING.values():
        assert name in workflow[node]["inputs"]


def test_the_doc_page_matches_the_code() -> None:
    from genfactory.providers.comfyui import MAPPING_KEYS

    doc = (Path(__file__).parents[3] / "docs" / "providers" / "comfyui.md").read_text()
    assert all(f"`{key}`" in doc for key in MAPPING_KEYS)
    fake = FakeComfyUI()
    for switch in (
        "silent_ws",
        "drop_ws_after_start",
        "skip_final_executing",
        "paused",
        "honour_feature_flags",
        "preview_format",
        "prompt_status",
    ):
        assert hasattr(fake, switch) and f"`{switch}" in doc
