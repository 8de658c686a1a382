"""The teaching page at ``/``, its assets, an offline ``/docs``, and the delegation it draws.

Everything the page needs ships in ``acns_dns/api/static`` (no CDN: a classroom may be
offline). ``/sim/delegation`` is the picture as data and ``/sim/delegation.svg`` the same
picture drawn (``drawing``), both with the delegation checks attached when ``serve`` gave the
app an inspector (``app.state.inspector``; the checks live in ``lab``, which this layer may not
import). The inspector runs in a worker thread, once per world version: it asks the DNS
servers this very loop answers. Imports: auth, delegation, drawing, fastapi.
"""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from acns_dns.api import delegation, drawing
from acns_dns.api.auth import CallerDep, RegistryDep
from acns_dns.api.envelope import ok, reply
from acns_dns.world.errors import NotFound
from acns_dns.world.registry import Registry

router = APIRouter()
STATIC = resources.files("acns_dns.api") / "static"
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
NO_STORE = {"Cache-Control": "no-store"}


def _asset(name: str) -> Response:
    if "/" in name or name.startswith(".") or not (STATIC / name).is_file():
        raise NotFound(f"no page asset named {name!r}")
    suffix = name[name.rfind("."):]
    return Response((STATIC / name).read_bytes(), media_type=TYPES.get(suffix, "application/octet-stream"),
                    headers=NO_STORE)


@router.get("/", include_in_schema=False)
async def index() -> Response:
    """The teaching page."""
    return _asset("index.html")


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    """The tab's icon (a green link), so a browser's automatic request finds something."""
    return _asset("favicon.svg")


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    """The API's routes, read from ``/openapi.json`` by a page that needs no CDN."""
    return HTMLResponse((STATIC / "docs.html").read_text(encoding="utf-8"), headers=NO_STORE)


@router.get("/static/{name}", include_in_schema=False)
async def asset(name: str) -> Response:
    """A file of the page (script, style)."""
    return _asset(name)


async def picture(request: Request, registry: Registry, domain: str | None = None) -> dict[str, Any]:
    """The delegation as data (of ``domain``, or of the domains a picture shows), with the
    inspector's findings for the current world version."""
    world = registry.world
    domains = [domain] if domain else delegation.shown_domains(world)
    inspected = await _inspection(request, registry, domains) if request.app.state.inspector else {}
    found = {name: result["findings"] for name, result in inspected.items()}
    resolvers = {name: result["resolver"] for name, result in inspected.items()}
    data = delegation.delegation(world, found, resolvers, domains)
    data["version"] = registry.version
    data["checked"] = bool(request.app.state.inspector)
    data["inspector_source"] = getattr(request.app.state, "inspector_source", None)
    return data


async def _inspection(request: Request, registry: Registry, domains: list[str]) -> dict[str, dict[str, Any]]:
    """Run the inspector once per world version and set of domains; callers of the same share
    the run."""
    state = request.app.state
    key = (registry.version, tuple(domains))
    cached = getattr(state, "inspection", None)
    if cached is None or cached[0] != key:
        task = asyncio.ensure_future(asyncio.to_thread(state.inspector, registry.world.root_ipv4, domains))
        state.inspection = cached = (key, task)
    result: dict[str, dict[str, Any]] = await asyncio.shield(cached[1])
    return result


@router.get("/sim/delegation", summary="The delegation and its glue, checked", tags=["Simulator: page"])
async def get_delegation(request: Request, who: CallerDep, registry: RegistryDep) -> JSONResponse:
    """Root, TLDs, domains, name servers with glue (kind, in the referral or not), Cloudflare's
    accounts, zones and sets, and the delegation checks of every domain."""
    return reply(ok(await picture(request, registry)))


class SvgResponse(Response):
    """An SVG document (so the OpenAPI document says what the drawing route returns)."""

    media_type = "image/svg+xml"


@router.get("/sim/delegation.svg", summary="The delegation drawn as SVG", tags=["Simulator: page"],
            response_class=SvgResponse, responses={"4XX": {
                "description": "Refused: the Cloudflare v4 failure envelope",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Failure"}}}}})
async def get_drawing(
    request: Request, who: CallerDep, registry: RegistryDep,
    domain: Annotated[str | None, Query(max_length=253)] = None,
) -> Response:
    """The drawing of ``acns-dns diagram``: the domains a picture shows, or one."""
    wanted = domain.lower().rstrip(".") if domain else None
    if wanted is not None and not any(wanted in tld.domains for tld in registry.world.tlds.values()):
        raise NotFound(f"{domain} is not a registered domain of this world")
    data = await picture(request, registry, wanted)
    if wanted:
        data = drawing.only(data, wanted)
    return SvgResponse(drawing.svg(data, f"Delegation of {domain}" if domain else ""), headers=NO_STORE)
