"""Unit tests of the image quality checks. Every image is drawn here with Pillow."""

from __future__ import annotations

import io
import math
import random
from pathlib import Path
from statistics import median

import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter
from pydantic import ValidationError

from genfactory.qc import (
    ALL_CHECKS,
    ANALYSIS_SIZE,
    ImageQC,
    QCCheck,
    QCConfig,
    QCStatus,
    apply_duplicate_check,
    check_image,
    check_job_images,
    detail_score,
    hash_distance,
    phash,
)

SIZE = 512


# --- image builders -------------------------------------------------------------------------


def detailed_image(seed: int = 1, size: int = SIZE) -> Image.Image:
    """Coloured shapes with black outlines over a noise texture: should pass every check."""
    rnd = random.Random(seed)
    noise = Image.merge("RGB", [Image.effect_noise((size, size), 60) for _ in range(3)])
    base = Image.new("RGB", (size, size), (rnd.randrange(256), rnd.randrange(256), 90))
    image = Image.blend(base, noise, 0.3)
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x, y, r = rnd.randrange(size), rnd.randrange(size), rnd.randrange(size // 30, size // 5)
        fill = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        if rnd.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=fill, outline=(0, 0, 0), width=3)
        else:
            draw.rectangle((x, y, x + r, y + r // 2), fill=fill)
    return image


def near_uniform_image(size: int = SIZE) -> Image.Image:
    """A flat colour with faint noise (σ 2 per channel)."""
    channels = [
        Image.effect_noise((size, size), 2).point(lambda v, c=c: v - 128 + c)
        for c in (120, 140, 160)
    ]
    return Image.merge("RGB", channels)


def encode(image: Image.Image, fmt: str = "PNG", **options: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def result(qc: ImageQC, metric: str) -> tuple[bool, int | float | str | None]:
    matches = [check for check in qc.checks if check.metric == metric]
    assert len(matches) == 1, f"expected one {metric!r} result, got {qc.checks}"
    return matches[0].passed, matches[0].value


@pytest.fixture(scope="module")
def detailed() -> Image.Image:
    return detailed_image()


@pytest.fixture(scope="module")
def detailed_png(detailed: Image.Image) -> bytes:
    return encode(detailed)


@pytest.fixture(scope="module")
def heavily_blurred_png(detailed: Image.Image) -> bytes:
    return encode(detailed.filter(ImageFilter.GaussianBlur(8)))


# --- blank ----------------------------------------------------------------------------------


def test_uniform_image_fails_blank() -> None:
    qc = check_image(encode(Image.new("RGB", (SIZE, SIZE), (30, 60, 90))))

    assert qc.status is QCStatus.FAILED
    assert result(qc, "colour_spread") == (False, 0.0)
    assert result(qc, "same_colour_share") == (False, 1.0)
    # One sentence per failed check: the blank check speaks once, then the blur check.
    assert qc.reasons == [
        "Image is nearly blank (colour spread 0.0, needs ≥ 4.0)",
        "Image is blurry or has too little detail (detail score 0.0, needs ≥ 3.0)",
    ]


def test_near_uniform_image_with_faint_noise_fails_blank() -> None:
    image = near_uniform_image()
    low, high = image.getchannel("R").getextrema()
    assert isinstance(low, int) and isinstance(high, int)
    assert high - low >= 6  # really noisy, not flat

    qc = check_image(encode(image))

    passed, spread = result(qc, "colour_spread")
    assert not passed
    assert isinstance(spread, float) and 0 < spread < 4.0
    assert any(reason.startswith("Image is nearly blank") for reason in qc.reasons)


def test_one_colour_with_a_small_speck_fails_on_same_colour_share() -> None:
    # Colour spread alone lets this through: the speck gives a spread of about 8.
    image = Image.new("RGB", (SIZE, SIZE), (0, 0, 0))
    ImageDraw.Draw(image).rectangle((100, 100, 119, 119), fill=(255, 255, 255))

    qc = check_image(encode(image), config=QCConfig(checks=frozenset({QCCheck.BLANK})))

    assert result(qc, "colour_spread")[0] is True
    passed, share = result(qc, "same_colour_share")
    assert not passed
    assert isinstance(share, float) and share > 0.99
    assert qc.reasons == [
        "Image is almost a single colour (99.8% of pixels are the same colour, allowed ≤ 99.0%)"
    ]


def test_fully_transparent_image_is_blank() -> None:
    image = Image.effect_noise((SIZE, SIZE), 80).convert("RGBA")
    image.putalpha(0)

    qc = check_image(encode(image))

    assert result(qc, "colour_spread") == (False, 0.0)


# --- detail / blur --------------------------------------------------------------------------


def test_detailed_image_passes_every_check(detailed_png: bytes) -> None:
    qc = check_image(detailed_png, expected_size=(SIZE, SIZE))

    assert qc.status is QCStatus.PASSED, qc.reasons
    assert qc.passed
    assert qc.reasons == []
    assert {check.name for check in qc.checks} == {"dimensions", "blank", "blur"}
    assert all(check.passed for check in qc.checks)
    assert (qc.width, qc.height) == (SIZE, SIZE)
    assert len(qc.phash) == 16 and int(qc.phash, 16) >= 0


def test_heavily_blurred_image_fails_blur_only(heavily_blurred_png: bytes) -> None:
    qc = check_image(heavily_blurred_png, expected_size=(SIZE, SIZE))

    assert qc.status is QCStatus.FAILED
    passed, score = result(qc, "detail")
    assert not passed
    assert isinstance(score, float) and score < 3.0
    assert [check.name for check in qc.checks if not check.passed] == ["blur"]
    assert len(qc.reasons) == 1
    assert qc.reasons[0].startswith("Image is blurry or has too little detail (detail score ")
    assert qc.reasons[0].endswith("needs ≥ 3.0)")


def test_smooth_gradient_has_no_detail() -> None:
    gradient = Image.linear_gradient("L").resize((SIZE, SIZE)).convert("RGB")
    qc = check_image(encode(gradient))
    assert result(qc, "colour_spread")[0] is True
    assert result(qc, "detail")[0] is False


def test_detail_score_does_not_depend_on_image_size() -> None:
    large = detailed_image(seed=5, size=2048)
    small = large.resize((512, 512), Image.Resampling.LANCZOS)

    large_qc = check_image(encode(large))
    small_qc = check_image(encode(small))

    large_score = result(large_qc, "detail")[1]
    small_score = result(small_qc, "detail")[1]
    assert isinstance(large_score, float) and isinstance(small_score, float)
    assert small_score == pytest.approx(large_score, rel=0.25)


def test_detail_score_ignores_unfiltered_border() -> None:
    # Pillow copies the outermost pixels unfiltered while the filtered inside is centred on
    # 128: counted in, the border of a flat black or white image would look like detail.
    assert detail_score(Image.new("L", (64, 64), 0)) == 0.0
    assert detail_score(Image.new("L", (64, 64), 255)) == 0.0
    assert detail_score(Image.new("L", (2, 2), 0)) == 0.0


# --- dimensions -----------------------------------------------------------------------------


def test_wrong_size_fails_dimensions_naming_both_sizes() -> None:
    qc = check_image(encode(detailed_image(size=300).resize((400, 300))), expected_size=(512, 512))

    assert qc.status is QCStatus.FAILED
    assert result(qc, "size") == (False, "400×300")
    assert qc.reasons == ["Image is 400×300 pixels, expected 512×512"]


def test_swapped_width_and_height_is_wrong(detailed: Image.Image) -> None:
    image = detailed.resize((SIZE, SIZE // 2))
    assert check_image(image, expected_size=(SIZE // 2, SIZE)).status is QCStatus.FAILED
    assert check_image(image, expected_size=(SIZE, SIZE // 2)).status is QCStatus.PASSED


def test_no_expected_size_skips_dimensions(detailed_png: bytes) -> None:
    qc = check_image(detailed_png)
    assert "dimensions" not in {check.name for check in qc.checks}


def test_jpeg_reports_its_real_size_although_decoded_small(detailed: Image.Image) -> None:
    data = encode(detailed.resize((1200, 900)), "JPEG", quality=90)

    qc = check_image(data, expected_size=(1200, 900))

    assert qc.status is QCStatus.PASSED, qc.reasons
    assert (qc.width, qc.height) == (1200, 900)


# --- near-duplicates ------------------------------------------------------------------------


def test_job_duplicates_are_flagged_and_a_different_image_is_not(
    detailed: Image.Image, detailed_png: bytes
) -> None:
    brighter_jpeg = encode(ImageEnhance.Brightness(detailed).enhance(1.03), "JPEG", quality=85)
    different = encode(detailed_image(seed=2))
    images = [(0, detailed_png), (1, detailed_png), (2, brighter_jpeg), (3, different)]

    results = check_job_images(images, expected_size=(SIZE, SIZE))

    assert [r.status for r in results] == ["passed", "failed", "failed", "passed"]
    assert [r.duplicate_of for r in results] == [None, 0, 0, None]  # indexes, from 0
    assert results[1].reasons == ["Near-duplicate of image 1 (hash distance 0)"]  # from 1
    passed, distance = result(results[2], "hash_distance")
    assert not passed and isinstance(distance, int) and distance <= 6
    assert results[2].reasons == [f"Near-duplicate of image 1 (hash distance {distance})"]
    passed, distance = result(results[3], "hash_distance")
    assert passed and isinstance(distance, int) and distance > 16
    assert result(results[0], "hash_distance") == (True, None)


def test_duplicate_names_the_closest_earlier_image() -> None:
    results = [
        ImageQC.from_checks([], phash=h, width=1, height=1)
        for h in ("0000000000000000", "00000000000000ff", "00000000000000fe")
    ]

    checked = apply_duplicate_check(results, [10, 11, 12], QCConfig(max_hash_distance=8))

    assert [r.duplicate_of for r in checked] == [None, 10, 11]
    assert checked[2].reasons == ["Near-duplicate of image 12 (hash distance 1)"]


def test_duplicate_distance_threshold_is_inclusive() -> None:
    results = [
        ImageQC.from_checks([], phash=h, width=1, height=1)
        for h in ("0000000000000000", "000000000000000f")  # 4 bits apart
    ]
    at_limit = apply_duplicate_check(results, [0, 1], QCConfig(max_hash_distance=4))
    below_limit = apply_duplicate_check(results, [0, 1], QCConfig(max_hash_distance=3))
    assert at_limit[1].status is QCStatus.FAILED
    assert below_limit[1].status is QCStatus.PASSED


def test_apply_duplicate_check_needs_one_index_per_result() -> None:
    with pytest.raises(ValueError, match="same length"):
        apply_duplicate_check([ImageQC.from_checks([], phash="0", width=1, height=1)], [])


# --- configuration --------------------------------------------------------------------------


def test_disabled_checks_are_skipped(detailed_png: bytes) -> None:
    blank = encode(Image.new("RGB", (100, 100), (0, 0, 0)))
    config = QCConfig(checks=frozenset({QCCheck.DIMENSIONS}))

    results = check_job_images([(0, blank), (1, blank)], expected_size=(100, 100), config=config)

    assert [r.status for r in results] == ["passed", "passed"]
    assert {check.name for r in results for check in r.checks} == {"dimensions"}


def test_no_checks_means_everything_passes() -> None:
    blank = encode(Image.new("RGB", (10, 10)))
    config = QCConfig(checks=frozenset())
    results = check_job_images([(0, blank), (1, blank)], expected_size=(99, 99), config=config)
    assert all(r.status is QCStatus.PASSED and r.checks == [] for r in results)


def test_default_config_runs_every_check() -> None:
    assert QCConfig().checks == ALL_CHECKS
    assert all(QCConfig().runs(check) for check in QCCheck)


def test_colour_spread_threshold_separates_at_the_measured_value(detailed_png: bytes) -> None:
    spread = result(check_image(detailed_png), "colour_spread")[1]
    assert isinstance(spread, float)

    at = check_image(detailed_png, config=QCConfig(min_colour_spread=spread - 0.005))
    above = check_image(detailed_png, config=QCConfig(min_colour_spread=spread + 0.01))

    assert result(at, "colour_spread")[0] is True
    assert result(above, "colour_spread")[0] is False


def test_detail_threshold_separates_at_the_measured_value(heavily_blurred_png: bytes) -> None:
    score = result(check_image(heavily_blurred_png), "detail")[1]
    assert isinstance(score, float)

    lenient = QCConfig(min_detail=score - 0.005)
    strict = QCConfig(min_detail=score + 0.01)

    assert check_image(heavily_blurred_png, config=lenient).status is QCStatus.PASSED
    assert check_image(heavily_blurred_png, config=strict).status is QCStatus.FAILED


def test_same_colour_share_of_one_switches_that_part_off() -> None:
    flat = encode(Image.new("RGB", (50, 50), (200, 10, 10)))
    qc = check_image(flat, config=QCConfig(max_same_colour_share=1.0))
    assert result(qc, "same_colour_share") == (True, 1.0)


def test_thresholds_are_inclusive_so_zero_lets_a_flat_image_through() -> None:
    flat = encode(Image.new("RGB", (50, 50), (200, 10, 10)))
    config = QCConfig(min_colour_spread=0, min_detail=0, max_same_colour_share=1)
    assert check_image(flat, config=config).status is QCStatus.PASSED


@pytest.mark.parametrize(
    ("data", "loc", "error_type"),
    [
        ({"min_detail": -1}, ("min_detail",), "greater_than_equal"),
        ({"min_colour_spread": 200}, ("min_colour_spread",), "less_than_equal"),
        ({"max_same_colour_share": 0}, ("max_same_colour_share",), "greater_than"),
        ({"max_same_colour_share": 1.5}, ("max_same_colour_share",), "less_than_equal"),
        ({"max_hash_distance": 65}, ("max_hash_distance",), "less_than_equal"),
        ({"max_hash_distance": 2.5}, ("max_hash_distance",), "int_from_float"),
        ({"checks": ["blank", "sharpness"]}, ("checks", 1), "enum"),
        ({"min_detial": 3}, ("min_detial",), "extra_forbidden"),
    ],
)
def test_invalid_config_is_rejected(
    data: dict[str, object], loc: tuple[object, ...], error_type: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        QCConfig.model_validate(data)

    errors = caught.value.errors()
    assert [(e["loc"], e["type"]) for e in errors] == [(loc, error_type)]


def test_config_round_trips_through_json_in_a_stable_order() -> None:
    config = QCConfig(checks=frozenset({QCCheck.DUPLICATE, QCCheck.BLANK}), min_detail=5)

    dumped = config.model_dump(mode="json")

    assert dumped["checks"] == ["blank", "duplicate"]
    assert QCConfig.model_validate_json(config.model_dump_json()) == config


def test_config_is_immutable() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        QCConfig().min_detail = 1  # type: ignore[misc]


# --- inputs ---------------------------------------------------------------------------------


def test_unreadable_bytes_fail_with_a_reason() -> None:
    qc = check_image(b"definitely not a png")

    assert qc.status is QCStatus.FAILED
    assert qc.phash == ""
    assert [check.name for check in qc.checks] == ["readable"]
    assert qc.reasons[0].startswith("Image file could not be read")


def test_unreadable_image_is_left_out_of_duplicate_comparison(detailed_png: bytes) -> None:
    results = check_job_images([(0, b"junk"), (1, detailed_png), (2, b"junk")])
    assert [r.duplicate_of for r in results] == [None, None, None]
    assert results[1].status is QCStatus.PASSED


def test_open_image_gives_same_verdict_as_bytes_and_is_not_modified(
    detailed: Image.Image, detailed_png: bytes
) -> None:
    before = detailed.tobytes()

    from_image = check_image(detailed, expected_size=(SIZE, SIZE))
    from_bytes = check_image(detailed_png, expected_size=(SIZE, SIZE))

    assert from_image == from_bytes
    assert detailed.size == (SIZE, SIZE) and detailed.tobytes() == before


@pytest.mark.parametrize("mode", ["L", "P", "LA", "RGBA", "CMYK", "I;16"])
def test_other_image_modes_are_checked(detailed: Image.Image, mode: str) -> None:
    if mode == "I;16":
        image = detailed.convert("L").point(lambda v: v * 257, "I").convert("I;16")
    else:
        image = detailed.convert(mode)
    qc = check_image(image)
    assert result(qc, "colour_spread")[0] is True, qc.reasons
    assert result(qc, "same_colour_share")[0] is True, qc.reasons


def test_sixteen_bit_flat_image_stays_flat() -> None:
    qc = check_image(Image.new("I;16", (64, 64), 40000))
    assert result(qc, "colour_spread") == (False, 0.0)


# --- perceptual hash ------------------------------------------------------------------------


def _reference_phash(image: Image.Image) -> str:
    """Textbook 2-D DCT over all 32×32 pixels, no shortcuts."""
    pixels = image.convert("L").resize((32, 32), Image.Resampling.BOX).tobytes()
    coefficients = [
        sum(
            pixels[y * 32 + x]
            * math.cos(math.pi * (2 * x + 1) * u / 64)
            * math.cos(math.pi * (2 * y + 1) * v / 64)
            for y in range(32)
            for x in range(32)
        )
        for v in range(8)
        for u in range(8)
    ]
    cut = median(coefficients)
    return f"{int(''.join('1' if c > cut else '0' for c in coefficients), 2):016x}"


def test_phash_matches_the_textbook_dct(detailed: Image.Image) -> None:
    assert phash(detailed) == _reference_phash(detailed)


def test_phash_survives_resizing_but_not_a_different_picture(detailed: Image.Image) -> None:
    resized = detailed.resize((ANALYSIS_SIZE, ANALYSIS_SIZE), Image.Resampling.LANCZOS)
    assert hash_distance(phash(detailed), phash(resized)) <= 2
    assert hash_distance(phash(detailed), phash(detailed_image(seed=9))) > 16


def test_hash_distance_counts_differing_bits() -> None:
    assert hash_distance("0000000000000000", "0000000000000000") == 0
    assert hash_distance("0000000000000000", "ffffffffffffffff") == 64
    assert hash_distance("f0f0f0f0f0f0f0f0", "f0f0f0f0f0f0f0f1") == 1


# --- documentation --------------------------------------------------------------------------


def test_every_setting_and_check_is_documented() -> None:
    docs = (Path(__file__).parents[3] / "docs" / "quality-checks.md").read_text("utf-8")
    for field in QCConfig.model_fields:
        assert f"| `{field}` |" in docs, f"QCConfig.{field} missing from docs/quality-checks.md"
    for check in QCCheck:
        assert f"| `{check.value}` |" in docs, f"check {check.value!r} missing from the docs"


def test_a_score_just_under_its_threshold_reads_as_under_it() -> None:
    image = detailed_image(seed=3)
    _passed, measured = result(check_image(image), "detail")
    assert isinstance(measured, float)  # rounded to 0.01: the score is within 0.005 of it
    qc = check_image(image, config=QCConfig(min_detail=measured + 0.006))
    [reason] = [r for r in qc.reasons if r.startswith("Image is blurry")]
    shown, needed = reason.removesuffix(")").split("detail score ")[1].split(", needs ≥ ")
    assert float(shown) < float(needed), reason  # never "12.0, needs ≥ 12.0"
