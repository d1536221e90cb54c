"""Automatic quality checks (QC) on generated images.

After a provider returns a job's images, the worker runs :func:`check_job_images` on them
with the job's :class:`QCConfig`; each image gets an :class:`ImageQC` verdict (``passed`` or
``failed`` with readable reasons) that is stored with the image and shown in the gallery.
``docs/quality-checks.md`` describes each check and its thresholds.
"""

from genfactory.qc.analysis import ANALYSIS_SIZE, UnreadableImageError
from genfactory.qc.checks import (
    apply_duplicate_check,
    check_image,
    check_job_images,
    detail_score,
)
from genfactory.qc.config import ALL_CHECKS, QCCheck, QCConfig
from genfactory.qc.hashing import hash_distance, phash
from genfactory.qc.results import CheckResult, ImageQC, QCStatus

__all__ = [
    "ALL_CHECKS",
    "ANALYSIS_SIZE",
    "CheckResult",
    "ImageQC",
    "QCCheck",
    "QCConfig",
    "QCStatus",
    "UnreadableImageError",
    "apply_duplicate_check",
    "check_image",
    "check_job_images",
    "detail_score",
    "hash_distance",
    "phash",
]
