"""The compiled, immutable view of the world that DNS answers are read from.

``compile_view(world)`` turns the world into, per simulated server address, the zones that
server is authoritative for; each zone holds its RRsets by (owner, type), its names (empty
non-terminals included, RFC 8020), its delegations (cuts) and the addresses it can give as
glue. A new view is built after each change and swapped in with one assignment, so no answer
mixes two states. Imports: names, models, cloudflare_ops, infrastructure (reads only).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from acns_dns.dns import rrwire
from acns_dns.world import cloudflare_ops, names, settings_ops
from acns_dns.world.infrastructure import ROOT_SERVER
from acns_dns.world.models import HostNameserver, Record, Tld, World, Zone

TLD_TTL = 172800  # what real TLD registries publish for NS and glue
SOA_TIMERS = "10000 2400 604800 1800"  # refresh retry expire minimum (spec-acns §3.10 example)
# What the real root and registries publish (dig . SOA / dig com SOA): the root's SOA TTL 86400,
# refresh 1800, retry 900, expire 604800, minimum 86400; Verisign's com/net SOA TTL 900 with
# the same timers; root-servers.net 14400 7200 1209600 3600000.
ROOT_SOA_TIMERS = "1800 900 604800 86400"
TLD_SOA_TIMERS = "1800 900 604800 86400"
ROOT_SERVERS_SOA_TIMERS = "14400 7200 1209600 3600000"
ROOT_TTL = 518400  # the root zone's NS and glue TTL
ROOT_RNAME_DOMAIN = "verisign-grs.com"


class Role(Enum):
    """What a simulated server is in the world."""

    ROOT = "root"
    TLD = "tld"
    CLOUDFLARE = "cloudflare"
    HOST = "host"


@dataclass(frozen=True, slots=True)
class RR:
    """One resource record: lower-case owner without trailing dot, type name, TTL, rdata text.

    ``wire`` is its wire form, encoded once (``encoded``): at zone compile time for every record
    a zone holds, so answering never parses zone text.
    """

    name: str
    rtype: str
    ttl: int
    rdata: str
    wire: rrwire.Encoded | None = field(default=None, compare=False, hash=False, repr=False)

    def encoded(self) -> rrwire.Encoded:
        """The wire form (computed now if it was not yet)."""
        found = self.wire
        if found is None:
            found = rrwire.encode(self.name, self.rtype, self.ttl, self.rdata)
            object.__setattr__(self, "wire", found)
        return found


@dataclass(frozen=True)
class ZoneData:
    """One zone as a server holds it."""

    apex: str
    rrsets: Mapping[tuple[str, str], tuple[RR, ...]]
    names: frozenset[str]
    cuts: Mapping[str, tuple[RR, ...]]
    addresses: Mapping[str, tuple[RR, ...]]
    soa: RR
    sibling_glue: bool = True
    negative: RR | None = field(default=None, compare=False, repr=False)

    @property
    def negative_soa(self) -> RR:
        """The SOA for negative answers: TTL = min(SOA TTL, MINIMUM) (RFC 2308 §3, §5)."""
        if self.negative is not None:
            return self.negative
        return _negative(self.soa)


def _negative_or_none(soa: RR) -> RR | None:
    try:
        return _negative(soa)
    except ValueError:  # a malformed MINIMUM fails the question that needs it, not the zone
        return None


def _negative(soa: RR) -> RR:
    minimum = int(soa.rdata.split()[-1])
    found = RR(soa.name, "SOA", min(soa.ttl, minimum), soa.rdata)
    found.encoded()
    return found


@dataclass(frozen=True)
class Server:
    """A simulated name server: where it listens and which zones it serves."""

    role: Role
    name: str
    ipv4: str
    ipv6: str
    zones: Mapping[str, ZoneData]
    label: str = ""


@dataclass(frozen=True)
class View:
    """Every simulated server by address (IPv4 and IPv6 keys alike)."""

    servers: Mapping[str, Server]
    version: int = 0
    listing: tuple[Server, ...] = field(default=())

    def server(self, address: str) -> Server | None:
        """The server at ``address``, or None when nobody holds it."""
        return self.servers.get(address)


def build_zone(apex: str, records: Iterable[RR], cuts: Mapping[str, tuple[RR, ...]] | None = None,
               addresses: Mapping[str, tuple[RR, ...]] | None = None, sibling_glue: bool = True) -> ZoneData:
    """Index a zone's records; NS RRsets below the apex become cuts (RFC 1034 §4.2.1)."""
    grouped: dict[tuple[str, str], list[RR]] = defaultdict(list)
    for rr in records:
        grouped[(rr.name, rr.rtype)].append(rr)
    rrsets: dict[tuple[str, str], tuple[RR, ...]] = {}
    for key, rrs in grouped.items():
        ttl = min(rr.ttl for rr in rrs)  # RFC 2181 §5.2: one TTL per RRset
        unique = dict.fromkeys(RR(rr.name, rr.rtype, ttl, rr.rdata) for rr in rrs)
        rrsets[key] = tuple(unique)
    all_cuts = dict(cuts or {})
    for (owner, rtype), rrset in rrsets.items():
        if rtype == "NS" and owner != apex:
            all_cuts[owner] = rrset
    all_addresses: dict[str, tuple[RR, ...]] = defaultdict(tuple)
    for (owner, rtype), rrset in rrsets.items():
        if rtype in ("A", "AAAA"):
            all_addresses[owner] += rrset
    for owner, given in (addresses or {}).items():
        all_addresses[owner] += given
    soa = rrsets.get((apex, "SOA"))
    if not soa:
        raise ValueError(f"zone {names.fqdn(apex)} has no SOA record")
    for group in (rrsets.values(), all_cuts.values(), all_addresses.values()):
        for rrset in group:
            for rr in rrset:
                rr.encoded()  # once, now: a cache miss never parses zone text
    return ZoneData(
        apex=apex,
        rrsets=MappingProxyType(rrsets),
        names=frozenset(_with_empty_non_terminals(apex, [owner for owner, _ in rrsets] + list(all_cuts))),
        cuts=MappingProxyType(all_cuts),
        addresses=MappingProxyType(dict(all_addresses)),
        soa=soa[0],
        sibling_glue=sibling_glue,
        negative=_negative_or_none(soa[0]),
    )


