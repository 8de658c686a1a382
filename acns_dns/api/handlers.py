"""Every failure of the HTTP API as a Cloudflare v4 failure envelope with a 4xx status.

- ``AcnsError``: its own status and code (never 409: the SDK retries it, spec-acns §4.1);
- request validation: 400, code 1000, one error per problem, each naming the field and
  carrying ``source.pointer``;
- a body that grew past the limit while it was read (``body_guard.BodyTooLarge``): 413;
- an unknown route: 404, code 7003 "No route for the URI"; a known path with another method:
  405, code 7001;
- a ``pydantic.ValidationError`` escaping an operation: 400 (a value was refused);
- anything else is a bug: 500, code 10001, and the traceback is logged, never hidden.

Imports: errors, envelope, body_guard, fastapi/starlette.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from acns_dns.api.body_guard import BodyTooLarge
from acns_dns.api.envelope import error_body, failure
from acns_dns.world.errors import AcnsError, InvalidInput, RouteNotFound

log = logging.getLogger("acns_dns.api")
METHOD_NOT_ALLOWED = 7001
INTERNAL_ERROR = 10001


def _where(loc: Sequence[int | str]) -> tuple[str, str]:
    """A readable field name and a JSON pointer for a validation error location."""
    kind, *path = loc if loc else ("body",)
    parts = [str(part) for part in path]
    field = ".".join(parts) if parts else "request body"
    if kind in ("query", "path", "header"):
        field = f"{field} ({kind} parameter)"
    return field, "/" + "/".join(parts)


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """One v4 error item per pydantic/FastAPI validation problem."""
    items = []
    for error in errors[:20]:
        field, pointer = _where(tuple(error.get("loc", ())))
        message = error.get("msg", "invalid value")
        if error.get("type") == "json_invalid":
            field, message = "request body", "not valid JSON"
        items.append(
            {"code": InvalidInput.code, "message": f"{field}: {message}", "source": {"pointer": pointer}}
        )
    return items


async def on_acns_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AcnsError)
    return JSONResponse(error_body(exc), status_code=exc.http_status)


async def on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, (RequestValidationError, ValidationError))
    return JSONResponse(failure(validation_errors(exc.errors())), status_code=400)


async def on_too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTooLarge)
    return JSONResponse(failure([{"code": exc.code, "message": str(exc.detail)}]), status_code=413)


async def on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return JSONResponse(error_body(RouteNotFound("No route for the URI")), status_code=404)
    if exc.status_code == 405:
        body = failure(
            [{"code": METHOD_NOT_ALLOWED, "message": f"Method {request.method} not allowed for this URI"}]
        )
        return JSONResponse(body, status_code=405)
    status = exc.status_code if 400 <= exc.status_code < 500 else 400
    return JSONResponse(
        failure([{"code": InvalidInput.code, "message": str(exc.detail)}]), status_code=status
    )


async def on_bug(request: Request, exc: Exception) -> JSONResponse:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    body = failure([{"code": INTERNAL_ERROR, "message": f"Internal error ({type(exc).__name__})"}])
    return JSONResponse(body, status_code=500)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(AcnsError, on_acns_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(ValidationError, on_validation)
    app.add_exception_handler(BodyTooLarge, on_too_large)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_bug)
