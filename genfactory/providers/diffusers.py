"""The ``diffusers`` provider: Stable Diffusion-family text-to-image on this machine.

It runs a Hugging Face ``diffusers`` pipeline (Stable Diffusion 1.x/2.x, SDXL and anything
else ``AutoPipelineForText2Image`` knows) from a local model folder, or from a model id that
is already in the local Hugging Face cache. It never downloads: files are loaded with
``local_files_only=True``.

torch and diffusers are optional (``pip install -e '.[diffusers]'``) and heavy, so
nothing here imports them until the first generation; without them, or without a model,
the provider still exists and says why it is unavailable.

How a generation runs:

* The pipeline is loaded once, in a thread, on first use, and reused.
* Each image is one blocking pipeline call in a worker thread (``asyncio.to_thread``), with
  ``torch.Generator(device).manual_seed(seed + i)``, so image ``i`` of a batch equals a single
  image made with seed ``seed + i``.
* The pipeline's ``callback_on_step_end`` hook runs in that thread after every step. It never
  waits for the event loop: it buffers progress and previews and wakes the loop with
  ``loop.call_soon_threadsafe`` (at most every 0.1 s, at once for a preview or the last
  step); one task on the loop hands every item to the reporter, in order.
* Previews are made from the latents, not by the VAE: a fixed linear map from the four latent
  channels to RGB (the well-known SD 1.x / SDXL "latent RGB factors"), upscaled to at most
  256 px and encoded as WebP. They are throttled (every ``preview_every`` steps and at most one
  per ``preview_interval`` seconds) and coalesced while the reporter is still busy with one.
* Cancel: when the :class:`CancelToken` fires, a ``threading.Event`` is set; the step callback
  sees it after the current step and stops the pipeline, and :class:`JobCancelled` is raised.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import math
import re
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from PIL import Image, features

from genfactory.domain.errors import ErrorCode, JobCancelled, ProviderError
from genfactory.providers.base import (
    CancelToken,
    GeneratedImage,
    GenerationRequest,
    ProviderInfo,
    Reporter,
)

NOT_INSTALLED: Final = "diffusers not installed (pip install -e '.[diffusers]')"
SIZES: Final = ("256x256", "512x512", "768x768", "768x512", "512x768")
#: Style name → words appended to the prompt.
STYLE_SUFFIXES: Final = {
    "none": "",
    "photographic": "photograph, natural light, sharp focus, highly detailed",
    "cinematic": "cinematic still, dramatic lighting, film grain, shallow depth of field",
    "digital-art": "digital art, vibrant colours, detailed illustration",
    "anime": "anime style, clean line art, cel shading",
    "watercolor": "watercolour painting, soft washes, paper texture",
}
STYLES: Final = tuple(STYLE_SUFFIXES)
MIN_SIDE, MAX_SIDE = 64, 2048
MIN_STEPS, MAX_STEPS, DEFAULT_STEPS = 1, 150, 25
DEFAULT_GUIDANCE: Final = 7.5
MAX_GUIDANCE: Final = 30.0
PREVIEW_MAX_SIDE: Final = 256
PREVIEW_QUALITY: Final = 70
_PREVIEW_FORMAT: Final = "WEBP" if features.check("webp") else "JPEG"
_DTYPES: Final = ("auto", "float32", "float16", "bfloat16")
_REPO_ID: Final = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_MODULES: Final = ("torch", "diffusers", "transformers")

# Latent → RGB approximations of the 4-channel SD latent spaces (rows: latent channels,
# columns: R, G, B), applied to the latents as the denoising loop holds them. Published with
# ComfyUI's latent previewer; the result is mapped from [-1, 1] to [0, 255].
SD15_LATENT_RGB: Final = (
    (0.3512, 0.2297, 0.3227),
    (0.3250, 0.4974, 0.2350),
    (-0.2829, 0.1762, 0.2721),
    (-0.2120, -0.2616, -0.7177),
)
SDXL_LATENT_RGB: Final = (
    (0.3651, 0.4232, 0.4341),
    (-0.2533, -0.0042, 0.1068),
    (0.1076, 0.1111, -0.0362),
    (-0.3165, -0.2492, -0.2188),
)
SDXL_LATENT_RGB_BIAS: Final = (0.1084, -0.0175, -0.0011)


def diffusers_installed() -> bool:
    """Whether torch, diffusers and transformers can be imported (without importing them)."""
    return all(importlib.util.find_spec(name) is not None for name in _MODULES)


@dataclass(frozen=True)
class _ModelSource:
    """Where the pipeline comes from: a folder, or (only when downloads are allowed) an id."""

    location: str
    label: str  # what the pages show: the folder's or the model id's name


def resolve_model(
    model_path: str | Path | None,
    *,
    local_files_only: bool = True,
    cache_dir: str | Path | None = None,
) -> tuple[_ModelSource | None, str | None]:
    """Find the model without loading it: ``(source, None)`` or ``(None, why not)``.

    ``model_path`` is a diffusers pipeline folder (with ``model_index.json``) or a Hugging
    Face model id (``owner/name``) that is already in the local cache (``cache_dir``, by
    default the one ``HF_HOME`` / ``HF_HUB_CACHE`` point to). Only the disk is looked at.
    """
    if model_path is None or not str(model_path).strip():
        return None, "no model configured (set GENFACTORY_DIFFUSERS_MODEL to a local model folder)"
    text = str(model_path).strip()
    path = Path(text).expanduser()
    if path.is_dir():
        if (path / "model_index.json").is_file():
            return _ModelSource(str(path), path.name), None
        return None, f"{path} is not a diffusers pipeline folder (it has no model_index.json)"
    if path.exists():
        return None, (
            f"{path} is a single file; this provider loads diffusers pipeline folders "
            "(convert the checkpoint with diffusers' conversion scripts)"
        )
    if _REPO_ID.match(text) and not text.startswith("."):
        folder = _cached_snapshot(text, cache_dir)
        if folder is not None:
            return _ModelSource(str(folder), text), None
        if not local_files_only:
            return _ModelSource(text, text), None
        return None, (
            f"model {text!r} is not in the local Hugging Face cache and this provider does "
            "not download models: download it first or give a local folder"
        )
    return None, f"model folder {path} not found"


def _cached_snapshot(repo_id: str, cache_dir: str | Path | None) -> Path | None:
    """The cached snapshot folder of ``repo_id``, found on disk only (never the network)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        found = try_to_load_from_cache(repo_id, "model_index.json", cache_dir=cache_dir)
    except Exception:  # a malformed id or cache: treat as not cached
        return None
    if isinstance(found, str):
        return Path(found).parent
    return None


