"""No request body is read for a stranger, and none larger than ``MAX_BODY``.

A pure ASGI middleware (it sees the headers before anything reads the body; FastAPI itself
reads and parses a body before a route's dependencies check the token). For a request that
carries a body (a ``Content-Length`` above 0, or ``Transfer-Encoding``):

- credentials missing or unknown to the current world: 401, code 10000, the body unread (the
  same check and message as the routes', ``auth.authenticate``);
- a ``Content-Length`` above ``MAX_BODY``: 413, code ``BODY_TOO_LARGE``, the body unread;
- a body without a length (chunked) is counted as it is read, and reading stops with 413 the
  moment it passes ``MAX_BODY``.

Every route that takes a body needs credentials; the public ones (the page, ``/docs``,
``/static``, ``/openapi.json``) take none, so the rule needs no list of routes (a test keeps
it so). Both refusals keep Cloudflare's v4 failure envelope, so the official SDK raises its
status error classes. Imports: auth, envelope, errors, starlette.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acns_dns.api.auth import authenticate, bearer_token
from acns_dns.api.envelope import failure
from acns_dns.world.errors import AcnsError

MAX_BODY = 1024 * 1024  # bytes: a JSON body of this API is a few hundred; Cloudflare's own is far larger
BODY_TOO_LARGE = 1413  # invented (spec-acns §6.3), after 413 as 1404 is after 404


class BodyTooLarge(HTTPException):
    """A request body passed ``MAX_BODY`` while it was read (raised from ``receive``; FastAPI
    lets an HTTPException through unchanged, and ``handlers`` renders it as a 413 envelope)."""

    code = BODY_TOO_LARGE

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes, the API's limit")


def declared_length(headers: Headers) -> int | None:
    """The ``Content-Length`` as a number (None when absent or not a plain number)."""
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() and len(value) <= 18 else None


def has_body(headers: Headers) -> bool:
    """True when the request may carry a body: any length but 0, or a transfer coding."""
    return headers.get("content-length", "0").strip() != "0" or "transfer-encoding" in headers


class BodyGuard:
    """The middleware; ``max_body`` defaults to ``MAX_BODY``."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if has_body(headers):
            refusal = self._refusal(scope, headers)
            if refusal is not None:
                status, code, message = refusal
                answer = JSONResponse(failure([{"code": code, "message": message}]), status)
                await answer(scope, receive, send)
                return
            receive = _limited(receive, self.max_body)
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: Headers) -> tuple[int, int, str] | None:
        """(status, code, message) when the body must not be read, else None."""
        state = scope["app"].state
        try:
            authenticate(state.registry.world, state.admin_token, bearer_token(headers.get("authorization")),
                         headers.get("x-auth-email"), headers.get("x-auth-key"))
        except AcnsError as exc:
            return exc.http_status, exc.code, exc.message
        length = declared_length(headers)
        if length is not None and length > self.max_body:
            return 413, BODY_TOO_LARGE, (f"request body of {length} bytes is larger than "
                                         f"{self.max_body} bytes, the API's limit")
        return None


def _limited(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises BodyTooLarge once the body read so far passes ``limit``."""
    seen = 0

    async def receive_limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return receive_limited
