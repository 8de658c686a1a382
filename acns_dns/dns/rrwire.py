"""Records in wire form: encoded once when their zone is compiled, packed by concatenation.

``encode(name, rtype, ttl, rdata)`` turns one record into an ``Encoded``: its owner as a
``Name`` (labels with their suffixes, ready for compression), the fixed fields and the rdata
as octets and names. The common types (A, AAAA, NS, CNAME, PTR, MX, SOA, TXT) are encoded here;
every other type, and any text outside the plain forms, goes through dnslib's zone parser once,
so the octets are dnslib's. ``Packer`` builds a response from encoded records with dnslib's
name compression (RFC 1035 §4.1.4; names in rdata only for the RFC 1035 types, RFC 3597 §4),
so a cache miss is dictionary lookups and concatenation, never a parse.
A record that cannot be encoded keeps its error, raised when it is packed (SERVFAIL for that
question only). Imports: dnslib.
"""

from __future__ import annotations

import re
import socket
import struct
from functools import lru_cache

from dnslib import QTYPE
from dnslib import RR as DnsRR
from dnslib.label import DNSBuffer, DNSLabel

from acns_dns.world import txt

CLASS_IN = 1
POINTER_LIMIT = 0x4000  # a compression pointer holds a 14-bit offset (RFC 1035 §4.1.4)
_PLAIN_NAME = re.compile(r"(?:[A-Za-z0-9_*-]{1,63}\.)+\Z")
_FIXED = struct.Struct("!HHI")
_SOA_TIMES = struct.Struct("!IIIII")
_U16 = struct.Struct("!H")


class Name:
    """A domain name for packing: per label, the octets of the name from there on (the key
    compression looks up) and the label's own octets."""

    __slots__ = ("steps", "__weakref__")

    def __init__(self, labels: tuple[bytes, ...]) -> None:
        if sum(len(label) + 1 for label in labels) > 254:
            raise ValueError("domain name longer than 255 octets (RFC 1035 §3.1)")
        steps = []
        for index, label in enumerate(labels):
            if not 0 < len(label) < 64:
                raise ValueError(f"label {label!r} is not 1 to 63 octets (RFC 1035 §2.3.4)")
            key = b"".join(bytes((len(part),)) + part for part in labels[index:]) + b"\x00"
            steps.append((key, bytes((len(label),)) + label))
        self.steps: tuple[tuple[bytes, bytes], ...] = tuple(steps)


Part = bytes | Name


class Encoded:
    """One record ready to pack: the owner, then either ``tail`` (type, class, TTL, rdlength
    and rdata, all fixed) or ``fixed`` (type, class, TTL) and the rdata ``parts``."""

    __slots__ = ("owner", "tail", "fixed", "parts", "error")

    def __init__(self, owner: Name | None, tail: bytes | None = None, fixed: bytes = b"",
                 parts: tuple[Part, ...] = (), error: Exception | None = None) -> None:
        self.owner, self.tail, self.fixed, self.parts, self.error = owner, tail, fixed, parts, error


@lru_cache(maxsize=1 << 18)
def name(text: str) -> Name:
    """The ``Name`` of a plain FQDN text (shared: the same name is encoded once)."""
    if text in (".", ""):
        return Name(())
    return Name(tuple(label.encode("ascii") for label in text.rstrip(".").split(".")))


def _plain(text: str) -> bool:
    return text == "." or _PLAIN_NAME.match(text) is not None


def encode(owner: str, rtype: str, ttl: int, rdata: str) -> Encoded:
    """The wire form of one record; owner and rdata as zone text (the owner without the dot)."""
    fqdn = owner + "." if owner else "."
    try:
        if _plain(fqdn):
            fast = _fast(name(fqdn), rtype, ttl, rdata)
            if fast is not None:
                return fast
        return _with_dnslib(f"{fqdn} {ttl} IN {rtype} {rdata}")
    except Exception as exc:  # kept, and raised when a response needs this record
        return Encoded(None, error=exc)


