"""DNS responses on the wire: an ``authority.Answer`` (or an error) turned into response bytes.

Owns the response side of every header and OPT rule: flags copied or cleared, REFUSED for
other classes, EDNS(0) in responses (BADVERS, DO, payload size), truncation (TC only when
required data does not fit) and SERVFAIL when answering fails.
Queries are parsed by ``query`` (by hand, so the question keeps the client's case); answers
are packed from records already in wire form (``rrwire``), with names compressed.

``Responder`` answers for the current view and keeps finished wire answers at two levels: by
the message octets after the ID (``replies``: a repeated query costs one lookup and one
concatenation, the journal outline comes with it), and by (server group, lower-case question,
EDNS shape, size limit), where a hit patches the ID, RD/CD and the question bytes (the
client's case). Every cached answer is filed under the cache tag of the zone it came from
(``view.cache_tag``); ``advance`` swaps in a new view and drops the answers of the tags the
change touched, and only those, so no answer outlives the state it was computed from. Both
levels are bounded: the oldest answers make room (``capacity``), never a wholesale drop.
A failure while answering is SERVFAIL, logged once per distinct cause.
Imports: view, authority, query, rrwire, journal, dnslib.
"""

from __future__ import annotations

import logging
import struct
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from dnslib import QTYPE

from acns_dns.dns import authority, rrwire
from acns_dns.dns.authority import Answer, Result
from acns_dns.dns.journal import flags_text
from acns_dns.dns.query import (
    AA,
    BADVERS,
    CD,
    CLASS_IN,
    CLASSIC_PAYLOAD,
    EDNS_DO,
    FORMERR,
    HEADER,
    NOERROR,
    NOTIMP,
    NXDOMAIN,
    OPCODE_BITS,
    QR,
    RD,
    REFUSED,
    RR_FIXED,
    SERVER_PAYLOAD,
    SERVFAIL,
    TC,
    TCP_LIMIT,
    TYPE_ANY,
    TYPE_AXFR,
    TYPE_IXFR,
    TYPE_OPT,
    Drop,
    Edns,
    Query,
    parse,
)
from acns_dns.dns.view import RR, View, cache_tag

log = logging.getLogger(__name__)

__all__ = ["BADVERS", "CLASSIC_PAYLOAD", "FORMERR", "NOERROR", "NOTIMP", "NXDOMAIN", "REFUSED", "SERVFAIL",
           "SERVER_PAYLOAD", "TCP_LIMIT", "Drop", "Edns", "Query", "Reply", "Responder", "encode",
           "error_response", "flags_text", "parse", "precheck", "qtype_name", "rcode_name", "servfail_for"]

RCODE_NAMES = {NOERROR: "NOERROR", FORMERR: "FORMERR", SERVFAIL: "SERVFAIL", NXDOMAIN: "NXDOMAIN",
               NOTIMP: "NOTIMP", REFUSED: "REFUSED", BADVERS: "BADVERS"}
RESULT_RCODES = {Result.SUCCESS: NOERROR, Result.REFERRAL: NOERROR, Result.NODATA: NOERROR,
                 Result.NXDOMAIN: NXDOMAIN, Result.REFUSED: REFUSED, Result.SERVFAIL: SERVFAIL}


@dataclass(frozen=True, slots=True)
class Reply:
    """Response bytes and what the journal shows about them."""

    data: bytes
    qname: str
    qtype: str
    rcode: int



@lru_cache(maxsize=1024)
def qtype_name(qtype: int) -> str:
    """The mnemonic of a type (``TYPE65534`` for unknown ones, RFC 3597 §5)."""
    name = QTYPE.get(qtype)  # dnslib gives the number back as text for unknown types
    return name if isinstance(name, str) and not name.isdigit() else f"TYPE{qtype}"


def rcode_name(rcode: int) -> str:
    """NOERROR, NXDOMAIN, BADVERS, ... (``RCODE17`` for others)."""
    return RCODE_NAMES.get(rcode, f"RCODE{rcode}")


def _opt(rcode: int, edns: Edns) -> bytes:
    """Our OPT: version 0, DO copied, other flags clear, no options (RFC 6891 §6.1.3, RFC 3225 §3)."""
    ttl = ((rcode >> 4) << 24) | (EDNS_DO if edns.do else 0)
    return b"\x00" + RR_FIXED.pack(TYPE_OPT, SERVER_PAYLOAD, ttl, 0)


def _flags(query: Query, rcode: int, aa: bool = False, tc: bool = False) -> int:
    """QR set; opcode, RD and CD copied; RA, Z and AD clear (RFC 1035 §4.1.1, RFC 8906 §3.1.3)."""
    flags = QR | (query.flags & (OPCODE_BITS | RD | CD)) | (rcode & 0xF)
    return flags | (AA if aa else 0) | (TC if tc else 0)


