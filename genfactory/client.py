"""A small typed client for the HTTP API, used by the CLI and the tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

#: Job ids are 32 hex digits; the pages and ``jobs list`` show the first 8.
JOB_ID_LENGTH = 32
SHORT_ID_MIN = 6


class ApiError(Exception):
    """The server refused a request. ``detail`` is its problem body."""

    def __init__(self, status: int, detail: Any) -> None:
        self.status = status
        self.detail = detail
        if isinstance(detail, dict):
            message = detail.get("message", str(detail))
        elif isinstance(detail, list) and detail:
            message = "; ".join(
                f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg')}" for d in detail
            )
        else:
            message = str(detail)
        super().__init__(f"HTTP {status}: {message}")


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
        pages and ``jobs list`` show); a full id as it is. Unknown or ambiguous: ApiError."""
        prefix = given.strip().lower()
        if len(prefix) >= JOB_ID_LENGTH or len(prefix) < SHORT_ID_MIN:
            return given
        page = self._call("GET", "/api/jobs", params={"q": prefix, "limit": 100})
        matches = [job["id"] for job in page["items"] if job["id"].startswith(prefix)]
        if len(matches) == 1:
            return str(matches[0])
        if not matches:
            raise ApiError(404, {"message": f"No job with an id starting {given!r}."})
        raise ApiError(
            409, {"message": f"More than one job has an id starting {given!r}; give more of it."}
        )

    def get_job(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/api/jobs/{job_id}")
        return result

    def list_jobs(self, limit: int = 25, offset: int = 0) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "GET", "/api/jobs", params={"limit": limit, "offset": offset}
        )
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

    def follow(self, job_id: str, after: int = 0) -> Iterator[dict[str, Any]]:
        """Every event after ``after`` over SSE, reconnecting with Last-Event-ID on a drop,
        until the job reaches a terminal status with no retry pending."""
        last = after
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
            ):
                import time

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
    raise ApiError(response.status_code, detail)


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
