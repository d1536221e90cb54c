"""The diffusers provider on a tiny real Stable Diffusion pipeline built right here.

No weights are downloaded: the pipeline (CLIP tokenizer from a small local vocabulary, CLIP
text encoder, UNet, VAE, DDIM scheduler) is built from configs with random weights, saved
to a temporary folder and loaded by the provider from that folder, with the Hugging Face
hub switched offline. Denoising steps really run on the CPU (64x64 images, 8x8 latents).
"""

from __future__ import annotations

import os

# Before anything imports huggingface_hub: any attempt to reach the hub fails loudly.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import asyncio
import io
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from genfactory.domain.errors import ErrorCode, JobCancelled, ProviderError
from genfactory.providers.base import CancelToken, GenerationRequest
from genfactory.providers.diffusers import (
    NOT_INSTALLED,
    SD15_LATENT_RGB,
    DiffusersProvider,
    _Bridge,
    _LatentRGB,
    finish_preview,
    latents_to_rgb,
    resolve_model,
)

try:
    import diffusers
    import torch
    import transformers  # noqa: F401
except ImportError:  # pragma: no cover - the extra is installed in CI
    if os.environ.get("CI") == "true":
        raise  # CI installs genfactory[diffusers]: a missing import is a failure there
    pytest.skip("the diffusers extra is not installed", allow_module_level=True)

from tests.unit.providers.tiny_pipeline import save_tiny_pipeline

torch.set_num_threads(1)  # tiny tensors: threads only add contention on shared CPUs

SIDE = 64
ROOT = Path(__file__).parents[3]


@dataclass
class Recorder:
    """A Reporter that keeps every call; ``on_progress`` may act (cancel, fail) at a step."""

    steps: list[tuple[int, int, str, int]] = field(default_factory=list)
    previews: list[tuple[bytes, int, int, int]] = field(default_factory=list)
    logs: list[tuple[str, str]] = field(default_factory=list)
    on_progress: Callable[[int], None] | None = None

    async def progress(
        self, step: int, total: int, message: str = "", *, image_index: int = 0
    ) -> None:
        self.steps.append((step, total, message, image_index))
        if self.on_progress is not None:
            self.on_progress(step)

    async def preview(self, image: bytes, *, width: int, height: int, step: int) -> None:
        self.previews.append((image, width, height, step))

    def wants_preview(self) -> bool:
        return True

    async def log(self, message: str, level: str = "info") -> None:
        self.logs.append((level, message))


def request(**changes: Any) -> GenerationRequest:
    values: dict[str, Any] = {
        "job_id": "job-1",
        "prompt": "a red cat",
        "width": SIDE,
        "height": SIDE,
        "steps": 4,
        "count": 1,
        "seed": 42,
    }
    values.update(changes)
    return GenerationRequest(**values)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_pipeline(tmp_path_factory.mktemp("tiny-sd") / "model")


@pytest.fixture(scope="module")
def loaded(model_dir: Path) -> DiffusersProvider:
    """One provider, loaded once for the module (tests change its throttle with monkeypatch)."""
    provider = DiffusersProvider(model_dir, preview_interval=0)
    provider._load_sync()
    return provider


@pytest.fixture
def provider(loaded: DiffusersProvider) -> Iterator[DiffusersProvider]:
    pipe = loaded._pipe
    yield loaded
    assert loaded._pipe is pipe, "the pipeline must be loaded once and reused"


def count_unet_calls(
    provider: DiffusersProvider, monkeypatch: pytest.MonkeyPatch, delay: float = 0.0
) -> list[int]:
    """Counts the UNet's forward passes (each denoising step makes one); ``delay`` makes
    each step last at least that long, as a real model's steps do."""
    unet = provider._pipe.unet
    calls: list[int] = []
    real = unet.forward

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if delay:
            time.sleep(delay)
        return real(*args, **kwargs)

    monkeypatch.setattr(unet, "forward", counting)
    return calls


