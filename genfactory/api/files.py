"""Image, thumbnail and preview bytes. Versioned and content-addressed URLs are immutable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse, RedirectResponse

from genfactory.api.deps import StateDep
from genfactory.api.errors import NOT_FOUND, problem
from genfactory.store import images as image_store
from genfactory.store import jobs as job_store
from genfactory.store.blobs import CONTENT_TYPES

router = APIRouter(tags=["files"])

IMMUTABLE = "public, max-age=31536000, immutable"
_IMAGE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}, "image/webp": {}, "image/jpeg": {}}}
}


@router.get(
    "/api/images/{image_id}/file",
    response_class=FileResponse,
    responses={**_IMAGE, **NOT_FOUND},
    summary="A generated image",
)
async def image_file(image_id: str, state: StateDep) -> Response:
    async with state.db.read() as conn:
        image = await image_store.get_image(conn, image_id)
    path = state.service.blobs.path(image.sha256, image.format)
    if not path.exists():
        return problem(404, "not_found", "The image file is missing from the data folder.")
    return FileResponse(
        path,
        media_type=CONTENT_TYPES.get(image.format, "application/octet-stream"),
        headers={"Cache-Control": IMMUTABLE, "ETag": f'"{image.sha256}"'},
        filename=f"{image.job_id[:8]}-{image.index + 1}.{image.format}",
        content_disposition_type="inline",
    )


@router.get(
    "/api/images/{image_id}/thumbnail",
    response_class=FileResponse,
    responses={**_IMAGE, **NOT_FOUND},
    summary="A 256 px WebP thumbnail",
)
async def image_thumbnail(image_id: str, state: StateDep) -> Response:
    async with state.db.read() as conn:
        image = await image_store.get_image(conn, image_id)
    path = state.service.blobs.path(image.thumb_sha256, "webp")
    if not path.exists():
        return problem(404, "not_found", "The thumbnail file is missing from the data folder.")
    return FileResponse(path, media_type="image/webp", headers={"Cache-Control": IMMUTABLE})


@router.get(
    "/api/jobs/{job_id}/preview/{version}",
    responses={**_IMAGE, **NOT_FOUND, 307: {"description": "An older version: go to the newest"}},
    summary="The job's newest preview",
)
async def preview(job_id: str, version: int, state: StateDep) -> Response:
    async with state.db.read() as conn:
        await job_store.get_job(conn, job_id)
        current = await image_store.get_preview(conn, job_id)
    if current is None:
        return problem(404, "not_found", "This job has no preview yet.")
    if current.version != version:
        return RedirectResponse(
            f"/api/jobs/{job_id}/preview/{current.version}",
            status_code=307,
            headers={"Cache-Control": "no-store"},
        )
    return Response(
        current.data, media_type=current.content_type, headers={"Cache-Control": IMMUTABLE}
    )
