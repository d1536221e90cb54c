"""What the diffusers provider's per-step work costs, as a share of a denoising step.

The provider hooks ``callback_on_step_end``: after every step it posts progress to the event
loop and, throttled, turns the latents into a small WebP preview. This runs a tiny but real
Stable Diffusion pipeline (random weights, built from configs, nothing downloaded; 512x512
images, so the latents have the real 64x64 size and previews cost what they cost for real)
and times the same denoising with and without that callback, in interleaved rounds within
one run. Goal: the default configuration adds under 5 % to a step.

    python bench/diffusers_overhead.py [--steps 30] [--rounds 5] [--side 512] [--threads 1]
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing here may reach the hub

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import fmt, machine, markdown_table, verdict

GOAL_PERCENT = 5.0


@dataclass
class CountingReporter:
    """Does what a cheap reporter does: records the call. The worker's real reporter writes
    to the database on the event loop, which is not on the denoising thread's path."""

    steps: int = 0
    previews: int = 0
    preview_bytes: list[int] = field(default_factory=list)

    async def progress(
        self, step: int, total: int, message: str = "", *, image_index: int = 0
    ) -> None:
        self.steps += 1

    async def preview(self, image: bytes, *, width: int, height: int, step: int) -> None:
        self.previews += 1
        self.preview_bytes.append(len(image))

    async def log(self, message: str, level: str = "info") -> None:
        pass


@dataclass(frozen=True)
class Mode:
    name: str
    callback: bool
    previews: bool = False
    preview_interval: float = 0.2


MODES = (
    Mode("no callback (baseline)", callback=False),
    Mode("no callback again (A/A: the noise floor)", callback=False),
    Mode("progress only", callback=True),
    Mode("progress + previews (default: ≤ 1 per 0.2 s)", callback=True, previews=True),
    Mode("progress + preview every step", callback=True, previews=True, preview_interval=0.0),
)


@dataclass(frozen=True)
class Run:
    wall: float  # seconds of the denoising loop
    in_callback: float  # seconds spent inside our step callback
    reporter: CountingReporter


class TimedCallback:
    """Wraps the provider's step callback to time what it adds to each step."""

    def __init__(self, inner: Callable[..., Any]) -> None:
        self.inner = inner
        self.seconds = 0.0

    def __call__(self, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.inner(*args)
        finally:
            self.seconds += time.perf_counter() - started


async def run_once(pipe: Any, mode: Mode, steps: int, side: int) -> Run:
    """Denoise ``steps`` steps (no VAE decode: it is the same with or without the callback)."""
    from genfactory.providers.diffusers import (
        _Bridge,
        _latent_rgb_for,
        _preview_size,
        _StepCallback,
    )

    reporter = CountingReporter()
    bridge = _Bridge(asyncio.get_running_loop(), reporter)
    callback: TimedCallback | None = None
    if mode.callback:
        callback = TimedCallback(
            _StepCallback(
                bridge,
                steps=steps,
                image_index=0,
                count=1,
                latent_rgb=_latent_rgb_for(pipe) if mode.previews else None,
                preview_size=_preview_size(side, side),
                preview_every=1,
                preview_interval=mode.preview_interval,
            )
        )

    def denoise() -> float:
        import torch

        generator = torch.Generator("cpu").manual_seed(1)
        started = time.perf_counter()
        pipe(
            prompt="a red cat",
            width=side,
            height=side,
            num_inference_steps=steps,
            generator=generator,
            callback_on_step_end=callback,
            output_type="latent",
        )
        return time.perf_counter() - started

    try:
        wall = await asyncio.to_thread(denoise)
        await bridge.drain()
    finally:
        bridge.close()
    return Run(wall, callback.seconds if callback else 0.0, reporter)


async def measure(pipe: Any, steps: int, rounds: int, side: int) -> list[list[Any]]:
    runs: dict[str, list[Run]] = {m.name: [] for m in MODES}
    await run_once(pipe, MODES[0], 2, side)  # warm up
    for r in range(rounds):
        order = MODES[r % len(MODES) :] + MODES[: r % len(MODES)]  # rotate: no mode always first
        for mode in order:
            runs[mode.name].append(await run_once(pipe, mode, steps, side))
    base = runs[MODES[0].name]
    base_step = statistics.median(1000 * b.wall / steps for b in base)
    rows = []
    for mode in MODES:
        mine = runs[mode.name]
        # Paired by round, so that load changing during the run hits both sides alike.
        wall = statistics.median(m.wall / b.wall - 1 for m, b in zip(mine, base, strict=True))
        in_callback = statistics.median(1000 * m.in_callback / steps for m in mine)
        sizes = [n / 1024 for run in mine for n in run.reporter.preview_bytes]
        rows.append(
            [
                mode.name,
                steps,
                fmt(statistics.median(1000 * m.wall / steps for m in mine), 2),
                "—" if mode is MODES[0] else f"{100 * wall:+.1f} %",
                fmt(in_callback, 2) if mode.callback else "—",
                f"{100 * in_callback / base_step:.1f} %" if mode.callback else "—",
                fmt(statistics.mean(m.reporter.previews for m in mine), 1),
                fmt(statistics.mean(sizes), 1) if sizes else "—",
            ]
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--side", type=int, default=512, help="image side in pixels")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()

    import torch

    from tests.unit.providers.tiny_pipeline import TinyConfig, build_tiny_pipeline

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as work:
        pipe = build_tiny_pipeline(Path(work), TinyConfig(unet_channels=(8, 16)))
    pipe.set_progress_bar_config(disable=True)

    rows = asyncio.run(measure(pipe, args.steps, args.rounds, args.side))
    print("# diffusers provider: progress + preview overhead per denoising step\n")
    print(
        f"Tiny Stable Diffusion pipeline (random weights), {args.side}x{args.side} images "
        f"({args.side // 8}x{args.side // 8} latents), DDIM, guidance 7.5, torch "
        f"{torch.__version__} on {args.threads} CPU thread(s); median of {args.rounds} "
        "interleaved rounds.\n"
    )
    print(f"Machine: {machine()}\n")
    print(
        markdown_table(
            [
                "mode",
                "steps",
                "mean step ms",
                "overhead %",
                "in callback ms/step",
                "callback share %",
                "previews / run",
                "preview KiB",
            ],
            rows,
        )
    )
    by_mode = dict(zip(MODES, rows, strict=True))
    default, floor = by_mode[MODES[3]], by_mode[MODES[1]]
    share = float(default[5].split()[0])
    print(
        "\n`overhead %`: wall time per step against the baseline, paired round by round (the "
        "A/A row shows how much two identical runs differ on this machine). `callback "
        "share %`: time spent inside the provider's step callback (progress hand-off, "
        "latent → RGB, resize, WebP encode) as a share of the baseline step: what the "
        "callback adds to every step, measured directly."
    )
    print(
        f"\nGoal: the default configuration adds < {GOAL_PERCENT:g} % to a step: "
        f"{verdict(share < GOAL_PERCENT)} (callback share {share:.1f} %; wall overhead "
        f"{default[3]}, noise floor {floor[3]})."
    )


if __name__ == "__main__":
    main()
