"""The automatic quality checks run on every generated image.

:func:`check_image` decodes one image once, shrinks it to the analysis copy (see
:mod:`genfactory.qc.analysis`) and runs the per-image checks; :func:`check_job_images` does
that for every image of a job and then compares them with each other to find
near-duplicates. Both are CPU-bound and synchronous: async callers run them in a thread.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageChops, ImageFilter

from genfactory.qc.analysis import AnalysisImage, UnreadableImageError, load_analysis_image
from genfactory.qc.config import QCCheck, QCConfig
from genfactory.qc.hashing import hash_distance, phash
from genfactory.qc.results import CheckResult, ImageQC
from genfactory.qc.stats import Stat

_DEFAULT_CONFIG = QCConfig()

# 4-neighbour Laplacian, shifted by 128 so that negative responses survive in an 8-bit image.
_LAPLACIAN = ImageFilter.Kernel((3, 3), (0, 1, 0, 1, -4, 1, 0, 1, 0), scale=1, offset=128)


def check_image(
    data: bytes | Image.Image,
    *,
    expected_size: tuple[int, int] | None = None,
    config: QCConfig = _DEFAULT_CONFIG,
) -> ImageQC:
    """Run the per-image checks on one image (every check but ``duplicate``).

    ``data`` is the encoded file or an open image (which is not modified). The dimensions
    check runs only when ``expected_size`` (width, height) is given. An image that cannot be
    decoded fails with a ``readable`` check instead of raising.
    """
    try:
        image = load_analysis_image(data)
    except UnreadableImageError as exc:
        return _unreadable(exc)
    checks: list[CheckResult] = []
    if config.runs(QCCheck.DIMENSIONS) and expected_size is not None:
        checks.append(check_dimensions(image, expected_size))
    if config.runs(QCCheck.BLANK):
        checks.extend(check_blank(image, config))
    if config.runs(QCCheck.BLUR):
        checks.append(check_blur(image, config))
    return ImageQC.from_checks(
        checks, phash=phash(image.gray), width=image.width, height=image.height
    )


def check_job_images(
    images: Sequence[tuple[int, bytes | Image.Image]],
    *,
    expected_size: tuple[int, int] | None = None,
    config: QCConfig = _DEFAULT_CONFIG,
) -> list[ImageQC]:
    """Check every image of a job, then look for near-duplicates among them.

    ``images`` are ``(index, data)`` pairs in job order; the index is the image's index in its
    job (from 0), and reasons name an image as people count, from 1 ("near-duplicate of
    image 1" is index 0). The first of a group of near-duplicates
    passes; each later one fails. Returns one :class:`ImageQC` per image, in the same order.
    """
    results = [check_image(data, expected_size=expected_size, config=config) for _, data in images]
    if not config.runs(QCCheck.DUPLICATE):
        return results
    indexes = [index for index, _ in images]
    return apply_duplicate_check(results, indexes, config)


def apply_duplicate_check(
    results: Sequence[ImageQC], indexes: Sequence[int], config: QCConfig = _DEFAULT_CONFIG
) -> list[ImageQC]:
    """Add the ``duplicate`` check to already checked images of one job.

    Each image is compared with every earlier one; it fails if the closest earlier image is
    at most ``config.max_hash_distance`` bits away (ties go to the earliest image). Unreadable
    images (no hash) are neither checked nor compared with.
    """
    if len(results) != len(indexes):
        raise ValueError("results and indexes must have the same length")
    updated: list[ImageQC] = []
    for position, result in enumerate(results):
        if not result.phash:
            updated.append(result)
            continue
        closest: tuple[int, int] | None = None  # (distance, index)
        for earlier, earlier_index in zip(results[:position], indexes[:position], strict=True):
            if earlier.phash:
                distance = hash_distance(result.phash, earlier.phash)
                if closest is None or distance < closest[0]:
                    closest = (distance, earlier_index)
        check = _duplicate_result(closest, config.max_hash_distance)
        updated.append(
            ImageQC.from_checks(
                [*result.checks, check],
                phash=result.phash,
                width=result.width,
                height=result.height,
                duplicate_of=None if check.passed or closest is None else closest[1],
            )
        )
    return updated


def check_dimensions(image: AnalysisImage, expected_size: tuple[int, int]) -> CheckResult:
    """The image is exactly ``expected_size`` (width, height) pixels."""
    actual = f"{image.width}×{image.height}"
    expected = f"{expected_size[0]}×{expected_size[1]}"
    passed = (image.width, image.height) == tuple(expected_size)
    return CheckResult(
        name=QCCheck.DIMENSIONS,
        metric="size",
        passed=passed,
        value=actual,
        threshold=expected,
        reason=(
            f"Image is {actual} pixels as expected"
            if passed
            else f"Image is {actual} pixels, expected {expected}"
        ),
    )


def check_blank(image: AnalysisImage, config: QCConfig) -> list[CheckResult]:
    """The image is not blank: enough colour spread, and not nearly all one colour."""
    stats = Stat(image.rgb)
    spread = max(stats.stddev)
    spread_ok = spread >= config.min_colour_spread
    spread_result = CheckResult(
        name=QCCheck.BLANK,
        metric="colour_spread",
        passed=spread_ok,
        value=round(spread, 2),
        threshold=config.min_colour_spread,
        reason=(
            "Image is nearly blank (colour spread {}, needs ≥ {})".format(
                *_apart(spread, config.min_colour_spread)
            )
            if not spread_ok
            else f"Image has enough colour variation (colour spread {spread:.1f})"
        ),
    )
    share = same_colour_share(image.rgb, stats, config.same_colour_tolerance)
    share_ok = share <= config.max_same_colour_share
    share_result = CheckResult(
        name=QCCheck.BLANK,
        metric="same_colour_share",
        passed=share_ok,
        value=round(share, 4),
        threshold=config.max_same_colour_share,
        reason=(
            "Image is almost a single colour ({}% of pixels are the same colour, "
            "allowed ≤ {}%)".format(*_apart(share * 100, config.max_same_colour_share * 100))
            if not share_ok
            else f"Image is not a single colour ({_percent(share)} of pixels share one colour)"
        ),
    )
    return [spread_result, share_result]


def check_blur(image: AnalysisImage, config: QCConfig) -> CheckResult:
    """The image has enough fine detail: it is neither blurred nor a featureless gradient."""
    score = detail_score(image.gray)
    passed = score >= config.min_detail
    return CheckResult(
        name=QCCheck.BLUR,
        metric="detail",
        passed=passed,
        value=round(score, 2),
        threshold=config.min_detail,
        reason=(
            "Image is blurry or has too little detail (detail score {}, needs ≥ {})".format(
                *_apart(score, config.min_detail)
            )
            if not passed
            else f"Image is sharp enough (detail score {score:.1f})"
        ),
    )


def detail_score(gray: Image.Image) -> float:
    """Standard deviation of the Laplacian of a grayscale image: 0 for flat or smooth areas,
    large for sharp edges and fine texture."""
    if gray.width < 3 or gray.height < 3:
        return 0.0
    response = gray.filter(_LAPLACIAN)
    # Pillow copies the 1-pixel border unfiltered: leave it out.
    inner = response.crop((1, 1, gray.width - 1, gray.height - 1))
    return float(Stat(inner).stddev[0])


def same_colour_share(rgb: Image.Image, stats: Stat, tolerance: int) -> float:
    """Share (0–1) of pixels within ``tolerance`` of the per-channel median colour in every
    channel. When one colour covers more than half the image the median is that colour, so
    this is the share of the dominant colour whenever it matters."""
    median = tuple(int(value) for value in stats.median)
    difference = ImageChops.difference(rgb, Image.new("RGB", rgb.size, median))
    red, green, blue = difference.split()
    largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    histogram = largest.histogram()
    return sum(histogram[: tolerance + 1]) / (rgb.width * rgb.height)


def _duplicate_result(closest: tuple[int, int] | None, max_distance: int) -> CheckResult:
    if closest is None:
        return CheckResult(
            name=QCCheck.DUPLICATE,
            metric="hash_distance",
            passed=True,
            value=None,
            threshold=max_distance,
            reason="No earlier image in this job to compare with",
        )
    distance, index = closest
    passed = distance > max_distance
    return CheckResult(
        name=QCCheck.DUPLICATE,
        metric="hash_distance",
        passed=passed,
        value=distance,
        threshold=max_distance,
        reason=(
            f"Near-duplicate of image {index + 1} (hash distance {distance})"
            if not passed
            else f"Not a near-duplicate (closest is image {index + 1}, hash distance {distance})"
        ),
    )


def _unreadable(exc: UnreadableImageError) -> ImageQC:
    reason = f"Image file could not be read ({exc})"
    check = CheckResult(
        name="readable", metric="decode", passed=False, value=None, threshold=None, reason=reason
    )
    return ImageQC.from_checks([check], phash="", width=None, height=None)


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _apart(value: float, limit: float) -> tuple[str, str]:
    """``value`` and ``limit`` with one decimal, or as many more (up to four) as it takes to
    tell them apart: a failed 11.99 against 12 reads "11.99, needs ≥ 12.00", not "12.0,
    needs ≥ 12.0"."""
    for digits in range(1, 5):
        shown, needed = f"{value:.{digits}f}", f"{limit:.{digits}f}"
        if shown != needed:
            break
    return shown, needed
