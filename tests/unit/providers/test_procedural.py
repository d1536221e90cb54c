"""The procedural demo renderer: deterministic pictures, honest steps, prompt cancellation."""

from __future__ import annotations

import asyncio
import hashlib
import io
import itertools
import os
import re
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from genfactory.domain.errors import ErrorCode, JobCancelled, ProviderError
from genfactory.providers.base import CancelToken, GenerationRequest, Provider, Reporter
from genfactory.providers.procedural import (
    COLOUR_HUES,
    PROCEDURAL_INFO,
    SCENE_WORDS,
    ProceduralProvider,
)

DOC_PAGE = Path(__file__).parents[3] / "docs" / "providers" / "procedural.md"


@dataclass
class Preview:
    image: bytes
    width: int
    height: int
    step: int


@dataclass
class RecordingReporter:
    """A real Reporter that keeps every call, in order."""

    progress_calls: list[tuple[int, int, str, int]] = field(default_factory=list)
    previews: list[Preview] = field(default_factory=list)
    logs: list[tuple[str, str]] = field(default_factory=list)

    async def progress(
        self, step: int, total: int, message: str = "", *, image_index: int = 0
    ) -> None:
        self.progress_calls.append((step, total, message, image_index))

    async def preview(self, image: bytes, *, width: int, height: int, step: int) -> None:
        self.previews.append(Preview(image, width, height, step))

    def wants_preview(self) -> bool:
        return True

    async def log(self, message: str, level: str = "info") -> None:
        self.logs.append((level, message))


def make_request(
    prompt: str = "a quiet mountain lake at sunset",
    *,
    size: tuple[int, int] = (128, 128),
    steps: int = 4,
    count: int = 1,
    seed: int = 42,
    style: str | None = None,
) -> GenerationRequest:
    return GenerationRequest(
        job_id="job-1",
        prompt=prompt,
        width=size[0],
        height=size[1],
        steps=steps,
        count=count,
        seed=seed,
        style=style,
    )


async def generate(
    request: GenerationRequest, reporter: RecordingReporter | None = None
) -> list[bytes]:
    images = await ProceduralProvider(step_delay=0).generate(
        request, reporter or RecordingReporter(), CancelToken()
    )
    return [image.data for image in images]


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


@pytest.fixture
def recorder() -> RecordingReporter:
    return RecordingReporter()


def test_it_is_a_provider_that_says_it_is_not_ai() -> None:
    provider: Provider = ProceduralProvider()
    assert isinstance(RecordingReporter(), Reporter)
    assert provider.info is PROCEDURAL_INFO
    assert provider.info.name == "procedural"
    assert "not AI" in provider.info.title
    assert "not AI" in provider.info.description
    assert provider.info.sizes == (
        "256x256",
        "512x512",
        "768x768",
        "1024x1024",
        "768x512",
        "512x768",
    )
    assert {"none", "vivid", "pastel", "noir", "sunset"} <= set(provider.info.styles)


async def test_same_prompt_and_seed_give_identical_png_bytes() -> None:
    first = await generate(make_request())
    second = await generate(make_request())
    assert first == second
    assert decode(first[0]).format == "PNG"


@pytest.mark.parametrize(
    "change",
    [{"seed": 43}, {"prompt": "neon city skyline at night"}, {"style": "noir"}],
    ids=["seed", "prompt", "style"],
)
async def test_seed_prompt_and_style_each_change_the_picture_visibly(
    change: dict[str, Any],
) -> None:
    base = decode((await generate(make_request()))[0])
    other = decode((await generate(replace(make_request(), **change)))[0])
    assert mean_abs_diff(base, other) > 8


