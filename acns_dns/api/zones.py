"""Zones: create, list, get, edit and delete (``/zones``).

A new full zone picks up its account's default nameservers (spec-acns §1.4: set 1 first, then
the next set that fits); a partial (CNAME) zone keeps the branded pair. ``PATCH`` changes one
property at a time, as Cloudflare's does: ``vanity_name_servers`` (zone custom nameservers,
spec-acns §1.5), ``type`` (full or partial) or ``paused`` (only to its current value).
Listing shows only the zones the caller may see; filters are exact.
Imports: the api helpers, errors, registry.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from acns_dns.api import shapes
from acns_dns.api.auth import CallerDep, RegistryDep, ZoneDep, require_account
from acns_dns.api.envelope import Collection, PageNumber, Success, documented, ok, page, reply
from acns_dns.api.schemas import IdOnly, ZoneCreateIn, ZoneEditIn, ZoneOut
from acns_dns.world import cloudflare_ops, names, zone_ops
from acns_dns.world.errors import InvalidInput, Unsupported

router = APIRouter(prefix="/zones", tags=["Zones"])
PerPage = Annotated[int, Query(ge=5, le=1000)]
Filter = Annotated[str | None, Query(max_length=253)]


@router.post("", summary="Create zone", **documented(Success[ZoneOut]))
async def create(body: ZoneCreateIn, who: CallerDep, registry: RegistryDep) -> JSONResponse:
    """Add a full or partial (CNAME) zone to an account (custom nameservers need a full setup)."""
    account = require_account(who, registry.world, body.account.id)
    zone = registry.apply(cloudflare_ops.create_zone, account.id, body.name, None, body.type)
    return reply(ok(shapes.zone(registry.world, zone)))



@router.get("", summary="List zones", **documented(Collection[ZoneOut]))
async def list_zones(
    who: CallerDep,
    registry: RegistryDep,
    name: Filter = None,
    status: Filter = None,
    account_id: Annotated[str | None, Query(alias="account.id", max_length=64)] = None,
    account_name: Annotated[str | None, Query(alias="account.name", max_length=100)] = None,
    page_number: PageNumber = 1,
    per_page: PerPage = 20,
) -> JSONResponse:
    """The zones the caller may see, filtered by name, status, account.id and account.name."""
    world = registry.world
    wanted = names.lenient(name, hostname=False) if name else name
    found = [
        shapes.zone(world, z)
        for z in sorted(world.zones.values(), key=lambda z: z.name)
        if who.may(z.account_id)
        and wanted in (None, z.name)
        and status in (None, z.status)
        and account_id in (None, z.account_id)
    ]
    if account_name is not None:
        found = [z for z in found if z["account"]["name"] == account_name]
    return reply(page(found, page_number, per_page))


@router.get("/{zone_id}", summary="Zone details", **documented(Success[ZoneOut]))
async def get_zone(zone: ZoneDep, registry: RegistryDep) -> JSONResponse:
    """One zone; ``vanity_name_servers`` lists its ACNS set's names when it uses one."""
    return reply(ok(registry.read(shapes.zone, zone)))


@router.patch("/{zone_id}", summary="Edit zone", **documented(Success[ZoneOut]))
async def edit_zone(zone: ZoneDep, body: ZoneEditIn, registry: RegistryDep) -> JSONResponse:
    """Change one property: ``vanity_name_servers`` ([] removes them), ``type`` or ``paused``."""
    sent = sorted(field for field in body.model_fields_set if getattr(body, field) is not None)
    if len(sent) != 1:
        raise InvalidInput(f"send exactly one of paused, type, vanity_name_servers (got {len(sent)}: "
                           f"{', '.join(sent) or 'none'}); only one zone property can be changed at a time")
    if body.vanity_name_servers is not None:
        zone = registry.apply(zone_ops.set_vanity_names, zone.id, body.vanity_name_servers)
    elif body.type is not None:
        zone = registry.apply(zone_ops.set_zone_type, zone.id, body.type)
    elif body.paused:
        raise Unsupported("paused cannot be changed in this simulator (it stays False)")
    return reply(ok(registry.read(shapes.zone, zone)))


@router.delete("/{zone_id}", summary="Delete zone", **documented(Success[IdOnly]))
async def delete_zone(zone: ZoneDep, registry: RegistryDep) -> JSONResponse:
    """Remove the zone and its records."""
    removed = registry.delete_zone(zone.id)
    return reply(ok({"id": removed.id}))
