"""The parts of a compiled view: records, zones, servers, and the view that holds them.

``RR`` is one record with its wire form encoded once; ``ZoneData`` one zone as a server holds
it (RRsets by (owner, type), its names with empty non-terminals (RFC 8020), its cuts and the
addresses it can give as glue), built by ``build_zone``; ``Server`` a simulated name server;
``ServerTable`` servers by address over their group's current zones; ``Parts`` what a view
was compiled from; ``View`` all of it, never changed once built; ``cache_tag`` what a cached
answer depends on. ``view`` compiles them, ``zones`` builds each role's zones.
Imports: rrwire, layered, lookups (NsIndex), names, models.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, field, replace
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING

from acns_dns.dns import rrwire
from acns_dns.dns.layered import Layered
from acns_dns.dns.lookups import NsIndex
from acns_dns.world import names
from acns_dns.world.models import Record

if TYPE_CHECKING:  # lazyzones builds zones with this module's build_zone
    from acns_dns.dns.lazyzones import LazyZones

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

    ``wire`` is its wire form, encoded once (``encoded``): when a zone is built for every record
    it holds, and for a registry's delegations and glue when first served, so answering never
    parses zone text.
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
    names: Set[str]
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
    """A simulated name server: where it listens and which zones it serves.

    Servers that serve the same zones share a ``group`` ("root", "tld:NAME", "edge",
    "host:ID"): a change to those zones reaches all of them at once (``ServerTable``).
    """

    role: Role
    name: str
    ipv4: str
    ipv6: str
    zones: Mapping[str, ZoneData]
    label: str = ""
    group: str = field(default="", compare=False)


class ServerTable(Mapping[str, Server]):
    """Servers by address, each given the current zones of its group.

    ``at`` holds the servers as they were built (maybe with an older view's zones); a server
    read through the table carries ``groups[server.group]``, so a change replaces one group's
    zones without rebuilding the thousands of servers that share them.
    """

    __slots__ = ("at", "groups", "_fresh")

    def __init__(self, at: Mapping[str, Server], groups: Mapping[str, Mapping[str, ZoneData]]) -> None:
        self.at, self.groups = at, groups
        self._fresh: dict[str, Server] = {}

    def fresh(self, server: Server) -> Server:
        """``server`` with its group's zones in this table."""
        zones = self.groups.get(server.group)
        if zones is None or zones is server.zones:
            return server
        key = server.ipv4 or server.ipv6
        found = self._fresh.get(key)
        if found is None or found.name != server.name:
            found = replace(server, zones=zones)
            self._fresh[key] = found  # idempotent: a race builds an equal Server
        return found

    def get(self, address: str, default: Server | None = None) -> Server | None:  # type: ignore[override]
        server = self.at.get(address)
        return default if server is None else self.fresh(server)

    def __getitem__(self, address: str) -> Server:
        return self.fresh(self.at[address])

    def __iter__(self) -> Iterator[str]:
        return iter(self.at)

    def __len__(self) -> int:
        return len(self.at)


@dataclass(frozen=True)
class Parts:
    """What a view was compiled from, kept so a change recompiles only what it touched."""

    edge: LazyZones
    tlds: Mapping[str, ZoneData]
    hosts: Mapping[str, Mapping[str, ZoneData]]
    root: Mapping[str, ZoneData]
    flat_tlds: frozenset[str] = frozenset()  # TLDs whose delegations all sit one label below
    edge_aliases: tuple[str, ...] = ()
    zone_ids: Layered[str, str] = field(default_factory=Layered)  # every Cloudflare zone: name -> id
    ns_index: NsIndex | None = None  # the custom nameservers, for recompiling one edge zone


NOBODY = "\x00nobody"  # the group of an address no server holds


def cache_tag(group: str | None, apex: str | None) -> str:
    """What a cached answer depends on: the zone ``apex`` of a server group (None: no zone,
    a REFUSED answer). A change drops the answers of the tags it touched, and only those."""
    return f"{group or NOBODY}\x00{'-' if apex is None else '=' + apex}"


class View:
    """Every simulated server by address (IPv4 and IPv6 keys alike); never changed once built."""

    __slots__ = ("servers", "version", "parts", "group_of", "first_of", "_listing", "_fresh_listing")

    def __init__(self, servers: Mapping[str, Server], version: int = 0, listing: tuple[Server, ...] = (),
                 parts: Parts | None = None, group_of: Mapping[str, str] | None = None,
                 first_of: Mapping[str, Server] | None = None) -> None:
        self.servers, self.version, self.parts, self._listing = servers, version, parts, listing
        # which group answers at each address: servers of one group give the same answers
        self.group_of = group_of if group_of is not None else {
            address: server.group or f"\x00{address}" for address, server in servers.items()}
        self.first_of = first_of or {}  # one server of each group, as built
        self._fresh_listing: tuple[Server, ...] | None = None

    @property
    def listing(self) -> tuple[Server, ...]:
        """Every server once, in the order the world lists them."""
        if self._fresh_listing is None:
            table = self.servers
            if isinstance(table, ServerTable):
                self._fresh_listing = tuple(table.fresh(server) for server in self._listing)
            else:
                self._fresh_listing = self._listing
        return self._fresh_listing

    def same_servers(self, other: View) -> bool:
        """True when this view holds the very servers ``other`` holds (at the same addresses)."""
        mine, theirs = self.servers, other.servers
        return isinstance(mine, ServerTable) and isinstance(theirs, ServerTable) and mine.at is theirs.at

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
    for rrset in rrsets.values():
        for rr in rrset:
            rr.encoded()  # once, now: a cache miss never parses zone text
    # ``cuts`` and ``addresses`` given by the caller are encoded as their maker chose: a TLD of
    # many delegations encodes each one when it is first referred to (``zones.tld_zone``)
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


# The rdata of SOA and NS records is interned: the zones of one account hold the same text.

def _soa(apex: str, mname: str, rname: str, ttl: int = 3600, serial: int = 2026112801,
         timers: str = SOA_TIMERS) -> RR:
    return RR(apex, "SOA", ttl, sys.intern(f"{names.fqdn(mname)} {names.fqdn(rname)} {serial} {timers}"))


def _addresses(name: str, ipv4: Iterable[str], ipv6: Iterable[str], ttl: int) -> list[RR]:
    return [*(RR(name, "A", ttl, a) for a in ipv4), *(RR(name, "AAAA", ttl, a) for a in ipv6)]


def _ns(owner: str, targets: Iterable[str], ttl: int) -> tuple[RR, ...]:
    return tuple(RR(owner, "NS", ttl, sys.intern(names.fqdn(t))) for t in targets)


def _from_record(row: Record) -> RR:
    return RR(row.name, row.type, row.ttl, row.content)
