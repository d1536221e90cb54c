"""The built-in ``procedural`` provider: an offline demo renderer. It is not AI.

It paints a small landscape (sky, sun or moon, clouds, mountain ranges, water, a city
skyline, pine trees) with Pillow. The prompt's words choose the palette and what is in the
picture ("night", "lake", "forest", "purple", …); the seed chooses where things go. The same
prompt and seed always give byte-identical PNGs, in every process, so the whole product (and
its tests) run on a fresh machine without weights, GPU or network.

Steps are a show: the final picture is rendered once per image, and each step's preview is
that picture blurred and mixed with deterministic noise, sharpening until the last step
shows it exactly, which is how a diffusion model's previews look from the outside.
"""

from __future__ import annotations

import asyncio
import colorsys
import hashlib
import io
import itertools
import math
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Final

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps, ImageStat, features
from PIL.PngImagePlugin import PngInfo

from genfactory.domain.errors import ErrorCode, ProviderError
from genfactory.providers.base import (
    CancelToken,
    GeneratedImage,
    GenerationRequest,
    ProviderInfo,
    Reporter,
)

RGB = tuple[int, int, int]

SIZES: Final = ("256x256", "512x512", "768x768", "1024x1024", "768x512", "512x768")
STYLES: Final = ("none", "vivid", "pastel", "noir", "sunset")
PREVIEW_MAX_SIDE: Final = 256
PREVIEW_QUALITY: Final = 70
#: Any side in this range renders; the listed sizes are what the pages offer.
MIN_SIDE, MAX_SIDE = 64, 2048

PROCEDURAL_INFO: Final = ProviderInfo(
    name="procedural",
    title="Procedural (demo renderer, not AI)",
    description=(
        "Offline demo and test renderer. It is not AI and uses no model: it paints a "
        "landscape whose colours and contents come from the prompt's words and whose layout "
        "comes from the seed. The same prompt and seed always give the same picture."
    ),
    sizes=SIZES,
    styles=STYLES,
)

# Ordinary drawing works at twice the output size; the final downscale anti-aliases edges.
_SUPERSAMPLE: Final = 2
_RIDGE_POINTS: Final = 257  # 2**8 + 1, as midpoint displacement wants
_PREVIEW_FORMAT: Final = "WEBP" if features.check("webp") else "JPEG"


def _keywords(words: str) -> frozenset[str]:
    return frozenset(words.split())


#: Prompt words that set the time of day or put something in the picture.
SCENE_WORDS: Final = {
    "night": _keywords("night midnight moon moonlit moonlight star starry dark nocturnal aurora"),
    "golden": _keywords("sunset sunrise dusk dawn evening twilight golden"),
    "day": _keywords("day noon morning sunny bright afternoon summer"),
    "water": _keywords(
        "sea ocean lake river water beach coast bay harbor harbour shore pond wave island fjord"
    ),
    "city": _keywords(
        "city town skyline building street village tower castle metropolis cyberpunk downtown"
    ),
    "trees": _keywords("forest tree wood pine jungle grove woodland taiga"),
    "desert": _keywords("desert dune sand sahara canyon mesa arid"),
    "snow": _keywords("snow snowy winter ice icy glacier alpine arctic frozen"),
}
_MOODS: Final = ("night", "golden", "day")  # the first one the prompt names wins
#: How likely each feature is when the prompt names none (decided by the prompt's hash).
_FEATURE_CHANCES: Final = {"desert": 0.15, "water": 0.45, "city": 0.15, "trees": 0.5, "snow": 0.3}
#: Colour words and their hue in degrees: the first one named tints the land.
COLOUR_HUES: Final = {
    "red": 0, "crimson": 350, "scarlet": 5, "orange": 28, "amber": 40, "gold": 45,
    "yellow": 55, "lime": 90, "green": 125, "emerald": 145, "teal": 175, "turquoise": 172,
    "cyan": 185, "blue": 215, "azure": 205, "indigo": 250, "violet": 270, "purple": 280,
    "lavender": 265, "magenta": 305, "pink": 330, "rose": 340,
}  # fmt: skip

