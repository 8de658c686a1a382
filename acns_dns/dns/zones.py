"""The zones of each role, compiled from the world: root, TLD registries, the Cloudflare edge
(what one zone is built from, ``edge_source``, or all of them, each built when first read),
other DNS hosts.

TLD zones keep their names, cuts and glue ``Layered``, so ``incremental`` can patch one
delegation or host object in. Imports: zonedata, layered, lazyzones, lookups, names, models,
infrastructure (reads only).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace

from acns_dns.dns.layered import Layered, LayeredSet
from acns_dns.dns.lazyzones import LazyZones, ZoneSource
from acns_dns.dns.lookups import EdgeLookups, IndexedLookups
from acns_dns.dns.zonedata import (
    ROOT_RNAME_DOMAIN,
    ROOT_SERVERS_SOA_TIMERS,
    ROOT_SOA_TIMERS,
    ROOT_TTL,
    RR,
    TLD_SOA_TIMERS,
    TLD_TTL,
    ZoneData,
    _addresses,
    _from_record,
    _ns,
    _soa,
    build_zone,
)
from acns_dns.world import names
from acns_dns.world.infrastructure import ROOT_SERVER
from acns_dns.world.models import HostNameserver, Tld, World, Zone

ROOT_SERVERS_ZONE = "root-servers.net"  # the root servers' own zone, served by the root letters


def root_letters(world: World) -> list[HostNameserver]:
    """Every root server: a.root-servers.net and the other letters."""
    return [HostNameserver(name=ROOT_SERVER, ipv4=world.root_ipv4, ipv6=world.root_ipv6),
            *world.other_root_servers]


def tld_servers(tld: Tld) -> list[HostNameserver]:
    """Every server of a TLD registry, the first one first."""
    return [HostNameserver(name=tld.server_name, ipv4=tld.ipv4, ipv6=tld.ipv6), *tld.extra_servers]


def root_zones(world: World) -> dict[str, ZoneData]:
    """The root zone (a delegation to every TLD, with glue) and root-servers.net."""
    letters = root_letters(world)
    cuts = {tld.name: _ns(tld.name, [s.name for s in tld_servers(tld)], TLD_TTL)
            for tld in world.tlds.values()}
    glue: dict[str, tuple[RR, ...]] = {
        s.name: tuple(_addresses(s.name, [s.ipv4], [s.ipv6], TLD_TTL))
        for tld in world.tlds.values() for s in tld_servers(tld)}
    for letter in letters:
        glue[letter.name] = tuple(_addresses(letter.name, [letter.ipv4], [letter.ipv6], ROOT_TTL))
    root = build_zone("", [_soa("", ROOT_SERVER, "nstld.verisign-grs.com", 86400, serial=2026120400,
                                timers=ROOT_SOA_TIMERS),
                           *_ns("", [s.name for s in letters], ROOT_TTL)], cuts=cuts, addresses=glue)
    servers_zone = build_zone(ROOT_SERVERS_ZONE, [
        _soa(ROOT_SERVERS_ZONE, ROOT_SERVER, "nstld.verisign-grs.com", 3600000, serial=2023112800,
             timers=ROOT_SERVERS_SOA_TIMERS),
        *_ns(ROOT_SERVERS_ZONE, [s.name for s in letters], 3600000),
        *(rr for s in letters for rr in _addresses(s.name, [s.ipv4], [s.ipv6], 3600000))])
    return {"": root, ROOT_SERVERS_ZONE: servers_zone}


def tld_own_names(tld: Tld) -> tuple[str, ...]:
    """Names a TLD zone gives addresses of itself while nobody registered them."""
    return (f"nic.{tld.name}", ROOT_RNAME_DOMAIN) if tld.name == "com" else (f"nic.{tld.name}",)


def tld_own_delegations(tld: Tld) -> tuple[str, ...]:
    """Delegations a TLD zone holds of itself while nobody registered them: root-servers.net
    in net, as on the Internet, so a resolver that looks a root server's address up (dig
    +trace does; a minimising resolver asks net first) finds it below net."""
    return (ROOT_SERVERS_ZONE,) if tld.name == names.parent(ROOT_SERVERS_ZONE) else ()


def _own_delegations(world: World, tld: Tld) -> tuple[dict[str, tuple[RR, ...]], dict[str, tuple[RR, ...]]]:
    """The cuts and glue of ``tld_own_delegations``: the root letters, with their addresses
    (in-domain glue, RFC 9471 §2.1)."""
    cuts: dict[str, tuple[RR, ...]] = {}
    glue: dict[str, tuple[RR, ...]] = {}
    for delegated in tld_own_delegations(tld):
        if delegated in tld.domains:
            continue
        letters = root_letters(world)
        cuts[delegated] = tld_cut(delegated, [s.name for s in letters])
        glue.update({s.name: tld_glue(s.name, [s.ipv4], [s.ipv6]) for s in letters})
    return cuts, glue


def tld_zone(world: World, tld_name: str, only: Collection[str] | None = None) -> ZoneData:
    """A TLD registry's zone: delegations from the registrars, host objects as glue. The SOA
    RNAME hostmaster@nic.<tld> resolves: nic.<tld> has the first server's addresses (unless
    someone registered nic.<tld>, whose own servers then answer); so does verisign-grs.com in
    com, the root's RNAME domain; net delegates root-servers.net to the root letters. Names,
    cuts and glue are ``Layered``, so a change to one delegation or host object costs that
    entry (``incremental``), not the whole registry. ``only``: the delegations of just these
    domains (what a picture of a few of many needs: their referrals are the same)."""
    tld = world.tlds[tld_name]
    servers = tld_servers(tld)
    records = [_soa(tld.name, tld.server_name, f"hostmaster.nic.{tld.name}", 900, timers=TLD_SOA_TIMERS),
               *_ns(tld.name, [s.name for s in servers], TLD_TTL),
               *(rr for s in servers for rr in _addresses(s.name, [s.ipv4], [s.ipv6], TLD_TTL))]
    for own in tld_own_names(tld):
        if own not in tld.domains:
            records += _addresses(own, [tld.ipv4], [tld.ipv6], TLD_TTL)
    cuts, glue = _own_delegations(world, tld)
    # a registry of many delegations: each is encoded when first referred to, not all now
    delegated = tld.domains.values() if only is None else (tld.domains[n] for n in only if n in tld.domains)
    cuts.update({d.name: tld_cut(d.name, d.nameservers, encode=False) for d in delegated if d.nameservers})
    glue.update({h.name: tld_glue(h.name, h.ipv4, h.ipv6, encode=False) for h in tld.hosts.values()})
    zone = build_zone(tld.name, records, cuts=cuts, addresses=glue,
                      sibling_glue=tld.glue_policy == "sibling")
    return replace(zone, names=LayeredSet(zone.names), cuts=Layered(zone.cuts),
                   addresses=Layered(zone.addresses))


def tld_cut(domain: str, nameservers: Iterable[str], encode: bool = True) -> tuple[RR, ...]:
    """A registration's delegation in its TLD zone (RFC 1034 §4.2.2), encoded now or when
    first used."""
    rrset = _ns(domain, nameservers, TLD_TTL)
    if encode:
        for rr in rrset:
            rr.encoded()
    return rrset


def tld_glue(host: str, ipv4: Iterable[str], ipv6: Iterable[str], encode: bool = True) -> tuple[RR, ...]:
    """A host object's addresses: glue in its TLD zone, encoded now or when first used."""
    rrs = tuple(_addresses(host, ipv4, ipv6, TLD_TTL))
    if encode:
        for rr in rrs:
            rr.encoded()
    return rrs


