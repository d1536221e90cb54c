"""Image routes: find images by the start of their id, regenerate a failed image, a job's
regenerations, and one ZIP download of selected images. (Image bytes live in ``files.py``;
manual review in ``management.py``.)"""

from __future__ import annotations

import asyncio
import csv
import io
import time
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from genfactory.api.deps import StateDep
from genfactory.api.errors import CONFLICT, NOT_FOUND
from genfactory.api.filters import IdPath
from genfactory.api.jobs import job_public
from genfactory.api.schemas import JobPublic
from genfactory.core.regenerate import request_regeneration
from genfactory.domain.errors import NotFound
from genfactory.domain.events import iso_time
from genfactory.store import images as image_store
from genfactory.store import jobs as job_store
from genfactory.store import regenerations as regen_store
from genfactory.store.blobs import BlobStore
from genfactory.store.images import ImageRecord
from genfactory.store.regenerations import RegenerationRecord

router = APIRouter(tags=["images"])

VALIDATION: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid input: the field and a readable message"}
}
#: The most images one ZIP download may name.
MAX_EXPORT_IMAGES = 10_000
ImageId = Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,64}$")]


# -- schemas ----------------------------------------------------------------------------


class RegenerationCreate(BaseModel):
    """Optional: the seed of the new image (a random one when not given)."""

    model_config = ConfigDict(extra="forbid")

    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)


class RegenerationPublic(BaseModel):
    """A request to remake a failed image, and how it ended."""

    id: str
    job_id: str
    source_image_id: str = Field(description="The failed image being replaced (it stays).")
    source_index: int
    seed: int = Field(description="The seed of the new image.")
    status: str = Field(
        description="pending (the job is queued or running for it), completed (the new "
        "image is stored, whatever its QC verdict), failed (the provider gave up; see "
        "error) or cancelled. The job is completed again in every case but pending."
    )
    image_id: str | None = Field(description="The new image, once stored.")
    image_index: int | None
    qc_status: str | None = Field(description="The new image's QC verdict when it was made.")
    error: dict[str, Any] | None = Field(description="Why the provider gave up (failed).")
    created_at: str
    finished_at: str | None

    @classmethod
    def build(cls, record: RegenerationRecord) -> RegenerationPublic:
        return cls(
            id=record.id,
            job_id=record.job_id,
            source_image_id=record.source_image_id,
            source_index=record.source_index,
            seed=record.seed,
            status=record.status.value,
            image_id=record.image_id,
            image_index=record.image_index,
            qc_status=record.qc_status,
            error=record.error,
            created_at=iso_time(record.created_at),
            finished_at=iso_time(record.finished_at) if record.finished_at else None,
        )


class RegenerationQueued(BaseModel):
    regeneration: RegenerationPublic
    job: JobPublic = Field(description="The job, queued again for the new image.")


class ImageExportCreate(BaseModel):
    """The images to download, as one ZIP."""

    model_config = ConfigDict(extra="forbid")

    ids: list[ImageId] = Field(
        min_length=1, max_length=MAX_EXPORT_IMAGES, description="1 to 10,000 image ids."
    )


class ImageRef(BaseModel):
    """An image's whole id, its job and its place in the job (``index`` 0 is image 1)."""

    id: str
    job_id: str
    index: int


# -- find by id prefix ------------------------------------------------------------------


@router.get(
    "/api/images",
    response_model=list[ImageRef],
    responses=VALIDATION,
    summary="Images whose id starts with the given characters (short ids)",
)
async def find_images(
    state: StateDep,
    id_prefix: Annotated[
        str,
        Query(
            min_length=6,
            max_length=64,
            pattern=r"^[0-9A-Za-z_-]+$",
            description="The first 6 or more characters of an image id.",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=100, description="Most images returned.")] = 10,
) -> list[ImageRef]:
    """The images whose id starts with ``id_prefix``, by id, at most ``limit`` of them: a
    client that shows short ids takes them back this way (more than one is ambiguous).
    An empty list when none does."""
    async with state.db.read() as conn:
        found = await image_store.image_refs_starting(conn, id_prefix, limit)
    return [ImageRef(id=id_, job_id=job_id, index=index) for id_, job_id, index in found]


