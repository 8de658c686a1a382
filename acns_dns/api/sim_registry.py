"""Simulator routes for the registrar side: registrars, delegations, glue, support tickets.

Not part of Cloudflare's API, so they live under ``/sim`` (STYLE §7.11). They stand for what a
user does at a registrar (the seed's step 2 and the registrar half of removal) and what
Cloudflare Support does for Cloudflare Registrar domains (tickets, changed only on resolve).
Any valid credential may read registrars and registrations; changing a domain's NS or glue,
and opening, reading or resolving its tickets, acts on behalf of its registrant: only a
credential of the account holding the domain, or the admin token, may (403 otherwise, and the
world is unchanged).
Imports: the api helpers, registrar_ops, registry.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from acns_dns.api.auth import CallerDep, RegistryDep, require_registrant
from acns_dns.api.envelope import Collection, Success, documented, ok, page, reply
from acns_dns.api.sim_schemas import (
    DomainOut,
    GlueIn,
    GlueOut,
    NameserverListIn,
    RegistrarOut,
    TicketIn,
    TicketOut,
)
from acns_dns.world import names, registrar_ops
from acns_dns.world.infrastructure import tld_of
from acns_dns.world.models import World

router = APIRouter(prefix="/sim", tags=["Simulator: registrars and registries"])


def _registrars(world: World) -> list[dict[str, Any]]:
    sponsored: dict[str, list[str]] = {rid: [] for rid in world.registrars}
    for tld in world.tlds.values():
        for domain in tld.domains.values():
            sponsored.setdefault(domain.registrar, []).append(domain.name)
    return [{**r.model_dump(), "domains": sorted(sponsored[r.id])} for r in world.registrars.values()]


def _domain(world: World, domain: str) -> dict[str, Any]:
    """A registration with the glue the registry holds for hosts below it."""
    registration = registrar_ops.find_domain(world, domain)
    hosts = tld_of(world, registration.name).hosts.values()
    glue = [
        h.model_dump()
        for h in sorted(hosts, key=lambda h: h.name)
        if names.is_subdomain(h.name, registration.name)
    ]
    return {**registration.model_dump(), "glue": glue}


def _holder(world: World, **what: str) -> str | None:
    return registrar_ops.registrant_of(world, **what)


@router.get("/registrars", summary="List registrars", **documented(Collection[RegistrarOut]))
async def list_registrars(who: CallerDep, registry: RegistryDep) -> JSONResponse:
    """Every registrar and the domains it sponsors."""
    return reply(page(registry.read(_registrars)))


@router.get(
    "/domains/{domain}",
    summary="A domain's delegation and glue at its registry",
    **documented(Success[DomainOut]),
)
async def get_domain(domain: str, who: CallerDep, registry: RegistryDep) -> JSONResponse:
    """What the TLD registry publishes: sponsor, NS names, host objects (glue) below it."""
    return reply(ok(registry.read(_domain, domain)))


@router.put(
    "/registrars/{registrar_id}/domains/{domain}/nameservers",
    summary="Set a domain's nameservers at an external registrar",
    **documented(Success[DomainOut]),
)
async def set_nameservers(
    registrar_id: str, domain: str, body: NameserverListIn, who: CallerDep, registry: RegistryDep
) -> JSONResponse:
    """Replace the delegation; Cloudflare Registrar refuses (open a ticket instead)."""
    require_registrant(who, registry.read(_holder, domain=domain), f"domain {domain}")
    changed = registry.set_registrar_nameservers(registrar_id, domain, body.nameservers)
    return reply(ok(registry.read(_domain, changed.name)))


@router.put(
    "/registrars/{registrar_id}/glue/{host}",
    summary="Set glue at an external registrar",
    **documented(Success[GlueOut]),
)
async def set_glue(
    registrar_id: str, host: str, body: GlueIn, who: CallerDep, registry: RegistryDep
) -> JSONResponse:
    """Create or replace the host object for ``host``; no addresses deletes it."""
    require_registrant(who, registry.read(_holder, host=host), f"the domain above {host}")
    glue = registry.set_glue(registrar_id, host, body.ipv4, body.ipv6)
    name = glue.name if glue is not None else names.normalize(host)
    return reply(ok({"name": name, "ipv4": glue.ipv4 if glue else [], "ipv6": glue.ipv6 if glue else []}))


@router.delete(
    "/registrars/{registrar_id}/glue/{host}",
    summary="Delete glue at an external registrar",
    **documented(Success[GlueOut]),
)
async def delete_glue(registrar_id: str, host: str, who: CallerDep, registry: RegistryDep) -> JSONResponse:
    """Remove the host object for ``host``."""
    require_registrant(who, registry.read(_holder, host=host), f"the domain above {host}")
    registry.set_glue(registrar_id, host, [], [])
    return reply(ok({"name": names.normalize(host), "ipv4": [], "ipv6": []}))


@router.get("/tickets", summary="List support tickets", **documented(Collection[TicketOut]))
async def list_tickets(
    who: CallerDep,
    registry: RegistryDep,
    status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None,
) -> JSONResponse:
    """Cloudflare Registrar support tickets of the caller's domains (all for the admin), oldest first."""
    world = registry.world
    found = [t.model_dump() for t in world.tickets if status in (None, t.status)
             and who.holds(registrar_ops.registrant_of(world, domain=t.domain))]
    return reply(page(found))


@router.post(
    "/tickets", summary="Open a support ticket at Cloudflare Registrar", **documented(Success[TicketOut])
)
async def open_ticket(body: TicketIn, who: CallerDep, registry: RegistryDep) -> JSONResponse:
    """Ask Support to set NS (``set_ns``) or glue (``set_glue``/``delete_glue``); nothing changes yet."""
    require_registrant(who, registry.read(_holder, domain=body.domain), f"domain {body.domain}")
    ticket = registry.open_ticket(
        body.domain, body.action, nameservers=body.nameservers, host=body.host, ipv4=body.ipv4, ipv6=body.ipv6
    )
    return reply(ok(ticket.model_dump()))


@router.get("/tickets/{ticket_id}", summary="A support ticket", **documented(Success[TicketOut]))
async def get_ticket(ticket_id: str, who: CallerDep, registry: RegistryDep) -> JSONResponse:
    """One ticket by id."""
    require_registrant(who, registry.read(_holder, ticket=ticket_id), f"the domain of ticket {ticket_id}")
    return reply(ok(registry.read(registrar_ops.find_ticket, ticket_id).model_dump()))


@router.post(
    "/tickets/{ticket_id}/resolve", summary="Support resolves a ticket", **documented(Success[TicketOut])
)
async def resolve_ticket(ticket_id: str, who: CallerDep, registry: RegistryDep) -> JSONResponse:
    """Support carries the ticket out: the registry's NS or glue change now."""
    require_registrant(who, registry.read(_holder, ticket=ticket_id), f"the domain of ticket {ticket_id}")
    return reply(ok(registry.resolve_ticket(ticket_id).model_dump()))