def edge_source(world: World, zone: Zone, lookups: EdgeLookups | None = None) -> ZoneSource:
    """What one active Cloudflare zone is built from, read from the world now."""
    lookups = lookups or EdgeLookups()
    ns_names = lookups.ns_names(world, zone)
    soa = zone.soa
    mname = soa.mname if soa.mname is not None else sorted(ns_names)[0]  # as settings_ops.soa_mname
    timers = f"{soa.refresh} {soa.retry} {soa.expire} {soa.min_ttl}"
    records = (_soa(zone.name, mname, soa.rname, soa.ttl, timers=timers),  # spec-acns §3.10, §6.14
               *_ns(zone.name, ns_names, zone.ns_ttl),
               *(_from_record(r) for r in zone.records),
               *(RR(*row) for row in lookups.managed(world, zone)))
    return ZoneSource(zone.name, records)


def cloudflare_zone(world: World) -> ZoneData:
    """cloudflare.com itself: the branded names and their addresses."""
    edge = world.cloudflare
    # the apex has addresses too, so the zones' SOA RNAME dns@cloudflare.com has a mail domain
    # that resolves (Zonemaster SYNTAX06: MX, else A/AAAA of the domain)
    first = edge.nameservers[0]
    edge_records = [_soa(edge.zone, first.name, "dns.cloudflare.com"),
                    *_ns(edge.zone, [ns.name for ns in edge.nameservers[:2]], 86400),
                    *_addresses(edge.zone, [first.ipv4], [first.ipv6], 300)]
    for ns in edge.nameservers:
        edge_records += _addresses(ns.name, [ns.ipv4], [ns.ipv6], 86400)
    return build_zone(edge.zone, edge_records)


def served(zone: Zone) -> bool:
    """True when the edge serves the zone: active, and not a partial (CNAME) setup, whose DNS
    is served elsewhere."""
    return zone.status == "active" and zone.type != "partial"


def cloudflare_zones(world: World, lookups: EdgeLookups | None = None) -> LazyZones:
    """Every zone the Cloudflare edge serves: active account zones (each built when first
    read, ``lazyzones``) and cloudflare.com itself."""
    lookups = lookups or IndexedLookups(world)
    zones: dict[str, ZoneData | ZoneSource] = {
        zone.name: edge_source(world, zone, lookups) for zone in world.zones.values() if served(zone)}
    zones[world.cloudflare.zone] = cloudflare_zone(world)
    return LazyZones(zones)


def host_zones(world: World, host_id: str) -> dict[str, ZoneData]:
    """The zones another DNS host serves, from its zone files."""
    host = world.hosts[host_id]
    return {zone.name: build_zone(zone.name, [_from_record(r) for r in zone.records]) for zone in host.zones}


def flat(world: World, tld_name: str) -> bool:
    """True when every delegation of the TLD sits one label below it (no nested cuts)."""
    tld = world.tlds[tld_name]
    return all(names.parent(d) == tld.name for d in tld.domains)
