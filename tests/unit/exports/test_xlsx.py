"""The exported workbook, read back with openpyxl cell by cell, on SQLite and PostgreSQL:
every sheet, column, value, type and format a person opening the file sees."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import insert, select

from genfactory.domain.statuses import JobStatus
from genfactory.exports import export_jobs
from genfactory.exports.xlsx import (
    IMAGE_KEYS,
    IMAGE_TIME_KEYS,
    IMAGE_TITLES,
    JOB_KEYS,
    TIME_COLUMNS,
    ExcelClock,
    ExportWorkbook,
    headers,
)
from genfactory.store.blobs import BlobStore
from genfactory.store.engine import Database
from genfactory.store.migrate import upgrade
from genfactory.store.search import JobFilter
from genfactory.store.tables import configurations, images, jobs
from tests.support.databases import own_database
from tests.unit.store.records import job_record

T0 = 1_700_000_000.0
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
CONFIGURATION = {
    "id": "c" * 32,
    "name": "Product Photos",
    "version": 3,
    "description": "",
    "settings": {
        "provider": "procedural",
        "model": "m-1 <fast>",
        "size": "512x512",
        "steps": 30,
        "style": None,
        "count": 2,
        "output_format": "png",
        "qc": {"enabled": True, "api_key": "never exported"},
        "access_token": "never exported",
    },
    "created_at": T0 - 1000,
}


def job(n: int, **fields: Any) -> dict[str, Any]:
    """A ``jobs`` row to insert: job ``n`` of a completed batch, ``fields`` changed."""
    record = job_record(
        id=f"{n:032x}",
        created_at=T0 + n,
        updated_at=T0 + n + 60,
        status_changed_at=T0 + n + 60,
        prompt=f"prompt {n}",
        run_after=T0 + n,
        last_seq=4,
    )
    return {**record.__dict__, "status": record.status.value, **fields}


JOBS = [
    job(
        1,
        prompt="=cmd|' /C calc'!A0 formula-looking & <odd>",
        label="Summer Sale hero 7",
        params={
            "size": "512x512",
            "width": 512,
            "height": 512,
            "steps": 20,
            "count": 2,
            "style": "photo",
            "seed": 7,
            "negative": "blurry",
            "api_token": "never exported",
        },
        configuration_id=CONFIGURATION["id"],
        configuration_name="Product Photos",
        configuration_version=3,
        started_at=T0 + 10,
        attempt_started_at=T0 + 10,
        finished_at=T0 + 22.5,
        image_count=2,
    ),
    job(
        2,
        status="failed",
        stage="failed",
        percent=40.0,
        prompt="  spaced\tprompt ",
        params={"seed": 2**40, "style": None, "sampler": {"name": "euler", "password": "x"}},
        attempt=3,
        started_at=T0 + 30,
        attempt_started_at=T0 + 50,
        finished_at=T0 + 61.25,
        error={"code": "provider_error", "message": "it broke"},
        progress_message="step 4 of 10",
        step=4,
        total_steps=10,
    ),
    job(
        3,
        status="running",
        stage="running",
        percent=12.5,
        lease_owner="worker-1",
        lease_expires_at=T0 + 600,
        started_at=T0 + 70,
        attempt_started_at=T0 + 70,
        rerun_of=f"{1:032x}",
    ),
]
IMAGES = [
    {
        "id": "a" * 32,
        "job_id": JOBS[0]["id"],
        "index": 0,
        "seed": 7,
        "width": 512,
        "height": 512,
        "format": "png",
        "bytes": 123_456,
        "sha256": "ab" + "0" * 62,
        "thumb_sha256": "cd" + "0" * 62,
        "qc_status": "failed",
        "qc_reason": "too dark & <blurry>",
        "qc_at": T0 + 30,
        "created_at": T0 + 22,
    },
    {
        "id": "b" * 32,
        "job_id": JOBS[0]["id"],
        "index": 1,
        "seed": 8,
        "width": 512,
        "height": 512,
        "format": "webp",
        "bytes": 99,
        "sha256": "ef" + "1" * 62,
        "thumb_sha256": "cd" + "1" * 62,
        "qc_status": "pending",
        "qc_reason": None,
        "qc_at": None,
        "created_at": T0 + 22,
    },
]


def when(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


#: What each Jobs row shows, column by column (an absent column is an empty cell).
NO_IMAGES = {"qc: passed": 0, "qc: failed": 0, "qc: pending": 0}
EXPECTED_JOBS: list[dict[str, Any]] = [
    {
        "id": JOBS[0]["id"],
        "created_at": when(T0 + 1),
        "updated_at": when(T0 + 61),
        "status": "Completed",  # as the Jobs page names statuses
        "status_changed_at": when(T0 + 61),
        "prompt": "=cmd|' /C calc'!A0 formula-looking & <odd>",
        "label": "Summer Sale hero 7",
        "provider": "procedural",
        "configuration_id": CONFIGURATION["id"],
        "configuration_name": "Product Photos",
        "configuration_version": 3,
        "attempt": 1,
        "max_attempts": 3,
        "run_after": when(T0 + 1),
        "started_at": when(T0 + 10),
        "attempt_started_at": when(T0 + 10),
        "finished_at": when(T0 + 22.5),
        "last_seq": 4,
        "stage": "Completed",
        "percent": 100,
        "progress_message": "",
        "image_count": 2,
        "qc: passed": 0,
        "qc: failed": 1,
        "qc: pending": 1,
        "duration_seconds": 12.5,
        "param: size": "512x512",
        "param: width": 512,
        "param: height": 512,
        "param: steps": 20,
        "param: count": 2,
        "param: style": "photo",
        "param: seed": 7,
        "params (other)": '{"negative": "blurry"}',
        "configuration: provider": "procedural",
        "configuration: model": "m-1 <fast>",
        "configuration: size": "512x512",
        "configuration: steps": 30,
        "configuration: count": 2,
        "configuration: output_format": "png",
        "configuration: qc": '{"enabled": true}',
    },
    {
        "id": JOBS[1]["id"],
        "created_at": when(T0 + 2),
        "updated_at": when(T0 + 62),
        "status": "Failed",
        "status_changed_at": when(T0 + 62),
        "prompt": "  spaced\tprompt ",
        "provider": "procedural",
        "attempt": 3,
        "max_attempts": 3,
        "run_after": when(T0 + 2),
        "started_at": when(T0 + 30),
        "attempt_started_at": when(T0 + 50),
        "finished_at": when(T0 + 61.25),
        "last_seq": 4,
        "stage": "Failed",
        "percent": 40,
        "step": 4,
        "total_steps": 10,
        "progress_message": "step 4 of 10",
        "error": "provider_error: it broke",
        "image_count": 0,
        **NO_IMAGES,
        "duration_seconds": 31.25,
        "param: seed": 2**40,
        "params (other)": '{"sampler": {"name": "euler"}}',
    },
    {
        "id": JOBS[2]["id"],
        "created_at": when(T0 + 3),
        "updated_at": when(T0 + 63),
        "status": "Running",
        "status_changed_at": when(T0 + 63),
        "prompt": "prompt 3",
        "provider": "procedural",
        "rerun_of": JOBS[0]["id"],
        "attempt": 1,
        "max_attempts": 3,
        "run_after": when(T0 + 3),
        "lease_owner": "worker-1",
        "lease_expires_at": when(T0 + 600),
        "started_at": when(T0 + 70),
        "attempt_started_at": when(T0 + 70),
        "last_seq": 4,
        "stage": "Running",
        "percent": 12.5,
        "progress_message": "",
        "image_count": 0,
        **NO_IMAGES,
    },
]


@pytest.fixture(params=["sqlite", "postgres"])
def export_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLite file, or a PostgreSQL database of this test's own."""
    with own_database(request.param) as url:
        yield url or f"sqlite+aiosqlite:///{tmp_path / 'export.db'}"


