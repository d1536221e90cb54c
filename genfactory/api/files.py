"""Image, thumbnail and preview bytes. Versioned and content-addressed URLs are immutable;
each answers ``HEAD`` and a conditional ``GET`` (``If-None-Match`` with its ETag → 304)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, RedirectResponse

from genfactory.api.deps import StateDep
from genfactory.api.errors import NOT_FOUND, problem
from genfactory.api.filters import IdPath
from genfactory.store import images as image_store
from genfactory.store import jobs as job_store
from genfactory.store.blobs import CONTENT_TYPES

router = APIRouter(tags=["files"])

IMMUTABLE = "public, max-age=31536000, immutable"
_IMAGE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}, "image/webp": {}, "image/jpeg": {}}}
}


_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the If-None-Match header named this ETag."}
}


def _cached(request: Request, etag: str) -> Response | None:
    """304 when the client already holds this version (RFC 9110 §13.1.2: ``If-None-Match``
    lists its ETags, or ``*``); None when the bytes must be sent."""
    given = request.headers.get("if-none-match")
    if given is None:
        return None
    tags = {tag.strip().removeprefix("W/") for tag in given.split(",")}
    if etag in tags or "*" in tags:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": IMMUTABLE})
    return None


@router.get(
    "/api/images/{image_id}/file",
    response_class=FileResponse,
    responses={**_IMAGE, **_NOT_MODIFIED, **NOT_FOUND},
    summary="A generated image",
)
async def image_file(image_id: IdPath, state: StateDep, request: Request) -> Response:
    async with state.db.read() as conn:
        image = await image_store.get_image(conn, image_id)
    etag = f'"{image.sha256}"'
    if (unchanged := _cached(request, etag)) is not None:
        return unchanged
    path = state.service.blobs.path(image.sha256, image.format)
    if not path.exists():
        return problem(404, "not_found", "The image file is missing from the data folder.")
    return FileResponse(
        path,
        media_type=CONTENT_TYPES.get(image.format, "application/octet-stream"),
        headers={"Cache-Control": IMMUTABLE, "ETag": etag},
        filename=f"{image.job_id[:8]}-{image.index + 1}.{image.format}",
        content_disposition_type="inline",
    )


@router.get(
    "/api/images/{image_id}/thumbnail",
    response_class=FileResponse,
    responses={**_IMAGE, **_NOT_MODIFIED, **NOT_FOUND},
    summary="A 256 px WebP thumbnail",
)
async def image_thumbnail(image_id: IdPath, state: StateDep, request: Request) -> Response:
    async with state.db.read() as conn:
        image = await image_store.get_image(conn, image_id)
    etag = f'"{image.thumb_sha256}"'
    if (unchanged := _cached(request, etag)) is not None:
        return unchanged
    path = state.service.blobs.path(image.thumb_sha256, "webp")
    if not path.exists():
        return problem(404, "not_found", "The thumbnail file is missing from the data folder.")
    return FileResponse(
        path, media_type="image/webp", headers={"Cache-Control": IMMUTABLE, "ETag": etag}
    )


@router.get(
    "/api/jobs/{job_id}/preview/{version}",
    responses={
        **_IMAGE,
        **_NOT_MODIFIED,
        **NOT_FOUND,
        307: {"description": "An older version: go to the newest"},
    },
    summary="The job's newest preview",
)
async def preview(job_id: IdPath, version: int, state: StateDep, request: Request) -> Response:
    async with state.db.read() as conn:
        await job_store.get_job(conn, job_id)
        current = await image_store.get_preview(conn, job_id)
    if current is None:
        return problem(404, "not_found", "This job has no preview yet.")
    if version > current.version or version < 1:
        return problem(404, "not_found", f"This job has no preview version {version}.")
    if current.version != version:
        return RedirectResponse(
            f"/api/jobs/{job_id}/preview/{current.version}",
            status_code=307,
            headers={"Cache-Control": "no-store"},
        )
    etag = f'"{job_id}-{version}"'
    if (unchanged := _cached(request, etag)) is not None:
        return unchanged
    return Response(
        current.data,
        media_type=current.content_type,
        headers={"Cache-Control": IMMUTABLE, "ETag": etag},
    )


# HEAD answers like GET without the body (the servers drop it); one operation in the schema.
for _path, _endpoint in (
    ("/api/images/{image_id}/file", image_file),
    ("/api/images/{image_id}/thumbnail", image_thumbnail),
    ("/api/jobs/{job_id}/preview/{version}", preview),
):
    router.add_api_route(_path, _endpoint, methods=["HEAD"], include_in_schema=False)