# -- regenerate -------------------------------------------------------------------------


@router.post(
    "/api/images/{image_id}/regenerate",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RegenerationQueued,
    responses={**NOT_FOUND, **CONFLICT, **VALIDATION},
    summary="Make a new image in place of a failed one (same job, new seed)",
)
async def regenerate_image(
    image_id: IdPath,
    state: StateDep,
    body: Annotated[RegenerationCreate | None, Body()] = None,
) -> RegenerationQueued:
    """Only an image whose QC status is ``failed`` (by the checks or a reviewer), of a
    ``completed`` job; 409 otherwise, saying why. The job goes back to the queue (a new
    attempt) and its worker makes one image with the job's settings and the new seed; it
    is stored as the job's next image (the failed one stays) and checked, near-duplicates
    against the job's other images included. The job then completes again with one more
    image. If the provider gives up or the job is cancelled meanwhile, the job returns to
    ``completed`` with the images it had (the regeneration says ``failed`` or
    ``cancelled``). Follow the job's event stream, or ``GET
    /api/jobs/{id}/regenerations``."""
    seed = body.seed if body is not None else None
    regeneration, job = await request_regeneration(state.service, image_id, seed)
    return RegenerationQueued(
        regeneration=RegenerationPublic.build(regeneration), job=await job_public(state, job)
    )


@router.get(
    "/api/jobs/{job_id}/regenerations",
    response_model=list[RegenerationPublic],
    responses=NOT_FOUND,
    summary="The job's image regenerations, oldest first",
)
async def list_regenerations(job_id: IdPath, state: StateDep) -> list[RegenerationPublic]:
    async with state.db.read() as conn:
        await job_store.get_job(conn, job_id)
        records = await regen_store.job_regenerations(conn, job_id)
    return [RegenerationPublic.build(r) for r in records]


# -- export selected images -------------------------------------------------------------

MANIFEST_COLUMNS = (
    "file",
    "image_id",
    "job_id",
    "number",
    "seed",
    "width",
    "height",
    "format",
    "bytes",
    "qc_status",
    "qc_reason",
    "regenerated_from",
    "note",
)


@dataclass(frozen=True)
class _Entry:
    """One requested id: its image (None if unknown) and where it goes in the ZIP."""

    image_id: str
    image: ImageRecord | None
    regenerated_from: str | None

    @property
    def name(self) -> str:
        image = self.image
        return "" if image is None else f"images/{image.job_id}/{image.index + 1}.{image.format}"


