"""A new view from an old one and a ``Change``: only the zones and servers it touched.

``update_view(old, world, change, version)`` recompiles the Cloudflare zones named in the
change, the single delegations and host objects of a TLD registry (``Change.tld_entries``),
whole TLD zones (``Change.tlds``) and other hosts; every other zone is shared with the old
view (``layered`` mappings copy only the overlay), and so are the servers unless servers came
or went. It also says which cached answers the change may have made wrong, as cache tags
(``view.cache_tag``: a server group and a zone apex), so the answer cache drops those and
keeps the rest. ``Change.EVERYTHING`` compiles from scratch. Imports: view, zonedata, zones,
lazyzones, lookups, layered, names, models, changes, cloudflare_ops.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import NamedTuple

from acns_dns.dns.layered import Layered, LayeredSet
from acns_dns.dns.lazyzones import LazyZones, ZoneSource
from acns_dns.dns.lookups import IndexedLookups, NsIndex
from acns_dns.dns.view import assemble, compile_view
from acns_dns.dns.zonedata import NOBODY, RR, Parts, View, ZoneData, cache_tag
from acns_dns.dns.zones import (
    edge_source,
    flat,
    host_zones,
    root_zones,
    served,
    tld_cut,
    tld_glue,
    tld_own_delegations,
    tld_own_names,
    tld_zone,
)
from acns_dns.world import cloudflare_ops, names
from acns_dns.world.changes import Change
from acns_dns.world.models import Tld, World, Zone

Touched = frozenset[str] | None  # cache tags a change may have made wrong; None: every answer


class Update(NamedTuple):
    """A new view, the cache tags its change touched, and the zones compiled anew as
    (group, apex) (None: every zone)."""

    view: View
    touched: Touched
    compiled: frozenset[tuple[str, str]] | None


def zone_finder(world: World, ids: Mapping[str, str], search: bool = False) -> Callable[[str], Zone | None]:
    """Cloudflare zones by name for one change, from the view's name -> id index checked
    against the world (and the usual id, ``stable_id``), so finding one costs a few lookups;
    ``search`` also looks through every zone when both miss (a new zone whose id was given)."""
    zones = world.zones

    def zone_named(name: str) -> Zone | None:
        for zone_id in (ids.get(name), cloudflare_ops.stable_id("zone", name)):
            zone = zones.get(zone_id) if zone_id is not None else None
            if zone is not None and zone.name == name:
                return zone
        return cloudflare_ops.zone_by_name(world, name) if search else None

    return zone_named


def update_view(old: View, world: World, change: Change, version: int) -> Update:
    """The view of ``world`` after ``change``, built from ``old``; the cache tags it touched."""
    parts = old.parts
    if parts is None or change.everything:
        return Update(compile_view(world, version, parts.edge_aliases if parts else ()), None, None)
    touched: set[str] = set()
    ns_index = NsIndex(world) if change.servers or parts.ns_index is None else parts.ns_index
    edge, zone_ids = _edge(parts, world, change.zones, ns_index, touched)
    tlds, flat_tlds = _tlds(parts, world, change, touched)
    hosts = _hosts(parts, world, change.hosts, touched)
    compiled = {("edge", apex) for apex in change.zones
                if apex in edge and edge.entry(apex) is not parts.edge.entry(apex)}
    compiled |= {(f"tld:{tld}", tld) for tld, zone in tlds.items() if zone is not parts.tlds.get(tld)}
    compiled |= {(f"host:{host}", apex) for host, zones in hosts.items() if zones is not parts.hosts.get(host)
                 for apex in zones}
    root = parts.root
    servers_changed = change.servers or tlds.keys() != parts.tlds.keys() or hosts.keys() != parts.hosts.keys()
    if servers_changed:
        root = MappingProxyType(root_zones(world))
        compiled |= {("root", apex) for apex in root}
        touched |= _group_tags("root", [*root, *parts.root])
        touched.add(cache_tag(NOBODY, None))
    new_parts = Parts(edge, tlds, hosts, root, flat_tlds, parts.edge_aliases, zone_ids, ns_index)
    view = assemble(world, new_parts, version, keep=None if servers_changed else old)
    return Update(view, frozenset(touched), frozenset(compiled))


def _group_tags(group: str, apexes: Iterable[str]) -> set[str]:
    """Every answer a server group gives: each zone's, and its REFUSED ones."""
    return {cache_tag(group, apex) for apex in apexes} | {cache_tag(group, None)}


def _enclosing(zones: Mapping[str, ZoneData], apex: str) -> str | None:
    """The closest zone strictly above ``apex`` among ``zones``."""
    for candidate in names.parents(names.parent(apex)) if apex else ():
        if candidate in zones:
            return candidate
    return None


