"""The Excel workbook of an export, written a chunk of rows at a time in constant memory.

XlsxWriter's ``constant_memory`` mode keeps each sheet's rows in a temporary file, so memory
stays flat however many jobs are exported; the Jobs and Images rows are rendered a chunk at
a time by :class:`~genfactory.exports._worksheet.RowsWorksheet` (the same XML XlsxWriter
writes cell by cell, in a fifth of the time). Strings are always written as text (never
formulas or links: a prompt starting with ``=`` stays a prompt).

Sheets: **Jobs** (every column of the ``jobs`` table, its images by QC verdict, the job's
settings snapshot as one column per setting, the configuration's settings; never secrets),
**Images** (one row per image with its QC verdict and file path) and **Filters** (what was
exported, and when). Columns are wide enough to read a date-time or an id.
A sheet that reaches Excel's row limit continues in "Jobs (2)", "Images (2)", ….
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter  # type: ignore[import-untyped]

from genfactory.exports._worksheet import RowsWorksheet
from genfactory.store.blobs import BlobStore

#: A ``jobs`` or ``images`` row: the export reads rows as SQLAlchemy returns them (attribute
#: access by column name) — building a record object per row would cost a tenth of the
#: export's time for nothing.
JobRow = Any
ImageRow = Any

EXCEL_MAX_ROWS = 1_048_576
#: The settings every job snapshot has (one column each); anything else lands in
#: "params (other)" as JSON.
PARAM_COLUMNS = ("size", "width", "height", "steps", "count", "style", "seed")
CONFIG_COLUMNS = ("provider", "model", "size", "steps", "style", "count", "output_format", "qc")
#: Keys never exported, wherever they appear (settings hold no secrets by design; this is
#: the belt to those braces).
SECRET_KEY = re.compile(r"secret|token|passw|api[_-]?key|credential|auth", re.IGNORECASE)
TIME_COLUMNS = frozenset(
    {
        "created_at",
        "updated_at",
        "status_changed_at",
        "run_after",
        "lease_expires_at",
        "started_at",
        "attempt_started_at",
        "finished_at",
    }
)
#: The ``jobs`` columns the Jobs sheet starts with, each with its header.
JOB_FIELDS = (
    ("id", "Job ID"),
    ("created_at", "Created"),
    ("updated_at", "Updated"),
    ("status", "Status"),
    ("status_changed_at", "Status changed"),
    ("prompt", "Prompt"),
    ("label", "Label"),
    ("provider", "Provider"),
    ("configuration_id", "Configuration ID"),
    ("configuration_name", "Configuration"),
    ("configuration_version", "Configuration version"),
    ("rerun_of", "Rerun of"),
    ("attempt", "Attempt"),
    ("max_attempts", "Max attempts"),
    ("run_after", "Run after"),
    ("lease_owner", "Lease owner"),
    ("lease_expires_at", "Lease expires"),
    ("started_at", "Started"),
    ("attempt_started_at", "Attempt started"),
    ("finished_at", "Finished"),
    ("last_seq", "Last event seq"),
    ("stage", "Stage"),
    ("percent", "Percent"),
    ("step", "Step"),
    ("total_steps", "Total steps"),
    ("progress_message", "Progress message"),
    ("error", "Error"),
    ("image_count", "Images"),
)
JOB_COLUMNS = tuple(key for key, _ in JOB_FIELDS)
#: Each job's images by QC verdict (what the Jobs page's Images column shows).
QC_STATUSES = ("passed", "failed", "pending")
#: Statuses as the Jobs page names them (its badges and filter chips, ``copy-jobs.js``
#: ``JOB_STATUS_LABELS``): a person who exported the "Stopped" jobs finds "Stopped" in the
#: file. The filter's own words (``pending``, ``stopped``, ``all``) read the same way.
STATUS_LABELS = {
    "queued": "Pending",
    "running": "Running",
    "uploading": "Uploading",
    "completed": "Completed",
    "failed": "Failed",
    "cancelled": "Stopped",
    "pending": "Pending",
    "stopped": "Stopped",
    "all": "All",
}
#: QC verdicts as the pages name them (``copy-jobs.js`` ``QC_LABELS``).
QC_LABELS = {"passed": "Passed", "failed": "Failed", "pending": "Pending"}
#: Every Jobs sheet column, by key (the header a person reads is in :data:`TITLES`).
JOB_KEYS = (
    *JOB_COLUMNS,
    *(f"qc: {status}" for status in QC_STATUSES),
    "duration_seconds",
    *(f"param: {k}" for k in PARAM_COLUMNS),
    "params (other)",
    *(f"configuration: {k}" for k in CONFIG_COLUMNS),
)
IMAGE_KEYS = (
    "id",
    "job",
    "number",
    "prompt",
    "seed",
    "size",
    "format",
    "bytes",
    "qc_status",
    "qc_reason",
    "qc_at",
    "file",
)
TITLES: dict[str, str] = {
    **dict(JOB_FIELDS),
    **{f"qc: {status}": f"QC {status}" for status in QC_STATUSES},
    "duration_seconds": "Duration (s)",
    **{f"param: {k}": k.capitalize() for k in PARAM_COLUMNS},
    "params (other)": "Other settings (JSON)",
    **{f"configuration: {k}": f"Configuration {k.replace('_', ' ')}" for k in CONFIG_COLUMNS},
    "configuration: qc": "Configuration quality checks",
    "number": "Image",
    "qc_status": "QC status",
    "qc_reason": "QC reason",
    "qc_at": "QC checked",
    "file": "File",
}
IMAGE_TIME_KEYS = frozenset({"qc_at"})


#: The Images sheet's own titles, where a key means something else than on the Jobs sheet.
IMAGE_TITLES = {
    **TITLES,
    "id": "Image ID",
    "job": "Job ID",
    "seed": "Seed",
    "size": "Size",
    "format": "Format",
    "bytes": "Bytes",
}


def headers(
    keys: Sequence[str], time_keys: frozenset[str], zone: str, titles: dict[str, str] = TITLES
) -> list[str]:
    """The header row of a sheet: each column's title, a time column's with its zone
    ("Created (Europe/Berlin)")."""
    return [f"{titles[k]} ({zone})" if k in time_keys else titles[k] for k in keys]


#: Column widths, in characters, where a header's own length is not enough (ids, text); a
#: date-time column is 20 wide, so that Excel shows its value instead of "#####".
COLUMN_WIDTHS = {
    "id": 34,
    "job": 34,
    "configuration_id": 34,
    "rerun_of": 34,
    "prompt": 48,
    "label": 24,
    "configuration_name": 24,
    "lease_owner": 24,
    "progress_message": 28,
    "error": 40,
    "params (other)": 30,
    "qc_reason": 40,
    "file": 60,
    # A seed has up to 10 digits; narrower, Excel shows it as 1.66E+09.
    "param: seed": 13,
    "seed": 13,
    "bytes": 10,
}
DATE_TIME_WIDTH = 20


def column_width(key: str, title: str, date_time: bool = False) -> int:
    """Characters wide: enough for the column's values and its header (up to 40)."""
    least = DATE_TIME_WIDTH if date_time else 8
    return max(COLUMN_WIDTHS.get(key, 0), min(len(title) + 2, 40), least)


