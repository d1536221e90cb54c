"""Page routes: the server-rendered HTML shells of the web UI, and its static files.

Each page is a small Jinja2 shell (title, description and Open Graph tags, job-specific
on ``/jobs/{id}``) that loads one ES module; the module gets its data from the API (the
progress page's shell embeds its first data). No build step, nothing fetched from
elsewhere, no inline script or style: every HTML page is sent with a strict
Content-Security-Policy. The progress page loads its modules and styles joined into one
file each (:mod:`genfactory.web.assets`), served from memory under ``/static/bundle/``.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from genfactory import __version__
from genfactory.api.auth import TOKEN_COOKIE
from genfactory.api.deps import StateDep
from genfactory.api.errors import MAX_REQUEST_BYTES, problem
from genfactory.api.jobs import job_public
from genfactory.api.schemas import PROMPT_MAX, ImagePublic, JobPublic
from genfactory.domain.errors import NotFound
from genfactory.store import events as event_store
from genfactory.store import images as image_store
from genfactory.store import jobs as job_store
from genfactory.store.search import MIN_ID_PREFIX
from genfactory.web.assets import BUNDLE_DIR, IMMUTABLE, Bundles, BundleSpec
from genfactory.web.qc_form import qc_form_fields

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
#: A job id as the pages and the CLI show it (its first characters; ids are 32 hex digits).
_SHORT_ID = re.compile(rf"[0-9a-f]{{{MIN_ID_PREFIX},31}}")
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

APP_NAME = "Gen Image Factory"

#: The pages' policy: only this server's own scripts, styles, images and connections.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "style-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)

PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    # The job page's meta tags change with the job: always revalidate.
    "Cache-Control": "no-cache",
}

DEFAULT_OG_IMAGE = "img/og-default.png"
DEFAULT_OG_SIZE = (1200, 630)

#: Stylesheets every page links, in cascade order (base.html).
BASE_SHEETS = ("css/tokens.css", "css/base.css", "css/components.css", "css/nav.css")

#: The joined files pages load instead of their many small ones.
BUNDLES = Bundles(
    STATIC,
    [
        BundleSpec("progress.js", entry="js/pages/progress.js"),
        BundleSpec("progress.css", sheets=(*BASE_SHEETS, "css/progress.css")),
    ],
)

templates = Jinja2Templates(directory=TEMPLATES)
templates.env.globals.update(
    app_name=APP_NAME,
    version=__version__,
    prompt_max=PROMPT_MAX,
    base_sheets=BASE_SHEETS,
    bundle_url=BUNDLES.url,
)


class RevalidatedStaticFiles(StaticFiles):
    """Static files that browsers revalidate (ETag → 304) on every load, so an upgrade
    never leaves a stale module in a cache; the round trip is cheap on a local server.

    The joined bundles (``bundle/<name>.<hash>.<ext>``) are the exception: their name
    changes with their content, so they are cached for a year and never asked again."""

    def file_response(self, *args: Any, **kwargs: Any) -> Any:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def get_response(self, path: str, scope: Scope) -> Response:
        folder, _, filename = path.partition("/")
        if folder == BUNDLE_DIR and scope["method"] in ("GET", "HEAD"):
            bundle = BUNDLES.served(filename)
            if bundle is not None:
                return Response(
                    b"" if scope["method"] == "HEAD" else bundle.content,
                    media_type=bundle.media_type,
                    headers={
                        "Cache-Control": IMMUTABLE,
                        "X-Content-Type-Options": "nosniff",
                        "Content-Length": str(len(bundle.content)),
                    },
                )
        return await super().get_response(path, scope)


@dataclass(frozen=True)
class PageMeta:
    """What a page says about itself to browsers, search engines and link previews."""

    title: str
    description: str
    url: str
    og_title: str
    og_image: str
    og_image_alt: str
    og_image_width: int | None = None
    og_image_height: int | None = None


def _absolute(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + "/" + path.lstrip("/")


def _default_image(request: Request) -> dict[str, Any]:
    return {
        "og_image": str(request.url_for("static", path=DEFAULT_OG_IMAGE)),
        "og_image_alt": f"{APP_NAME}: start an image generation job and track it live.",
        "og_image_width": DEFAULT_OG_SIZE[0],
        "og_image_height": DEFAULT_OG_SIZE[1],
    }


def render(
    request: Request, template: str, meta: PageMeta, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    state = getattr(request.app.state, "genfactory", None)
    token_required = bool(state is not None and state.settings.api_token)
    return templates.TemplateResponse(
        request,
        template,
        {"meta": meta, "token_required": token_required, **context},
        status_code=status_code,
        headers=PAGE_HEADERS,
    )


async def home(request: Request) -> HTMLResponse:
    """Start Generation."""
    meta = PageMeta(
        title="Generate Images",
        description="Start an image generation job and track it live.",
        url=str(request.url_for("home")),
        og_title=f"Generate Images · {APP_NAME}",
        **_default_image(request),
    )
    return render(request, "home.html", meta, page="home")


#: How many of a job's newest events its page embeds (the log shows as many).
HISTORY_ROWS = 200

STATUS_WORDS = {
    "queued": "Queued",
    "running": "Running",
    "uploading": "Uploading",
    "completed": "Completed",
    "failed": "Failed",
    "cancelled": "Cancelled",
}


def describe_job(job: JobPublic) -> str:
    """The status sentence of the job page's description (and link previews)."""
    status = STATUS_WORDS.get(job.status, job.status)
    if job.status in ("running", "uploading"):
        status += f", {job.progress.percent:.0f} %"
    elif job.status == "completed":
        status += f", {job.image_count} image{'s' if job.image_count != 1 else ''}"
    elif job.status == "failed" and job.error is not None:
        status += f" ({job.error.code})"
    prompt = job.prompt if len(job.prompt) <= 120 else job.prompt[:119].rstrip() + "…"
    return f"Live status updates and results for your job. Status: {status}. Prompt: “{prompt}”"