def _edge(parts: Parts, world: World, apexes: frozenset[str], ns_index: NsIndex, touched: set[str],
          ) -> tuple[LazyZones, Layered[str, str]]:
    """The edge's zones with ``apexes`` recompiled (or gone), and the name -> id index."""
    if not apexes:
        return parts.edge, parts.zone_ids
    lookups = IndexedLookups(world, ns_index, zone_finder(world, parts.zone_ids))
    search = zone_finder(world, parts.zone_ids, search=True)
    put: dict[str, ZoneSource] = {}
    drop: list[str] = []
    ids: dict[str, str] = {}
    gone: list[str] = []
    for apex in apexes:
        zone = (lookups.zone_named if apex in parts.zone_ids else search)(apex)
        if zone is None:
            gone.append(apex)
        else:
            ids[apex] = zone.id
        if apex == world.cloudflare.zone:
            continue  # cloudflare.com is the edge's own zone whatever an account adds
        if zone is not None and served(zone):
            put[apex] = edge_source(world, zone, lookups)
        else:
            drop.append(apex)
    edge = parts.edge.with_changes(put, drop)
    for apex in apexes:  # answers below a zone that came or went came from the one above it
        touched |= {cache_tag("edge", apex), cache_tag("edge", _enclosing(parts.edge, apex)),
                    cache_tag("edge", _enclosing(edge, apex))}
    touched.add(cache_tag("edge", None))
    return edge, parts.zone_ids.with_changes(ids, gone)


def _tlds(parts: Parts, world: World, change: Change, touched: set[str],
          ) -> tuple[Mapping[str, ZoneData], frozenset[str]]:
    """TLD zones with the changed entries patched in, or whole ones recompiled."""
    entries: dict[str, set[str]] = defaultdict(set)
    for entry in change.tld_entries:
        for candidate in names.parents(entry):
            if candidate != entry and (candidate in world.tlds or candidate in parts.tlds):
                entries[candidate].add(entry)
    todo = set(change.tlds) | set(entries)
    if not todo:
        return parts.tlds, parts.flat_tlds
    tlds = dict(parts.tlds)
    flat_tlds = set(parts.flat_tlds)
    for name in todo:
        touched |= _group_tags(f"tld:{name}", [name])
        tld = world.tlds.get(name)
        if tld is None:
            tlds.pop(name, None)
            flat_tlds.discard(name)
            continue
        old = parts.tlds.get(name)
        patched = None
        if name not in change.tlds and old is not None and name in parts.flat_tlds:
            patched = _patch_tld(old, tld, entries[name])
        if patched is None:
            tlds[name] = tld_zone(world, name)
            (flat_tlds.add if flat(world, name) else flat_tlds.discard)(name)
        else:
            tlds[name] = patched
    return MappingProxyType(tlds), frozenset(flat_tlds)


def _patch_tld(zone: ZoneData, tld: Tld, entries: set[str]) -> ZoneData | None:
    """``zone`` with these delegations and host objects as ``tld`` holds them now; None when
    a whole recompile is needed (a nested delegation, or an entry among the zone's own names)."""
    cuts: dict[str, tuple[RR, ...]] = {}
    uncut: list[str] = []
    glue: dict[str, tuple[RR, ...]] = {}
    unglued: list[str] = []
    own = tld_own_names(tld)
    own_cuts = tld_own_delegations(tld)
    for entry in entries:
        if entry in own or any(names.is_subdomain(owner, entry) for owner, _ in zone.rrsets):
            return None  # the zone's own records change with it
        if any(names.is_subdomain(entry, cut) for cut in own_cuts):
            return None  # a delegation the zone holds of itself (root-servers.net) changes with it
        domain = tld.domains.get(entry)
        if domain is not None and names.parent(entry) != tld.name:
            return None  # names between the cut and the apex would change (RFC 8020)
        if domain is not None and domain.nameservers:
            cuts[entry] = tld_cut(entry, domain.nameservers)
        else:
            uncut.append(entry)
        host = tld.hosts.get(entry)
        if host is not None:
            glue[entry] = tld_glue(host.name, host.ipv4, host.ipv6)
        else:
            unglued.append(entry)
    assert isinstance(zone.cuts, Layered) and isinstance(zone.addresses, Layered)
    assert isinstance(zone.names, LayeredSet)
    return ZoneData(zone.apex, zone.rrsets, zone.names.with_changes(cuts, uncut),
                    zone.cuts.with_changes(cuts, uncut),
                    zone.addresses.with_changes(glue, unglued),
                    zone.soa, zone.sibling_glue, zone.negative)


def _hosts(parts: Parts, world: World, ids: frozenset[str], touched: set[str],
           ) -> Mapping[str, Mapping[str, ZoneData]]:
    """Other hosts' zones, the changed hosts recompiled."""
    if not ids and parts.hosts.keys() == world.hosts.keys():
        return parts.hosts
    hosts = dict(parts.hosts)
    for host_id in ids | (parts.hosts.keys() ^ world.hosts.keys()):
        before = hosts.pop(host_id, {})
        if host_id in world.hosts:
            hosts[host_id] = MappingProxyType(host_zones(world, host_id))
        touched |= _group_tags(f"host:{host_id}", [*before, *hosts.get(host_id, {})])
    return MappingProxyType(hosts)
