"""A zone's DNS records (``/zones/{zone_id}/dns_records``): list, get, create, overwrite (PUT),
edit (PATCH) and delete.

Listing shows the user's records and the read-only A/AAAA Cloudflare keeps for ACNS names
under the zone (spec-acns §1.4, §6.13), marked ``meta.read_only``; changing or deleting one
of those is refused (code 1009) and changes nothing.
Imports: the api helpers, cloudflare_ops, registry.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from acns_dns.api import shapes
from acns_dns.api.auth import RegistryDep, ZoneDep
from acns_dns.api.envelope import Collection, PageNumber, Success, documented, ok, page, reply
from acns_dns.api.schemas import IdOnly, RecordCreateIn, RecordEditIn, RecordOut
from acns_dns.world import cloudflare_ops, names
from acns_dns.world.errors import NotFound

router = APIRouter(prefix="/zones/{zone_id}/dns_records", tags=["DNS records"])
PerPage = Annotated[int, Query(ge=5, le=50000)]
Filter = Annotated[str | None, Query(max_length=4096)]
AUTOMATIC_TTL = 300  # Cloudflare's ttl 1 ("automatic")



@router.get("", summary="List DNS records", **documented(Collection[RecordOut]))
async def list_records(
    zone: ZoneDep,
    registry: RegistryDep,
    name: Filter = None,
    name_exact: Annotated[str | None, Query(alias="name.exact", max_length=4096)] = None,
    type: Filter = None,
    content: Filter = None,
    content_exact: Annotated[str | None, Query(alias="content.exact", max_length=4096)] = None,
    page_number: PageNumber = 1,
    per_page: PerPage = 100,
) -> JSONResponse:
    """The zone's records, the managed ACNS A/AAAA included; filters are exact (SDK: ``.exact``)."""
    wanted = name or name_exact
    owner = names.lenient(wanted, hostname=False) if wanted else wanted
    rtype = type.upper() if type else None
    content = content or content_exact
    rows = [
        shapes.record(zone, r)
        for r in registry.read(cloudflare_ops.zone_records, zone)
        if owner in (None, r.name) and rtype in (None, r.type) and content in (None, r.content)
    ]
    return reply(page(rows, page_number, per_page))


@router.get("/{dns_record_id}", summary="DNS record details", **documented(Success[RecordOut]))
async def get_record(zone: ZoneDep, dns_record_id: str, registry: RegistryDep) -> JSONResponse:
    """One record by id."""
    for row in registry.read(cloudflare_ops.zone_records, zone):
        if row.id == dns_record_id:
            return reply(ok(shapes.record(zone, row)))
    raise NotFound(f"DNS record {dns_record_id!r} not found in zone {zone.name}")


@router.post("", summary="Create DNS record", **documented(Success[RecordOut]))
async def create_record(zone: ZoneDep, body: RecordCreateIn, registry: RegistryDep) -> JSONResponse:
    """Add a record; the name may be relative to the zone (``www``) or ``@``."""
    ttl = AUTOMATIC_TTL if body.ttl == 1 else body.ttl
    row = registry.add_record(zone.id, body.name, body.type, body.content, ttl)
    return reply(ok(shapes.record(zone, row)))


def _ttl(ttl: int | None) -> int | None:
    return AUTOMATIC_TTL if ttl == 1 else ttl


@router.put("/{dns_record_id}", summary="Overwrite DNS record", **documented(Success[RecordOut]))
async def overwrite_record(
    zone: ZoneDep, dns_record_id: str, body: RecordCreateIn, registry: RegistryDep
) -> JSONResponse:
    """Replace every part of a record; it keeps its id."""
    row = registry.update_record(zone.id, dns_record_id, body.name, body.type, body.content, _ttl(body.ttl))
    return reply(ok(shapes.record(zone, row)))


@router.patch("/{dns_record_id}", summary="Update DNS record", **documented(Success[RecordOut]))
async def edit_record(
    zone: ZoneDep, dns_record_id: str, body: RecordEditIn, registry: RegistryDep
) -> JSONResponse:
    """Change only the parts sent; the others stay."""
    row = registry.update_record(zone.id, dns_record_id, body.name, body.type, body.content, _ttl(body.ttl))
    return reply(ok(shapes.record(zone, row)))


@router.delete("/{dns_record_id}", summary="Delete DNS record", **documented(Success[IdOnly]))
async def delete_record(zone: ZoneDep, dns_record_id: str, registry: RegistryDep) -> JSONResponse:
    """Remove a record; the result is its id."""
    removed = registry.delete_record(zone.id, dns_record_id)
    return reply(ok({"id": removed.id}))