def _info(available: bool, reason: str | None, label: str | None) -> ProviderInfo:
    model = f" Model: {label}." if label else ""
    return ProviderInfo(
        name="diffusers",
        title="Stable Diffusion (local, diffusers)",
        description=(
            "Runs a Stable Diffusion-family model on this machine with Hugging Face diffusers, "
            "from a local folder or the local Hugging Face cache; it never downloads weights."
            f"{model}"
        ),
        sizes=SIZES,
        styles=STYLES,
        min_steps=MIN_STEPS,
        max_steps=MAX_STEPS,
        default_steps=DEFAULT_STEPS,
        available=available,
        unavailable_reason=None if available else reason,
    )


class DiffusersProvider:
    """Text-to-image with a local diffusers pipeline. See the module docstring.

    ``device`` is a torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``); ``dtype`` is
    ``"auto"`` (float16 on CUDA, float32 elsewhere), ``"float32"``, ``"float16"`` or
    ``"bfloat16"``. Previews go out at most every ``preview_every`` steps and at most once per
    ``preview_interval`` seconds. ``local_files_only`` stays ``True`` unless a user explicitly
    allows the pipeline to fetch a model id that is not cached.
    """

    def __init__(
        self,
        model_path: str | Path | None,
        *,
        device: str = "cpu",
        dtype: str = "auto",
        preview_every: int = 1,
        preview_interval: float = 0.2,
        local_files_only: bool = True,
    ) -> None:
        if dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(_DTYPES)}")
        if preview_every < 1:
            raise ValueError("preview_every must be at least 1 step")
        if preview_interval < 0:
            raise ValueError("preview_interval must be >= 0 seconds")
        self.model_path = model_path
        self.device = device
        self.dtype = dtype
        self.preview_every = preview_every
        self.preview_interval = preview_interval
        self.local_files_only = local_files_only
        self._source: _ModelSource | None = None
        self._pipe: Any = None
        self._latent_rgb: _LatentRGB | None = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()  # one pipeline call at a time (schedulers have state)
        self._load_error: ProviderError | None = None
        if not diffusers_installed():
            self.info = _info(False, NOT_INSTALLED, None)
            return
        self._source, reason = resolve_model(model_path, local_files_only=local_files_only)
        label = self._source.label if self._source else None
        self.info = _info(self._source is not None, reason, label)

    # -- loading --------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._pipe is not None

    async def load(self) -> None:
        """Load the pipeline now (it is otherwise loaded on the first generation)."""
        await asyncio.to_thread(self._load_sync)

    def _load_sync(self) -> Any:
        with self._load_lock:
            if self._pipe is not None:
                return self._pipe
            if self._load_error is not None:  # a broken model stays broken: say so at once
                raise ProviderError(
                    self._load_error.code, self._load_error.message, retryable=False
                )
            if self._source is None:
                raise ProviderError(
                    ErrorCode.UNAVAILABLE,
                    f"The diffusers provider is unavailable: {self.info.unavailable_reason}",
                    retryable=False,
                )
            try:
                pipe = self._load_pipeline(self._source)
            except ProviderError:
                raise
            except Exception as exc:
                error = _map_error(exc, self.device)
                if error.code is ErrorCode.UNAVAILABLE:  # out of memory: may work later
                    raise error from exc
                error = ProviderError(
                    ErrorCode.UNAVAILABLE,
                    f"Could not load the model {self._source.label!r}: "
                    f"{type(exc).__name__}: {_short(exc)}",
                    retryable=False,
                )
                self._load_error = error
                self.info = replace(self.info, available=False, unavailable_reason=error.message)
                raise error from exc
            self._latent_rgb = _latent_rgb_for(pipe)
            self._pipe = pipe
            return pipe

    def _load_pipeline(self, source: _ModelSource) -> Any:
        import torch
        from diffusers import AutoPipelineForText2Image

        if self.dtype == "auto":
            dtype = torch.float16 if self.device.startswith("cuda") else torch.float32
        else:
            dtype = getattr(torch, self.dtype)
        pipe = AutoPipelineForText2Image.from_pretrained(  # type: ignore[no-untyped-call]
            source.location, dtype=dtype, local_files_only=self.local_files_only
        )
        pipe = pipe.to(self.device)
        pipe.set_progress_bar_config(disable=True)
        return pipe

    # -- generation -----------------------------------------------------------------------

    async def generate(
        self, request: GenerationRequest, reporter: Reporter, cancel: CancelToken
    ) -> list[GeneratedImage]:
        negative_prompt, guidance = _check_request(request)
        style = (request.style or "none").strip().lower() or "none"
        suffix = STYLE_SUFFIXES.get(style, "")
        if style not in STYLE_SUFFIXES:
            await reporter.log(
                f"Style {request.style!r} is not one of {', '.join(STYLES)}; it is ignored",
                "warning",
            )
        prompt = f"{request.prompt}, {suffix}" if suffix else request.prompt
        cancel.raise_if_cancelled()
        if self._pipe is None:
            if self._source is not None and self._load_error is None:
                await reporter.log(f"Loading the model {self._source.label} (first use)")
            started = time.monotonic()
            await asyncio.to_thread(self._load_sync)
            await reporter.log(f"Model loaded in {time.monotonic() - started:.1f} s")
            cancel.raise_if_cancelled()
        pipe = self._pipe

        bridge = _Bridge(asyncio.get_running_loop(), reporter)
        watcher = asyncio.create_task(_stop_on_cancel(cancel, bridge.stop))
        images: list[GeneratedImage] = []
        try:
            for i in range(request.count):
                cancel.raise_if_cancelled()
                seed = request.seed + i
                await reporter.log(
                    f"diffusers: image {i + 1}/{request.count}, seed {seed}, "
                    f"{request.width}x{request.height}, {request.steps} steps, "
                    f"guidance {guidance:g}"
                )
                callback = _StepCallback(
                    bridge,
                    steps=request.steps,
                    image_index=i,
                    count=request.count,
                    latent_rgb=self._latent_rgb,
                    preview_size=_preview_size(request.width, request.height),
                    preview_every=self.preview_every,
                    preview_interval=self.preview_interval,
                )
                call = _Call(
                    prompt=prompt,
                    negative_prompt=negative_prompt,
                    width=request.width,
                    height=request.height,
                    steps=request.steps,
                    guidance=guidance,
                    seed=seed,
                )
                try:
                    png, flagged = await asyncio.to_thread(self._run, pipe, call, callback)
                except _Interrupted:
                    bridge.discard = True
                    await bridge.drain()
                    if cancel.cancelled:
                        raise JobCancelled(cancel.reason) from None
                    if bridge.error is not None:
                        raise bridge.error from None
                    raise JobCancelled("stopped") from None
                await bridge.drain()
                bridge.raise_error()
                if flagged:
                    raise ProviderError(
                        ErrorCode.REJECTED,
                        f"The model's safety checker flagged image {i + 1} (seed {seed}) "
                        "as not safe for work",
                        retryable=False,
                    )
                images.append(
                    GeneratedImage(
                        index=i, seed=seed, width=request.width, height=request.height, data=png
                    )
                )
        finally:
            bridge.stop.set()  # also stops the thread when this task itself is cancelled
            watcher.cancel()
            bridge.close()
        return images

    def _run(self, pipe: Any, call: _Call, callback: _StepCallback) -> tuple[bytes, bool]:
        """One image, in a worker thread. Raises ``_Interrupted`` or a ProviderError."""
        import torch

        while not self._run_lock.acquire(timeout=0.1):
            if callback.bridge.stop.is_set():
                raise _Interrupted
        try:
            if callback.bridge.stop.is_set():
                raise _Interrupted
            device = "cpu" if self.device.startswith("mps") else self.device
            generator = torch.Generator(device=device).manual_seed(call.seed % 2**64)
            options: dict[str, Any] = {}
            if call.negative_prompt:  # not every pipeline takes one
                options["negative_prompt"] = call.negative_prompt
            try:
                output = pipe(
                    prompt=call.prompt,
                    width=call.width,
                    height=call.height,
                    num_inference_steps=call.steps,
                    guidance_scale=call.guidance,
                    generator=generator,
                    callback_on_step_end=callback,
                    callback_on_step_end_tensor_inputs=["latents"],
                    output_type="pil",
                    **options,
                )
            except (_Interrupted, ProviderError):
                raise
            except Exception as exc:
                raise _map_error(exc, self.device) from exc
            image: Image.Image = output.images[0]
            # Only pipelines with a safety checker say this (SDXL's output has no such field).
            flagged = getattr(output, "nsfw_content_detected", None)
            out = io.BytesIO()
            image.convert("RGB").save(out, "PNG")
            return out.getvalue(), bool(flagged and flagged[0])
        finally:
            self._run_lock.release()