@pytest.fixture
def unet_calls(provider: DiffusersProvider, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    return count_unet_calls(provider, monkeypatch)


@pytest.fixture
def slow_unet_calls(provider: DiffusersProvider, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    return count_unet_calls(provider, monkeypatch, delay=0.01)


def png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


# -- availability and loading ----------------------------------------------------------------


def test_module_imports_without_torch() -> None:
    code = (
        "import sys; import genfactory.providers.diffusers as d; "
        "assert 'torch' not in sys.modules and 'diffusers' not in sys.modules, sys.modules.keys()"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


async def test_not_installed_is_unavailable_with_the_install_hint(
    monkeypatch: pytest.MonkeyPatch, model_dir: Path
) -> None:
    monkeypatch.setitem(sys.modules, "diffusers", None)  # makes it unimportable
    provider = DiffusersProvider(model_dir)
    assert not provider.info.available
    assert provider.info.unavailable_reason == NOT_INSTALLED
    with pytest.raises(ProviderError) as caught:
        await provider.generate(request(), Recorder(), CancelToken())
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert not caught.value.retryable


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (None, "no model configured"),
        ("/nonexistent/genfactory-model", "not found"),
        ("genfactory-tests/not-a-cached-model", "not in the local Hugging Face cache"),
    ],
)
async def test_missing_model_is_unavailable_with_a_reason(path: str | None, reason: str) -> None:
    provider = DiffusersProvider(path)
    assert not provider.info.available
    assert reason in (provider.info.unavailable_reason or "")
    recorder = Recorder()
    with pytest.raises(ProviderError) as caught:
        await provider.generate(request(), recorder, CancelToken())
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert not caught.value.retryable
    assert recorder.steps == []


def test_folder_without_model_index_and_single_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "model.safetensors").write_bytes(b"x")
    assert "no model_index.json" in (resolve_model(tmp_path / "empty")[1] or "")
    assert "single file" in (resolve_model(tmp_path / "model.safetensors")[1] or "")


def test_a_model_id_resolves_from_the_local_cache_only(model_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "hub"
    repo = cache / "models--someone--tiny-sd"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0123abcd")
    (repo / "snapshots").mkdir()
    (repo / "snapshots" / "0123abcd").symlink_to(model_dir, target_is_directory=True)
    source, reason = resolve_model("someone/tiny-sd", cache_dir=cache)
    assert reason is None and source is not None
    assert Path(source.location) == repo / "snapshots" / "0123abcd"
    assert source.label == "someone/tiny-sd"
    assert resolve_model("someone/other", cache_dir=cache)[0] is None


def test_info_describes_the_provider(model_dir: Path) -> None:
    info = DiffusersProvider(model_dir).info
    assert info.name == "diffusers" and info.available and info.unavailable_reason is None
    assert {"512x512", "768x512", "512x768"} <= set(info.sizes)
    assert (info.min_steps, info.max_steps) == (1, 150)
    assert info.streams_previews and info.supports_seed and info.supports_cancel
    assert "model" in info.description


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError):
        DiffusersProvider(None, dtype="float64")
    with pytest.raises(ValueError):
        DiffusersProvider(None, preview_every=0)


async def test_loads_from_the_folder_lazily_once(model_dir: Path) -> None:
    provider = DiffusersProvider(model_dir)
    assert not provider.loaded  # nothing heavy happens before the first generation
    recorder = Recorder()
    await provider.generate(request(steps=1), recorder, CancelToken())
    first = provider._pipe
    assert type(first).__name__ == "StableDiffusionPipeline"
    await provider.generate(request(steps=1), recorder, CancelToken())
    assert provider._pipe is first
    assert sum("Loading the model" in m for _, m in recorder.logs) == 1


# -- generation ------------------------------------------------------------------------------