@pytest.fixture
async def db(export_db_url: str) -> AsyncIterator[Database]:
    """A migrated database holding :data:`JOBS`, :data:`IMAGES` and a configuration."""
    database = Database(export_db_url)
    try:
        await upgrade(database)
        async with database.write() as tx:
            await tx.conn.execute(insert(configurations), [CONFIGURATION])
            await tx.conn.execute(insert(jobs), JOBS)
            await tx.conn.execute(insert(images), IMAGES)
        yield database
    finally:
        await database.dispose()


def column_widths(sheet: Any) -> list[float]:
    """Each column's width, from the sheet's ``<cols>`` ranges (a range covers columns
    ``min``..``max``; openpyxl keys it by its first column only)."""
    widths: dict[int, float] = {}
    for dimension in sheet.column_dimensions.values():
        for column in range(dimension.min, dimension.max + 1):
            widths[column] = dimension.width
    return [widths.get(column, 0.0) for column in range(1, sheet.max_column + 1)]


def cells(sheet: Any) -> list[list[Any]]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def assert_row(sheet: Any, number: int, headers: tuple[str, ...], expected: dict[str, Any]) -> None:
    row = sheet[number]
    assert len(row) == len(headers)
    for header, cell in zip(headers, row, strict=True):
        want = expected.get(header)
        if isinstance(want, datetime):
            assert cell.is_date and cell.number_format == DATE_FORMAT, header
            assert abs(cell.value - want) < timedelta(milliseconds=1), header
        else:
            assert cell.value == want, (header, cell.value, want)
            assert not cell.is_date, header
            if isinstance(want, str):
                assert cell.data_type == "s", header
            elif want is not None:
                assert cell.data_type == "n", header