@dataclass(frozen=True)
class _Call:
    prompt: str
    negative_prompt: str | None
    width: int
    height: int
    steps: int
    guidance: float
    seed: int


def _check_request(request: GenerationRequest) -> tuple[str | None, float]:
    """Refuse what the pipeline cannot do; return the negative prompt and guidance scale."""
    problems = []
    for side, value in (("width", request.width), ("height", request.height)):
        if not MIN_SIDE <= value <= MAX_SIDE:
            problems.append(f"{side} must be between {MIN_SIDE} and {MAX_SIDE} pixels")
        elif value % 8:
            problems.append(f"{side} must be a multiple of 8 pixels (got {value})")
    if not MIN_STEPS <= request.steps <= MAX_STEPS:
        problems.append(f"steps must be between {MIN_STEPS} and {MAX_STEPS}")
    if request.count < 1:
        problems.append("count must be at least 1")
    negative = request.options.get("negative_prompt")
    if negative is not None and not isinstance(negative, str):
        problems.append("negative_prompt must be text")
    guidance = request.options.get("guidance_scale", DEFAULT_GUIDANCE)
    if (
        isinstance(guidance, bool)
        or not isinstance(guidance, int | float)
        or not 0 <= guidance <= MAX_GUIDANCE
    ):
        problems.append(f"guidance_scale must be a number from 0 to {MAX_GUIDANCE:g}")
        guidance = DEFAULT_GUIDANCE
    if problems:
        raise ProviderError(ErrorCode.REJECTED, "; ".join(problems), retryable=False)
    return (negative or None), float(guidance)


