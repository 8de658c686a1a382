"""The Cloudflare v4 envelope around every answer of the HTTP API (spec-acns §3.1).

Owns the envelope's response models (for OpenAPI and for checking our own answers) and the
helpers the routes use to wrap a result: ``ok`` for one object, ``page`` for a collection
(with ``result_info``), ``failure`` for the error shape. Imports: errors, pydantic, fastapi.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from acns_dns.world.errors import AcnsError

T = TypeVar("T")
# ``page`` as a query parameter (the name ``page`` is this module's helper).
PageNumber = Annotated[int, Query(alias="page", ge=1, le=100000, description="Page number, from 1")]


class ErrorSource(BaseModel):
    """Where in the request the problem is (a JSON pointer)."""

    pointer: str


class Message(BaseModel):
    """One ``errors[]`` or ``messages[]`` item: a code of 1000 or more and a message."""

    code: int
    message: str
    source: ErrorSource | None = None


class ResultInfo(BaseModel):
    """Paging facts of a collection answer."""

    page: int
    per_page: int
    count: int
    total_count: int
    total_pages: int


class Success(BaseModel, Generic[T]):
    """A successful answer holding one object."""

    model_config = ConfigDict(extra="allow")

    success: Literal[True] = True
    errors: list[Message] = []
    messages: list[Message] = []
    result: T


class Collection(Success[list[T]], Generic[T]):
    """A successful answer holding a list, with ``result_info``."""

    result_info: ResultInfo


class Failure(BaseModel):
    """A refused request: ``success`` false, at least one error, ``result`` null."""

    success: Literal[False] = False
    errors: list[Message]
    messages: list[Message] = []
    result: None = None


def ok(result: Any, **extra: Any) -> dict[str, Any]:
    """The envelope around one object (``extra`` adds top-level fields, spec-acns §6.8)."""
    return {"success": True, "errors": [], "messages": [], "result": result, **extra}


def page(items: Sequence[Any], page_number: int = 1, per_page: int | None = None) -> dict[str, Any]:
    """The envelope around one page of ``items`` (all of them when ``per_page`` is None)."""
    size = per_page if per_page is not None else max(len(items), 1)
    total_pages = max(1, -(-len(items) // size))
    start = (page_number - 1) * size
    chunk = list(items[start : start + size])
    info = {
        "page": page_number,
        "per_page": size,
        "count": len(chunk),
        "total_count": len(items),
        "total_pages": total_pages,
    }
    return {**ok(chunk), "result_info": info}


def failure(errors: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The envelope of a refused request."""
    return {"success": False, "errors": list(errors), "messages": [], "result": None}


def error_body(exc: AcnsError) -> dict[str, Any]:
    """The failure envelope for one ``AcnsError``."""
    return failure([exc.as_error()])


def reply(body: dict[str, Any], status: int = 200) -> JSONResponse:
    """A JSON response holding an envelope."""
    return JSONResponse(body, status_code=status)


def documented(model: Any) -> dict[str, Any]:
    """Route options: answer a hand-built envelope, document it as ``model`` for OpenAPI."""
    return {"response_model": None, "responses": {200: {"model": model}}}