@functools.lru_cache(maxsize=4096)
def _secret(key: str) -> bool:
    return SECRET_KEY.search(key) is not None


def clean(mapping: dict[str, Any] | None) -> dict[str, Any]:
    """``mapping`` without secret-looking keys (at any depth)."""
    if not mapping:
        return {}
    result: dict[str, Any] = {}
    for key, value in mapping.items():
        if _secret(str(key)):
            continue
        result[key] = clean(value) if isinstance(value, dict) else value
    return result


#: 1970-01-01 as an Excel (1900 date system) day number.
_EXCEL_EPOCH = 25569.0


class ExcelClock:
    """UNIX seconds as Excel date-time serials (days) on the wall clock of one time zone
    (UTC without one): Excel has no time zones, so a cell holds the local time its reader
    expects, and the header names the zone. Written as a number with a date format, which
    is what ``write_datetime`` does after converting a ``datetime``.

    A zone's offset is looked up once per quarter hour of time (offsets change on quarter
    hours), not once per cell: an export converts up to eight times per job.
    """

    def __init__(self, zone: ZoneInfo | None = None) -> None:
        self.zone = zone
        self.name = zone.key if zone is not None else "UTC"
        self._offsets: dict[int, float | None] = {}

    def serial(self, value: float | None) -> float | None:
        if value is None:
            return None
        if self.zone is None:
            return value / 86400.0 + _EXCEL_EPOCH
        quarter = int(value // 900)
        offset = self._offsets.get(quarter, 0.0)
        if offset == 0.0 and quarter not in self._offsets:
            offset = self._offsets[quarter] = self._steady_offset(quarter)
        if offset is None:  # the offset changes inside this quarter hour: look it up
            offset = self._offset(value)
        return (value + offset) / 86400.0 + _EXCEL_EPOCH

    def _offset(self, value: float) -> float:
        delta = datetime.fromtimestamp(value, self.zone).utcoffset()
        return delta.total_seconds() if delta is not None else 0.0

    def _steady_offset(self, quarter: int) -> float | None:
        start = self._offset(quarter * 900.0)
        return start if self._offset(quarter * 900.0 + 899.999) == start else None

    def now(self) -> datetime:
        """The present moment on this clock's wall (no zone: Excel has none), to the second."""
        return datetime.now(self.zone or UTC).replace(tzinfo=None, microsecond=0)


UTC_CLOCK = ExcelClock()


def parse_time_zone(name: str) -> ZoneInfo:
    """The IANA time zone called ``name``; ValueError with a readable message if none is."""
    try:
        return ZoneInfo(name.strip())
    except (ValueError, KeyError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(
            f"Unknown time zone {name!r}. Use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC."
        ) from exc


def _status_label(value: Any) -> str:
    return STATUS_LABELS.get(str(value), str(value))


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, sort_keys=True, default=str)


_IMAGE_QC = IMAGE_KEYS.index("qc_status")
_TIME_AT = tuple(n for n, name in enumerate(JOB_COLUMNS) if name in TIME_COLUMNS)
_ERROR_AT = JOB_COLUMNS.index("error")
_STATUS_AT = JOB_COLUMNS.index("status")
_STAGE_AT = JOB_COLUMNS.index("stage")
_STARTED_AT = JOB_COLUMNS.index("started_at")
_FINISHED_AT = JOB_COLUMNS.index("finished_at")


def positions(row: Any, names: Sequence[str]) -> list[int]:
    """Where ``names`` sit in a result row (reading by position is the cheap way)."""
    fields = list(row._fields)
    return [fields.index(name) for name in names]


def job_row(
    job: JobRow,
    at: Sequence[int],
    configuration: Sequence[Any],
    qc: Sequence[int] = (0, 0, 0),
    clock: ExcelClock = UTC_CLOCK,
) -> list[Any]:
    """The Jobs sheet row of ``job``: ``at`` = :func:`positions` of ``JOB_COLUMNS`` and
    ``params`` in the row; ``configuration`` = :func:`configuration_cells`; ``qc`` = how
    many of its images are in each of :data:`QC_STATUSES`; times on ``clock``."""
    row: list[Any] = [job[i] for i in at]
    started, finished = row[_STARTED_AT], row[_FINISHED_AT]
    serial = clock.serial
    for n in _TIME_AT:
        if row[n] is not None:
            row[n] = serial(row[n])
    for n in (_STATUS_AT, _STAGE_AT):
        row[n] = STATUS_LABELS.get(row[n], row[n])
    error = row[_ERROR_AT]
    if error:
        row[_ERROR_AT] = f"{error.get('code', '')}: {error.get('message', '')}"
    params = clean(row.pop())
    row.extend(qc)
    row.append(round(finished - started, 3) if started is not None and finished else None)
    row.extend(_scalar(params.get(k)) for k in PARAM_COLUMNS)
    other = {k: v for k, v in params.items() if k not in PARAM_COLUMNS}
    row.append(json.dumps(other, sort_keys=True, default=str) if other else None)
    row.extend(configuration)
    return row


def configuration_cells(configuration: dict[str, Any] | None) -> list[Any]:
    settings = clean(configuration)
    return [_scalar(settings.get(k)) for k in CONFIG_COLUMNS]


class _Sheet:
    """One logical sheet that continues on a new worksheet at Excel's row limit."""

    def __init__(
        self,
        book: ExportWorkbook,
        name: str,
        keys: Sequence[str],
        time_keys: frozenset[str] = frozenset(),
        titles: dict[str, str] = TITLES,
    ) -> None:
        self.book = book
        self.name = name
        self.keys = keys
        self.headers = headers(keys, time_keys, book.clock.name, titles)
        self.time_columns = frozenset(n for n, k in enumerate(keys) if k in time_keys)
        self.parts = 0
        self.rows = 0
        self.worksheet = self._new_part()

    def _new_part(self) -> RowsWorksheet:
        self.parts += 1
        title = self.name if self.parts == 1 else f"{self.name} ({self.parts})"
        worksheet: RowsWorksheet = self.book.workbook.add_worksheet(
            title, worksheet_class=RowsWorksheet
        )
        worksheet.start(
            self.headers,
            header_format=self.book.bold,
            date_format=self.book.date_format,
            date_columns=self.time_columns,
        )
        for column, (key, title) in enumerate(zip(self.keys, self.headers, strict=True)):
            width = column_width(key, title, column in self.time_columns)
            worksheet.set_column(column, column, width)
        worksheet.freeze_panes(1, 0)
        return worksheet

    def extend(self, rows: Sequence[Sequence[Any]]) -> None:
        """Append ``rows``, starting a new part where the current one is full."""
        done = 0
        while done < len(rows):
            room = self.book.rows_per_sheet - self.worksheet.rows
            if room <= 0:
                self.worksheet = self._new_part()
                continue
            batch = rows[done : done + room]
            self.worksheet.write_rows(batch)
            done += len(batch)
        self.rows += len(rows)


class ExportWorkbook:
    """Write jobs and their images chunk by chunk; :meth:`close` finishes the file(s).

    With ``zip_path`` the image files are streamed into a ZIP as their rows are written,
    and the workbook joins them at the end (the ``file`` column then holds the path inside
    the ZIP). Synchronous: the export runs it in a worker thread.
    """

    def __init__(
        self,
        path: Path,
        *,
        blobs: BlobStore,
        filters: Sequence[tuple[str, Any]],
        zip_path: Path | None = None,
        rows_per_sheet: int = EXCEL_MAX_ROWS,
        clock: ExcelClock = UTC_CLOCK,
    ) -> None:
        self.path = path
        self.clock = clock
        self.blobs = blobs
        self._blob_root = str(blobs.root)
        #: Rows a worksheet holds, its header included (smaller in tests).
        self.rows_per_sheet = rows_per_sheet
        self.workbook = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "default_date_format": "yyyy-mm-dd hh:mm:ss",
                "tmpdir": str(path.parent),
            },
        )
        self.bold = self.workbook.add_format({"bold": True})
        self.date_format = self.workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.jobs = _Sheet(self, "Jobs", JOB_KEYS, TIME_COLUMNS)
        self.images = _Sheet(self, "Images", IMAGE_KEYS, IMAGE_TIME_KEYS, IMAGE_TITLES)
        self.filters = self.workbook.add_worksheet("Filters")
        self.filters.set_column(0, 0, 24)
        self.filters.set_column(1, 1, 60)
        self.filters.write_row(0, 0, ("Filter", "Value"), self.bold)
        for n, (key, value) in enumerate(filters, start=1):
            if isinstance(value, datetime):  # "exported at": a date-time cell, as on the sheets
                self.filters.write_string(n, 0, key)
                self.filters.write_datetime(n, 1, value, self.date_format)
            elif key.rpartition(": ")[2] == "status" and isinstance(value, list):
                self.filters.write_row(n, 0, (key, ", ".join(_status_label(v) for v in value)))
            else:
                self.filters.write_row(n, 0, (key, _scalar(value)))
        self.zip_path = zip_path
        self.zip = (
            zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
            if zip_path is not None
            else None
        )
        self.image_files = 0
        self.missing_files = 0
        self._job_at: list[int] | None = None
        self._image_at: list[int] | None = None

    def add(
        self,
        chunk: Sequence[JobRow],
        images: dict[str, list[ImageRow]],
        configurations: dict[str, dict[str, Any]],
    ) -> None:
        cells = {key: configuration_cells(value) for key, value in configurations.items()}
        none = configuration_cells(None)
        if chunk and self._job_at is None:
            self._job_at = positions(chunk[0], (*JOB_COLUMNS, "params"))
        job_at = self._job_at or []
        job_rows = []
        image_rows = []
        for job in chunk:
            qc = dict.fromkeys((QC_LABELS[status] for status in QC_STATUSES), 0)  # row's words
            for image in images.get(job.id, ()):
                row = self._image_row(job, image)
                if row[_IMAGE_QC] in qc:
                    qc[row[_IMAGE_QC]] += 1
                image_rows.append(row)
            configuration = cells.get(job.configuration_id or "", none)
            job_rows.append(job_row(job, job_at, configuration, tuple(qc.values()), self.clock))
        self.jobs.extend(job_rows)
        self.images.extend(image_rows)

    #: The ``images`` columns an Images row is made of (the export reads only these).
    IMAGE_FIELDS = (
        "id",
        "job_id",
        "index",
        "seed",
        "width",
        "height",
        "format",
        "bytes",
        "qc_status",
        "qc_reason",
        "qc_at",
        "sha256",
    )

    def _image_row(self, job: JobRow, row: ImageRow) -> list[Any]:
        if self._image_at is None:
            self._image_at = positions(row, self.IMAGE_FIELDS)
        (
            image_id,
            job_id,
            index,
            seed,
            width,
            height,
            fmt,
            size,
            qc_status,
            qc_reason,
            qc_at,
            sha256,
        ) = (row[i] for i in self._image_at)
        if self.zip is None:
            # BlobStore.path's layout as text: building a Path costs 5 µs an image, near a
            # tenth of the export (tests/unit/exports/test_xlsx.py checks the two agree).
            root, sep = self._blob_root, os.sep
            file = f"{root}{sep}{sha256[:2]}{sep}{sha256[2:4]}{sep}{sha256}.{fmt}"
        else:
            stored = self.blobs.path(sha256, fmt)
            file = str(stored)
            inside = f"images/{job.id}/{index + 1}.{fmt}"
            if stored.exists():
                self.zip.write(stored, inside)
                self.image_files += 1
                file = inside
            else:
                self.missing_files += 1
                file = f"(missing) {stored}"
        return [
            image_id,
            job_id,
            index + 1,  # "Image 2" is images/<job>/2.png in the ZIP, and #2 on the pages
            job.prompt,
            seed,
            f"{width}x{height}",
            fmt,
            size,
            QC_LABELS.get(qc_status, qc_status),
            qc_reason,
            self.clock.serial(qc_at),
            file,
        ]

    def close(self) -> None:
        self.jobs.worksheet.autofilter(0, 0, 0, len(JOB_KEYS) - 1)
        self.images.worksheet.autofilter(0, 0, 0, len(IMAGE_KEYS) - 1)
        self.workbook.close()
        if self.zip is not None:
            self.zip.write(self.path, "jobs.xlsx")
            self.zip.close()

    def abort(self) -> None:
        """Give up: close what is open (the caller removes the files)."""
        with contextlib.suppress(Exception):  # a second failure tells nothing new
            self.workbook.close()
        if self.zip is not None:
            self.zip.close()