def error_response(query: Query, rcode: int) -> bytes:
    """A response without records: header, the question if it parsed, OPT if the query had one."""
    opt = _opt(rcode, query.edns) if query.edns is not None else b""
    header = HEADER.pack(query.id, _flags(query, rcode), 1 if query.question else 0, 0, 0, 1 if opt else 0)
    return header + query.question + opt


def servfail_for(data: bytes) -> bytes | None:
    """SERVFAIL from the header alone, for when even parsing failed unexpectedly."""
    if len(data) < HEADER.size or data[2] & 0x80:
        return None
    ident, flags = struct.unpack_from("!HH", data)
    return error_response(Query(ident, flags), SERVFAIL)


def _rrsets(records: Iterable[RR]) -> list[list[rrwire.Encoded]]:
    """Records grouped into RRsets, first-seen order: an RRset is sent whole or not at all."""
    grouped: dict[tuple[str, str], list[rrwire.Encoded]] = {}
    for rr in records:
        grouped.setdefault((rr.name, rr.rtype), []).append(rr.encoded())
    return list(grouped.values())


def encode(query: Query, answer: Answer, limit: int) -> bytes:
    """Pack ``answer`` for ``query`` within ``limit`` octets.

    Answer and authority RRsets and in-domain glue are required: if one does not fit, the
    response is header + question + OPT with TC=1 (RFC 2181 §9, RFC 9471 §3.1, RFC 6891 §7).
    Optional additional data that does not fit is left out without TC (RFC 2181 §9).
    """
    rcode = RESULT_RCODES[answer.result]
    opt = _opt(rcode, query.edns) if query.edns is not None else b""
    packer = rrwire.Packer(bytes(HEADER.size), _folded(query.question), limit - len(opt))
    required = ((0, answer.answer), (1, answer.authority), (2, answer.glue))
    fits = all(packer.add(section, rrset) for section, records in required for rrset in _rrsets(records))
    if fits:
        for rrset in _rrsets(answer.extra):
            if not packer.add(2, rrset):
                break
        counts, body = packer.counts, bytes(packer.buf[HEADER.size:])
    else:
        counts, body = [0, 0, 0], _folded(query.question)
    flags = _flags(query, rcode, aa=answer.aa, tc=not fits)
    header = HEADER.pack(query.id, flags, 1, counts[0], counts[1], counts[2] + (1 if opt else 0))
    return header + body + opt


def _folded(question: bytes) -> bytes:
    """The question with its name lower-cased; the type and class octets stay as they are
    (lower-casing them too would make, say, type 65 and type 97 the same key)."""
    return question[:-4].lower() + question[-4:]


def _patch(template: bytes, query: Query) -> bytes:
    """A cached answer made this query's: its ID, RD/CD and question case (0x20, RFC 4343 §4.1)."""
    flags = struct.unpack_from("!H", template, 2)[0] | (query.flags & (RD | CD))
    end = HEADER.size + len(query.question)
    return struct.pack("!HH", query.id, flags) + template[4:HEADER.size] + query.question + template[end:]


MAX_CAUSES = 1000  # distinct failure causes remembered, so each is logged once
_causes: set[str] = set()


def log_failure_once(what: str, exc: BaseException) -> None:
    """Log a failure the first time its cause is seen; later ones only at debug level."""
    cause = f"{type(exc).__name__}: {exc}"
    if cause in _causes:
        log.debug("%s: %s (seen before)", what, cause)
        return
    if len(_causes) >= MAX_CAUSES:
        _causes.clear()
    _causes.add(cause)
    log.error("%s: %s (answered SERVFAIL; logged once per cause)", what, cause)
    log.debug("traceback of %s", cause, exc_info=exc)


def precheck(query: Query) -> int | None:
    """Rcodes decided by the question alone, before any zone is consulted."""
    if query.qclass != CLASS_IN:
        return REFUSED  # only IN is served (Zonemaster NAMESERVER15: CH may be refused)
    if query.qtype == TYPE_OPT:
        return FORMERR  # OPT is a pseudo-type, never a question (RFC 6891 §6.1.1)
    if query.qtype in (TYPE_AXFR, TYPE_IXFR):
        return REFUSED  # zone transfers are not offered (Zonemaster NAMESERVER03)
    if 128 <= query.qtype < TYPE_ANY:
        return NOTIMP  # other meta-types (RFC 8906 §3.1.2 allows NOTIMP for them)
    return None


STATIC = "\x00static"  # the tag of answers no zone decides (header and question errors)
ReplyKey = tuple[str, str, bytes]
ReplyEntry = tuple[bytes, tuple[str, str, str], int, str]  # reply after its ID, outline, rcode, tag
CacheKey = tuple[object, ...]