def _with_empty_non_terminals(apex: str, owners: Iterable[str]) -> set[str]:
    """Owners plus every name between them and the apex (RFC 8020 §3.1: those exist)."""
    found: set[str] = set()
    for owner in owners:
        for name in names.parents(owner):
            if name in found or not names.is_subdomain(name, apex):
                break
            found.add(name)
    return found


def _soa(apex: str, mname: str, rname: str, ttl: int = 3600, serial: int = 2026112801,
         timers: str = SOA_TIMERS) -> RR:
    return RR(apex, "SOA", ttl, f"{names.fqdn(mname)} {names.fqdn(rname)} {serial} {timers}")


def _zone_soa(world: World, zone: Zone) -> RR:
    """A Cloudflare zone's SOA from its dns_settings (spec-acns §3.10, §6.14)."""
    soa = zone.soa
    timers = f"{soa.refresh} {soa.retry} {soa.expire} {soa.min_ttl}"
    return _soa(zone.name, settings_ops.soa_mname(world, zone), soa.rname, soa.ttl, timers=timers)


def _addresses(name: str, ipv4: Iterable[str], ipv6: Iterable[str], ttl: int) -> list[RR]:
    return [*(RR(name, "A", ttl, a) for a in ipv4), *(RR(name, "AAAA", ttl, a) for a in ipv6)]


def _ns(owner: str, targets: Iterable[str], ttl: int) -> tuple[RR, ...]:
    return tuple(RR(owner, "NS", ttl, names.fqdn(t)) for t in targets)


def _from_record(row: Record) -> RR:
    return RR(row.name, row.type, row.ttl, row.content)


# --- the roles ----------------------------------------------------------------------------

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
    servers_zone = build_zone("root-servers.net", [
        _soa("root-servers.net", ROOT_SERVER, "nstld.verisign-grs.com", 3600000, serial=2023112800,
             timers=ROOT_SERVERS_SOA_TIMERS),
        *_ns("root-servers.net", [s.name for s in letters], 3600000),
        *(rr for s in letters for rr in _addresses(s.name, [s.ipv4], [s.ipv6], 3600000))])
    return {"": root, "root-servers.net": servers_zone}


