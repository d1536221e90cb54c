"""The quality checks a worker runs on a job's new images, in the ``uploading`` stage.

This is the one entry point the worker calls: the built-in checks (in a thread, they are
CPU work) and, where the job's configuration asks for them, further checks. ``earlier`` are
images the job already has (a regenerated image is compared with them for near-duplicates).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from genfactory.qc.checks import check_job_images
from genfactory.qc.config import QCConfig
from genfactory.qc.results import ImageQC


def job_qc_config(params: Mapping[str, Any]) -> QCConfig:
    """The QC configuration of a job's snapshot (all built-in checks by default)."""
    return QCConfig.model_validate(params.get("qc") or {})


async def quality_check(
    params: Mapping[str, Any],
    images: Sequence[tuple[int, bytes]],
    *,
    prompt: str = "",
    earlier: Sequence[tuple[int, bytes]] = (),
) -> list[ImageQC]:
    """One verdict per image of ``images`` (``(index, data)`` pairs), in the same order.
    ``prompt`` is the job's prompt (checks that judge content compare against it)."""
    del prompt  # no built-in check reads it yet
    config = job_qc_config(params)
    expected = (int(params["width"]), int(params["height"]))
    results = await asyncio.to_thread(
        check_job_images, [*earlier, *images], expected_size=expected, config=config
    )
    return results[len(earlier) :]