async def test_generates_pngs_with_progress_for_each_step_in_order(
    provider: DiffusersProvider, unet_calls: list[int]
) -> None:
    recorder = Recorder()
    images = await provider.generate(request(steps=5), recorder, CancelToken())
    assert len(images) == 1
    image = images[0]
    assert (image.index, image.seed, image.width, image.height) == (0, 42, SIDE, SIDE)
    assert png(image.data).size == (SIDE, SIDE)
    assert [(s, t) for s, t, _, _ in recorder.steps] == [(k, 5) for k in range(1, 6)]
    assert recorder.steps[-1][2] == "Step 5/5"
    assert len(unet_calls) == 5  # real denoising steps ran


async def test_same_seed_same_bytes_other_seed_other_image(provider: DiffusersProvider) -> None:
    a = await provider.generate(request(seed=7), Recorder(), CancelToken())
    b = await provider.generate(request(seed=7), Recorder(), CancelToken())
    c = await provider.generate(request(seed=8), Recorder(), CancelToken())
    assert a[0].data == b[0].data
    assert a[0].data != c[0].data


async def test_image_i_of_a_batch_uses_seed_plus_i(provider: DiffusersProvider) -> None:
    recorder = Recorder()
    batch = await provider.generate(request(seed=5, count=2, steps=3), recorder, CancelToken())
    single = await provider.generate(request(seed=6, steps=3), Recorder(), CancelToken())
    assert [(i.index, i.seed) for i in batch] == [(0, 5), (1, 6)]
    assert batch[1].data == single[0].data
    assert batch[0].data != batch[1].data
    expected = [(step, image) for image in (0, 1) for step in (1, 2, 3)]
    assert [(s, i) for s, _, _, i in recorder.steps] == expected
    assert recorder.steps[-1][2] == "Image 2/2 · step 3/3"


async def test_guidance_and_negative_prompt_are_used(provider: DiffusersProvider) -> None:
    base = await provider.generate(request(), Recorder(), CancelToken())
    negative = await provider.generate(
        request(options={"negative_prompt": "blue dog"}), Recorder(), CancelToken()
    )
    no_guidance = await provider.generate(
        request(options={"guidance_scale": 1.0}), Recorder(), CancelToken()
    )
    assert len({base[0].data, negative[0].data, no_guidance[0].data}) == 3


async def test_style_words_are_added_and_unknown_styles_warned(
    provider: DiffusersProvider,
) -> None:
    plain = await provider.generate(request(steps=2), Recorder(), CancelToken())
    styled = await provider.generate(request(steps=2, style="anime"), Recorder(), CancelToken())
    recorder = Recorder()
    odd = await provider.generate(request(steps=2, style="sparkly"), recorder, CancelToken())
    assert styled[0].data != plain[0].data
    assert odd[0].data == plain[0].data
    assert any(level == "warning" and "sparkly" in m for level, m in recorder.logs)


# diffusers' Heun scheduler passes a torch tensor through np.array (a numpy deprecation).
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
async def test_steps_are_the_users_steps_with_a_second_order_scheduler(
    provider: DiffusersProvider, monkeypatch: pytest.MonkeyPatch, unet_calls: list[int]
) -> None:
    pipe = provider._pipe
    monkeypatch.setattr(
        pipe, "scheduler", diffusers.HeunDiscreteScheduler.from_config(pipe.scheduler.config)
    )
    recorder = Recorder()
    await provider.generate(request(steps=3), recorder, CancelToken())
    assert len(unet_calls) == 5  # Heun: two model calls per step but the first
    assert [s for s, t, _, _ in recorder.steps] == [1, 2, 3]


# -- previews --------------------------------------------------------------------------------


async def test_previews_come_from_the_latents_every_n_steps(
    provider: DiffusersProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provider, "preview_every", 2)
    recorder = Recorder()
    await provider.generate(request(steps=6), recorder, CancelToken())
    steps = [step for _, _, _, step in recorder.previews]
    assert steps, "no preview"
    assert set(steps) <= {2, 4, 6} and steps == sorted(steps)  # a busy reporter may coalesce
    for data, width, height, _ in recorder.previews:
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (width, height) == (SIDE, SIDE)