def job_meta(request: Request, job: JobPublic, images: list[ImagePublic]) -> PageMeta:
    """Job-specific meta: the status in the description, the final image (or else the
    latest preview, or else the app's image) as ``og:image``."""
    image: dict[str, Any]
    if images:
        first = images[0]
        image = {
            "og_image": _absolute(request, first.url),
            "og_image_alt": f"Generated image for: {job.prompt[:200]}",
            "og_image_width": first.width,
            "og_image_height": first.height,
        }
    elif job.links.preview:
        image = {
            "og_image": _absolute(request, job.links.preview),
            "og_image_alt": f"Preview of the image being generated for: {job.prompt[:200]}",
        }
    else:
        image = _default_image(request)
    status = STATUS_WORDS.get(job.status, job.status)
    return PageMeta(
        title="Generation Progress",
        description=describe_job(job),
        url=str(request.url_for("job_page", job_id=job.id)),
        og_title=f"Generation Progress · job {job.short_id} · {status}",
        **image,
    )


def page_data(value: Any) -> str:
    """``value`` as JSON safe to place inside ``<script type="application/json">`` (no
    ``</script>``, no ``<!--``: every ``<`` is escaped, which JSON allows)."""
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")


async def job_page(request: Request, job_id: str, state: StateDep) -> Response:
    """Generation Progress: renders the shell with the job's snapshot and the newest events
    of its log embedded, so the module renders at once and streams from there (it still
    loads them over the API when the page comes without them)."""
    try:
        async with state.db.read() as conn:
            record = await job_store.get_job(conn, job_id)
            images = [ImagePublic.build(i) for i in await image_store.job_images(conn, job_id)]
            history = await event_store.read_after(
                conn,
                job_id,
                max(0, record.last_seq - HISTORY_ROWS),
                HISTORY_ROWS,
                upto=record.last_seq,
            )
        job = await job_public(state, record)
    except NotFound:
        if _SHORT_ID.fullmatch(job_id):
            # The short id the pages and the CLI show: open the one job it names.
            async with state.db.read() as conn:
                matches = await job_store.ids_starting(conn, job_id)
            if len(matches) == 1:
                return RedirectResponse(f"/jobs/{matches[0]}", status_code=307)
        meta = PageMeta(
            title="Job not found · Generation Progress",
            description="There is no job with this id.",
            url=str(request.url),
            og_title=f"Job not found · {APP_NAME}",
            **_default_image(request),
        )
        return render(
            request,
            "progress.html",
            meta,
            status_code=404,
            page="progress",
            job_id=job_id,
            not_found=True,
        )
    except (SQLAlchemyError, OSError):
        # The page still works: its module reports "server unavailable" and retries.
        log.exception("could not read job %s for the page's meta tags", job_id)
        meta = PageMeta(
            title="Generation Progress",
            description="Live status updates and results for your job.",
            url=str(request.url),
            og_title=f"Generation Progress · {APP_NAME}",
            **_default_image(request),
        )
        return render(request, "progress.html", meta, page="progress", job_id=job_id, job=None)
    bootstrap = {
        "job": job.model_dump(mode="json"),
        "events": [e.envelope() for e in history],
    }
    return render(
        request,
        "progress.html",
        job_meta(request, job, images),
        page="progress",
        job_id=job.id,
        job=job,
        bootstrap=page_data(bootstrap),
    )


async def jobs_page(request: Request) -> HTMLResponse:
    """Job Management: statistics, filters, the job table with batch operations, and the
    Single Job View (the module loads everything from the API and follows the global stream)."""
    meta = PageMeta(
        title="Job Management",
        description=(
            "Every job at a glance: statistics, filters and search, bulk rerun, export and "
            "delete, and a detailed view of each job with its images, quality checks and "
            "timeline."
        ),
        url=str(request.url_for("jobs_page")),
        og_title=f"Job Management · {APP_NAME}",
        **_default_image(request),
    )
    return render(request, "jobs.html", meta, page="jobs")


# -- configurations and settings ---------------------------------------------------------


