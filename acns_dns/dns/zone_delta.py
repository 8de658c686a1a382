"""What changed in a zone between two of its versions: the records an IXFR delta carries.

``delta(old, new, ...)`` gives the zone-file records (``export.zone_records``, the SOA left
out) that went and that came (RFC 1995 §4). A registry zone of many delegations changes a
delegation or a host object at a time (``incremental`` patches them into the same layered
mappings): then only the owners those entries touch are compared - the changed delegations
and host objects, and the name servers the changed delegations name (whether their glue is
kept can follow) - so the delta costs what the change did, not the registry's size. Anything
else (a delegation that appeared or went: names below it change sides; an edge zone; another
host's zone) lists both zone files and compares them. ``unchanged`` tells whether two
versions hold the same records, by the same overlays where it can.
Imports: layered, view, export.
"""

from __future__ import annotations

from collections.abc import Collection

from acns_dns.dns import export
from acns_dns.dns.layered import changed_keys
from acns_dns.dns.view import RR, ZoneData

Records = set[RR]


def unchanged(old: ZoneData, new: ZoneData) -> bool:
    """Whether ``old`` and ``new`` serve the same records (the SOA included)."""
    found = unchanged_by_entries(old, new)
    return found if found is not None else _content(old) == _content(new)


def unchanged_by_entries(old: ZoneData, new: ZoneData) -> bool | None:
    """``unchanged`` told from the entries ``new`` was patched with, or None when ``new`` was
    not patched from ``old`` (the same records, delegations and host objects layered)."""
    if old is new:
        return True
    if old.rrsets is not new.rrsets or old.sibling_glue != new.sibling_glue:
        return None
    cuts, addresses = changed_keys(old.cuts, new.cuts), changed_keys(old.addresses, new.addresses)
    if cuts is None or addresses is None:
        return None
    return not cuts and not addresses


def _content(zone: ZoneData) -> tuple[object, ...]:
    return (dict(zone.rrsets), dict(zone.cuts), dict(zone.addresses), zone.sibling_glue)


def delta(old: ZoneData, new: ZoneData, old_alongside: Collection[str],
          new_alongside: Collection[str]) -> tuple[Records, Records]:
    """(removed, added): the zone-file records of ``old`` not in ``new``, and the reverse."""
    found = _by_entries(old, new, old_alongside, new_alongside)
    if found is not None:
        return found
    before = without_soa(old, export.zone_records(old, old_alongside))
    after = without_soa(new, export.zone_records(new, new_alongside))
    return before - after, after - before


def without_soa(zone: ZoneData, records: list[RR]) -> Records:
    """``records`` without the zone's own SOA."""
    return {rr for rr in records if rr.rtype != "SOA" or rr.name != zone.apex}


def _by_entries(old: ZoneData, new: ZoneData, old_alongside: Collection[str],
                new_alongside: Collection[str]) -> tuple[Records, Records] | None:
    """The delta from the entries that differ, or None when it cannot be told that way."""
    if old.rrsets is not new.rrsets or old.apex != new.apex or old.sibling_glue != new.sibling_glue:
        return None
    if old_alongside is not new_alongside and old_alongside != new_alongside:
        return None
    cuts, addresses = changed_keys(old.cuts, new.cuts), changed_keys(old.addresses, new.addresses)
    if cuts is None or addresses is None:
        return None
    if any((cut in old.cuts) != (cut in new.cuts) for cut in cuts):
        return None  # a delegation came or went: the names below it move in or out of the zone
    owners = cuts | addresses
    for cut in cuts:
        for zone in (old, new):
            owners |= {ns.rdata.lower().rstrip(".") for ns in zone.cuts.get(cut, ())}
    before = _owned(old, owners, old_alongside)
    after = _owned(new, owners, new_alongside)
    return before - after, after - before


def _owned(zone: ZoneData, owners: set[str], alongside: Collection[str]) -> Records:
    """The zone-file records of ``owners`` that a delegation or a host object can change: as
    ``export.zone_records`` picks them (own NS/A/AAAA, then the cut's NS, then kept addresses
    where no record is already there)."""
    found: dict[tuple[str, str, str], RR] = {}
    for owner in owners:
        mine: dict[tuple[str, str, str], RR] = {}
        for rrset in [zone.rrsets.get((owner, kind), ()) for kind in ("NS", "A", "AAAA")]:
            mine.update(((rr.name, rr.rtype, rr.rdata), rr) for rr in rrset)
        mine.update(((rr.name, rr.rtype, rr.rdata), rr) for rr in zone.cuts.get(owner, ()))
        if owner in zone.addresses and export.keeps_address(zone, owner, alongside):
            for rr in zone.addresses[owner]:
                mine.setdefault((rr.name, rr.rtype, rr.rdata), rr)
        found.update(mine)
    return set(found.values())
