"""The optional API token (required for a non-loopback bind)."""

from __future__ import annotations

import hmac
from urllib.parse import quote, urlencode

from fastapi.responses import JSONResponse, RedirectResponse
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_COOKIE = "genfactory_token"
#: Reachable without the token: health for load balancers, sign-in, and what the sign-in
#: and API reference pages load.
OPEN_PATHS = ("/api/health", "/login", "/logout", "/static/", "/docs", "/openapi.json")


class TokenGuard:
    """With a token configured, every request must carry it: ``Authorization: Bearer …``,
    the ``genfactory_token`` cookie (set by the sign-in page; browsers cannot put headers on
    EventSource or WebSocket) or ``?token=``. API calls without it get 401; a WebSocket is
    closed before it is accepted (code 4401), which uvicorn turns into an HTTP 403 answer to
    the handshake; pages redirect to the sign-in page."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        page = scope["type"] == "http" and not path.startswith(("/api/", *OPEN_PATHS))
        if page and (signed_in := self._signed_in_by_address(scope)) is not None:
            await signed_in(scope, receive, send)
            return
        if path.startswith(OPEN_PATHS) or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401})
            return
        if path.startswith("/api/"):
            response: JSONResponse | RedirectResponse = JSONResponse(
                {"detail": {"code": "unauthorized", "message": "A valid API token is required."}},
                status_code=401,
            )
        else:
            back = quote(_page_address(scope))
            response = RedirectResponse(f"/login?next={back}", status_code=303)
        await response(scope, receive, send)

    def _signed_in_by_address(self, scope: Scope) -> RedirectResponse | None:
        """A page opened with the right ``?token=``: keep it in the cookie, as the sign-in
        page does, and reload the page without it (out of the address bar and history).
        The page's own requests then carry the cookie (they never see the address's token)."""
        conn = HTTPConnection(scope)
        given = conn.query_params.get("token")
        if given is None or not self.matches(given):
            return None
        response = RedirectResponse(_page_address(scope), status_code=303)
        response.set_cookie(
            TOKEN_COOKIE,
            given.strip(),
            httponly=True,
            samesite="strict",
            secure=conn.url.scheme == "https",
        )
        return response

    def _authorized(self, scope: Scope) -> bool:
        conn = HTTPConnection(scope)
        scheme, _, credentials = conn.headers.get("authorization", "").partition(" ")
        candidates = [
            credentials if scheme.lower() == "bearer" else "",  # schemes ignore case
            conn.cookies.get(TOKEN_COOKIE, ""),
            conn.query_params.get("token", ""),
        ]
        return any(self.matches(c) for c in candidates)

    def matches(self, given: str) -> bool:
        given = given.strip()
        return bool(given) and hmac.compare_digest(given.encode(), self.token)


def _page_address(scope: Scope) -> str:
    """The page's own address without its ``token``: where a sign-in by address reloads to,
    and where the sign-in form returns (filters, ``?edit=`` kept; a token that did not
    match would only fail again, and stay in history)."""
    conn = HTTPConnection(scope)
    rest = [(k, v) for k, v in conn.query_params.multi_items() if k != "token"]
    path = "/" + conn.url.path.lstrip("/")  # never "//host": another site
    return path + (f"?{urlencode(rest)}" if rest else "")