# Hand-tuned palettes per time of day, so that any prompt gives a pleasant picture:
# sky top, sky middle, horizon, sun/moon, far mountains, near hills, ground.
_PALETTES: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "day": (
        ("#2f6fb3", "#6fa8dc", "#d6e9f5", "#fff6d5", "#7a93b5", "#4f6f5a", "#2f4a35"),
        ("#1f7a8c", "#69b3bf", "#e0f2ee", "#fffbe6", "#6f9aa0", "#3f6b5e", "#24443b"),
        ("#3b5fa0", "#8fb3e0", "#eef3fa", "#ffffff", "#8a97b8", "#5a6b8a", "#34405a"),
        ("#4a90c2", "#a8d1e7", "#f4ecd6", "#fff3c4", "#9aa7a0", "#6b8f4e", "#3f5e2e"),
    ),
    "golden": (
        ("#2b1e4f", "#b0416b", "#f6a04d", "#ffe3a3", "#6a3d6b", "#3d2544", "#1f1426"),
        ("#45307a", "#e07a7a", "#ffd08a", "#fff1c9", "#8a5a7a", "#4e3350", "#2a1c2e"),
        ("#1d2b53", "#7e2553", "#ff77a8", "#ffecd2", "#5b3a62", "#33223f", "#1b1325"),
        ("#3a2c5c", "#c8553d", "#f2c14e", "#fff4d6", "#7d4e57", "#4a2f38", "#26181d"),
    ),
    "night": (
        ("#050814", "#0f1d3d", "#2c4a7a", "#f4f1de", "#1d2a47", "#121a2e", "#080c16"),
        ("#0b0620", "#24124a", "#5b3a8c", "#efe6ff", "#2a1d4a", "#1a1230", "#0c0818"),
        ("#03121a", "#0b2f3a", "#1f5f6b", "#e6fff8", "#163840", "#0d242b", "#061318"),
    ),
}


class ProceduralProvider:
    """Renders demo landscapes offline, step by step. Not AI: no model, no weights.

    Deterministic for a given prompt, seed, size and style. Each step waits ``step_delay``
    seconds (cancellable), reports progress and sends a preview that sharpens toward the
    final picture. The heavy full-size rendering runs in a thread.
    """

    def __init__(self, step_delay: float = 0.15) -> None:
        if step_delay < 0:
            raise ValueError("step_delay must be >= 0 seconds")
        self.step_delay = step_delay
        self.info = PROCEDURAL_INFO

    def with_step_delay(self, step_delay: float) -> ProceduralProvider:
        """The same renderer with another per-step delay (for demos and tests)."""
        return ProceduralProvider(step_delay=step_delay)

    async def generate(
        self, request: GenerationRequest, reporter: Reporter, cancel: CancelToken
    ) -> list[GeneratedImage]:
        _check_request(request)
        style = (request.style or "none").strip().lower() or "none"
        if style not in STYLES:
            await reporter.log(
                f"Style {request.style!r} is not one of {', '.join(STYLES)}; "
                "its words only tint the palette",
                "warning",
            )
        n = request.steps
        images: list[GeneratedImage] = []
        for i in range(request.count):
            seed = request.seed + i
            await reporter.log(
                f"Procedural demo renderer (not AI): image {i + 1}/{request.count}, "
                f"seed {seed}, {request.width}x{request.height}"
            )
            cancel.raise_if_cancelled()
            rendered = await asyncio.to_thread(
                _render, request.prompt, seed, request.width, request.height, style
            )
            for k in range(1, n + 1):
                await cancel.sleep(self.step_delay)
                await asyncio.sleep(0)  # with no delay, still let the worker's tasks run
                cancel.raise_if_cancelled()
                message = (
                    f"Step {k}/{n}"
                    if request.count == 1
                    else f"Image {i + 1}/{request.count} · step {k}/{n}"
                )
                await reporter.progress(k, n, message, image_index=i)
                if reporter.wants_preview():
                    # ~7 ms at 1024x1024: off the event loop, which serves every stream
                    frame, data = await asyncio.to_thread(_preview, rendered, k, n)
                    await reporter.preview(data, width=frame.width, height=frame.height, step=k)
            images.append(
                GeneratedImage(
                    index=i,
                    seed=seed,
                    width=request.width,
                    height=request.height,
                    data=rendered.png,
                )
            )
        return images