def tld_zone(world: World, tld_name: str) -> ZoneData:
    """A TLD registry's zone: delegations from the registrars, host objects as glue. The SOA
    RNAME hostmaster@nic.<tld> resolves: nic.<tld> has the first server's addresses (unless
    someone registered nic.<tld>, whose own servers then answer)."""
    tld = world.tlds[tld_name]
    servers = tld_servers(tld)
    records = [_soa(tld.name, tld.server_name, f"hostmaster.nic.{tld.name}", 900, timers=TLD_SOA_TIMERS),
               *_ns(tld.name, [s.name for s in servers], TLD_TTL),
               *(rr for s in servers for rr in _addresses(s.name, [s.ipv4], [s.ipv6], TLD_TTL))]
    if f"nic.{tld.name}" not in tld.domains:
        records += _addresses(f"nic.{tld.name}", [tld.ipv4], [tld.ipv6], TLD_TTL)
    if tld.name == "com" and ROOT_RNAME_DOMAIN not in tld.domains:
        # the root's RNAME nstld@verisign-grs.com: its mail domain resolves (to the registry)
        records += _addresses(ROOT_RNAME_DOMAIN, [tld.ipv4], [tld.ipv6], TLD_TTL)
    cuts = {d.name: _ns(d.name, d.nameservers, TLD_TTL) for d in tld.domains.values() if d.nameservers}
    glue = {h.name: tuple(_addresses(h.name, h.ipv4, h.ipv6, TLD_TTL)) for h in tld.hosts.values()}
    return build_zone(tld.name, records, cuts=cuts, addresses=glue,
                      sibling_glue=tld.glue_policy == "sibling")


def cloudflare_zones(world: World) -> dict[str, ZoneData]:
    """Every zone the Cloudflare edge serves: active account zones and cloudflare.com itself."""
    zones: dict[str, ZoneData] = {}
    for zone in world.zones.values():
        if zone.status != "active" or zone.type == "partial":  # a CNAME setup: DNS is served elsewhere
            continue
        ns_names = cloudflare_ops.zone_nameserver_names(world, zone)
        records = [_zone_soa(world, zone),
                   *_ns(zone.name, ns_names, zone.ns_ttl),
                   *(_from_record(r) for r in cloudflare_ops.zone_records(world, zone))]
        zones[zone.name] = build_zone(zone.name, records)
    edge = world.cloudflare
    # the apex has addresses too, so the zones' SOA RNAME dns@cloudflare.com has a mail domain
    # that resolves (Zonemaster SYNTAX06: MX, else A/AAAA of the domain)
    first = edge.nameservers[0]
    edge_records = [_soa(edge.zone, first.name, "dns.cloudflare.com"),
                    *_ns(edge.zone, [ns.name for ns in edge.nameservers[:2]], 86400),
                    *_addresses(edge.zone, [first.ipv4], [first.ipv6], 300)]
    for ns in edge.nameservers:
        edge_records += _addresses(ns.name, [ns.ipv4], [ns.ipv6], 86400)
    zones[edge.zone] = build_zone(edge.zone, edge_records)
    return zones


def host_zones(world: World, host_id: str) -> dict[str, ZoneData]:
    """The zones another DNS host serves, from its zone files."""
    host = world.hosts[host_id]
    return {zone.name: build_zone(zone.name, [_from_record(r) for r in zone.records]) for zone in host.zones}


def compile_view(world: World, version: int = 0, edge_aliases: Iterable[str] = ()) -> View:
    """Compile the world into a View; ``edge_aliases`` also answer as the Cloudflare edge."""
    listing: list[Server] = []
    root = root_zones(world)
    for letter in root_letters(world):
        listing.append(Server(Role.ROOT, letter.name, letter.ipv4, letter.ipv6, root, "root"))
    for tld in world.tlds.values():
        zones = {tld.name: tld_zone(world, tld.name)}
        for s in tld_servers(tld):
            listing.append(Server(Role.TLD, s.name, s.ipv4, s.ipv6, zones, f"{tld.name} registry"))
    edge = MappingProxyType(cloudflare_zones(world))
    for ns in world.cloudflare.nameservers:
        listing.append(Server(Role.CLOUDFLARE, ns.name, ns.ipv4, ns.ipv6, edge, "Cloudflare (branded)"))
    for acns in world.custom_ns:
        label = {"account": f"ACNS set {acns.ns_set}", "tenant": f"TCNS set {acns.ns_set}",
                 "zone": "ZCNS"}[acns.kind]
        listing.append(Server(Role.CLOUDFLARE, acns.ns_name, acns.ipv4, acns.ipv6, edge,
                              f"Cloudflare ({label})"))
    for alias in edge_aliases:
        listing.append(Server(Role.CLOUDFLARE, "edge", alias, "", edge, "Cloudflare edge"))
    for host in world.hosts.values():
        hosted = MappingProxyType(host_zones(world, host.id))
        for ns in host.nameservers:
            listing.append(Server(Role.HOST, ns.name, ns.ipv4, ns.ipv6, hosted, host.name))
    servers: dict[str, Server] = {}
    for server in listing:
        for address in (server.ipv4, server.ipv6):
            if address:
                servers.setdefault(address, server)
    return View(servers=MappingProxyType(servers), version=version, listing=tuple(listing))


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