async def test_bytes_do_not_depend_on_the_process() -> None:
    """Python's hash() is salted per process; the picture must not be."""
    [data] = await generate(make_request("harbour town at night", size=(96, 96), steps=1, seed=7))
    script = (
        "import asyncio, hashlib\n"
        "from genfactory.providers.base import CancelToken, GenerationRequest\n"
        "from genfactory.providers.procedural import ProceduralProvider\n"
        "class R:\n"
        "    async def progress(self, *a, **k): pass\n"
        "    async def preview(self, *a, **k): pass\n"
        "    def wants_preview(self): return True\n"
        "    async def log(self, *a, **k): pass\n"
        "req = GenerationRequest('j', 'harbour town at night', 96, 96, 1, 1, 7)\n"
        "imgs = asyncio.run(ProceduralProvider(0).generate(req, R(), CancelToken()))\n"
        "print(hashlib.sha256(imgs[0].data).hexdigest())\n"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            script,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await child.communicate()
        assert child.returncode == 0
        digests.add(out.decode().strip())
    assert digests == {hashlib.sha256(data).hexdigest()}


@pytest.mark.parametrize("size", [(256, 256), (192, 128), (128, 192), (64, 64)])
async def test_image_has_the_requested_size(size: tuple[int, int]) -> None:
    [data] = await generate(make_request(size=size, steps=1))
    image = decode(data)
    assert image.size == size
    assert image.mode == "RGB"


async def test_picture_is_not_blank() -> None:
    for prompt in ("a quiet mountain lake at sunset", "a cat wearing a hat", "snow at night"):
        image = decode((await generate(make_request(prompt, steps=1)))[0])
        assert ImageStat.Stat(image.convert("L")).stddev[0] > 20, prompt
        assert len(image.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 500, prompt


async def test_prompt_words_choose_the_time_of_day() -> None:
    night = decode((await generate(make_request("a lake at midnight under the moon")))[0])
    day = decode((await generate(make_request("a lake on a sunny day")))[0])
    brightness = [ImageStat.Stat(img.convert("L")).mean[0] for img in (night, day)]
    assert brightness[0] + 40 < brightness[1]


def colourfulness(image: Image.Image) -> float:
    r, g, b = image.convert("RGB").split()
    return sum(ImageStat.Stat(ImageChops.difference(x, y)).mean[0] for x, y in ((r, g), (r, b)))


async def test_styles_change_the_palette() -> None:
    colour = {
        style: colourfulness(decode((await generate(make_request(style=style, steps=1)))[0]))
        for style in ("none", "vivid", "pastel", "noir")
    }
    assert colour["noir"] < 5  # black and white
    assert colour["pastel"] < 0.7 * colour["none"]
    assert colour["vivid"] > 1.2 * colour["none"]


async def test_unknown_style_still_renders_and_says_so(recorder: RecordingReporter) -> None:
    [data] = await generate(make_request(style="watercolour", steps=1), recorder)
    assert decode(data).size == (128, 128)
    assert any(level == "warning" and "watercolour" in msg for level, msg in recorder.logs)


async def test_count_renders_images_with_seed_plus_index() -> None:
    provider = ProceduralProvider(step_delay=0)
    images = await provider.generate(
        make_request(count=3, seed=10, steps=1), RecordingReporter(), CancelToken()
    )
    assert [(image.index, image.seed) for image in images] == [(0, 10), (1, 11), (2, 12)]
    for image in images:
        alone = await generate(make_request(seed=image.seed, steps=1))
        assert image.data == alone[0]
        assert (image.width, image.height, image.format) == (128, 128, "png")
    assert len({image.data for image in images}) == 3


async def test_progress_runs_one_to_steps_for_each_image(recorder: RecordingReporter) -> None:
    await generate(make_request(count=2, steps=3), recorder)
    assert recorder.progress_calls == [
        (1, 3, "Image 1/2 · step 1/3", 0),
        (2, 3, "Image 1/2 · step 2/3", 0),
        (3, 3, "Image 1/2 · step 3/3", 0),
        (1, 3, "Image 2/2 · step 1/3", 1),
        (2, 3, "Image 2/2 · step 2/3", 1),
        (3, 3, "Image 2/2 · step 3/3", 1),
    ]


async def test_single_image_progress_messages(recorder: RecordingReporter) -> None:
    await generate(make_request(steps=2), recorder)
    assert [call[2] for call in recorder.progress_calls] == ["Step 1/2", "Step 2/2"]


async def test_a_small_preview_follows_every_step(recorder: RecordingReporter) -> None:
    await generate(make_request(size=(768, 512), steps=3), recorder)
    assert [p.step for p in recorder.previews] == [1, 2, 3]
    for preview in recorder.previews:
        image = decode(preview.image)
        assert image.format in {"WEBP", "JPEG"}
        assert image.size == (preview.width, preview.height) == (256, 171)
        assert len(preview.image) < 40_000


async def test_no_preview_is_made_that_the_reporter_would_drop() -> None:
    """The worker keeps one preview per interval: drawing and encoding the others (~7 ms
    each at 1024x1024) would be work thrown away."""

    class EvenStepsOnly(RecordingReporter):
        def wants_preview(self) -> bool:
            return len(self.progress_calls) % 2 == 0

    reporter = EvenStepsOnly()
    await generate(make_request(steps=5), reporter)
    assert [call[0] for call in reporter.progress_calls] == [1, 2, 3, 4, 5]
    assert [p.step for p in reporter.previews] == [2, 4]


async def test_previews_sharpen_toward_the_final_picture(recorder: RecordingReporter) -> None:
    [data] = await generate(make_request(size=(256, 256), steps=20), recorder)
    final = decode(data)
    final.thumbnail((256, 256), Image.Resampling.LANCZOS)
    distances = [mean_abs_diff(decode(p.image), final) for p in recorder.previews]
    first, middle, last = distances[0], distances[9], distances[-1]
    assert first > middle > last
    assert first - last > 20
    assert last < 3  # the last preview is the final picture, up to lossy encoding
    # never noticeably further from the final picture than the step before
    assert all(b <= a + 1 for a, b in itertools.pairwise(distances))


async def test_a_single_step_job_previews_the_final_picture(recorder: RecordingReporter) -> None:
    [data] = await generate(make_request(size=(128, 128), steps=1), recorder)
    [preview] = recorder.previews
    assert mean_abs_diff(decode(preview.image), decode(data)) < 3


async def test_cancel_interrupts_a_long_step_promptly() -> None:
    provider = ProceduralProvider(step_delay=30)
    cancel = CancelToken()
    recorder = RecordingReporter()
    task = asyncio.create_task(provider.generate(make_request(steps=5), recorder, cancel))
    await asyncio.sleep(0.2)  # rendering done; now inside the 30 s wait for step 1
    started = time.perf_counter()
    cancel.cancel("user asked")
    with pytest.raises(JobCancelled, match="user asked"):
        await task
    assert time.perf_counter() - started < 0.3
    assert recorder.progress_calls == []


async def test_cancel_between_steps_stops_at_that_step() -> None:
    cancel = CancelToken()

    class CancelAtStepTwo(RecordingReporter):
        async def progress(
            self, step: int, total: int, message: str = "", *, image_index: int = 0
        ) -> None:
            await super().progress(step, total, message, image_index=image_index)
            if step == 2:
                cancel.cancel()

    recorder = CancelAtStepTwo()
    with pytest.raises(JobCancelled):
        await ProceduralProvider(step_delay=0).generate(
            make_request(steps=6, count=2), recorder, cancel
        )
    assert [call[0] for call in recorder.progress_calls] == [1, 2]


async def test_without_a_step_delay_other_tasks_still_run_between_steps() -> None:
    """A worker's heartbeat or a cancel request must not wait for the whole job."""
    cancel = CancelToken()
    first_step = asyncio.Event()

    class SignalsFirstStep(RecordingReporter):
        async def progress(
            self, step: int, total: int, message: str = "", *, image_index: int = 0
        ) -> None:
            await super().progress(step, total, message, image_index=image_index)
            first_step.set()

    async def cancel_after_first_step() -> None:
        await first_step.wait()
        cancel.cancel()

    recorder = SignalsFirstStep()
    watcher = asyncio.create_task(cancel_after_first_step())
    with pytest.raises(JobCancelled):
        await ProceduralProvider(step_delay=0).generate(make_request(steps=50), recorder, cancel)
    await watcher
    assert len(recorder.progress_calls) < 5


@pytest.mark.parametrize(
    "change",
    [{"steps": 0}, {"steps": 151}, {"count": 0}, {"width": 4096}, {"height": 16}],
)
async def test_impossible_requests_are_refused_for_good(change: dict[str, Any]) -> None:
    request = replace(make_request(), **change)
    with pytest.raises(ProviderError) as caught:
        await generate(request)
    assert caught.value.code is ErrorCode.REJECTED
    assert caught.value.retryable is False


async def test_large_image_renders_off_the_event_loop() -> None:
    """A 1024x1024 render must leave the event loop free (it runs in a thread)."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)  # the ticker is running before the render starts
    try:
        [data] = await generate(make_request(size=(1024, 1024), steps=2))
    finally:
        done.set()
        await ticking
    assert decode(data).size == (1024, 1024)
    assert max(gaps) < 0.1


def test_doc_page_lists_every_style_size_and_word() -> None:
    doc = DOC_PAGE.read_text(encoding="utf-8")
    assert "not AI" in doc
    for style in PROCEDURAL_INFO.styles:
        assert f"`{style}`" in doc, style
    for size in PROCEDURAL_INFO.sizes:
        assert f"`{size}`" in doc, size
    listed = set(re.findall(r"[a-z]+", doc))
    for group, words in SCENE_WORDS.items():
        assert words <= listed, (group, sorted(words - listed))
    assert set(COLOUR_HUES) <= listed, sorted(set(COLOUR_HUES) - listed)