class Responder:
    """Answers every query for the current view; finished answers are cached (spec benchmarking).

    ``respond`` and ``advance`` run on one thread (the server's event loop): answers are
    filed under their tags as they are cached, and ``advance`` drops a tag's answers after the
    new view is in place, so no answer computed from the old view stays behind.
    """

    def __init__(self, view: View, capacity: int = 100_000) -> None:
        self.view = view
        self.capacity = capacity
        self._cache: OrderedDict[CacheKey, tuple[bytes, int, str]] = OrderedDict()
        # (address, transport, octets after the ID) -> (reply after its ID, journal outline, rcode, tag)
        self.replies: OrderedDict[ReplyKey, ReplyEntry] = OrderedDict()
        # the same entries by (address, transport), then octets: what a socket's loop looks up
        self._by_socket: defaultdict[tuple[str, str], dict[bytes, ReplyEntry]] = defaultdict(dict)
        self._cache_tags: defaultdict[str, set[CacheKey]] = defaultdict(set)
        self._reply_tags: defaultdict[str, set[ReplyKey]] = defaultdict(set)

    def hits(self, address: str, transport: str) -> dict[bytes, ReplyEntry]:
        """The replies already given at ``address`` over ``transport``, by the query's octets
        after its ID (read only: a socket's loop looks a repeated query up here)."""
        return self._by_socket[(address, transport)]

    def _forget_reply(self, key: ReplyKey) -> None:
        self.replies.pop(key, None)
        self._by_socket[key[:2]].pop(key[2], None)

    def advance(self, view: View, touched: Iterable[str] | None) -> None:
        """Answer from ``view`` from now on; drop the cached answers of the ``touched`` tags
        (None: every answer). Replies by address go too when servers came or went (an address
        may now belong to another group)."""
        before, self.view = self.view, view
        if touched is None:
            self._cache.clear()
            self._cache_tags.clear()
        else:
            for tag in touched:
                for key in self._cache_tags.pop(tag, ()):
                    self._cache.pop(key, None)
        if touched is None or not view.same_servers(before):
            self.replies.clear()
            self._by_socket.clear()  # no table is left for addresses gone (hits() is asked per wake-up)
            self._reply_tags.clear()
        else:
            for tag in touched:
                for reply_key in self._reply_tags.pop(tag, ()):
                    self._forget_reply(reply_key)

    def respond(self, data: bytes, address: str, tcp: bool = False) -> Reply | None:
        """The reply to ``data`` sent to ``address``, or None when it must be dropped.

        A message whose octets after the ID equal an earlier one's gets that earlier reply
        with its own ID, without being parsed again: every other octet of the reply depends on
        those octets alone (RFC 1035 §4.1.1).
        """
        key = (address, "tcp" if tcp else "udp", data[2:])
        seen = self._by_socket[key[:2]].get(key[2])
        if seen is not None:
            qname, qtype, _ = seen[1]
            return Reply(data[:2] + seen[0], qname, qtype, seen[2])
        try:
            query = parse(data)
        except Drop:
            return None
        group = self.view.group_of.get(address)
        try:
            reply, tag = self._answer(query, group, address, tcp)
        except Exception as exc:  # the server never goes silent on a query (STYLE §7.4)
            log_failure_once(f"answering {query.qname} {qtype_name(query.qtype)} at {address}", exc)
            reply = Reply(error_response(query, SERVFAIL), query.qname, qtype_name(query.qtype), SERVFAIL)
            tag = cache_tag(group, None)  # dropped by any change to the group's zones
        replies = self.replies
        if len(replies) >= self.capacity // 4:
            old_key, old = replies.popitem(last=False)
            self._by_socket[old_key[:2]].pop(old_key[2], None)
            self._reply_tags[old[3]].discard(old_key)
        entry = (reply.data[2:], (reply.qname, reply.qtype, rcode_name(reply.rcode)), reply.rcode, tag)
        replies[key] = self._by_socket[key[:2]][key[2]] = entry
        self._reply_tags[tag].add(key)
        return reply

    def _answer(self, query: Query, group: str | None, address: str, tcp: bool) -> tuple[Reply, str]:
        qtype = qtype_name(query.qtype)
        rcode = query.error if query.error is not None else precheck(query)
        if rcode is not None:
            return Reply(error_response(query, rcode), query.qname, qtype, rcode), STATIC
        limit = query.limit(tcp)
        edns = (query.edns.do,) if query.edns is not None else None
        key = (group, _folded(query.question), edns, limit)  # one group, one answer
        cache = self._cache
        hit = cache.get(key)
        if hit is None:
            answer = authority.lookup(self.view, address, query.qname, qtype, "IN")
            base = Query(0, 0, _folded(query.question), query.qname, query.qtype, query.qclass, query.edns)
            zone = answer.zone
            if qtype == "DS" and zone is not None and zone == query.qname.lower().rstrip("."):
                zone = None  # a zone answers its own DS only while no parent zone is served
            hit = (encode(base, answer, limit), RESULT_RCODES[answer.result], cache_tag(group, zone))
            if len(cache) >= self.capacity:
                old_key, old = cache.popitem(last=False)
                self._cache_tags[old[2]].discard(old_key)
            cache[key] = hit
            self._cache_tags[hit[2]].add(key)
        else:
            cache.move_to_end(key)  # least recently used goes first
        return Reply(_patch(hit[0], query), query.qname, qtype, hit[1]), hit[2]