def _map_error(exc: BaseException, device: str) -> ProviderError:
    """A failure inside torch/diffusers as a typed provider error."""
    if isinstance(exc, ProviderError):
        return exc
    text = str(exc)
    if _is_out_of_memory(exc):
        _free_device_memory(device)
        return ProviderError(
            ErrorCode.UNAVAILABLE,
            f"Out of memory on {device}: try a smaller size, or retry when the device is free",
            retryable=True,
        )
    if isinstance(exc, ValueError) and "divisible by 8" in text:
        return ProviderError(ErrorCode.REJECTED, _short(exc), retryable=False)
    return ProviderError(ErrorCode.INTERNAL, f"{type(exc).__name__}: {_short(exc)}")


def _is_out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    try:
        import torch
    except ImportError:  # pragma: no cover - we only get here with torch installed
        return False
    oom = getattr(torch, "OutOfMemoryError", None)
    if oom is not None and isinstance(exc, oom):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def _free_device_memory(device: str) -> None:
    if device.startswith("cuda"):
        try:
            import torch

            torch.cuda.empty_cache()
        except Exception:  # pragma: no cover - best effort after an OOM
            pass


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- from the denoising thread to the event loop ---------------------------------------------


class _Interrupted(Exception):
    """Raised inside the step callback to leave the pipeline between two steps."""