async def test_every_sheet_cell_by_cell(db: Database, tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    result = await export_jobs(
        db,
        blobs,
        JobFilter(),
        tmp_path / "out" / "jobs.xlsx",
        filters=[("q", "summer"), ("status", ["cancelled", "queued", "failed"])],
    )
    assert (result.jobs, result.images) == (3, 2)
    book = openpyxl.load_workbook(result.path)
    assert book.sheetnames == ["Jobs", "Images", "Filters"]

    sheet = book["Jobs"]
    assert [c.value for c in sheet[1]] == headers(JOB_KEYS, TIME_COLUMNS, "UTC")
    assert [c.value for c in sheet[1]][:6] == [
        "Job ID",
        "Created (UTC)",
        "Updated (UTC)",
        "Status",
        "Status changed (UTC)",
        "Prompt",
    ]
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet[1][-1].column_letter}1"
    assert sheet.max_row == 4
    for number, expected in enumerate(EXPECTED_JOBS, start=2):
        assert_row(sheet, number, JOB_KEYS, expected)
    # Wide enough to read: a date-time is not "#####", an id is not cut, a header shows.
    widths = dict(zip(JOB_KEYS, column_widths(sheet), strict=False))
    assert widths["created_at"] >= 19 and widths["finished_at"] >= 19
    assert widths["id"] >= 32 and widths["prompt"] >= 40
    assert widths["param: seed"] >= 12  # ten digits, not 1.66E+09
    titles = [c.value for c in sheet[1]]
    assert all(width >= len(title) for title, width in zip(titles, widths.values(), strict=True))
    assert "never exported" not in json.dumps(cells(sheet), default=str)

    sheet = book["Images"]
    assert [c.value for c in sheet[1]] == headers(IMAGE_KEYS, IMAGE_TIME_KEYS, "UTC", IMAGE_TITLES)
    assert [c.value for c in sheet[1]][:3] == ["Image ID", "Job ID", "Image"]
    image_widths = dict(zip(IMAGE_KEYS, column_widths(sheet), strict=False))
    assert image_widths["qc_at"] >= 19 and image_widths["seed"] >= 12
    assert sheet.auto_filter.ref == f"A1:{sheet[1][-1].column_letter}1"
    assert sheet.freeze_panes == "A2" and sheet.max_row == 3
    prompt = EXPECTED_JOBS[0]["prompt"]
    for number, (image, qc_at) in enumerate(zip(IMAGES, [when(T0 + 30), None], strict=True), 2):
        expected = {
            "id": image["id"],
            "job": image["job_id"],
            "number": image["index"] + 1,
            "prompt": prompt,
            "seed": image["seed"],
            "size": "512x512",
            "format": image["format"],
            "bytes": image["bytes"],
            "qc_status": image["qc_status"].capitalize(),  # "Passed", as on the pages
            "qc_reason": image["qc_reason"],
            "qc_at": qc_at,
            "file": str(blobs.path(image["sha256"], image["format"])),
        }
        assert_row(sheet, number, IMAGE_KEYS, expected)

    rows = cells(book["Filters"])
    assert rows[:4] == [
        ["Filter", "Value"],
        ["q", "summer"],
        ["status", "Stopped, Pending, Failed"],  # what the person picked on the page
        ["jobs", 3],
    ]
    assert rows[4][0] == "exported at (UTC)"
    exported_at = book["Filters"].cell(5, 2)
    assert exported_at.is_date and exported_at.number_format == DATE_FORMAT
    assert abs(datetime.now(UTC) - exported_at.value.replace(tzinfo=UTC)) < timedelta(minutes=5)