@router.post(
    "/api/images/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/zip": {}},
            "description": "The ZIP, streamed",
            "headers": {
                "X-Images-Found": {
                    "description": "Distinct ids that name an image.",
                    "schema": {"type": "integer"},
                },
                "X-Images-Missing": {
                    "description": "Distinct ids with no file in the ZIP: unknown ids and "
                    "images whose file is missing from the data folder.",
                    "schema": {"type": "integer"},
                },
                "X-Image-Files-Missing": {
                    "description": "Known images whose file is missing from the data "
                    "folder (counted in X-Images-Missing too); manifest.csv notes them.",
                    "schema": {"type": "integer"},
                },
            },
        },
        **NOT_FOUND,
        **VALIDATION,
    },
    summary="Download selected images as one ZIP (with a manifest)",
)
async def export_images(body: ImageExportCreate, state: StateDep) -> StreamingResponse:
    """The ZIP holds ``images/<job id>/<n>.<ext>`` for each image (``n`` is its number as
    the gallery shows it: index + 1) and ``manifest.csv``: one row per requested id, in
    the order given (duplicates once), with the image's job, number, seed, size, format,
    bytes, QC status and reason, and the image it regenerated (if any). An unknown id, or
    an image whose file is missing from the data folder, is a row with a ``note`` and no
    file; if none of the ids is known the answer is 404. The ZIP is written while it is
    sent (files stored, not recompressed: they are PNG/WebP/JPEG already), so memory stays
    flat however many images are asked for.

    Response headers: ``X-Images-Found``, the distinct ids that name an image;
    ``X-Images-Missing``, the distinct ids whose file is not in the ZIP (unknown ids plus
    known images whose file is missing); ``X-Image-Files-Missing``, those of them that are
    known images whose file is missing from the data folder. The ZIP holds
    ``X-Images-Found - X-Image-Files-Missing`` images."""
    ids = list(dict.fromkeys(body.ids))
    async with state.db.read() as conn:
        found = await image_store.images_by_id(conn, ids)
        sources = await regen_store.sources_of(conn, list(found))
    if not found:
        many = f"No image has any of these {len(ids)} ids."
        raise NotFound("No image has that id." if len(ids) == 1 else many)
    entries = [_Entry(i, found.get(i), sources.get(i)) for i in ids]
    # The headers go out before the first file is read, so the files are looked for now:
    # a ZIP that only lists a missing file must not pass for a complete download.
    blobs = state.service.blobs
    files_missing = await asyncio.to_thread(
        lambda: sum(not blobs.path(i.sha256, i.format).is_file() for i in found.values())
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        _zip_stream(state.service.blobs, entries),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="images-{stamp}.zip"',
            "Cache-Control": "no-store",
            "X-Images-Found": str(len(found)),
            "X-Images-Missing": str(len(ids) - len(found) + files_missing),
            "X-Image-Files-Missing": str(files_missing),
        },
    )


class _Sink(io.RawIOBase):
    """A write-only, unseekable file for :class:`zipfile.ZipFile` that hands out what was
    written so far (``take``), so the ZIP can be sent while it is being written."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0
        self.pending = 0  # bytes written and not taken yet

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        self.pending += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.pending = 0
        return data


async def _zip_stream(blobs: BlobStore, entries: list[_Entry]) -> AsyncIterator[bytes]:
    """Each image's file, then the manifest, then the ZIP's directory. File reads happen in
    a worker thread; at most one image is in memory at a time."""
    sink = _Sink()
    notes: dict[str, str] = {}
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for entry in entries:
            image = entry.image
            if image is None:
                notes[entry.image_id] = "no image with this id"
                continue
            data = await asyncio.to_thread(_read, blobs, image)
            if data is None:
                notes[entry.image_id] = "the image file is missing from the data folder"
                continue
            archive.writestr(_info(entry.name, image.created_at), data)
            yield sink.take()
        with archive.open(_info("manifest.csv", time.time()), "w") as manifest:
            manifest.write(b"\xef\xbb\xbf")  # a BOM, so spreadsheets read UTF-8
            for line in _manifest_lines(entries, notes):
                manifest.write(line.encode())
                if sink.pending > 65_536:
                    yield sink.take()
    yield sink.take()


def _read(blobs: BlobStore, image: ImageRecord) -> bytes | None:
    try:
        return blobs.path(image.sha256, image.format).read_bytes()
    except FileNotFoundError:
        return None


def _info(name: str, epoch: float) -> zipfile.ZipInfo:
    moment = datetime.fromtimestamp(max(epoch, 315_532_800), UTC)  # ZIP times start in 1980
    info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
    return info


def _manifest_lines(entries: list[_Entry], notes: dict[str, str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    for entry in entries:
        image = entry.image
        note = notes.get(entry.image_id, "")
        if image is None:
            row: list[Any] = ["", entry.image_id, *[""] * 10, note]
        else:
            row = [
                "" if note else entry.name,
                image.id,
                image.job_id,
                image.index + 1,
                image.seed,
                image.width,
                image.height,
                image.format,
                image.bytes,
                image.qc_status,
                _cell(image.qc_reason or ""),
                entry.regenerated_from or "",
                note,
            ]
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _cell(text: str) -> str:
    """Free text a spreadsheet must not take for a formula (OWASP's CSV-injection advice)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
