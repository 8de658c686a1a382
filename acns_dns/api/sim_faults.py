"""Simulator routes for fault injection: make simulated servers misbehave, and choose what
addresses nobody holds do (pebble's ``/set-servfail``: a fault is state).

Every route needs the admin token. A server is named by its name (``ns1.example.com``,
``a.root-servers.net``, ``ns1.nic.com``) or one of its addresses; the fault covers all its
addresses. An unknown server is 404 naming it, a bad kind or delay 400 naming the value; a
refused change changes nothing. What each fault puts on the wire: ``fault_ops``.
Imports: the api helpers, fault_ops, registry.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from acns_dns.api.auth import AdminDep, RegistryDep
from acns_dns.api.envelope import Collection, Success, documented, ok, page, reply
from acns_dns.api.schemas import Loose
from acns_dns.world import fault_ops
from acns_dns.world.models import FaultKind, World

router = APIRouter(prefix="/sim", tags=["Simulator: faults"])


class FaultIn(Loose):
    delay_ms: int | None = Field(None, description="delay only: milliseconds, 1 to 30000")


class UnheldIn(Loose):
    mode: Literal["refused", "timeout"] = Field(
        description="refused: no socket (port unreachable, TCP reset); timeout: silence")


class FaultOut(BaseModel):
    kind: FaultKind
    delay_ms: int | None = None


class FaultedServerOut(BaseModel):
    """A misbehaving server: its name, every address the fault covers, its faults."""

    server: str
    addresses: list[str]
    faults: list[FaultOut]


class FaultsOut(BaseModel):
    """What unheld addresses do, which are silent now, and every faulted server."""

    unheld: Literal["refused", "timeout"]
    silent: list[str]
    faults: list[FaultedServerOut]


def _state(world: World) -> dict[str, Any]:
    silent = sorted(fault_ops.unheld_addresses(world)) if world.faults.unheld == "timeout" else []
    return {**fault_ops.describe(world), "silent": silent}


@router.get("/faults", summary="Faults and what unheld addresses do", **documented(Success[FaultsOut]))
async def list_faults(who: AdminDep, registry: RegistryDep) -> JSONResponse:
    """Every misbehaving server, the unheld mode and the addresses kept silent by it."""
    return reply(ok(registry.read(_state)))


@router.put("/faults/{server}/{kind}", summary="Make a server misbehave",
            **documented(Success[FaultedServerOut]))
async def set_fault(server: str, kind: str, who: AdminDep, registry: RegistryDep,
                    body: FaultIn | None = None) -> JSONResponse:
    """Add fault ``kind`` to ``server`` (name or address); ``delay`` takes ``delay_ms``."""
    delay = body.delay_ms if body is not None else None
    return reply(ok(registry.apply(fault_ops.set_fault, server, kind, delay)))


@router.delete("/faults/{server}/{kind}", summary="Clear one fault of a server",
               **documented(Collection[FaultedServerOut]))
async def clear_fault(server: str, kind: str, who: AdminDep, registry: RegistryDep) -> JSONResponse:
    """Remove fault ``kind`` of ``server``; the server as it was."""
    return reply(page(registry.apply(fault_ops.clear_faults, server, kind)))


@router.delete("/faults/{server}", summary="Clear every fault of a server",
               **documented(Collection[FaultedServerOut]))
async def clear_server(server: str, who: AdminDep, registry: RegistryDep) -> JSONResponse:
    """Remove every fault of ``server``; the server as it was."""
    return reply(page(registry.apply(fault_ops.clear_faults, server)))


@router.delete("/faults", summary="Clear every fault", **documented(Collection[FaultedServerOut]))
async def clear_all(who: AdminDep, registry: RegistryDep) -> JSONResponse:
    """Remove every fault of every server (``unheld`` stays as it is); what was removed."""
    return reply(page(registry.apply(fault_ops.clear_faults)))


@router.put("/unheld", summary="What addresses nobody holds do", **documented(Success[FaultsOut]))
async def set_unheld(body: UnheldIn, who: AdminDep, registry: RegistryDep) -> JSONResponse:
    """``refused`` (no socket) or ``timeout`` (silence on the addresses glue and records point at)."""
    registry.apply(fault_ops.set_unheld, body.mode)
    return reply(ok(registry.read(_state)))
