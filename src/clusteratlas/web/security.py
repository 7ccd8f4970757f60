"""The web face's outer guard: one pure ASGI middleware in front of every route.

* **Security headers** on every response (pages, API, static files, errors):
  ``Content-Security-Policy`` (only the app's own scripts, styles, images and data;
  ``frame-ancestors 'none'``), ``X-Frame-Options: DENY``, ``X-Content-Type-Options:
  nosniff``, ``Referrer-Policy: no-referrer``, ``Cross-Origin-Opener-Policy: same-origin``
  and ``Permissions-Policy`` (no camera, microphone, geolocation). The Swagger page
  (``/api/docs``) needs its inline start-up script, so only it allows ``'unsafe-inline'``.
* **HEAD** is answered for every GET route: the request runs as GET and the body is
  dropped (headers, including ``Content-Length``, are kept).
* **Uploads** (``POST /api/import/…``) are refused *before their body is read*: a missing
  or wrong ``Authorization: Bearer`` token is 401, a ``Content-Length`` above the limit is
  413 — both answered at once, whatever the size of the body on the wire — and a body
  without a length is counted while it streams and cut off with 413 at the limit.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""The Content-Security-Policy of every response (pages load only the app's own assets)."""
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
"""The policy of the Swagger UI page (its start-up script is inline)."""
HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
"""Headers added to every response besides the CSP."""
UPLOAD_OVERHEAD = 64 * 1024
"""Bytes a multipart body may carry beyond the file itself (boundaries, part headers)."""


def _header_list(path: str) -> list[tuple[bytes, bytes]]:
    csp = DOCS_CSP if path == "/api/docs" else CSP
    pairs = [("Content-Security-Policy", csp), *HEADERS.items()]
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in pairs]


class GuardMiddleware:
    """Security headers, HEAD and the upload gate (see the module docstring).

    ``token`` is the import token (``None``: imports are off and no gate applies);
    ``max_upload_bytes`` the largest accepted file.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None = None,
        max_upload_bytes: int = 50 << 20,
        upload_prefix: str = "/api/import/",
    ) -> None:
        self.app = app
        self.token = token
        self.max_body = max_upload_bytes + UPLOAD_OVERHEAD
        self.max_upload_bytes = max_upload_bytes
        self.upload_prefix = upload_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _header_list(str(scope.get("path", "")))
        head = scope.get("method") == "HEAD"
        if head:
            scope = dict(scope, method="GET")

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in extra if k not in names),
                ]
            elif head and message["type"] == "http.response.body":
                message = dict(message, body=b"")
            await send(message)

        if (
            self.token is not None
            and scope.get("method") == "POST"
            and str(scope.get("path", "")).startswith(self.upload_prefix)
        ):
            refusal = self._refuse(scope)
            if refusal is not None:
                status, text = refusal
                await _send_json(send_guarded, status, text, _close=True)
                return
            receive = self._counting(receive)
        await self.app(scope, receive, send_guarded)

    def _refuse(self, scope: Scope) -> tuple[int, str] | None:
        """(status, message) when the upload is refused on its headers alone."""
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        given = headers.get(b"authorization", b"")
        expected = f"Bearer {self.token}".encode()
        if not given or not secrets.compare_digest(given, expected):
            return 401, "missing or wrong token (Authorization: Bearer <token>)"
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit():
                return 400, "invalid Content-Length"
            if int(length) > self.max_body:
                return 413, f"upload larger than {self.max_upload_bytes / (1 << 20):g} MB"
        return None

    def _counting(self, receive: Receive) -> Receive:
        """``receive`` that stops a body once it grows past the limit (chunked uploads)."""
        seen = 0
        limit = self.max_body
        mb = self.max_upload_bytes / (1 << 20)

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, f"upload larger than {mb:g} MB")
            return message

        return counted


async def _send_json(send: Send, status: int, text: str, *, _close: bool = False) -> None:
    body = json.dumps({"error": text}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if _close:  # the body was not read: the connection cannot be reused
        headers.append((b"connection", b"close"))
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