async def test_previews_are_throttled_in_time(
    provider: DiffusersProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provider, "preview_interval", 3600.0)
    recorder = Recorder()
    await provider.generate(request(steps=6), recorder, CancelToken())
    assert [step for _, _, _, step in recorder.previews] == [1]
    assert len(recorder.steps) == 6  # progress itself is never throttled here


async def test_preview_keeps_the_aspect_ratio_within_256_px(
    provider: DiffusersProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provider, "preview_interval", 3600.0)
    recorder = Recorder()
    images = await provider.generate(
        request(steps=1, width=512, height=256), recorder, CancelToken()
    )
    assert png(images[0].data).size == (512, 256)
    assert [(w, h) for _, w, h, _ in recorder.previews] == [(256, 128)]


def test_latent_preview_is_the_linear_rgb_map() -> None:
    factors = torch.tensor(SD15_LATENT_RGB)
    latents = torch.zeros(1, 4, 2, 3)
    latents[0, 3, 0, 0] = 1.0  # one pixel: only channel 4
    image = latents_to_rgb(latents, _LatentRGB(factors, torch.zeros(3)))
    assert image.mode == "RGB" and image.size == (3, 2)
    assert image.getpixel((1, 1)) == (127, 127, 127)  # zero latents are mid grey
    expected = tuple(int((v + 1) * 127.5) for v in SD15_LATENT_RGB[3])
    assert image.getpixel((0, 0)) == expected
    data = finish_preview(image, (192, 128))
    with Image.open(io.BytesIO(data)) as preview:
        assert (preview.format, preview.size) == ("WEBP", (192, 128))


async def test_the_bridge_wakes_the_loop_rarely_but_delivers_every_step_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    wakes: list[int] = []
    real = loop.call_soon_threadsafe

    def counting(*args: Any, **kwargs: Any) -> Any:
        wakes.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "call_soon_threadsafe", counting)
    recorder = Recorder()
    bridge = _Bridge(loop, recorder, wake_interval=3600)

    def denoising_thread() -> None:
        for k in range(1, 101):
            bridge.post(lambda r, k=k: r.progress(k, 100), urgent=k == 100)

    try:
        await asyncio.to_thread(denoising_thread)
        await bridge.drain()
    finally:
        bridge.close()
    assert [s for s, _, _, _ in recorder.steps] == list(range(1, 101))
    assert len(wakes) <= 3  # the first post, maybe the urgent last one (to_thread's own: 1)


# -- cancel and errors -----------------------------------------------------------------------


async def test_cancel_mid_run_stops_between_steps(
    provider: DiffusersProvider, slow_unet_calls: list[int]
) -> None:
    unet_calls = slow_unet_calls
    cancel = CancelToken()
    steps = 30
    recorder = Recorder(on_progress=lambda step: cancel.cancel("user") if step == 2 else None)
    with pytest.raises(JobCancelled, match="user"):
        await provider.generate(request(steps=steps, count=2), recorder, cancel)
    assert 2 <= len(unet_calls) < steps - 5, unet_calls  # the remaining steps did not run
    assert max(s for s, _, _, _ in recorder.steps) < steps
    assert all(i == 0 for _, _, _, i in recorder.steps)  # the second image never started
    # The provider is still usable and unchanged by the interruption.
    again = await provider.generate(request(steps=2), Recorder(), CancelToken())
    fresh = await provider.generate(request(steps=2), Recorder(), CancelToken())
    assert again[0].data == fresh[0].data


async def test_cancelled_before_start_runs_nothing(
    provider: DiffusersProvider, unet_calls: list[int]
) -> None:
    cancel = CancelToken()
    cancel.cancel("early")
    with pytest.raises(JobCancelled):
        await provider.generate(request(), Recorder(), cancel)
    assert unet_calls == []