def _check_request(request: GenerationRequest) -> None:
    problems = []
    for side, value in (("width", request.width), ("height", request.height)):
        if not MIN_SIDE <= value <= MAX_SIDE:
            problems.append(f"{side} must be between {MIN_SIDE} and {MAX_SIDE} pixels")
    if not PROCEDURAL_INFO.min_steps <= request.steps <= PROCEDURAL_INFO.max_steps:
        problems.append(
            f"steps must be between {PROCEDURAL_INFO.min_steps} and {PROCEDURAL_INFO.max_steps}"
        )
    if request.count < 1:
        problems.append("count must be at least 1")
    if problems:
        raise ProviderError(ErrorCode.REJECTED, "; ".join(problems), retryable=False)


# --- The steps: from noise to the final picture -------------------------------------------


@dataclass(frozen=True)
class _Rendered:
    """One finished image and what its step previews are made of."""

    png: bytes
    preview: Image.Image  # the final picture, at preview size
    noise: Image.Image  # soft coloured noise of the same size, fixed by the seed

    def frame(self, step: int, total: int) -> Image.Image:
        """The preview after ``step`` of ``total``: blurred and noisy early, exact at the end."""
        if step >= total:
            return self.preview
        t = step / total
        w, h = self.preview.size
        scale = max(t * t, 2 / max(w, h))
        detail = (max(1, round(w * scale)), max(1, round(h * scale)))
        soft = self.preview.resize(detail, Image.Resampling.BOX).resize(
            (w, h), Image.Resampling.BICUBIC
        )
        return Image.blend(soft, self.noise, 0.85 * (1 - t) ** 2)


def _preview(rendered: _Rendered, step: int, total: int) -> tuple[Image.Image, bytes]:
    frame = rendered.frame(step, total)
    return frame, _encode_preview(frame)


def _encode_preview(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, _PREVIEW_FORMAT, quality=PREVIEW_QUALITY)
    return out.getvalue()