async def test_a_full_sheet_continues_on_the_next(db: Database, tmp_path: Path) -> None:
    """At the row limit (Excel's; three rows here) a sheet goes on in "Jobs (2)", …"""
    async with db.read() as conn:
        job_rows = list((await conn.execute(select(jobs).order_by(jobs.c.created_at))).all())
        image_rows = list((await conn.execute(select(images).order_by(images.c.index))).all())
    path = tmp_path / "split.xlsx"
    book = ExportWorkbook(path, blobs=BlobStore(tmp_path), filters=[], rows_per_sheet=3)
    book.add(job_rows[:1], {}, {})
    book.add(job_rows[1:], {}, {})
    book.add([], {}, {})
    book.add(job_rows[:1], {JOBS[0]["id"]: [*image_rows, image_rows[0]]}, {})
    book.close()
    read = openpyxl.load_workbook(path)
    assert read.sheetnames == ["Jobs", "Images", "Filters", "Jobs (2)", "Images (2)"]
    ids = [row[0] for name in ("Jobs", "Jobs (2)") for row in cells(read[name])[1:]]
    assert ids == [j["id"] for j in JOBS] + [JOBS[0]["id"]]
    assert [len(cells(read[name])) for name in ("Jobs", "Jobs (2)")] == [3, 3]
    assert cells(read["Jobs (2)"])[0] == headers(JOB_KEYS, TIME_COLUMNS, "UTC")
    images_ids = [row[0] for name in ("Images", "Images (2)") for row in cells(read[name])[1:]]
    assert images_ids == [IMAGES[0]["id"], IMAGES[1]["id"], IMAGES[0]["id"]]
    assert read["Images (2)"].freeze_panes == "A2"


async def test_times_on_the_readers_wall_clock(db: Database, tmp_path: Path) -> None:
    """With a time zone every time is that zone's local time (Excel has no zones), and
    every time header and the Filters sheet name the zone."""
    zone = ZoneInfo("America/New_York")
    result = await export_jobs(
        db,
        BlobStore(tmp_path / "blobs"),
        JobFilter(),
        tmp_path / "ny.xlsx",
        filters=[],
        time_zone=zone,
    )
    book = openpyxl.load_workbook(result.path)
    sheet = book["Jobs"]
    titles = [c.value for c in sheet[1]]
    assert titles == headers(JOB_KEYS, TIME_COLUMNS, "America/New_York")
    assert "Created (America/New_York)" in titles and "Finished (America/New_York)" in titles
    created = titles.index("Created (America/New_York)")
    for number, job_fields in enumerate(sorted(JOBS, key=lambda j: j["created_at"]), start=2):
        local = datetime.fromtimestamp(job_fields["created_at"], zone).replace(tzinfo=None)
        assert abs(sheet.cell(number, created + 1).value - local) < timedelta(milliseconds=1)
        # November: Eastern Standard Time, five hours behind UTC.
        assert when(job_fields["created_at"]) - local == timedelta(hours=5)
    images_sheet = book["Images"]
    assert images_sheet.cell(1, len(IMAGE_KEYS) - 1).value == "QC checked (America/New_York)"
    qc_at = images_sheet.cell(2, len(IMAGE_KEYS) - 1).value
    assert abs(qc_at - (when(T0 + 30) - timedelta(hours=5))) < timedelta(milliseconds=1)
    filters = cells(book["Filters"])
    assert filters[-1][0] == "exported at (America/New_York)"
    exported = filters[-1][1].replace(tzinfo=zone)
    assert abs(datetime.now(UTC) - exported) < timedelta(minutes=5)