async def test_a_failing_reporter_stops_the_run_and_its_error_is_raised(
    provider: DiffusersProvider, slow_unet_calls: list[int]
) -> None:
    class LeaseGone(Exception):
        pass

    def fail(step: int) -> None:
        if step == 2:
            raise LeaseGone("lease lost")

    with pytest.raises(LeaseGone):
        await provider.generate(request(steps=30), Recorder(on_progress=fail), CancelToken())
    assert len(slow_unet_calls) < 25


async def test_concurrent_jobs_take_turns_on_the_pipeline(provider: DiffusersProvider) -> None:
    a, b = await asyncio.gather(
        provider.generate(request(seed=1, steps=3), Recorder(), CancelToken()),
        provider.generate(request(seed=2, steps=3), Recorder(), CancelToken()),
    )
    alone = await provider.generate(request(seed=1, steps=3), Recorder(), CancelToken())
    assert a[0].data == alone[0].data and a[0].data != b[0].data


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"width": 100}, "multiple of 8"),
        ({"height": 32}, "between 64 and 2048"),
        ({"steps": 0}, "steps"),
        ({"count": 0}, "count"),
        ({"options": {"guidance_scale": "high"}}, "guidance_scale"),
        ({"options": {"negative_prompt": 3}}, "negative_prompt"),
    ],
)
async def test_invalid_requests_are_rejected(
    provider: DiffusersProvider, unet_calls: list[int], changes: dict[str, Any], words: str
) -> None:
    with pytest.raises(ProviderError) as caught:
        await provider.generate(request(**changes), Recorder(), CancelToken())
    assert caught.value.code is ErrorCode.REJECTED
    assert not caught.value.retryable
    assert words in caught.value.message
    assert unet_calls == []


CPU_OOM = "[enforce fail at alloc_cpu.cpp] DefaultCPUAllocator: can't allocate: out of memory"
BAD_SIZE = "`height` and `width` have to be divisible by 8 but are 100 and 64."


@pytest.mark.parametrize(
    ("error", "code", "retryable"),
    [
        (
            torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB"),
            "unavailable",
            True,
        ),
        (RuntimeError(CPU_OOM), "unavailable", True),
        (MemoryError(), "unavailable", True),
        (ValueError(BAD_SIZE), "rejected", False),
        (RuntimeError("mat1 and mat2 shapes cannot be multiplied"), "internal", True),
    ],
    ids=["torch-oom", "cpu-oom", "memory-error", "bad-size", "other"],
)
async def test_pipeline_errors_are_typed(
    provider: DiffusersProvider,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    code: str,
    retryable: bool,
) -> None:
    def failing_call(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(type(provider._pipe), "__call__", failing_call)
    with pytest.raises(ProviderError) as caught:
        await provider.generate(request(), Recorder(), CancelToken())
    assert (caught.value.code.value, caught.value.retryable) == (code, retryable)
    assert caught.value.__cause__ is error


async def test_a_broken_model_folder_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}')
    provider = DiffusersProvider(tmp_path)
    assert provider.info.available  # looks like a model until it is loaded
    with pytest.raises(ProviderError) as caught:
        await provider.generate(request(), Recorder(), CancelToken())
    assert caught.value.code is ErrorCode.UNAVAILABLE and not caught.value.retryable
    assert not provider.info.available
    assert "Could not load" in (provider.info.unavailable_reason or "")


async def test_an_image_the_safety_checker_flags_is_rejected(
    provider: DiffusersProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    def flagged_call(self: Any, *args: Any, **kwargs: Any) -> Any:
        black = Image.new("RGB", (kwargs["width"], kwargs["height"]))
        return types.SimpleNamespace(images=[black], nsfw_content_detected=[True])

    monkeypatch.setattr(type(provider._pipe), "__call__", flagged_call)
    with pytest.raises(ProviderError) as caught:
        await provider.generate(request(), Recorder(), CancelToken())
    assert caught.value.code is ErrorCode.REJECTED and not caught.value.retryable
    assert "safety checker" in caught.value.message
