"""Faults on the wire: which addresses misbehave, and what a misbehaving server sends.

``compile_faults(world, view)`` resolves ``World.faults`` (``fault_ops``) to addresses: each
address of a faulted server gets one ``Misbehaviour``; with ``unheld: timeout`` the addresses
that glue or records point at but nobody holds are ``silent``. ``misbehave`` is the answer of a
faulted address, a pure function like ``authority.lookup``: SERVFAIL or REFUSED instead of the
answer (RFC 1035 §4.1.1), over UDP an empty reply with TC=1 (RFC 2181 §9: the client retries
over TCP, RFC 7766 §5), a lame answer (AA clear, no SOA: RFC 8499 §7 "lame delegation"), a
referral without its glue, or None (dropped). The answer caches of ``wire`` never see a
fault: they keep the answers the zones give, and faults act on the way out, so setting or
clearing one leaves every cached answer right. ``fault_path`` moves the bytes.
Imports: authority, wire, query, view, fault_ops, models.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from acns_dns.dns import authority, wire
from acns_dns.dns.authority import Result
from acns_dns.dns.query import HEADER, REFUSED, SERVFAIL, TC, Drop, parse
from acns_dns.dns.view import View
from acns_dns.world import fault_ops
from acns_dns.world.models import World

log = logging.getLogger(__name__)

MAX_SILENT = 1024  # silent addresses at most (two sockets each); the rest stay refused


@dataclass(frozen=True)
class Misbehaviour:
    """What one faulted server's address does: its faults and the delay, in seconds."""

    server: str
    kinds: frozenset[str]
    delay: float = 0.0


@dataclass(frozen=True)
class FaultTable:
    """Misbehaving addresses and silent ones; the same table answers equal questions."""

    by_address: MappingProxyType[str, Misbehaviour] = field(default_factory=lambda: MappingProxyType({}))
    silent: frozenset[str] = frozenset()
    unheld: str = "refused"


EMPTY = FaultTable()


def compile_faults(world: World, view: View) -> FaultTable:
    """The fault table of ``world`` as ``view`` serves it (faults of servers it does not hold
    are inert until a server of that name comes back)."""
    faults = world.faults
    if not faults.servers and faults.unheld == "refused":
        return EMPTY
    by_address: dict[str, Misbehaviour] = {}
    for name, kinds in faults.servers.items():
        behaviour = Misbehaviour(name, frozenset(kinds), kinds.get("delay", 0) / 1000)
        for address in fault_ops.addresses_of(world, name):
            if view.server(address) is not None:
                by_address[address] = behaviour
    silent: frozenset[str] = frozenset()
    if faults.unheld == "timeout":
        found = sorted(a for a in fault_ops.unheld_addresses(world) if view.server(a) is None)
        if len(found) > MAX_SILENT:
            log.warning("%d unheld addresses: only %d are kept silent, the rest refuse", len(found),
                        MAX_SILENT)
        silent = frozenset(found[:MAX_SILENT])
    return FaultTable(MappingProxyType(by_address), silent, faults.unheld)


def question_of(data: bytes) -> tuple[str, str]:
    """qname and qtype of a query, for the journal of one that gets no reply ("" when it
    does not parse)."""
    try:
        query = parse(data)
    except Drop:
        return "", ""
    return query.qname, wire.qtype_name(query.qtype) if query.question else ""


def misbehave(responder: wire.Responder, data: bytes, address: str, tcp: bool,
              fault: Misbehaviour) -> wire.Reply | None:
    """The reply a server with ``fault`` gives to ``data`` at ``address`` (None: no reply)."""
    if "drop" in fault.kinds:
        return None
    try:
        query = parse(data)
    except Drop:
        return None
    if query.error is not None or not query.question:
        return responder.respond(data, address, tcp)
    qtype = wire.qtype_name(query.qtype)
    for kind, rcode in (("servfail", SERVFAIL), ("refused", REFUSED)):
        if kind in fault.kinds:
            return wire.Reply(wire.error_response(query, rcode), query.qname, qtype, rcode)
    if "tc" in fault.kinds and not tcp:
        empty = bytearray(wire.error_response(query, wire.NOERROR))
        empty[2:4] = (int.from_bytes(empty[2:4], "big") | TC).to_bytes(2, "big")
        return wire.Reply(bytes(empty), query.qname, qtype, wire.NOERROR)
    if not fault.kinds & {"lame", "strip-glue"} or wire.precheck(query) is not None:
        return responder.respond(data, address, tcp)
    answer = authority.lookup(responder.view, address, query.qname, qtype, "IN")
    if "lame" in fault.kinds:
        kept = tuple(rr for rr in answer.authority if rr.rtype != "SOA")
        answer = replace(answer, aa=False, authority=kept)
    if "strip-glue" in fault.kinds and answer.result is Result.REFERRAL:
        answer = replace(answer, glue=(), extra=())
    packed = wire.encode(query, answer, query.limit(tcp))
    end = HEADER.size + len(query.question)
    packed = packed[:HEADER.size] + query.question + packed[end:]  # the client's case (RFC 4343 §4.1)
    return wire.Reply(packed, query.qname, qtype, wire.RESULT_RCODES[answer.result])