async def configurations_page(request: Request) -> HTMLResponse:
    """Configurations: named, versioned job settings (the module loads them from the API)."""
    meta = PageMeta(
        title="Configurations",
        description=(
            "Named, versioned generation settings: create, edit, duplicate and delete them, "
            "and start jobs from them."
        ),
        url=str(request.url_for("configurations_page")),
        og_title=f"Configurations · {APP_NAME}",
        **_default_image(request),
    )
    return render(
        request, "configurations.html", meta, page="configurations", qc_checks=qc_form_fields()
    )


async def settings_page(request: Request) -> HTMLResponse:
    """Settings: provider keys (keyring or environment), connection tests, data folder."""
    meta = PageMeta(
        title="Settings",
        description=("Provider keys and connection tests, and where this server keeps its data."),
        url=str(request.url_for("settings_page")),
        og_title=f"Settings · {APP_NAME}",
        **_default_image(request),
    )
    return render(request, "settings.html", meta, page="settings")


#: Swagger UI sets inline styles on its elements; everything it loads is still our own.
DOCS_HEADERS = {
    **PAGE_HEADERS,
    "Content-Security-Policy": CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'"
    ),
}


async def api_docs(request: Request) -> HTMLResponse:
    """The API reference, served from vendored Swagger UI (nothing fetched from elsewhere)."""
    return templates.TemplateResponse(request, "api-docs.html", {}, headers=DOCS_HEADERS)


def _safe_next(value: str | None) -> str:
    """Only same-site paths: never redirect a signed-in user to another site."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value


def _login_meta(request: Request) -> PageMeta:
    return PageMeta(
        title="Sign in",
        description="Sign in to this Gen Image Factory server.",
        url=str(request.url_for("login")),
        og_title=f"Sign in · {APP_NAME}",
        **_default_image(request),
    )


async def login_form(request: Request, state: StateDep, next: str | None = None) -> Response:
    if not state.settings.api_token:  # nothing to sign in to
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(
        request, "login.html", _login_meta(request), page="login", next_url=_safe_next(next)
    )


async def login(request: Request, state: StateDep) -> Response:
    """Check the token typed in and keep it in an HttpOnly cookie for the browser's requests
    (EventSource and WebSocket cannot send an Authorization header)."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()  # a pasted token often ends in a newline
    next_url = _safe_next((form.get("next") or ["/"])[0])
    expected = state.settings.api_token or ""
    if not expected:
        return RedirectResponse(next_url, status_code=303)
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        return render(
            request,
            "login.html",
            _login_meta(request),
            status_code=401,
            page="login",
            next_url=next_url,
            error="That token is not right.",
        )
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        TOKEN_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response


async def logout(request: Request) -> Response:
    """Forget this browser's token (the cookie is HttpOnly: only the server can clear it)."""
    response = RedirectResponse(request.url_for("login").path, status_code=303)
    response.delete_cookie(TOKEN_COOKIE, httponly=True, samesite="strict")
    return response


def install(app: FastAPI) -> None:
    """Mount the static files and add the page routes (called by ``create_app``)."""
    for name in BUNDLES.specs:
        BUNDLES.get(name)  # join now: a module the joiner refuses fails at startup
    app.mount("/static", RevalidatedStaticFiles(directory=STATIC), name="static")
    router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
    router.add_api_route("/", home, methods=["GET"], name="home")
    router.add_api_route("/jobs", jobs_page, methods=["GET"], name="jobs_page")
    router.add_api_route("/jobs/{job_id}", job_page, methods=["GET"], name="job_page")
    router.add_api_route(
        "/configurations", configurations_page, methods=["GET"], name="configurations_page"
    )
    router.add_api_route("/settings", settings_page, methods=["GET"], name="settings_page")
    router.add_api_route("/docs", api_docs, methods=["GET"], name="api_docs")
    router.add_api_route("/login", login_form, methods=["GET"], name="login")
    router.add_api_route("/login", login, methods=["POST"], name="login_submit")
    router.add_api_route("/logout", logout, methods=["POST"], name="logout")
    # The sign-in form is open to anyone: its body is capped like the API's.
    app.include_router(router, max_body_size=MAX_REQUEST_BYTES)
    app.add_exception_handler(StarletteHTTPException, _page_not_found)


async def _page_not_found(request: Request, exc: Exception) -> Response:
    """A browser that asks for an address that is no page gets a page that says so, in the
    app's chrome; the API, static files and every other client keep FastAPI's JSON."""
    assert isinstance(exc, StarletteHTTPException)
    path = request.url.path
    wants_page = "text/html" in request.headers.get("accept", "")
    if exc.status_code == 404 and path.startswith("/api/") and exc.detail == "Not Found":
        # No such route (a route's own 404 has its message): the API's problem shape.
        return problem(404, "not_found", f"There is no API route {path}.")
    if exc.status_code != 404 or not wants_page or path.startswith(("/api/", "/static/")):
        return await http_exception_handler(request, exc)
    meta = PageMeta(
        title="Page not found",
        description="There is no page at this address.",
        url=str(request.url),
        og_title=f"Page not found · {APP_NAME}",
        **_default_image(request),
    )
    return render(request, "not-found.html", meta, status_code=404, page="not-found", path=path)