async def _stop_on_cancel(cancel: CancelToken, stop: threading.Event) -> None:
    await cancel.wait()
    stop.set()


_Item = Callable[[Reporter], Awaitable[None]]


class _Bridge:
    """Hands what the denoising thread observes to the reporter, in order, on the loop.

    The thread only calls :meth:`post`, which never blocks: it appends to a buffer and wakes
    the loop at most once per ``wake_interval`` seconds (sooner for ``urgent`` items). Every
    loop wake-up makes the denoising thread hand over the GIL, so with fast steps several
    steps' progress travel together; none is dropped (the worker's reporter throttles what it
    publishes anyway). One task on the loop awaits the reporter for each item in turn. If the
    reporter raises (for example because the worker lost the job), the error is kept,
    ``stop`` is set so the thread stops after the current step, and :meth:`raise_error`
    re-raises it on the loop.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, reporter: Reporter, wake_interval: float = 0.1
    ) -> None:
        self.loop = loop
        self.reporter = reporter
        self.wake_interval = wake_interval
        self.stop = threading.Event()  # set on cancel, reporter failure or task cancellation
        self.preview_idle = threading.Event()  # no preview waiting for the reporter
        self.preview_idle.set()
        self.error: Exception | None = None
        self.discard = False  # drop what is still queued (after a cancel)
        self._lock = threading.Lock()
        self._buffer: list[_Item] = []  # posted by the thread, not yet seen by the loop
        self._wake_scheduled = False
        self._last_wake = -math.inf
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._task = loop.create_task(self._deliver())

    def post(self, item: _Item, *, urgent: bool = False) -> None:
        """From the denoising thread: queue one reporter call."""
        with self._lock:
            self._buffer.append(item)
            now = time.monotonic()
            if self._wake_scheduled or (not urgent and now - self._last_wake < self.wake_interval):
                return  # the next wake-up (or drain) takes it along
            self._wake_scheduled = True
            self._last_wake = now
        try:
            self.loop.call_soon_threadsafe(self._flush)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self.stop.set()

    def _flush(self) -> None:
        """On the loop: move what the thread posted into the delivery queue."""
        with self._lock:
            items, self._buffer = self._buffer, []
            self._wake_scheduled = False
        for item in items:
            self._queue.put_nowait(item)

    async def _deliver(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if self.error is None and not self.discard:
                    await item(self.reporter)
            except Exception as exc:
                self.error = exc
                self.stop.set()
            finally:
                self._queue.task_done()

    async def drain(self) -> None:
        """Once the thread is done: deliver (or drop) everything it posted."""
        self._flush()
        await self._queue.join()

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self._task.cancel()


@dataclass(frozen=True)
class _LatentRGB:
    """A 4-channel latent → RGB linear map, kept as a torch tensor on the CPU."""

    factors: Any  # torch.Tensor (4, 3)
    bias: Any  # torch.Tensor (3,)


def _latent_rgb_for(pipe: Any) -> _LatentRGB | None:
    """The preview map for the pipeline's latent space, or None if it has none."""
    import torch

    unet = getattr(pipe, "unet", None)
    channels = getattr(getattr(unet, "config", None), "in_channels", None)
    if channels != 4:
        return None  # SD3, Flux, … have 16-channel (or packed) latents: no previews
    if "XL" in type(pipe).__name__:
        factors, bias = SDXL_LATENT_RGB, SDXL_LATENT_RGB_BIAS
    else:
        factors, bias = SD15_LATENT_RGB, (0.0, 0.0, 0.0)
    return _LatentRGB(
        torch.tensor(factors, dtype=torch.float32), torch.tensor(bias, dtype=torch.float32)
    )


