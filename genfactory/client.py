"""A small typed client for the HTTP API, used by the CLI and the tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

#: Job ids are 32 hex digits; the pages and ``jobs list`` show the first 8.
JOB_ID_LENGTH = 32
#: The shortest prefix looked up (the server's search takes 6+ hex digits as an id prefix).
SHORT_ID_MIN = 6
#: Pages of 100 search results read while resolving a short id before giving up.
_RESOLVE_PAGES = 20


class ApiError(Exception):
    """The server refused a request. ``detail`` is its problem body; ``url`` the address
    asked (when it came from a response)."""

    def __init__(self, status: int, detail: Any, url: str | None = None) -> None:
        self.status = status
        self.detail = detail
        self.url = url
        super().__init__(f"HTTP {status}: {problem_message(detail)}")


class JobIdNotImageId(ApiError):
    """An id given for an image's is a job's: says so, and where its images are."""

    def __init__(self, given: str, job_id: str) -> None:
        super().__init__(
            404,
            {
                "message": f"{given!r} is a job id, not an image id; list its images with: "
                f"genfactory images list {job_id[:8]}"
            },
        )
        self.job_id = job_id


def problem_message(detail: Any) -> str:
    """A refusal's ``detail`` as one line: a problem's message, or each validation error as
    ``field: message``. Older servers send our own checks' messages with pydantic's
    "Value error, " in front; it is dropped, as the pages do."""
    if isinstance(detail, dict):
        return str(detail.get("message", detail))
    if isinstance(detail, list) and detail:
        return "; ".join(_validation_message(d) for d in detail)
    return str(detail)


def _validation_message(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    where = ".".join(str(p) for p in error.get("loc", [])[1:])
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


class Client:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        token: str | None = None,
        timeout: float = 30,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        _raise_for_refusal(response)
        return response.json()

    def health(self) -> dict[str, Any]:
        response = self.http.get("/api/health")
        result: dict[str, Any] = response.json()
        return result

    def create_job(self, prompt: str, **fields: Any) -> dict[str, Any]:
        body = {"prompt": prompt, **{k: v for k, v in fields.items() if v is not None}}
        result: dict[str, Any] = self._call("POST", "/api/jobs", json=body)
        return result

    def resolve_job_id(self, given: str) -> str:
        """The full id of the one job whose id begins with ``given`` (the short ids the
        pages and ``jobs list`` show); a full id as it is. Too short to look up (under
        :data:`SHORT_ID_MIN` characters), unknown or ambiguous: ApiError."""
        prefix = given.strip().lower()
        if len(prefix) >= JOB_ID_LENGTH:
            return given
        if len(prefix) < SHORT_ID_MIN:
            raise ApiError(
                422,
                {
                    "message": f"{given!r} is too short to find a job by: give at least "
                    f"{SHORT_ID_MIN} characters of its id (jobs list shows 8)."
                },
            )
        matches = self._job_ids_starting(prefix)
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise ApiError(404, {"message": f"No job with an id starting {given!r}."})
        raise ApiError(
            409, {"message": f"More than one job has an id starting {given!r}; give more of it."}
        )

    def _job_ids_starting(self, prefix: str) -> list[str]:
        """The ids that start with ``prefix``; two are enough to call it ambiguous. The
        search behind it also finds jobs with the prefix as a word of their label or prompt
        (``facade`` is hexadecimal too), so it reads on past the first page: an id left on
        a later page must not make another job look like the only one. Oldest first, so
        jobs created meanwhile only add pages at the end."""
        found: list[str] = []
        offset = 0
        for _ in range(_RESOLVE_PAGES):
            page = self._call(
                "GET",
                "/api/jobs",
                params={
                    "q": prefix,
                    "limit": 100,
                    "offset": offset,
                    "sort": "created",
                    "order": "asc",
                },
            )
            found += [str(job["id"]) for job in page["items"] if job["id"].startswith(prefix)]
            offset += len(page["items"])
            if len(found) > 1 or not page["items"] or offset >= page["total"]:
                return found
        raise ApiError(
            409,
            {
                "message": f"Too many jobs mention {prefix!r} to tell whether it starts one "
                "id; give more of it."
            },
        )

    def resolve_image_id(self, given: str) -> str:
        """The full id of the one image whose id begins with ``given`` (as ``jobs show``
        does for jobs). Too short, unknown or ambiguous: ApiError; a job's id given for an
        image's: :class:`JobIdNotImageId`, which says so."""
        prefix = given.strip().lower()
        if len(prefix) < SHORT_ID_MIN:
            raise ApiError(
                422,
                {
                    "message": f"{given!r} is too short to find an image by: give at least "
                    f"{SHORT_ID_MIN} characters of its id (images list shows them)."
                },
            )
        matches = self._call("GET", "/api/images", params={"id_prefix": prefix, "limit": 2})
        if len(matches) == 1:
            return str(matches[0]["id"])
        if matches:
            raise ApiError(
                409,
                {"message": f"More than one image has an id starting {given!r}; give more of it."},
            )
        try:
            job_id = self.get_job(self.resolve_job_id(prefix))["id"]
        except ApiError:
            whole = len(prefix) >= JOB_ID_LENGTH
            message = f"No image with {'id' if whole else 'an id starting'} {given!r}."
            raise ApiError(404, {"message": message}) from None
        raise JobIdNotImageId(given, str(job_id))

    def get_job(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/api/jobs/{job_id}")
        return result

    def list_jobs(
        self, limit: int = 25, offset: int = 0, *, configuration: list[str] | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if configuration:
            params["configuration"] = configuration
        result: dict[str, Any] = self._call("GET", "/api/jobs", params=params)
        return result

    def configurations(self) -> list[dict[str, Any]]:
        """The newest version of each configuration, with ``jobs``: how many jobs used it."""
        result: list[dict[str, Any]] = self._call("GET", "/api/configurations")
        return result

    def cancel(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/api/jobs/{job_id}/cancel")
        return result

    def retry(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/api/jobs/{job_id}/retry")
        return result

    def rerun(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/api/jobs/{job_id}/rerun")
        return result

    def images(self, job_id: str, qc_status: str | None = None) -> list[dict[str, Any]]:
        params = {"qc_status": qc_status} if qc_status else {}
        result: list[dict[str, Any]] = self._call(
            "GET", f"/api/jobs/{job_id}/images", params=params
        )
        return result

    def regenerate(self, image_id: str, seed: int | None = None) -> dict[str, Any]:
        body = {"seed": seed} if seed is not None else {}
        result: dict[str, Any] = self._call("POST", f"/api/images/{image_id}/regenerate", json=body)
        return result

    def regenerations(self, job_id: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", f"/api/jobs/{job_id}/regenerations")
        return result

    def export_images(self, ids: list[str], target: Path) -> int:
        """Stream the ZIP of ``ids`` into ``target`` (written whole or not at all: a
        temporary file next to it is renamed at the end). Returns its size in bytes."""
        partial = target.with_name(f".{target.name}.part")
        try:
            with self.http.stream("POST", "/api/images/export", json={"ids": ids}) as response:
                _raise_for_refusal(response)
                with partial.open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return target.stat().st_size

    def events(self, job_id: str, after: int = 0, wait: float = 0) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "GET", f"/api/jobs/{job_id}/events", params={"after": after, "wait": wait}
        )
        return result

    def follow(
        self,
        job_id: str,
        after: int = 0,
        *,
        on_lost: Callable[[Exception], None] | None = None,
        on_back: Callable[[], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every event after ``after`` over SSE, reconnecting with Last-Event-ID on a drop,
        until the job reaches a terminal status with no retry pending. ``on_lost`` is
        called once when the stream drops, ``on_back`` once it is open again, so a
        follower can say why nothing moves meanwhile."""
        last = after
        lost = False
        while True:
            try:
                with self.http.stream(
                    "GET",
                    f"/api/jobs/{job_id}/events/stream",
                    params={"after": last},
                    headers={"Accept": "text/event-stream", "Last-Event-ID": str(last)},
                    timeout=httpx.Timeout(30, read=60),
                ) as response:
                    _raise_for_refusal(response)
                    if lost:
                        lost = False
                        if on_back is not None:
                            on_back()
                    for event in _parse_sse(response.iter_lines()):
                        if event.get("event") == "reset":
                            raise ApiError(409, json.loads(event["data"]))
                        if "data" not in event:
                            continue
                        envelope: dict[str, Any] = json.loads(event["data"])
                        last = envelope["seq"]
                        yield envelope
                        if envelope["type"] == "status" and envelope["data"]["status"] in (
                            "completed",
                            "failed",
                            "cancelled",
                        ):
                            return
            except (
                httpx.ReadError,
                httpx.RemoteProtocolError,
                httpx.ConnectError,
                httpx.ReadTimeout,
            ) as exc:
                import time

                if not lost:
                    lost = True
                    if on_lost is not None:
                        on_lost(exc)
                time.sleep(1.0)


def _raise_for_refusal(response: httpx.Response) -> None:
    """Raise :class:`ApiError` with the problem's ``detail`` for a 4xx/5xx answer (a
    streamed one is read first)."""
    if response.status_code < 400:
        return
    response.read()
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = response.text
    raise ApiError(response.status_code, detail, str(response.request.url.copy_with(query=None)))


def _parse_sse(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    event: dict[str, str] = {}
    for line in lines:
        if not line:
            if event:
                yield event
            event = {}
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data" and "data" in event:
            event["data"] += "\n" + value
        else:
            event[field] = value
