"""Our image statistics give exactly Pillow's figures."""

from __future__ import annotations

import random

import pytest
from PIL import Image, ImageStat

from genfactory.qc.stats import Stat


def images() -> list[Image.Image]:
    rng = random.Random(11)
    noisy = Image.frombytes("RGB", (61, 37), rng.randbytes(61 * 37 * 3))
    skewed = Image.frombytes(
        "L", (50, 40), bytes(min(255, int(rng.expovariate(0.05))) for _ in range(2000))
    )
    return [
        noisy,
        noisy.convert("L"),
        skewed,
        Image.new("RGB", (8, 8), (0, 0, 0)),
        Image.new("RGB", (9, 3), (255, 254, 1)),
        Image.linear_gradient("L").resize((64, 64)),
        Image.new("L", (1, 1), 128),
        Image.new("RGBA", (5, 5), (10, 20, 30, 0)),
    ]


@pytest.mark.parametrize("image", images(), ids=lambda im: f"{im.mode}-{im.width}x{im.height}")
def test_every_figure_is_pillows(image: Image.Image) -> None:
    ours, pillows = Stat(image), ImageStat.Stat(image)
    for figure in ("count", "sum", "sum2", "mean", "median", "rms", "var", "stddev"):
        assert getattr(ours, figure) == getattr(pillows, figure), figure


def test_an_empty_histogram_is_pillows_too() -> None:
    empty = [0] * 512
    ours, pillows = Stat(empty), ImageStat.Stat(empty)
    for figure in ("count", "sum", "sum2", "median"):
        assert getattr(ours, figure) == getattr(pillows, figure), figure
