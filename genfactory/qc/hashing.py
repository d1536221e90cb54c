"""Perceptual hashes: similar-looking images get hashes that differ in few bits.

:func:`phash` is the DCT hash of Zauner (2010) as used by the ``imagehash`` library: shrink
to 32×32 grayscale, take the 8×8 lowest frequencies of the 2-D cosine transform, set a bit
for every coefficient above their median. Re-encoding, resizing or a small brightness change
flips few bits; unrelated images differ in about half of the 64. Only the 64 coefficients
that are kept are computed, so pure Python does it in well under a millisecond.
"""

from __future__ import annotations

import math
from operator import mul
from statistics import median

from PIL import Image

HASH_BITS = 64
_SIDE = 32  # the image is shrunk to _SIDE × _SIDE
_KEEP = 8  # the _KEEP × _KEEP lowest frequencies make the hash

# _COSINES[u][x] = cos(π·(2x+1)·u / 2N): row u of the (unnormalised) DCT-II matrix.
_COSINES: tuple[tuple[float, ...], ...] = tuple(
    tuple(math.cos(math.pi * (2 * x + 1) * u / (2 * _SIDE)) for x in range(_SIDE))
    for u in range(_KEEP)
)


def phash(image: Image.Image) -> str:
    """The 64-bit DCT perceptual hash of ``image`` as 16 lowercase hex digits."""
    small = image.convert("L").resize((_SIDE, _SIDE), Image.Resampling.BOX)
    pixels = small.tobytes()
    rows = [pixels[y * _SIDE : (y + 1) * _SIDE] for y in range(_SIDE)]
    # DCT along each row, keeping the lowest _KEEP frequencies: _SIDE × _KEEP values.
    row_freqs = [[sum(map(mul, row, cos)) for cos in _COSINES] for row in rows]
    # Then down each of the _KEEP columns: coefficient [v][u], v vertical, u horizontal.
    columns = list(zip(*row_freqs, strict=True))
    coefficients = [sum(map(mul, columns[u], cos)) for cos in _COSINES for u in range(_KEEP)]
    cut = median(coefficients)
    bits = 0
    for coefficient in coefficients:
        bits = (bits << 1) | (coefficient > cut)
    return f"{bits:0{HASH_BITS // 4}x}"


def hash_distance(a: str, b: str) -> int:
    """How many bits two hashes from :func:`phash` differ in (the Hamming distance)."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