def _render(prompt: str, seed: int, width: int, height: int, style: str) -> _Rendered:
    """Everything CPU-heavy for one image: run it in a thread."""
    picture = _paint(_plan_scene(prompt, seed, style), width, height)
    png = io.BytesIO()
    info = PngInfo()
    info.add_text("Software", "Gen Image Factory procedural demo renderer (not AI)")
    picture.save(png, "PNG", pnginfo=info)
    preview = picture.copy()
    preview.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE), Image.Resampling.LANCZOS)
    noise_rng = random.Random(_stable_hash(f"noise:{seed}:{prompt}"))
    nw, nh = max(2, preview.width // 8), max(2, preview.height // 8)
    noise = Image.frombytes("RGB", (nw, nh), noise_rng.randbytes(nw * nh * 3))
    noise = Image.blend(noise, Image.new("RGB", noise.size, _average(preview)), 0.55)
    noise = noise.resize(preview.size, Image.Resampling.BICUBIC).filter(ImageFilter.BoxBlur(3))
    return _Rendered(png.getvalue(), preview, noise)


# --- What is in the picture ----------------------------------------------------------------


@dataclass(frozen=True)
class _Palette:
    sky_top: RGB
    sky_mid: RGB
    horizon: RGB
    sun: RGB
    far: RGB
    near: RGB
    ground: RGB

    def map(self, fn: Callable[[RGB], RGB], names: Sequence[str] | None = None) -> _Palette:
        names = names or [f.name for f in fields(self)]
        return replace(self, **{name: fn(getattr(self, name)) for name in names})


_LAND: Final = ("far", "near", "ground")


@dataclass(frozen=True)
class _Scene:
    palette: _Palette
    mood: str  # "day", "golden" or "night"
    water: bool
    city: bool
    trees: bool
    desert: bool
    snow: bool
    style: str
    layout_seed: int


def _stable_hash(text: str) -> int:
    """A 64-bit hash that is the same in every process (``hash()`` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _words(text: str) -> list[str]:
    words = re.findall(r"[a-z]+", text.lower())
    # "mountains" → also "mountain", so the keyword sets can stay singular
    return words + [w[:-1] for w in words if len(w) > 3 and w.endswith("s")]


def _plan_scene(prompt: str, seed: int, style: str) -> _Scene:
    """Prompt words → palette and contents; seed (mixed with the prompt) → layout."""
    ordered = _words(prompt) + ([] if style in STYLES else _words(style))
    words = frozenset(ordered)
    theme = random.Random(_stable_hash(" ".join(sorted(words))))
    named_moods = [name for name in _MOODS if words & SCENE_WORDS[name]]
    if style == "sunset":
        mood = "golden"
    elif named_moods:
        mood = named_moods[0]
    else:
        mood = theme.choices(("day", "golden", "night"), weights=(5, 3, 2))[0]
    rolled = {name for name, chance in _FEATURE_CHANCES.items() if theme.random() < chance}
    named = {name for name in _FEATURE_CHANCES if words & SCENE_WORDS[name]}
    has = named or rolled  # words that name scenery decide it all; otherwise the hash does
    palette = _Palette(*(_hex(code) for code in theme.choice(_PALETTES[mood])))
    shift = theme.uniform(-18, 18)
    palette = palette.map(lambda c: _rotate_hue(c, shift))
    if "desert" in has:
        palette = palette.map(lambda c: _tint(c, 32, 0.85), _LAND)
    hues = [COLOUR_HUES[w] for w in ordered if w in COLOUR_HUES]
    if hues:  # the first colour the prompt names tints the land, and the sky a little
        palette = palette.map(lambda c: _tint(c, hues[0], 0.75), _LAND)
        palette = palette.map(lambda c: _tint(c, hues[0], 0.3), ("sky_mid", "horizon"))
    return _Scene(
        palette=palette,
        mood=mood,
        water="water" in has,
        city="city" in has,
        trees="trees" in has and "desert" not in has,
        desert="desert" in has,
        snow="snow" in has and "desert" not in has,
        style=style,
        layout_seed=seed ^ _stable_hash(prompt),
    )


# --- Painting --------------------------------------------------------------------------------


def _paint(scene: _Scene, width: int, height: int) -> Image.Image:
    rng = random.Random(scene.layout_seed)
    w, h = width * _SUPERSAMPLE, height * _SUPERSAMPLE
    p = scene.palette
    horizon = int(h * rng.uniform(0.58, 0.68))
    img = Image.new("RGB", (w, h), p.horizon)
    img.paste(_gradient([(0, p.sky_top), (0.55, p.sky_mid), (1, p.horizon)], (w, horizon)))
    if scene.mood == "night":
        _stars(img, rng, horizon)
    sun = _sun(img, rng, scene, horizon)
    _clouds(img, rng, scene, horizon)
    if scene.mood != "night":
        _birds(img, rng, scene)
    _mountains(img, rng, scene, horizon)
    if scene.city:
        _skyline(img, rng, scene, horizon)
    if scene.water:
        _water(img, rng, scene, horizon, sun)
        _shore(img, rng, scene)
    else:
        _hills(img, rng, scene, horizon)
    img = img.resize((width, height), Image.Resampling.LANCZOS)
    return _apply_style(_vignette(img), scene.style)


def _stars(img: Image.Image, rng: random.Random, horizon: int) -> None:
    draw = ImageDraw.Draw(img)
    w = img.width
    for _ in range(int(w * horizon / (2200 * _SUPERSAMPLE**2))):
        x, y = rng.uniform(0, w), horizon * 0.9 * rng.random() ** 1.4
        r = _SUPERSAMPLE * rng.choice((0.5, 0.7, 0.9, 1.3))
        v = rng.randint(150, 255)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(v, v, min(255, v + 15)))


def _sun(
    img: Image.Image, rng: random.Random, scene: _Scene, horizon: int
) -> tuple[float, float, float]:
    """The sun (or moon) with its glow; returns its centre and radius."""
    w, h = img.size
    m, p = min(w, h), scene.palette
    x = rng.uniform(0.15, 0.85) * w
    if scene.mood == "golden":
        y, r, glow, strength = horizon - rng.uniform(0.03, 0.12) * h, 0.07 * m, 9.0, 0.8
    elif scene.mood == "day":
        y, r, glow, strength = rng.uniform(0.1, 0.26) * h, 0.045 * m, 7.0, 0.6
    else:
        y, r, glow, strength = rng.uniform(0.1, 0.28) * h, 0.04 * m, 6.0, 0.35
    _glow(img, (x, y), r * glow, p.sun, strength)
    _glow(img, (x, y), r * 1.8, p.sun, 0.9)
    draw = ImageDraw.Draw(img)
    draw.ellipse((x - r, y - r, x + r, y + r), fill=p.sun)
    if scene.mood == "night":  # a few soft craters make it a moon
        for _ in range(rng.randint(3, 5)):
            cx, cy = x + rng.uniform(-0.5, 0.5) * r, y + rng.uniform(-0.5, 0.5) * r
            cr = r * rng.uniform(0.1, 0.25)
            draw.ellipse((cx - cr, cy - cr, cx + cr, cy + cr), fill=_mix(p.sun, p.sky_mid, 0.18))
    return x, y, r


def _glow(
    img: Image.Image, centre: tuple[float, float], radius: float, colour: RGB, strength: float
) -> None:
    size = max(2, int(radius * 2))
    # radial_gradient is 0 at the centre and 181 on the inscribed circle
    falloff = Image.radial_gradient("L").resize((size, size), Image.Resampling.BILINEAR)
    falloff = falloff.point(lambda v: int(255 * strength * max(0.0, 1 - v / 181) ** 2.2))
    x0, y0 = int(centre[0] - size / 2), int(centre[1] - size / 2)
    img.paste(colour, (x0, y0, x0 + size, y0 + size), falloff)


def _clouds(img: Image.Image, rng: random.Random, scene: _Scene, horizon: int) -> None:
    p, w = scene.palette, img.width
    count = {"day": rng.randint(3, 7), "golden": rng.randint(3, 6), "night": rng.randint(0, 3)}
    flat = 0.22 if scene.mood == "golden" else 0.4
    mask = Image.new("L", (w // 4, horizon // 4))
    mw, mh = mask.size
    draw = ImageDraw.Draw(mask)
    for _ in range(count[scene.mood]):
        cx, cy = rng.uniform(-0.1, 1.1) * mw, rng.uniform(0.1, 0.65) * mh
        span = rng.uniform(0.12, 0.3) * mw
        for _ in range(rng.randint(5, 9)):
            rx = span * rng.uniform(0.2, 0.45)
            ry = rx * flat * rng.uniform(0.8, 1.4)
            x, y = cx + rng.uniform(-0.5, 0.5) * span, cy - rng.uniform(0, 0.8) * ry
            draw.ellipse((x - rx, y - ry, x + rx, y + ry), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(1 + mw * 0.005))
    mask = mask.resize((w, horizon), Image.Resampling.BILINEAR)
    lit = {
        "day": _mix(p.horizon, (255, 255, 255), 0.7),
        "golden": _mix(p.sun, p.sky_mid, 0.4),
        "night": _mix(p.sky_mid, p.horizon, 0.5),
    }[scene.mood]
    opacity = 0.5 if scene.mood == "night" else 0.88
    drop = int(horizon * 0.02) + 1  # a darker copy just below gives the clouds a belly
    img.paste(
        _mix(lit, p.sky_top, 0.35),
        (0, drop, w, horizon + drop),
        mask.point(lambda v: int(v * opacity * 0.8)),
    )
    img.paste(lit, (0, 0, w, horizon), mask.point(lambda v: int(v * opacity)))


def _birds(img: Image.Image, rng: random.Random, scene: _Scene) -> None:
    draw = ImageDraw.Draw(img)
    w, h = img.size
    colour = _mix(scene.palette.ground, scene.palette.sky_top, 0.3)
    for _ in range(rng.randint(0, 5)):
        x, y = rng.uniform(0.1, 0.9) * w, rng.uniform(0.15, 0.4) * h
        s = rng.uniform(0.006, 0.012) * w
        draw.line([(x - s, y - s * 0.4), (x, y), (x + s, y - s * 0.4)], fill=colour, width=2)


def _mountains(img: Image.Image, rng: random.Random, scene: _Scene, horizon: int) -> None:
    """Two or three ranges, hazier with distance, their feet in mist at the horizon."""
    w, h = img.size
    p = scene.palette
    layers = rng.choice((2, 3))
    for i in range(layers):
        depth = i / (layers - 1)  # 0 = farthest
        tall = rng.uniform(0.08, 0.15) if scene.desert else rng.uniform(0.18, 0.3)
        peak = horizon - h * tall * (1 - 0.4 * depth)
        foot = horizon - h * 0.02 * (1 - depth)
        ridge = _ridge(rng, 0.35 if scene.desert else 0.52)
        line = _line(ridge, w, peak, foot)
        haze = 0.6 - 0.45 * depth
        colour = _mix(p.far, p.horizon, haze)
        top = min(y for _, y in line)
        base = (horizon - top) / (h - top)
        _fill(img, [*line, (w, h), (0, h)], [(0, colour), (base, _mix(colour, p.horizon, 0.4))])
        if scene.snow and depth < 1:
            snowline = peak + (foot - peak) * rng.uniform(0.3, 0.45)
            jag = _ridge(rng, 0.6)
            cap = [
                (x, max(y, snowline + (j - 0.5) * (foot - peak) * 0.2))
                for (x, y), j in zip(line, jag, strict=True)
            ]
            snow = _mix((250, 251, 255), p.horizon, 0.15 + 0.4 * haze)
            if scene.mood == "night":
                snow = _mix(snow, p.sky_mid, 0.55)
            ImageDraw.Draw(img).polygon([*line, *reversed(cap)], fill=snow)


def _skyline(img: Image.Image, rng: random.Random, scene: _Scene, horizon: int) -> None:
    w, h = img.size
    p = scene.palette
    draw = ImageDraw.Draw(img)
    start, end = rng.uniform(0.0, 0.35) * w, rng.uniform(0.65, 1.0) * w
    body = _mix(_mix(p.near, p.far, 0.5), p.horizon, 0.15)
    if scene.mood == "day":
        lit, lit_share = _mix(body, p.sky_top, 0.5), 0.6  # windows reflect the sky
    else:
        lit, lit_share = (255, 212, 128), 0.35
    win = max(2, w // 320)
    x = start
    while x < end:
        bw = rng.uniform(0.02, 0.05) * w
        centre = 1 - abs((x - (start + end) / 2) / ((end - start) / 2))
        top = horizon - h * rng.uniform(0.03, 0.07 + 0.12 * centre)
        shade = _mix(body, (0, 0, 0), rng.uniform(0, 0.3))
        draw.rectangle((x, top, x + bw, horizon + h * 0.08), fill=shade)  # feet hidden by hills
        if rng.random() < 0.25:
            mast = [(x + bw / 2, top), (x + bw / 2, top - h * 0.02)]
            draw.line(mast, fill=body, width=win // 2 + 1)
        for wy in range(int(top) + 2 * win, horizon - 2 * win, 3 * win):
            for wx in range(int(x) + win, int(x + bw) - 2 * win, 3 * win):
                if rng.random() < lit_share:
                    draw.rectangle((wx, wy, wx + win, wy + win * 1.4), fill=lit)
        x += bw * rng.uniform(0.85, 1.05)


def _water(
    img: Image.Image,
    rng: random.Random,
    scene: _Scene,
    horizon: int,
    sun: tuple[float, float, float],
) -> None:
    """Mirror the land and sky in the water, with ripples and a path of light under the sun."""
    w, h = img.size
    p = scene.palette
    depth = h - horizon
    mirrored = img.crop((0, horizon - depth, w, horizon)).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    mirrored = mirrored.resize((max(1, w // 10), depth), Image.Resampling.BILINEAR).resize(
        (w, depth), Image.Resampling.BILINEAR
    )  # smearing it sideways reads as small waves
    deep = _mix(_mix(p.sky_top, p.far, 0.4), (0, 0, 0), 0.25)
    tint = _gradient([(0, _mix(p.horizon, deep, 0.3)), (1, deep)], (w, depth))
    img.paste(Image.blend(mirrored, tint, 0.45), (0, horizon))
    ripples = Image.new("RGBA", (w, depth), (0, 0, 0, 0))
    draw = ImageDraw.Draw(ripples)
    light = _mix(p.horizon, (255, 255, 255), 0.4)
    for _ in range(w // 6):
        y = depth * rng.random() ** 1.5
        length = w * rng.uniform(0.01, 0.06) * (0.3 + y / depth)
        x = rng.uniform(-length, w)
        if rng.random() < 0.6:
            colour = (*light, rng.randint(25, 70))
        else:
            colour = (*deep, rng.randint(40, 90))
        draw.line([(x, y), (x + length, y)], fill=colour, width=max(1, int(y / depth * 4)))
    sx, sy, sr = sun
    if sy < horizon:
        for y in range(0, depth, max(2, depth // 90)):
            t = y / depth
            half = sr * (0.5 + 1.8 * t) * rng.uniform(0.3, 1.0)
            x = sx + rng.uniform(-0.3, 0.3) * sr
            alpha = int(210 * (1 - 0.7 * t) * rng.uniform(0.4, 1.0))
            draw.line(
                [(x - half, y), (x + half, y)], fill=(*p.sun, alpha), width=max(2, int(t * 5))
            )
    img.paste(ripples, (0, horizon), ripples)
    ImageDraw.Draw(img).line([(0, horizon), (w, horizon)], fill=light, width=2)


def _shore(img: Image.Image, rng: random.Random, scene: _Scene) -> None:
    """A dark shore from one side frames the water, often with trees on it."""
    if not scene.trees and rng.random() < 0.4:
        return
    w, h = img.size
    p = scene.palette
    left = rng.random() < 0.5
    top, reach = h * rng.uniform(0.72, 0.82), w * rng.uniform(0.3, 0.55)
    bumps = _ridge(rng, 0.5)
    line = []
    for i, bump in enumerate(bumps):
        f = i / (len(bumps) - 1)
        x = f * reach
        line.append((x if left else w - x, top + (h - top) * f**1.6 - h * 0.03 * bump))
    edge = 0 if left else w
    _fill(img, [*line, (edge, h)], [(0, p.ground), (1, _mix(p.ground, (0, 0, 0), 0.45))])
    if scene.trees:
        _pines(img, rng, line[: len(line) * 2 // 3], rng.randint(5, 14), (0.08, 0.17), p.ground)


def _hills(img: Image.Image, rng: random.Random, scene: _Scene, horizon: int) -> None:
    """Rolling land from the horizon to the bottom edge: near hills, then the foreground."""
    w, h = img.size
    p = scene.palette
    dark = _mix(p.ground, (0, 0, 0), 0.4)
    rows = (
        (horizon - h * rng.uniform(0.0, 0.05), horizon + h * 0.06, p.near, p.ground, 0.3),
        (horizon + h * rng.uniform(0.1, 0.17), horizon + h * 0.24, p.ground, dark, 1.0),
    )
    for index, (peak, foot, top_colour, bottom_colour, tree_scale) in enumerate(rows):
        if scene.desert:
            ridge, top_colour = _waves(rng), _mix(top_colour, p.sun, 0.3)
        else:
            ridge = _ridge(rng, 0.45)
        line = _line(ridge, w, peak, foot)
        _fill(img, [*line, (w, h), (0, h)], [(0, top_colour), (1, bottom_colour)])
        if scene.trees:
            low, high = 0.05 * tree_scale, 0.13 * tree_scale
            count = rng.randint(30, 60) if index == 0 else rng.randint(6, 16)
            _pines(img, rng, line, count, (low, high), _mix(top_colour, (0, 0, 0), 0.3))


def _pines(
    img: Image.Image,
    rng: random.Random,
    line: Sequence[tuple[float, float]],
    count: int,
    heights: tuple[float, float],
    colour: RGB,
) -> None:
    """Pine trees standing on ``line``, in a few clusters, nearer trees drawn last."""
    h = img.height
    centres = [rng.randrange(len(line)) for _ in range(rng.randint(1, 3))]
    trees = []
    for _ in range(count):
        i = int(rng.gauss(rng.choice(centres), len(line) / 8))
        x, y = line[min(len(line) - 1, max(0, i))]
        size = h * rng.uniform(*heights)
        trees.append((y + size * 0.06, x, size, rng.uniform(0, 0.3)))
    draw = ImageDraw.Draw(img)
    for y, x, size, shade in sorted(trees):
        fill = _mix(colour, (0, 0, 0), shade)
        for tier in range(3):
            tip, bottom = y - size + tier * size * 0.22, y - size * (0.45 - tier * 0.2)
            half = size * (0.14 + tier * 0.06)
            draw.polygon([(x, tip), (x - half, bottom), (x + half, bottom)], fill=fill)
        draw.rectangle((x - size * 0.025, y - size * 0.1, x + size * 0.025, y), fill=fill)


def _vignette(img: Image.Image) -> Image.Image:
    falloff = Image.radial_gradient("L").resize(img.size, Image.Resampling.BILINEAR)
    img.paste((0, 0, 0), (0, 0, *img.size), falloff.point(lambda v: int(70 * (v / 255) ** 2.5)))
    return img


def _apply_style(img: Image.Image, style: str) -> Image.Image:
    if style == "vivid":
        return ImageEnhance.Contrast(ImageEnhance.Color(img).enhance(1.45)).enhance(1.08)
    if style == "pastel":
        soft = ImageEnhance.Color(img).enhance(0.65)
        return Image.blend(soft, Image.new("RGB", img.size, (255, 250, 245)), 0.32)
    if style == "noir":
        grey = ImageOps.autocontrast(ImageOps.grayscale(img), cutoff=1)
        return ImageOps.colorize(grey, black=(8, 8, 10), white=(245, 244, 238))
    if style == "sunset":
        return Image.blend(img, Image.new("RGB", img.size, (255, 140, 60)), 0.08)
    return img


# --- Small helpers ---------------------------------------------------------------------------


def _ridge(rng: random.Random, roughness: float) -> list[float]:
    """A jagged line (midpoint displacement), scaled to 0..1."""
    count = _RIDGE_POINTS
    values = [0.0] * count
    values[0], values[-1] = rng.random(), rng.random()
    step, scale = count - 1, 1.0
    while step > 1:
        half = step // 2
        for i in range(half, count - 1, step):
            values[i] = (values[i - half] + values[i + half]) / 2 + rng.uniform(-scale, scale)
        step, scale = half, scale * roughness
    return _normalise(values)


def _waves(rng: random.Random) -> list[float]:
    """A smooth rolling line (a few sine waves), scaled to 0..1: sand dunes."""
    waves = [
        (rng.uniform(0.6, 1.6) * (k + 1), rng.uniform(0, math.tau), 1 / (k + 1)) for k in range(3)
    ]
    last = _RIDGE_POINTS - 1
    return _normalise(
        [
            sum(a * math.sin(f * math.tau * i / last + phase) for f, phase, a in waves)
            for i in range(_RIDGE_POINTS)
        ]
    )


def _normalise(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    return [(v - low) / ((high - low) or 1.0) for v in values]


def _line(
    ridge: Sequence[float], width: int, peak: float, foot: float
) -> list[tuple[float, float]]:
    """Ridge values (1 = highest) as points across the whole width, between foot and peak."""
    last = len(ridge) - 1
    return [(width * i / last, foot - (foot - peak) * v) for i, v in enumerate(ridge)]


def _fill(
    img: Image.Image, polygon: Sequence[tuple[float, float]], stops: Sequence[tuple[float, RGB]]
) -> None:
    """Fill a polygon with a vertical gradient from its top to the bottom of the canvas."""
    w, h = img.size
    top = max(0, min(h - 1, int(min(y for _, y in polygon))))
    mask = Image.new("L", (w, h - top))
    ImageDraw.Draw(mask).polygon([(x, y - top) for x, y in polygon], fill=255)
    img.paste(_gradient(stops, (w, h - top)), (0, top), mask)


def _gradient(stops: Sequence[tuple[float, RGB]], size: tuple[int, int]) -> Image.Image:
    """A vertical gradient through ``(position 0..1, colour)`` stops."""
    column = []
    for row in range(256):
        t = row / 255
        colour = stops[-1][1]
        for (p0, c0), (p1, c1) in itertools.pairwise(stops):
            if t <= p1:
                colour = _mix(c0, c1, (t - p0) / (p1 - p0) if p1 > p0 else 1.0)
                break
        column.append(colour)
    strip = Image.new("RGB", (1, 256))
    strip.putdata(column)
    return strip.resize(size, Image.Resampling.BILINEAR)


def _average(img: Image.Image) -> RGB:
    r, g, b = (round(v) for v in ImageStat.Stat(img).mean)
    return r, g, b


def _hex(code: str) -> RGB:
    return int(code[1:3], 16), int(code[3:5], 16), int(code[5:7], 16)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    t = min(1.0, max(0.0, t))
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _hsv(c: RGB) -> tuple[float, float, float]:
    return colorsys.rgb_to_hsv(c[0] / 255, c[1] / 255, c[2] / 255)


def _rgb(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(1.0, s), min(1.0, v))
    return round(r * 255), round(g * 255), round(b * 255)


def _rotate_hue(c: RGB, degrees: float) -> RGB:
    h, s, v = _hsv(c)
    return _rgb(h + degrees / 360, s, v)


def _tint(c: RGB, hue: float, amount: float) -> RGB:
    """Pull ``c`` toward ``hue`` (degrees), keeping its brightness."""
    h, s, v = _hsv(c)
    turn = (hue / 360 - h + 0.5) % 1.0 - 0.5
    return _rgb(h + turn * amount, s + (max(s, 0.5) - s) * amount, v)
