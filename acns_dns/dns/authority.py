"""The answer logic: a pure function of (view, server address, question) -> Answer.

No sockets, no dnslib, no locks. The outcome is an enum (CoreDNS ``Result``); ``wire`` alone
turns it into an rcode and header bits. Glue that must be in a referral (in-domain, RFC 9471
§3.1) is kept apart from optional additional data, because only the former sets TC when it
does not fit (RFC 2181 §9). Imports: names, view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from acns_dns.dns.view import RR, View, ZoneData
from acns_dns.world import names

MAX_CNAME_CHAIN = 8


class Result(Enum):
    """How a question was answered."""

    SUCCESS = "success"
    REFERRAL = "referral"
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    REFUSED = "refused"
    SERVFAIL = "servfail"


@dataclass(frozen=True)
class Answer:
    """The sections of a response and what they mean."""

    result: Result
    aa: bool = False
    answer: tuple[RR, ...] = ()
    authority: tuple[RR, ...] = ()
    glue: tuple[RR, ...] = ()  # required additional data: TC=1 if it does not fit
    extra: tuple[RR, ...] = ()  # optional additional data: dropped silently
    zone: str | None = None


REFUSED = Answer(Result.REFUSED)


def lookup(view: View, address: str, qname: str, qtype: str, qclass: str = "IN") -> Answer:
    """Answer one question as the server at ``address`` would.

    Args:
        view: the compiled world.
        address: the address the query was sent to.
        qname: the question name, any case, with or without the trailing dot.
        qtype: the type mnemonic (``A``, ``NS``, ``TYPE65534`` for unknown ones).
        qclass: the class mnemonic; only IN is served (others are REFUSED).
    """
    server = view.server(address)
    if server is None or qclass != "IN":
        return REFUSED
    name = qname.lower().rstrip(".")
    zone = _closest_zone(server.zones, name)
    if zone is None:
        return REFUSED  # RFC 1035 §4.1.1; no upward referral (Zonemaster NAMESERVER07)
    if qtype == "DS" and name == zone.apex and zone.apex:
        parent = _closest_zone(server.zones, names.parent(name))
        if parent is not None:  # DS lives in the parent (RFC 4035 §3.1.4.1)
            zone = parent
    return _in_zone(zone, name, qtype)


def _closest_zone(zones: Mapping[str, ZoneData], name: str) -> ZoneData | None:
    """The nearest enclosing zone of ``name`` among ``zones`` (RFC 1034 §4.3.2 step 2)."""
    for candidate in names.parents(name):
        zone = zones.get(candidate)
        if zone is not None:
            return zone
    return None


def _highest_cut(zone: ZoneData, name: str) -> str | None:
    """The delegation closest to the apex at or above ``name``, if any."""
    cut = None
    for candidate in names.parents(name):
        if candidate == zone.apex:
            return cut
        if candidate in zone.cuts:
            cut = candidate
    return cut


def _in_zone(zone: ZoneData, name: str, qtype: str) -> Answer:
    cut = _highest_cut(zone, name)
    if cut is not None:
        if cut == name and qtype == "DS":
            return _data(zone, name, qtype)  # the parent side of the cut answers DS
        return referral(zone, cut)
    return _data(zone, name, qtype)


def referral(zone: ZoneData, cut: str) -> Answer:
    """NS of the child in authority, glue in additional (RFC 1034 §4.3.2 3b, RFC 9471 §3)."""
    ns_rrset = zone.cuts[cut]
    required: list[RR] = []
    optional: list[RR] = []
    for ns in ns_rrset:
        target = ns.rdata.lower().rstrip(".")
        kind = names.glue_kind(target, cut, zone.apex)
        if kind is names.GlueKind.IN_DOMAIN:
            required.extend(zone.addresses.get(target, ()))
        elif kind is names.GlueKind.SIBLING and zone.sibling_glue:
            optional.extend(zone.addresses.get(target, ()))
    return Answer(Result.REFERRAL, aa=False, authority=ns_rrset, glue=tuple(required),
                  extra=tuple(optional), zone=zone.apex)


def _data(zone: ZoneData, name: str, qtype: str) -> Answer:
    if name not in zone.names:
        return Answer(Result.NXDOMAIN, aa=True, authority=(zone.negative_soa,), zone=zone.apex)
    if qtype == "ANY":
        rrsets = [rrs for (owner, _), rrs in zone.rrsets.items() if owner == name]
        if rrsets:
            return Answer(Result.SUCCESS, aa=True, answer=tuple(rr for rrs in rrsets for rr in rrs),
                          zone=zone.apex)
    rrset = zone.rrsets.get((name, qtype))
    if rrset:
        extra = _ns_addresses(zone, rrset) if qtype == "NS" else ()
        return Answer(Result.SUCCESS, aa=True, answer=rrset, extra=extra, zone=zone.apex)
    cname = zone.rrsets.get((name, "CNAME"))
    if cname and qtype != "CNAME":
        return _follow_cname(zone, cname, qtype)
    return Answer(Result.NODATA, aa=True, authority=(zone.negative_soa,), zone=zone.apex)


def _ns_addresses(zone: ZoneData, rrset: tuple[RR, ...]) -> tuple[RR, ...]:
    """A/AAAA of in-zone NS targets: optional additional data (RFC 1034 §4.3.2 step 6).

    Addresses below a cut are glue and still belong here: the root's priming answer carries
    the root servers' addresses although root-servers.net lies below net (RFC 8109 §3.3).
    """
    found: list[RR] = []
    for ns in rrset:
        target = ns.rdata.lower().rstrip(".")
        if names.is_subdomain(target, zone.apex):
            found += zone.addresses.get(target, ())
    return tuple(found)


def _follow_cname(zone: ZoneData, first: tuple[RR, ...], qtype: str) -> Answer:
    """Chase a CNAME chain inside the zone (RFC 1034 §4.3.2 step 3a), boundedly."""
    chain = list(first)
    target = first[0].rdata.lower().rstrip(".")
    for _ in range(MAX_CNAME_CHAIN):
        if not names.is_subdomain(target, zone.apex) or _highest_cut(zone, target) is not None:
            break
        if target not in zone.names:
            return Answer(Result.NXDOMAIN, aa=True, answer=tuple(chain),
                          authority=(zone.negative_soa,), zone=zone.apex)
        rrset = zone.rrsets.get((target, qtype))
        if rrset:
            return Answer(Result.SUCCESS, aa=True, answer=tuple(chain) + rrset, zone=zone.apex)
        following = zone.rrsets.get((target, "CNAME"))
        if not following:
            break
        chain.extend(following)
        target = following[0].rdata.lower().rstrip(".")
    return Answer(Result.SUCCESS, aa=True, answer=tuple(chain), zone=zone.apex)
