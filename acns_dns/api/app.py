"""The HTTP API application: Cloudflare v4 paths under ``/client/v4``, simulator paths under ``/sim``.

``create_app`` wires the routers (one per resource), the error handlers and the OpenAPI
document (``/openapi.json``). Routes are ``async def``, so every registry operation runs on the
event loop thread, the same one the DNS server answers from.
The teaching page (``/``, ``/docs``, ``/static``) comes from ``page``. ``body_guard`` sees
every request first: no body is read before the credentials are checked, none above 1 MiB.
Imports: the api modules, journal, registry, fastapi.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from acns_dns.api import (
    accounts,
    custom_ns,
    dns_records,
    handlers,
    page,
    sim_faults,
    sim_index,
    sim_registry,
    sim_world,
    tenant_custom_ns,
    zone_settings,
    zones,
)
from acns_dns.api.body_guard import MAX_BODY, BodyGuard
from acns_dns.api.envelope import Failure
from acns_dns.dns.journal import QueryJournal
from acns_dns.world import snapshot
from acns_dns.world.models import World
from acns_dns.world.registry import Registry

CLOUDFLARE_PREFIX = "/client/v4"
FAILURE_DOC: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": Failure, "description": "Refused: the Cloudflare v4 failure envelope"}
}


def create_app(
    registry: Registry, *, journal: QueryJournal | None = None, admin_token: str | None = None,
    inspector: Callable[[str, Sequence[str]], dict[str, dict[str, Any]]] | None = None,
    inspector_source: str | None = None, max_body: int = MAX_BODY, state_dir: Path | None = None,
    state_files: Sequence[Path] = (), baseline: Callable[[], World] | None = None,
) -> FastAPI:
    """The API over ``registry``.

    Args:
        registry: the world to serve and change.
        journal: the DNS query journal shown at ``/sim/journal`` (empty when None).
        admin_token: a bearer token valid for every account and for ``/sim`` writes.
        inspector: (root address, domains) -> per domain the delegation checks and a resolver's
            walk, shown on the page; ``serve`` passes ``lab.inspect.inspector`` (this layer
            may not import it). Its queries leave from ``inspector_source``.
        max_body: the largest request body read, in bytes (``body_guard``: a body is read
            only from a caller whose credentials the world knows; a larger one gets 413).
        state_dir: the one folder ``/sim`` routes read and write files in (``state_paths``;
            None: none at all).
        state_files: the running state's own files there, never written over.
        baseline: makes the world ``/sim/reset`` goes back to (default: a packed copy of the
            world now; ``serve`` passes its scenario, read again only if a reset asks for it).
    """
    app = FastAPI(
        title="acns-dns",
        version="0.1.0",
        responses=FAILURE_DOC,
        description="Cloudflare account custom nameservers, simulated: Cloudflare v4 "
        "paths under /client/v4, simulator controls under /sim.",
        docs_url=None,  # /docs is the page's own, offline (no CDN)
        redoc_url=None,
    )
    app.state.registry = registry
    app.state.journal = journal
    app.state.admin_token = admin_token
    app.state.inspector = inspector
    app.state.inspector_source = inspector_source
    app.state.baseline = baseline or snapshot.packed(registry.world)
    app.state.state_dir = state_dir
    app.state.state_files = frozenset(path.resolve() for path in state_files)
    for module in (custom_ns, tenant_custom_ns, zone_settings, accounts, zones, dns_records):
        app.include_router(module.router, prefix=CLOUDFLARE_PREFIX)
    app.include_router(sim_registry.router)
    app.include_router(sim_world.router)
    app.include_router(sim_faults.router)
    app.include_router(sim_index.router)
    app.include_router(page.router)
    handlers.install(app)
    app.add_middleware(BodyGuard, max_body=max_body)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, without FastAPI's 422 answers (validation errors are 400 here)."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema

