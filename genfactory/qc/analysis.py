"""Decode an image once and make the small copies every check measures.

All checks work on an *analysis copy* whose longest side is at most :data:`ANALYSIS_SIZE`
pixels. That keeps checks fast (a 1024×1024 image becomes 256×256, 16 times fewer pixels)
and makes thresholds independent of the image size: a detail score means the same for a
512×512 and a 2048×2048 image because both are measured at the same scale. JPEG files are
decoded straight at a reduced scale (``Image.draft``), so the full-size pixels are never
produced at all; other formats are decoded once and shrunk with integer box reduction.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

#: Longest side, in pixels, of the copy the checks measure.
ANALYSIS_SIZE = 256

_HIGH_BIT_DEPTH_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N", "F"})


class UnreadableImageError(ValueError):
    """The bytes are not an image Pillow can decode."""


@dataclass(frozen=True, slots=True)
class AnalysisImage:
    """An image ready to be checked: its real size and its small RGB and grayscale copies."""

    width: int
    height: int
    rgb: Image.Image
    gray: Image.Image


def load_analysis_image(data: bytes | Image.Image) -> AnalysisImage:
    """Decode ``data`` (encoded bytes or an already open image) into an :class:`AnalysisImage`.

    An image passed in is not modified. Transparent areas are laid over black, so a fully
    transparent image is measured as blank.

    Raises:
        UnreadableImageError: the bytes are not a decodable image.
    """
    if isinstance(data, Image.Image):
        return _prepare(data)
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if image.format == "JPEG":
            # Decode at 1/2, 1/4 or 1/8 scale, never below the analysis size.
            scale = max(width, height) / ANALYSIS_SIZE
            image.draft("RGB", (max(1, int(width / scale)), max(1, int(height / scale))))
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnreadableImageError(str(exc) or type(exc).__name__) from exc
    return _prepare(image, size=(width, height))


def _prepare(image: Image.Image, size: tuple[int, int] | None = None) -> AnalysisImage:
    width, height = size or image.size
    small = _shrink(_to_rgb_or_rgba(image))
    if small.mode == "RGBA":
        flat = Image.new("RGB", small.size, (0, 0, 0))
        flat.paste(small, mask=small.getchannel("A"))
        small = flat
    return AnalysisImage(width=width, height=height, rgb=small, gray=small.convert("L"))


def _to_rgb_or_rgba(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode in ("RGB", "RGBA"):
        return image
    if mode in _HIGH_BIT_DEPTH_MODES:
        # 16-bit samples: scale to 8 bits instead of clipping everything above 255 to white.
        # A fixed scale (not a contrast stretch) keeps a flat image flat.
        high = image.getextrema()[1]
        scale = 255.0 / 65535.0 if isinstance(high, int | float) and high > 255 else 1.0
        return image.convert("F").point(lambda v: v * scale).convert("L").convert("RGB")
    has_alpha = "A" in mode or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _shrink(image: Image.Image) -> Image.Image:
    longest = max(image.size)
    if longest <= ANALYSIS_SIZE:
        return image
    factor = longest // ANALYSIS_SIZE
    if factor > 1:
        image = image.reduce(factor)
    if max(image.size) > ANALYSIS_SIZE:
        scale = ANALYSIS_SIZE / max(image.size)
        target = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(target, Image.Resampling.BOX)
    return image