def latents_to_rgb(latents: Any, latent_rgb: _LatentRGB) -> Image.Image:
    """The first image of a ``(batch, 4, h, w)`` latent tensor as an RGB picture of ``w x h``
    pixels: a 4x3 matrix product per pixel, well under a millisecond for 64x64 latents."""
    import torch

    with torch.no_grad():
        x = latents[0].detach().to(device="cpu", dtype=torch.float32)
        rgb = torch.einsum("chw,cr->hwr", x, latent_rgb.factors) + latent_rgb.bias
        rgb = ((rgb + 1.0) * 127.5).clamp(0, 255).to(torch.uint8).contiguous()
    h, w = int(rgb.shape[0]), int(rgb.shape[1])
    return Image.frombytes("RGB", (w, h), rgb.numpy().tobytes())


def finish_preview(small: Image.Image, size: tuple[int, int]) -> bytes:
    """Upscale the latent-sized picture to the preview size and encode it (WebP)."""
    return _encode_preview(small.resize(size, Image.Resampling.BILINEAR))


def _preview_size(width: int, height: int) -> tuple[int, int]:
    """The image's aspect ratio, at most PREVIEW_MAX_SIDE (and never above the image)."""
    scale = min(1.0, PREVIEW_MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _encode_preview(image: Image.Image) -> bytes:
    out = io.BytesIO()
    if _PREVIEW_FORMAT == "WEBP":
        # method 0 is libwebp's fastest: ~5x faster than the default for ~20 % more bytes.
        image.save(out, "WEBP", quality=PREVIEW_QUALITY, method=0)
    else:
        image.save(out, _PREVIEW_FORMAT, quality=PREVIEW_QUALITY)
    return out.getvalue()


class _StepCallback:
    """The pipeline's ``callback_on_step_end``, for one image; runs in the denoising thread.

    Reports step ``k`` of the job's ``steps`` (schedulers with several model calls per step
    are scaled back to the user's steps), makes a throttled preview, and stops the pipeline
    by raising ``_Interrupted`` when the bridge's ``stop`` is set.
    """

    def __init__(
        self,
        bridge: _Bridge,
        *,
        steps: int,
        image_index: int,
        count: int,
        latent_rgb: _LatentRGB | None,
        preview_size: tuple[int, int],
        preview_every: int,
        preview_interval: float,
    ) -> None:
        self.bridge = bridge
        self.steps = steps
        self.image_index = image_index
        self.count = count
        self.latent_rgb = latent_rgb
        self.preview_size = preview_size
        self.preview_every = preview_every
        self.preview_interval = preview_interval
        self.reported = 0  # the last step reported
        self.calls = 0  # how many times the pipeline called back
        self._last_preview_step = 0
        self._last_preview_at = -math.inf

    def __call__(
        self, pipe: Any, index: int, timestep: Any, callback_kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        self.calls += 1
        if self.bridge.stop.is_set():
            raise _Interrupted
        total = getattr(pipe, "_num_timesteps", None) or self.steps
        step = min(self.steps, math.ceil((index + 1) * self.steps / total))
        if step <= self.reported:
            return callback_kwargs
        self.reported = step
        message = (
            f"Step {step}/{self.steps}"
            if self.count == 1
            else f"Image {self.image_index + 1}/{self.count} · step {step}/{self.steps}"
        )
        steps, index_ = self.steps, self.image_index
        self.bridge.post(
            lambda r: r.progress(step, steps, message, image_index=index_),
            urgent=step == steps,  # the VAE decode comes next: show the last step now
        )
        latents = callback_kwargs.get("latents")
        if self._preview_due(step) and latents is not None and getattr(latents, "ndim", 0) == 4:
            assert self.latent_rgb is not None
            # All of it here, in this thread (~1-3 ms at 512x512): handing the encoding to
            # another Python thread would cost the denoising thread more in GIL switches.
            data = finish_preview(latents_to_rgb(latents, self.latent_rgb), self.preview_size)
            self._last_preview_step = step
            self._last_preview_at = time.monotonic()
            self.bridge.preview_idle.clear()
            self.bridge.post(lambda r: self._deliver_preview(r, data, step), urgent=True)
        return callback_kwargs

    def _preview_due(self, step: int) -> bool:
        return (
            self.latent_rgb is not None
            and step - self._last_preview_step >= self.preview_every
            and time.monotonic() - self._last_preview_at >= self.preview_interval
            and self.bridge.preview_idle.is_set()  # coalesce while the reporter is busy
        )

    async def _deliver_preview(self, reporter: Reporter, data: bytes, step: int) -> None:
        try:
            width, height = self.preview_size
            await reporter.preview(data, width=width, height=height, step=step)
        finally:
            self.bridge.preview_idle.set()
