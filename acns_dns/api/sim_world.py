"""Simulator routes for the world itself: servers, the query journal, scenarios, snapshots.

Reads (servers, scenarios) need any valid credential; the journal shows a token only the
questions about its accounts' zones, and the admin token everything. Writes that replace or extend
the world (scenario load and reset, snapshot save and restore, new accounts, clearing the
journal) need the admin token. ``reset`` goes back to the world the app started with, or to
the scenario last loaded through ``/sim/scenario``.
Imports: the api helpers, state_paths, compound_ops, scenario, snapshot, view, journal,
registry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from acns_dns.api.auth import AdminDep, CallerDep, RegistryDep
from acns_dns.api.envelope import Collection, Success, documented, ok, page, reply
from acns_dns.api.sim_schemas import (
    JournalOut,
    RestoreIn,
    ScenarioIn,
    ScenarioOut,
    ServerOut,
    SimAccountIn,
    SimAccountOut,
    SnapshotIn,
    SnapshotOut,
    WorldOut,
)
from acns_dns.api.state_paths import confined
from acns_dns.dns.journal import QueryJournal
from acns_dns.dns.view import compile_view, describe
from acns_dns.world import compound_ops, scenario, snapshot
from acns_dns.world.errors import SnapshotError
from acns_dns.world.models import World
from acns_dns.world.registry import Registry

router = APIRouter(prefix="/sim", tags=["Simulator: world"])


def _summary(registry: Registry) -> dict[str, Any]:
    world = registry.world
    return {
        "description": world.description,
        "accounts": len(world.accounts),
        "zones": len(world.zones),
        "custom_ns": len(world.custom_ns),
        "version": registry.version,
    }


def _replace(request: Request, registry: Registry, world: World,
             baseline: Callable[[], World] | None = None) -> JSONResponse:
    """Serve ``world`` from now on; a reset goes back to it (``baseline`` makes it again)."""
    registry.replace(world)
    request.app.state.baseline = baseline or snapshot.packed(world)
    return reply(ok(_summary(registry)))


@router.get("/servers", summary="Every simulated name server", **documented(Collection[ServerOut]))
async def servers(who: CallerDep, registry: RegistryDep) -> JSONResponse:
    """Role, name, addresses and zones of each server (``acns-dns servers``)."""
    return reply(page(describe(compile_view(registry.world, registry.version))))


@router.get("/journal", summary="The query journal", **documented(Collection[JournalOut]))
async def journal(
    request: Request,
    who: CallerDep,
    registry: RegistryDep,
    server: Annotated[str | None, Query(max_length=64)] = None,
    qname: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100000)] = None,
) -> JSONResponse:
    """Queries the servers answered, oldest first, filtered by server address and qname. A
    token sees only questions about its accounts' zones (names at or below them); the admin
    token sees every query, with every client's address."""
    found: QueryJournal | None = request.app.state.journal
    under = None if who.admin else [z.name for z in registry.world.zones.values()
                                    if z.account_id in who.sees()]
    entries = found.entries(server=server, qname=qname, limit=limit, under=under) if found is not None else []
    return reply(page([entry.as_dict() for entry in entries]))


@router.delete("/journal", summary="Clear the query journal", **documented(Collection[JournalOut]))
async def clear_journal(request: Request, who: AdminDep) -> JSONResponse:
    """Forget every entry."""
    found: QueryJournal | None = request.app.state.journal
    if found is not None:
        found.clear()
    return reply(page([]))


@router.get("/scenarios", summary="Packaged scenarios", **documented(Collection[ScenarioOut]))
async def scenarios(who: CallerDep) -> JSONResponse:
    """Name and description of each packaged scenario."""
    return reply(page([{"name": name, "description": text} for name, text in scenario.packaged()]))


@router.post("/scenario", summary="Load a scenario", **documented(Success[WorldOut]))
async def load_scenario(
    request: Request, body: ScenarioIn, who: AdminDep, registry: RegistryDep
) -> JSONResponse:
    """Replace the world by a packaged scenario, or a scenario file in the state directory, on
    the same network."""
    source = body.source
    if scenario.is_path(source):
        source = str(confined(request, source, "scenario"))
    else:
        source = str(scenario.resolve(source, files=False))  # a name: only a packaged one
    network = registry.world.network
    return _replace(request, registry, scenario.load(source, network),
                    lambda: scenario.load(source, network))


@router.post("/reset", summary="Reset the world", **documented(Success[WorldOut]))
async def reset(request: Request, who: AdminDep, registry: RegistryDep) -> JSONResponse:
    """Back to the starting world (or the scenario last loaded here)."""
    baseline: Callable[[], World] = request.app.state.baseline
    return _replace(request, registry, baseline(), baseline)


@router.post("/snapshot", summary="Save a snapshot", **documented(Success[SnapshotOut]))
async def save_snapshot(
    request: Request, who: AdminDep, registry: RegistryDep, body: SnapshotIn | None = None
) -> JSONResponse:
    """Write the world atomically to ``path`` in the state directory, or return it as JSON when
    no path is given."""
    world = registry.world
    if body is None or body.path is None:
        return reply(ok({"path": None, "world": world.model_dump(mode="json")}))
    target = confined(request, body.path, "snapshot")
    try:
        written = snapshot.save(world, target)
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"{body.path}: cannot write a snapshot there: {exc}") from exc
    return reply(ok({"path": str(written), "world": None}))


@router.post("/snapshot/restore", summary="Restore a snapshot", **documented(Success[WorldOut]))
async def restore_snapshot(
    request: Request, body: RestoreIn, who: AdminDep, registry: RegistryDep
) -> JSONResponse:
    """Replace the world by one saved with ``/sim/snapshot`` (in the state directory)."""
    return _replace(request, registry, snapshot.load(confined(request, body.path, "snapshot")))


@router.post("/accounts", summary="Create an account", **documented(Success[SimAccountOut]))
async def create_account(body: SimAccountIn, who: AdminDep, registry: RegistryDep) -> JSONResponse:
    """A new Cloudflare account (Cloudflare's API cannot create one); ``token`` may act on it."""
    account = registry.apply(compound_ops.create_account, body.name, body.id, body.acns_entitled, body.token)
    return reply(ok({**account.model_dump(include={"id", "name", "acns_entitled"}), "token": body.token}))