def test_a_clock_follows_daylight_saving_time_on_both_sides_of_the_change() -> None:
    clock = ExcelClock(ZoneInfo("Europe/Berlin"))
    change = datetime(2024, 3, 31, 1, 0, tzinfo=UTC).timestamp()  # 02:00 CET → 03:00 CEST
    for seconds in (change - 3600, change - 1, change, change + 1, change + 7200):
        serial = clock.serial(seconds)
        assert serial is not None
        local = datetime(1899, 12, 30) + timedelta(days=serial)
        want = datetime.fromtimestamp(seconds, ZoneInfo("Europe/Berlin")).replace(tzinfo=None)
        assert abs(local - want) < timedelta(milliseconds=1), seconds
    assert clock.serial(None) is None
    assert ExcelClock().name == "UTC" and clock.name == "Europe/Berlin"


def test_statuses_read_as_the_jobs_page_names_them() -> None:
    """The workbook's words are the Jobs page's (copy-jobs.js): change one, change both."""
    from genfactory.exports.xlsx import QC_LABELS, STATUS_LABELS

    source = (Path(__file__).parents[3] / "genfactory/web/static/js/copy-jobs.js").read_text(
        encoding="utf-8"
    )

    def labels(name: str) -> dict[str, str]:
        block = re.search(rf"{name} = Object\.freeze\(\{{(.*?)\}}\)", source, re.DOTALL)
        assert block is not None, name
        return dict(re.findall(r"(\w+): '([^']+)'", block.group(1)))

    page = labels("JOB_STATUS_LABELS")
    assert page == {key: STATUS_LABELS[key] for key in page}
    assert len(page) == 6
    assert labels("QC_LABELS") == QC_LABELS


@pytest.mark.parametrize("chunk", [1000, 2])
async def test_an_export_of_ids_keeps_their_order(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Ids are exported in the order given (the API's promise; rerun keeps it too), not by
    creation: in one chunk or several, past unknown ids, and with other terms holding."""
    import genfactory.exports as exports

    monkeypatch.setattr(exports, "CHUNK", chunk)
    given = [JOBS[2]["id"], "f" * 32, "e" * 32, JOBS[0]["id"], JOBS[1]["id"]]
    assert [j["created_at"] for j in JOBS] == sorted(j["created_at"] for j in JOBS)
    result = await export_jobs(
        db,
        BlobStore(tmp_path / "blobs"),
        JobFilter(ids=tuple(given)),
        tmp_path / "ids.xlsx",
        filters=[("ids", len(given))],
    )
    assert result.jobs == 3
    book = openpyxl.load_workbook(result.path)
    assert [row[0] for row in cells(book["Jobs"])[1:]] == [JOBS[2]["id"], *given[3:]]
    # Images follow their jobs.
    assert [row[1] for row in cells(book["Images"])[1:]] == [JOBS[0]["id"]] * 2
    assert ["jobs", 3] in cells(book["Filters"])

    only = JobFilter(ids=tuple(given), statuses=(JobStatus(JOBS[1]["status"]),))
    again = await export_jobs(
        db, BlobStore(tmp_path / "blobs"), only, tmp_path / "ids2.xlsx", filters=[]
    )
    rows = cells(openpyxl.load_workbook(again.path)["Jobs"])[1:]
    assert [row[0] for row in rows] == [
        i for i in given if any(j["id"] == i and j["status"] == JOBS[1]["status"] for j in JOBS)
    ]


async def test_ids_record_the_filters_they_were_picked_under(tmp_path: Path) -> None:
    """The Filters sheet of an export of ids: how many, then the filters of the page they
    were picked on (the request's ``selected_from``), statuses as the page names them."""
    from genfactory.exports import selected_from_rows

    rows = selected_from_rows(
        {"status": ["failed", "cancelled"], "q": "red", "configuration": [], "from": None}
    )
    assert rows == [("selected from: status", ["failed", "cancelled"]), ("selected from: q", "red")]
    assert selected_from_rows(None) == [] and selected_from_rows({}) == []
    path = tmp_path / "picked.xlsx"
    book = ExportWorkbook(path, blobs=BlobStore(tmp_path), filters=[("ids", 15), *rows])
    book.close()
    assert cells(openpyxl.load_workbook(path)["Filters"]) == [
        ["Filter", "Value"],
        ["ids", 15],
        ["selected from: status", "Failed, Stopped"],
        ["selected from: q", "red"],
    ]
