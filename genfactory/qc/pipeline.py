"""The quality checks a worker runs on a job's new images, in the ``uploading`` stage.

This is the one entry point the worker calls: the built-in checks (in a thread, they are
CPU work) and, where the job's configuration asks for them, further checks. ``earlier`` are
images the job already has (a regenerated image is compared with them for near-duplicates).

The vision check (``qc.vision.enabled``) runs after the built-in checks, on the images that
passed them (an image already failed is not worth a paid request). When it cannot judge an
image, the image keeps the built-in verdict, gets a ``vision`` result with ``passed=None``
and a note, and a warning is logged; the job does not fail.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from genfactory.qc.checks import check_job_images
from genfactory.qc.config import QCConfig, VisionQC
from genfactory.qc.results import CheckResult, ImageQC
from genfactory.qc.vision import VisionEndpoint, judge_images, no_verdict

log = logging.getLogger(__name__)


def job_qc_config(params: Mapping[str, Any]) -> QCConfig:
    """The QC configuration of a job's snapshot (all built-in checks by default)."""
    return QCConfig.model_validate(params.get("qc") or {})


async def quality_check(
    params: Mapping[str, Any],
    images: Sequence[tuple[int, bytes]],
    *,
    prompt: str = "",
    earlier: Sequence[tuple[int, bytes]] = (),
    vision_endpoint: VisionEndpoint | None = None,
) -> list[ImageQC]:
    """One verdict per image of ``images`` (``(index, data)`` pairs), in the same order.
    ``prompt`` is the job's prompt (the vision check judges the image against it).
    ``vision_endpoint`` defaults to the ``openai`` provider's base URL and key."""
    config = job_qc_config(params)
    expected = (int(params["width"]), int(params["height"]))
    results = await asyncio.to_thread(
        check_job_images, [*earlier, *images], expected_size=expected, config=config
    )
    results = results[len(earlier) :]
    if config.vision is not None and config.vision.enabled:
        endpoint = vision_endpoint or VisionEndpoint.from_environment()
        results = await _with_vision(results, images, prompt, config.vision, endpoint)
    return results


async def _with_vision(
    results: list[ImageQC],
    images: Sequence[tuple[int, bytes]],
    prompt: str,
    config: VisionQC,
    endpoint: VisionEndpoint,
) -> list[ImageQC]:
    """``results`` with a ``vision`` result each: the model's verdict on the images that
    passed the built-in checks, "not sent" on the others."""
    todo = [n for n, result in enumerate(results) if result.passed]
    judged = await judge_images(
        [images[n][1] for n in todo], prompt=prompt, config=config, endpoint=endpoint
    )
    by_position = dict(zip(todo, judged, strict=True))
    updated: list[ImageQC] = []
    unjudged: list[str] = []
    for n, result in enumerate(results):
        check = by_position.get(n)
        if check is None:
            updated.append(result.with_check(_not_sent(config)))
            continue
        note = check.reason if check.passed is None else None
        if note:
            unjudged.append(f"image {images[n][0] + 1}: {note}")
        updated.append(result.with_check(check, note=note))
    if unjudged:
        log.warning(
            "vision QC could not judge %d of %d image(s); they keep the built-in verdict. %s",
            len(unjudged),
            len(todo),
            "; ".join(unjudged),
        )
    return updated


def _not_sent(config: VisionQC) -> CheckResult:
    return no_verdict(
        "Vision check skipped: the image had already failed the built-in checks", config
    )
