"""The compiled, immutable view of the world that DNS answers are read from.

``compile_view(world)`` turns the world into, per simulated server address, the zones that
server is authoritative for (``zones`` builds them, ``zonedata`` holds them). A new view is
built after each change and swapped in with one assignment, so no answer mixes two states;
``incremental.update_view`` builds it by recompiling only what a change touched, sharing the
rest (``Parts``, ``ServerTable``, ``layered``). The names other modules use are re-exported
here. Imports: zonedata, zones, layered, lookups, names, models.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from acns_dns.dns.layered import Layered
from acns_dns.dns.lookups import IndexedLookups, NsIndex
from acns_dns.dns.zonedata import (
    NOBODY,
    RR,
    TLD_TTL,
    Parts,
    Role,
    Server,
    ServerTable,
    View,
    ZoneData,
    build_zone,
    cache_tag,
)
from acns_dns.dns.zones import (
    cloudflare_zones,
    flat,
    host_zones,
    root_letters,
    root_zones,
    served,
    tld_servers,
    tld_zone,
)
from acns_dns.world import names
from acns_dns.world.models import World

__all__ = ["NOBODY", "RR", "TLD_TTL", "Parts", "Role", "Server", "ServerTable", "View", "ZoneData",
           "assemble", "build_zone", "cache_tag", "cloudflare_zones", "compile_view", "describe",
           "host_zones", "replace_zones", "root_letters", "root_zones", "served", "tld_zone"]


def compile_view(world: World, version: int = 0, edge_aliases: Iterable[str] = ()) -> View:
    """Compile the world into a View; ``edge_aliases`` also answer as the Cloudflare edge."""
    ns_index = NsIndex(world)
    parts = Parts(edge=cloudflare_zones(world, IndexedLookups(world, ns_index)),
                  tlds={tld: tld_zone(world, tld) for tld in world.tlds},
                  hosts={host: MappingProxyType(host_zones(world, host)) for host in world.hosts},
                  root=MappingProxyType(root_zones(world)),
                  flat_tlds=frozenset(tld for tld in world.tlds if flat(world, tld)),
                  edge_aliases=tuple(edge_aliases),
                  zone_ids=Layered({zone.name: zone.id for zone in world.zones.values()}),
                  ns_index=ns_index)
    return assemble(world, parts, version)


def groups_of(parts: Parts) -> dict[str, Mapping[str, ZoneData]]:
    """The zones each group of servers serves."""
    groups: dict[str, Mapping[str, ZoneData]] = {"root": parts.root, "edge": parts.edge}
    for tld, zone in parts.tlds.items():
        groups[f"tld:{tld}"] = MappingProxyType({tld: zone})
    for host, zones in parts.hosts.items():
        groups[f"host:{host}"] = zones
    return groups


def assemble(world: World, parts: Parts, version: int, keep: View | None = None) -> View:
    """The servers of ``world`` over the zones in ``parts``; ``keep`` is an older view whose
    servers all still stand (only their zones are new)."""
    groups = groups_of(parts)
    if keep is not None and isinstance(keep.servers, ServerTable):
        return View(ServerTable(keep.servers.at, groups), version, keep._listing, parts, keep.group_of,
                    keep.first_of)
    listing = [Server(Role.ROOT, letter.name, letter.ipv4, letter.ipv6, parts.root, "root", "root")
               for letter in root_letters(world)]
    for tld in world.tlds.values():
        group = f"tld:{tld.name}"
        for s in tld_servers(tld):
            listing.append(Server(Role.TLD, s.name, s.ipv4, s.ipv6, groups[group], f"{tld.name} registry",
                                  group))
    edge = parts.edge
    for ns in world.cloudflare.nameservers:
        listing.append(Server(Role.CLOUDFLARE, ns.name, ns.ipv4, ns.ipv6, edge, "Cloudflare (branded)",
                              "edge"))
    for acns in world.custom_ns:
        label = {"account": f"ACNS set {acns.ns_set}", "tenant": f"TCNS set {acns.ns_set}",
                 "zone": "ZCNS"}[acns.kind]
        listing.append(Server(Role.CLOUDFLARE, acns.ns_name, acns.ipv4, acns.ipv6, edge,
                              f"Cloudflare ({label})", "edge"))
    for alias in parts.edge_aliases:
        listing.append(Server(Role.CLOUDFLARE, "edge", alias, "", edge, "Cloudflare edge", "edge"))
    for host in world.hosts.values():
        group = f"host:{host.id}"
        for ns in host.nameservers:
            listing.append(Server(Role.HOST, ns.name, ns.ipv4, ns.ipv6, groups[group], host.name, group))
    table: dict[str, Server] = {}
    for server in listing:
        for address in (server.ipv4, server.ipv6):
            if address:
                table.setdefault(address, server)
    group_of = {address: server.group for address, server in table.items()}
    first_of: dict[str, Server] = {}
    for server in listing:
        first_of.setdefault(server.group, server)
    return View(ServerTable(MappingProxyType(table), groups), version, tuple(listing), parts, group_of,
                first_of)


def replace_zones(view: View, zones: Mapping[tuple[str, str], ZoneData]) -> View:
    """``view`` with the zones named (group, apex) replaced, all else shared (same servers)."""
    parts = view.parts
    assert parts is not None and isinstance(view.servers, ServerTable)
    edge = parts.edge.with_changes({apex: zone for (group, apex), zone in zones.items() if group == "edge"})
    tlds, hosts, root = dict(parts.tlds), dict(parts.hosts), dict(parts.root)
    for (group, apex), zone in zones.items():
        kind, _, name = group.partition(":")
        if kind == "tld":
            tlds[name] = zone
        elif kind == "host":
            hosts[name] = MappingProxyType({**hosts[name], apex: zone})
        elif kind == "root":
            root[apex] = zone
    new = dataclasses.replace(parts, edge=edge, tlds=MappingProxyType(tlds), hosts=MappingProxyType(hosts),
                              root=MappingProxyType(root))
    return View(ServerTable(view.servers.at, groups_of(new)), view.version, view._listing, new, view.group_of,
                view.first_of)


def describe(view: View) -> list[dict[str, object]]:
    """One row per simulated server: role, name, addresses, zones (``acns-dns servers``)."""
    return [{
        "role": server.role.value,
        "name": server.name,
        "label": server.label,
        "ipv4": server.ipv4,
        "ipv6": server.ipv6,
        "zones": sorted(names.fqdn(apex) for apex in server.zones),
    } for server in view.listing]
