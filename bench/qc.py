"""Benchmark the image quality checks against the naive full-resolution approach.

    .venv/bin/python bench/qc.py [--count 20] [--size 1024] [--rounds 3] [--json]

Builds ``--count`` varied ``--size``×``--size`` PNG images in memory (detailed shapes with
noise texture, smooth gradients, blurred, near-blank, flat vector-style art), then times per
image, interleaved so that machine noise hits every method alike:

* ``naive full-resolution``: the same measurements without downscaling: decode, per-channel
  standard deviation and dominant-colour share on the full image, Pillow ``FIND_EDGES`` on
  the full grayscale image, perceptual hash from the full image (the baseline);
* ``decode only``: ``Image.open(...).load()``, the floor no check can go below;
* ``check_image``: :func:`genfactory.qc.check_image` with all built-in checks.

Prints a Markdown table and whether the goal (p95 under 50 ms per 1024×1024 image) holds.
Always exits 0.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageStat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genfactory.qc import QCConfig, check_image, phash
from genfactory.qc.checks import same_colour_share

GOAL_MS = 50.0
CONFIG = QCConfig()


def make_image(kind: int, size: int, seed: int) -> Image.Image:
    """One of five kinds of test picture, varied by ``seed``."""
    rnd = random.Random(seed)

    def colour() -> tuple[int, int, int]:
        return (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))

    if kind == 3:  # near-blank: one colour with faint noise
        noise = Image.effect_noise((size, size), 3).convert("RGB")
        return Image.blend(Image.new("RGB", (size, size), colour()), noise, 0.05)
    if kind == 1:  # smooth gradient background
        base = Image.linear_gradient("L").resize((size, size)).rotate(rnd.randrange(360))
        image = Image.merge("RGB", [base, base.transpose(Image.Transpose.ROTATE_90), base])
    elif kind == 4:  # flat vector-style art
        image = Image.new("RGB", (size, size), colour())
    else:  # detailed: noise texture under the shapes
        noise = Image.merge("RGB", [Image.effect_noise((size, size), 60) for _ in range(3)])
        image = Image.blend(Image.new("RGB", (size, size), colour()), noise, 0.3)
    draw = ImageDraw.Draw(image)
    for _ in range(rnd.randrange(8, 30)):
        x, y, r = rnd.randrange(size), rnd.randrange(size), rnd.randrange(size // 40, size // 5)
        if rnd.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour(), outline=(0, 0, 0), width=3)
        else:
            draw.rectangle((x, y, x + r, y + r // 2), fill=colour())
    if kind == 2:  # blurred
        image = image.filter(ImageFilter.GaussianBlur(rnd.uniform(6, 12)))
    return image


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def naive_check(data: bytes) -> None:
    """The same measurements on the full-resolution image, with no downscaling."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    stats = ImageStat.Stat(image)
    max(stats.stddev)
    same_colour_share(image, stats, CONFIG.same_colour_tolerance)
    gray = image.convert("L")
    ImageStat.Stat(gray.filter(ImageFilter.FIND_EDGES)).stddev  # noqa: B018
    phash(gray)


def decode_only(data: bytes) -> None:
    Image.open(io.BytesIO(data)).load()


def fast_check(data: bytes, size: int) -> None:
    check_image(data, expected_size=(size, size), config=CONFIG)


def summarise(samples_ns: list[int]) -> dict[str, float]:
    ms = sorted(s / 1e6 for s in samples_ns)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return {"p50_ms": statistics.median(ms), "p95_ms": p95, "mean_ms": statistics.fmean(ms)}


def run(count: int, size: int, rounds: int) -> dict[str, Any]:
    images = [encode_png(make_image(i % 5, size, seed=i)) for i in range(count)]
    methods: dict[str, Callable[[bytes], None]] = {
        "naive full-resolution (baseline)": naive_check,
        "decode only (floor)": decode_only,
        "check_image": lambda data: fast_check(data, size),
    }
    for function in methods.values():  # warm up caches and lazy imports
        function(images[0])
    samples: dict[str, list[int]] = {name: [] for name in methods}
    for _ in range(rounds):
        for data in images:
            for name, function in methods.items():
                start = time.perf_counter_ns()
                function(data)
                samples[name].append(time.perf_counter_ns() - start)
    summary = {name: summarise(values) for name, values in samples.items()}
    baseline = summary["naive full-resolution (baseline)"]["mean_ms"]
    rows = [
        {"method": name, **stats, "speedup": baseline / stats["mean_ms"]}
        for name, stats in summary.items()
    ]
    fast = summary["check_image"]
    floor = summary["decode only (floor)"]["p50_ms"]
    return {
        "images": count,
        "size": size,
        "rounds": rounds,
        "samples_per_method": count * rounds,
        "mean_png_kb": statistics.fmean(len(data) for data in images) / 1024,
        "methods": rows,
        # Median time spent past decoding the file: the part downscaling speeds up.
        "beyond_decode_p50_ms": {
            "naive full-resolution (baseline)": (
                summary["naive full-resolution (baseline)"]["p50_ms"] - floor
            ),
            "check_image": fast["p50_ms"] - floor,
        },
        "goal_ms": GOAL_MS,
        "goal_met": fast["p95_ms"] < GOAL_MS,
    }


def render_table(result: dict[str, Any]) -> str:
    lines = [
        "| method | p50 ms | p95 ms | mean ms | speedup |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in result["methods"]:
        lines.append(
            f"| {row['method']} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} "
            f"| {row['mean_ms']:.1f} | {row['speedup']:.1f}× |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20, help="number of images (default 20)")
    parser.add_argument("--size", type=int, default=1024, help="image side in pixels")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the images")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args()
    result = run(max(1, args.count), max(16, args.size), max(1, args.rounds))
    fast = next(row for row in result["methods"] if row["method"] == "check_image")
    print(
        f"QC checks on {result['images']} PNG images of {result['size']}×{result['size']} "
        f"(mean {result['mean_png_kb']:.0f} KB), {result['rounds']} rounds, "
        f"{result['samples_per_method']} samples per method\n"
    )
    print(render_table(result))
    beyond = result["beyond_decode_p50_ms"]
    print(
        f"\nBeyond decoding the file (p50): check_image "
        f"{beyond['check_image']:.1f} ms, naive "
        f"{beyond['naive full-resolution (baseline)']:.1f} ms."
    )
    verdict = "holds" if result["goal_met"] else "does NOT hold"
    print(
        f"Goal: check_image p95 under {GOAL_MS:.0f} ms per image: {verdict} "
        f"(p95 {fast['p95_ms']:.1f} ms)."
    )
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
