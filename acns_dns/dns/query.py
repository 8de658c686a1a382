"""Parsing a DNS query by hand: header, question (in the client's case) and the OPT record.

Owns the rules decided before any lookup: what is dropped (shorter than a header, QR=1),
FORMERR (QDCOUNT != 1, a malformed question or record, more than one OPT, trailing octets),
NOTIMP (opcodes other than QUERY) and BADVERS (EDNS version > 0). Parsing never raises for a
malformed message: the error is kept in ``Query.error`` so the response can still echo what
did parse. The wire header constants live here too. Imports: nothing from the package.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass, replace

log = logging.getLogger(__name__)

HEADER = struct.Struct("!HHHHHH")
RR_FIXED = struct.Struct("!HHIH")  # type, class, TTL, RDLENGTH
SERVER_PAYLOAD = 1232  # our UDP cap and the size we advertise (DNS Flag Day 2020, RFC 9471 §3.1)
CLASSIC_PAYLOAD = 512  # RFC 1035 §4.2.1; also the floor for EDNS payloads (RFC 6891 §6.2.5)
TCP_LIMIT = 65535  # RFC 7766 §5: never truncate on TCP below the message limit

QR, AA, TC, RD, RA, Z, AD, CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0040, 0x0020, 0x0010
OPCODE_BITS = 0x7800
EDNS_DO = 0x8000
TYPE_OPT, TYPE_IXFR, TYPE_AXFR, TYPE_ANY, CLASS_IN = 41, 251, 252, 255, 1

NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, BADVERS = 0, 1, 2, 3, 4, 5, 16
_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*")


class Drop(Exception):
    """A packet that gets no reply at all: shorter than a header, or itself a response."""


class _Malformed(Exception):
    """The message does not parse past some point (answered with FORMERR)."""


@dataclass(frozen=True, slots=True)
class Edns:
    """What the query's OPT record asked for (RFC 6891 §6.1.3)."""

    payload: int
    version: int
    do: bool


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query; ``error`` is the rcode to give without any lookup, if any."""

    id: int
    flags: int
    question: bytes = b""  # the question section as sent: name (client's case), type, class
    qname: str = ""  # presentation form as sent, no trailing dot ("" for the root)
    qtype: int = 0
    qclass: int = 0
    edns: Edns | None = None
    error: int | None = None

    @property
    def opcode(self) -> int:
        """The header OPCODE."""
        return (self.flags & OPCODE_BITS) >> 11

    def limit(self, tcp: bool) -> int:
        """The largest response allowed (RFC 6891 §6.2.3, §6.2.5; RFC 1035 §4.2.1)."""
        if tcp:
            return TCP_LIMIT
        if self.edns is None:
            return CLASSIC_PAYLOAD
        return min(max(self.edns.payload, CLASSIC_PAYLOAD), SERVER_PAYLOAD)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 12

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise _Malformed("message ends early")
        chunk, self.pos = self.data[self.pos:end], end
        return chunk

    def fixed(self) -> tuple[int, int, int, int]:
        values: tuple[int, int, int, int] = RR_FIXED.unpack(self.take(RR_FIXED.size))
        return values

    def skip_name(self) -> None:
        """Step over a name; compression pointers end it (RFC 1035 §4.1.4)."""
        total = 0
        while True:
            length = self.take(1)[0]
            if length & 0xC0 == 0xC0:
                self.take(1)
                return
            if length & 0xC0:
                raise _Malformed("unknown label type")  # RFC 6891 §5: extended labels are gone
            if length == 0:
                return
            total += length + 1
            if total > 254:
                raise _Malformed("name longer than 255 octets")
            self.take(length)

    def question_name(self) -> tuple[bytes, str]:
        """The question name as sent (no pointers can precede it) and its text form."""
        start, labels = self.pos, []
        while True:
            length = self.take(1)[0]
            if length == 0:
                break
            if length & 0xC0:
                raise _Malformed("compression or label type in the question name")
            labels.append(_label_text(self.take(length)))
            if self.pos - start > 254:  # with the final zero octet still to come
                raise _Malformed("question name longer than 255 octets")
        return self.data[start:self.pos], ".".join(labels)  # RFC 1035 §3.1: 255 with the zero


def _label_text(label: bytes) -> str:
    """Presentation form of one label; odd octets as \\DDD so they never match a real name."""
    if all(octet in _SAFE for octet in label):
        return label.decode("ascii")
    return "".join(chr(o) if o in _SAFE else f"\\{o:03d}" for o in label)


def parse(data: bytes) -> Query:
    """Parse a query; a malformed one comes back with ``error`` set, never an exception.

    Raises:
        Drop: shorter than a header, or QR=1 (answering a response invites loops).
    """
    if len(data) < HEADER.size:
        raise Drop("shorter than a DNS header")
    ident, flags, qdcount, ancount, nscount, arcount = HEADER.unpack_from(data)
    if flags & QR:
        raise Drop("a response, not a query")
    reader, seen = _Reader(data), _Seen()
    malformed = False
    try:
        _question(reader, qdcount, seen)
        for _ in range(ancount + nscount):
            reader.skip_name()
            rtype, _, _, rdlength = reader.fixed()
            if rtype == TYPE_OPT:
                raise _Malformed("OPT outside the additional section")
            reader.take(rdlength)
        _additional(reader, arcount, seen)
        if reader.pos != len(data):
            raise _Malformed("trailing octets after the message")
    except _Malformed as exc:
        log.debug("malformed query %d: %s", ident, exc)
        malformed = True
    query = Query(ident, flags, seen.question, seen.qname, seen.qtype, seen.qclass, seen.edns)
    if query.opcode != 0:
        return replace(query, error=NOTIMP)  # RFC 8906 §3.1.4; IQUERY too (RFC 3425 §3)
    if malformed or qdcount != 1:
        return replace(query, error=FORMERR)  # RFC 9619 §4 for QDCOUNT != 1
    if query.edns is not None and query.edns.version > 0:
        return replace(query, error=BADVERS)  # RFC 6891 §6.1.3
    return query


@dataclass(slots=True)
class _Seen:
    """What parsing got to before it stopped."""

    question: bytes = b""
    qname: str = ""
    qtype: int = 0
    qclass: int = 0
    edns: Edns | None = None


def _question(reader: _Reader, qdcount: int, seen: _Seen) -> None:
    for _ in range(qdcount):
        _, text = reader.question_name()
        qtype, qclass = struct.unpack("!HH", reader.take(4))
        if qdcount == 1:
            seen.question, seen.qname = reader.data[HEADER.size:reader.pos], text
            seen.qtype, seen.qclass = qtype, qclass


def _additional(reader: _Reader, arcount: int, seen: _Seen) -> None:
    for _ in range(arcount):
        owner = reader.pos
        reader.skip_name()
        rtype, rclass, ttl, rdlength = reader.fixed()
        rdata = reader.take(rdlength)
        if rtype != TYPE_OPT:
            continue
        if seen.edns is not None:
            raise _Malformed("more than one OPT")  # RFC 6891 §6.1.1
        seen.edns = Edns(rclass, (ttl >> 16) & 0xFF, bool(ttl & EDNS_DO))
        if reader.data[owner] != 0:
            raise _Malformed("OPT owner is not the root")
        _check_options(rdata)


def _check_options(rdata: bytes) -> None:
    """Options must tile RDATA exactly; their codes are ignored (RFC 6891 §6.1.2)."""
    pos = 0
    while pos < len(rdata):
        if pos + 4 > len(rdata):
            raise _Malformed("truncated EDNS option")
        _, length = struct.unpack_from("!HH", rdata, pos)
        pos += 4 + length
    if pos != len(rdata):
        raise _Malformed("EDNS option overruns the OPT record")
