"""The Excel workbook of an export, written row by row in constant memory.

XlsxWriter's ``constant_memory`` mode flushes each row to a temporary file as soon as the
next row starts, so memory stays flat however many jobs are exported. Strings are always
written as text (never formulas or links: a prompt starting with ``=`` stays a prompt).

Sheets: **Jobs** (every column of the ``jobs`` table, the job's settings snapshot as one
column per setting, the configuration's settings; never secrets), **Images** (one row per
image with its QC verdict and file path) and **Filters** (what was exported, and when).
A sheet that reaches Excel's row limit continues in "Jobs (2)", "Images (2)", ….
"""

from __future__ import annotations

import contextlib
import json
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]
from xlsxwriter.worksheet import Worksheet  # type: ignore[import-untyped]

from genfactory.store.blobs import BlobStore
from genfactory.store.images import ImageRecord
from genfactory.store.jobs import JobRecord

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
JOB_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "status",
    "status_changed_at",
    "prompt",
    "label",
    "provider",
    "configuration_id",
    "configuration_name",
    "configuration_version",
    "rerun_of",
    "attempt",
    "max_attempts",
    "run_after",
    "lease_owner",
    "lease_expires_at",
    "started_at",
    "attempt_started_at",
    "finished_at",
    "last_seq",
    "stage",
    "percent",
    "step",
    "total_steps",
    "progress_message",
    "error",
    "image_count",
)
JOB_HEADERS = (
    *JOB_COLUMNS,
    "duration_seconds",
    *(f"param: {k}" for k in PARAM_COLUMNS),
    "params (other)",
    *(f"configuration: {k}" for k in CONFIG_COLUMNS),
)
IMAGE_HEADERS = (
    "id",
    "job",
    "index",
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


def clean(mapping: dict[str, Any] | None) -> dict[str, Any]:
    """``mapping`` without secret-looking keys (at any depth)."""
    if not mapping:
        return {}
    result: dict[str, Any] = {}
    for key, value in mapping.items():
        if SECRET_KEY.search(str(key)):
            continue
        result[key] = clean(value) if isinstance(value, dict) else value
    return result


#: 1970-01-01 as an Excel (1900 date system) day number.
_EXCEL_EPOCH = 25569.0


def _excel_time(value: float | None) -> float | None:
    """UNIX seconds as an Excel date-time serial (days), UTC — written as a number with a
    date format, which is what ``write_datetime`` does after converting a ``datetime``."""
    if value is None:
        return None
    return value / 86400.0 + _EXCEL_EPOCH


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def job_row(job: JobRecord, configuration: dict[str, Any] | None) -> list[Any]:
    row: list[Any] = []
    for name in JOB_COLUMNS:
        value = getattr(job, name)
        if name in TIME_COLUMNS:
            value = _excel_time(value)
        elif name == "status":
            value = job.status.value
        elif name == "error" and value:
            value = f"{value.get('code', '')}: {value.get('message', '')}"
        row.append(value)
    duration = None
    if job.started_at is not None and job.finished_at is not None:
        duration = round(job.finished_at - job.started_at, 3)
    row.append(duration)
    params = clean(job.params)
    row.extend(_scalar(params.get(k)) for k in PARAM_COLUMNS)
    other = {k: v for k, v in params.items() if k not in PARAM_COLUMNS}
    row.append(json.dumps(other, sort_keys=True, default=str) if other else None)
    settings = clean(configuration)
    row.extend(_scalar(settings.get(k)) for k in CONFIG_COLUMNS)
    return row


class _Sheet:
    """One logical sheet that continues on a new worksheet at Excel's row limit."""

    def __init__(
        self,
        book: ExportWorkbook,
        name: str,
        headers: Sequence[str],
        time_headers: frozenset[str] = frozenset(),
    ) -> None:
        self.book = book
        self.name = name
        self.headers = headers
        self.time_columns = frozenset(n for n, h in enumerate(headers) if h in time_headers)
        self.parts = 0
        self.rows = 0
        self.worksheet = self._new_part()

    def _new_part(self) -> Worksheet:
        self.parts += 1
        title = self.name if self.parts == 1 else f"{self.name} ({self.parts})"
        worksheet = self.book.workbook.add_worksheet(title)
        worksheet.write_row(0, 0, self.headers, self.book.bold)
        worksheet.freeze_panes(1, 0)
        self.next_row = 1
        return worksheet

    def append(self, values: Sequence[Any]) -> None:
        """One row. Each value goes straight to the writer for its type (a third faster
        than ``write_row``'s generic dispatch); empty cells are not written at all."""
        if self.next_row >= EXCEL_MAX_ROWS:
            self.worksheet = self._new_part()
        sheet, row, times = self.worksheet, self.next_row, self.time_columns
        for column, value in enumerate(values):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                sheet.write_string(row, column, value)
            elif column in times:
                sheet.write_number(row, column, value, self.book.date_format)
            elif kind is bool:
                sheet.write_boolean(row, column, value)
            else:
                sheet.write_number(row, column, value)
        self.next_row += 1
        self.rows += 1


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
    ) -> None:
        self.path = path
        self.blobs = blobs
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
        self.jobs = _Sheet(self, "Jobs", JOB_HEADERS, TIME_COLUMNS)
        self.images = _Sheet(self, "Images", IMAGE_HEADERS, frozenset({"qc_at"}))
        self.filters = self.workbook.add_worksheet("Filters")
        self.filters.write_row(0, 0, ("filter", "value"), self.bold)
        for n, (key, value) in enumerate(filters, start=1):
            self.filters.write_row(n, 0, (key, _scalar(value)))
        self.zip_path = zip_path
        self.zip = (
            zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
            if zip_path is not None
            else None
        )
        self.image_files = 0
        self.missing_files = 0

    def add(
        self,
        chunk: Sequence[JobRecord],
        images: dict[str, list[ImageRecord]],
        configurations: dict[str, dict[str, Any]],
    ) -> None:
        for job in chunk:
            config = configurations.get(job.configuration_id or "")
            self.jobs.append(job_row(job, config))
            for image in images.get(job.id, ()):
                self.images.append(self._image_row(job, image))

    def _image_row(self, job: JobRecord, image: ImageRecord) -> list[Any]:
        stored = self.blobs.path(image.sha256, image.format)
        file = str(stored)
        if self.zip is not None:
            inside = f"images/{job.id}/{image.index + 1}.{image.format}"
            if stored.exists():
                self.zip.write(stored, inside)
                self.image_files += 1
                file = inside
            else:
                self.missing_files += 1
                file = f"(missing) {stored}"
        return [
            image.id,
            image.job_id,
            image.index,
            job.prompt,
            image.seed,
            f"{image.width}x{image.height}",
            image.format,
            image.bytes,
            image.qc_status,
            image.qc_reason,
            _excel_time(image.qc_at),
            file,
        ]

    def close(self) -> None:
        self.jobs.worksheet.autofilter(0, 0, 0, len(JOB_HEADERS) - 1)
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