def _fast(owner: Name, rtype: str, ttl: int, rdata: str) -> Encoded | None:
    """The common types in their plain forms; None sends the record to dnslib instead."""
    code = _TYPES.get(rtype)
    if code is None:
        return None
    fixed = _FIXED.pack(code, CLASS_IN, ttl)
    if rtype in ("A", "AAAA"):
        try:
            octets = socket.inet_pton(socket.AF_INET if rtype == "A" else socket.AF_INET6, rdata)
        except OSError:
            return None
        return Encoded(owner, fixed + _U16.pack(len(octets)) + octets)
    if rtype == "TXT":  # RFC 1035 §5.1 quoting, as the world stores it
        octets = txt.wire(txt.parse(rdata))
        return Encoded(owner, fixed + _U16.pack(len(octets)) + octets)
    fields = rdata.split()
    if rtype in ("NS", "CNAME", "PTR") and len(fields) == 1 and _plain(fields[0]):
        return Encoded(owner, fixed=fixed, parts=(name(fields[0]),))
    if rtype == "MX" and len(fields) == 2 and fields[0].isdigit() and _plain(fields[1]):
        return Encoded(owner, fixed=fixed, parts=(_U16.pack(int(fields[0])), name(fields[1])))
    if (rtype == "SOA" and len(fields) == 7 and _plain(fields[0]) and _plain(fields[1])
            and all(f.isdigit() for f in fields[2:])):
        times = _SOA_TIMES.pack(*(int(f) for f in fields[2:]))
        return Encoded(owner, fixed=fixed, parts=(name(fields[0]), name(fields[1]), times))
    return None


_TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}


class _Recorder(DNSBuffer):  # type: ignore[misc]
    """A dnslib buffer that keeps the names rdata asks to compress as ``Name`` parts."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[Part] = []
        self.mark = 0

    def flush(self) -> None:
        if self.offset > self.mark:
            self.parts.append(bytes(self.data[self.mark:self.offset]))
            self.mark = self.offset

    def encode_name(self, label: object) -> None:
        self.flush()
        self.parts.append(Name(DNSLabel(label).label))


def _with_dnslib(text: str) -> Encoded:
    """Any record dnslib can read from zone text, parsed this once."""
    parsed = DnsRR.fromZone(text)
    if len(parsed) != 1:
        raise ValueError(f"{text!r} is not one record")
    record = parsed[0]
    recorder = _Recorder()
    record.rdata.pack(recorder)
    recorder.flush()
    fixed = _FIXED.pack(record.rtype, record.rclass, record.ttl)
    owner = Name(record.rname.label)
    if all(isinstance(part, bytes) for part in recorder.parts):
        octets = b"".join(recorder.parts)  # type: ignore[arg-type]
        return Encoded(owner, fixed + _U16.pack(len(octets)) + octets)
    return Encoded(owner, fixed=fixed, parts=tuple(recorder.parts))


def type_code(rtype: str) -> int:
    """The number of a type mnemonic (``TYPE65534`` included)."""
    return _TYPES.get(rtype) or int(getattr(QTYPE, rtype))


class Packer:
    """A response being packed, with roll-back to an RRset boundary.

    ``names`` maps the octets of every name suffix written so far to its offset; a later name
    that ends in one of them points there (the same choices dnslib makes).
    """

    __slots__ = ("buf", "names", "room", "counts")

    def __init__(self, header: bytes, question: bytes, room: int) -> None:
        self.buf = bytearray(header + question)
        self.room = room
        self.names: dict[bytes, int] = {}
        self.counts = [0, 0, 0]
        pos = len(header)  # answers compress against the question name (RFC 1035 §4.1.4)
        end = len(header) + len(question) - 4
        while pos < end and self.buf[pos]:
            self.names[bytes(self.buf[pos:end])] = pos
            pos += 1 + self.buf[pos]

    def _name(self, value: Name, added: list[bytes]) -> None:
        buf, names = self.buf, self.names
        for key, label in value.steps:
            offset = names.get(key)
            if offset is not None:
                buf += _U16.pack(0xC000 | offset)
                return
            if len(buf) < POINTER_LIMIT:
                names[key] = len(buf)
                added.append(key)
            buf += label
        buf.append(0)

    def add(self, section: int, records: list[Encoded]) -> bool:
        """Pack one RRset; False (and nothing added) when it does not fit."""
        buf = self.buf
        mark, added = len(buf), list[bytes]()
        for record in records:
            if record.owner is None:
                raise ValueError(f"record cannot be encoded: {record.error}") from record.error
            self._name(record.owner, added)
            if record.tail is not None:
                buf += record.tail
                continue
            buf += record.fixed
            length_at = len(buf)
            buf += b"\x00\x00"
            for part in record.parts:
                if isinstance(part, bytes):
                    buf += part
                else:
                    self._name(part, added)
            _U16.pack_into(buf, length_at, len(buf) - length_at - 2)
        if len(buf) > self.room:
            del buf[mark:]
            for key in added:
                del self.names[key]
            return False
        self.counts[section] += len(records)
        return True
