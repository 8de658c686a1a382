"""Editing and deleting the records of a Cloudflare zone (``dns_records`` PUT, PATCH, DELETE).

A record keeps its id when it changes; the same checks as on creation apply (content parses
for its type, no CNAME beside other data, no alias for a name server name). The A/AAAA that
Cloudflare keeps for ACNS names are read-only (spec-acns §1.4): touching one is refused.
Imports: errors, models, cloudflare_ops.
"""

from __future__ import annotations

from acns_dns.world import cloudflare_ops
from acns_dns.world.errors import NotFound, ReadOnlyRecord
from acns_dns.world.models import DnsRecord, World, Zone


def update_record(world: World, zone_id: str, record_id: str, name: str | None = None,
                  rtype: str | None = None, content: str | None = None,
                  ttl: int | None = None) -> DnsRecord:
    """Change a record in place, keeping its id; a part given as None stays as it is
    (PUT sends every part, PATCH only the ones it changes)."""
    zone = cloudflare_ops.find_zone(world, zone_id)
    index = _user_record_index(world, zone, record_id)
    current = zone.records[index]
    row = cloudflare_ops.checked_row(world, zone, current.name if name is None else name,
                       current.type if rtype is None else rtype,
                       current.content if content is None else content,
                       current.ttl if ttl is None else ttl, ignore=record_id)
    updated = DnsRecord(id=record_id, **row.model_dump())
    zone.records[index] = updated
    return updated


def delete_record(world: World, zone_id: str, record_id: str) -> DnsRecord:
    """Remove one of the user's records from a zone."""
    zone = cloudflare_ops.find_zone(world, zone_id)
    return zone.records.pop(_user_record_index(world, zone, record_id))


def _user_record_index(world: World, zone: Zone, record_id: str) -> int:
    """Where the user's record is; ReadOnlyRecord for a managed one, else NotFound."""
    for index, record in enumerate(zone.records):
        if record.id == record_id:
            return index
    for managed in cloudflare_ops.managed_records(world, zone):
        if managed.id == record_id:
            # spec-acns §1.4: Cloudflare keeps these A/AAAA itself; they follow the ACNS name.
            raise ReadOnlyRecord(f"{managed.type} {managed.name} is managed by Cloudflare for a custom "
                                 "nameserver and is read-only; delete or re-create the nameserver instead")
    raise NotFound(f"DNS record {record_id!r} not found in zone {zone.name}")
