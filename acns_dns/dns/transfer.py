"""Zone transfer out: AXFR (RFC 5936) and IXFR (RFC 1995) over TCP, to named clients only.

``Transfers.respond`` answers one AXFR or IXFR query with the messages of the transfer. The
zone is the one the asked address serves with that apex; its content is the zone-file form
(``export.zone_records``), so a secondary holds exactly what an export writes. IXFR sends the
deltas ``ZoneHistory`` kept from the client's serial on (RFC 1995 §4), the single current SOA
when the client is up to date (§2), and the whole zone in AXFR form when the history no
longer reaches the client's serial (§4). Only clients inside ``Settings.allow`` get a
transfer; everyone else gets REFUSED (RFC 5936 §6). Over UDP transfers stay REFUSED (``wire``).
Imports: query, wire, rrwire, view, zone_history.
"""

from __future__ import annotations

import ipaddress
import logging
import struct
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from acns_dns.dns import rrwire, wire
from acns_dns.dns.query import (
    AA,
    CD,
    EDNS_DO,
    FORMERR,
    HEADER,
    NOERROR,
    OPCODE_BITS,
    QR,
    RD,
    REFUSED,
    RR_FIXED,
    SERVER_PAYLOAD,
    SERVFAIL,
    TYPE_AXFR,
    TYPE_IXFR,
    TYPE_OPT,
    Query,
    parse,
)
from acns_dns.dns.view import RR, View, ZoneData
from acns_dns.dns.zone_history import Delta, Key, ZoneHistory, key_for, serial_lt, serial_of, transferable

log = logging.getLogger(__name__)

NOTAUTH = 9  # RFC 2136 §2.2; RFC 5936 §2.2.1: not authoritative for the zone asked
MESSAGE_SIZE = 16384  # octets per transfer message (RFC 5936 §2.2: many RRs per message)
CACHED_TRANSFERS = 32
TRANSFER_TYPES = (TYPE_AXFR, TYPE_IXFR)
_Cached = tuple[ZoneData, Mapping[str, ZoneData], list[RR]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Settings:
    """Who may transfer zones, and which secondaries are told of changes.

    allow: client networks that may AXFR/IXFR (none: every transfer is REFUSED).
    notify_ports: ports where secondaries made by ``acns-dns export`` listen on the simulated
        addresses; every change to a zone is NOTIFYed to one address of each server group
        serving it, on each of these ports.
    notify: further secondaries (address, port) told of every change to any zone.
    """

    allow: tuple[Network, ...] = ()
    notify_ports: tuple[int, ...] = ()
    notify: tuple[tuple[str, int], ...] = ()
    history_entries: int = field(default=64, compare=False)

    @classmethod
    def parse(cls, allow: Iterable[str] = (), notify_ports: Iterable[int] = (),
              notify: Iterable[str] = ()) -> Settings:
        """From command-line text; ValueError names the option and the bad value."""
        networks = []
        for text in allow:
            try:
                networks.append(ipaddress.ip_network(text.strip(), strict=False))
            except ValueError:
                raise ValueError(f"--allow-transfer {text!r}: not an IP address or prefix "
                                 "(for example 127.0.0.0/8 or ::1)") from None
        ports = []
        for port in notify_ports:
            if not 0 < int(port) < 65536:
                raise ValueError(f"--notify-port {port}: not a port (1-65535)")
            ports.append(int(port))
        targets = [_target(text) for text in notify]
        return cls(tuple(networks), tuple(ports), tuple(targets))

    def allows(self, client: str) -> bool:
        """Whether ``client`` may transfer zones."""
        try:
            address = ipaddress.ip_address(client.split("%")[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.allow)


def _target(text: str) -> tuple[str, int]:
    address, _, port = text.strip().rpartition("@")
    try:
        ipaddress.ip_address(address)
        number = int(port)
        if not 0 < number < 65536:
            raise ValueError(port)
    except ValueError:
        raise ValueError(f"--notify {text!r}: expected ADDRESS@PORT, for example 127.0.0.1@5301") from None
    return address, number


def question_type(data: bytes) -> int:
    """The QTYPE of a message's first question, cheaply (0 when there is none to read)."""
    if len(data) < HEADER.size + 5 or data[4:6] != b"\x00\x01":
        return 0
    pos = HEADER.size
    for _ in range(128):
        length = data[pos]
        if length == 0 or length & 0xC0:
            break
        pos += 1 + length
        if pos >= len(data):
            return 0
    if pos + 3 > len(data) or data[pos]:
        return 0
    return int.from_bytes(data[pos + 1:pos + 3], "big")


def _client_serial(data: bytes, query: Query) -> int | None:
    """The SERIAL of the SOA in an IXFR query's authority section (RFC 1995 §3)."""
    ancount, nscount = struct.unpack_from("!HH", data, 6)
    pos = HEADER.size + len(query.question)
    for index in range(ancount + nscount):
        for _ in range(128):  # step over the owner name
            if pos >= len(data):
                return None
            length = data[pos]
            if length & 0xC0 == 0xC0:
                pos += 2
                break
            pos += 1 + length
            if length == 0:
                break
        if pos + RR_FIXED.size > len(data):
            return None
        rtype, _, _, rdlength = RR_FIXED.unpack_from(data, pos)
        pos += RR_FIXED.size
        end = pos + rdlength
        if end > len(data):
            return None
        if index >= ancount and rtype == 6 and rdlength >= 22:  # SOA: the 5 numbers close the rdata
            return int(struct.unpack_from("!I", data, end - 20)[0])
        pos = end
    return None


def _opt(query: Query) -> bytes:
    if query.edns is None:
        return b""
    return b"\x00" + RR_FIXED.pack(TYPE_OPT, SERVER_PAYLOAD, EDNS_DO if query.edns.do else 0, 0)


def pack(query: Query, records: Sequence[RR], size: int = MESSAGE_SIZE) -> list[bytes]:
    """``records`` as transfer messages for ``query``: the question in the first only (RFC 5936
    §2.2.1), each record whole, as many per message as fit in ``size`` octets."""
    opt = _opt(query)
    flags = QR | AA | (query.flags & (OPCODE_BITS | RD | CD))
    messages: list[bytes] = []
    question = query.question
    packer = rrwire.Packer(bytes(HEADER.size), question, size - len(opt))
    for rr in records:
        encoded = rr.encoded()
        if packer.add(0, [encoded]):
            continue
        if not packer.counts[0]:
            raise ValueError(f"record {rr.name} {rr.rtype} does not fit in a message")
        messages.append(_finish(query, flags, packer, bool(question), opt))
        question = b""
        packer = rrwire.Packer(bytes(HEADER.size), b"", size - len(opt))
        if not packer.add(0, [encoded]):
            raise ValueError(f"record {rr.name} {rr.rtype} does not fit in a message")
    messages.append(_finish(query, flags, packer, bool(question), opt))
    return messages


def _finish(query: Query, flags: int, packer: rrwire.Packer, with_question: bool, opt: bytes) -> bytes:
    header = HEADER.pack(query.id, flags, 1 if with_question else 0, packer.counts[0], 0, 1 if opt else 0)
    return header + bytes(packer.buf[HEADER.size:]) + opt


def ixfr_records(current: RR, deltas: Sequence[Delta]) -> list[RR]:
    """An incremental transfer (RFC 1995 §4): the current SOA, then per delta the old SOA, what
    went, the new SOA, what came; the current SOA again at the end."""
    records = [current]
    for delta in deltas:
        records += [delta.old_soa, *delta.removed, delta.new_soa, *delta.added]
    records.append(current)
    return records


def notify_plan(view: View, changed: Iterable[Key]) -> list[tuple[Key, RR, list[str]]]:
    """For each changed zone: its SOA now and one address per server group serving it (the
    group's first, where ``acns-dns export`` makes one secondary instance listen)."""
    wanted = set(changed)
    plan: dict[Key, tuple[RR, list[str]]] = {}
    seen: set[tuple[Key, int]] = set()
    for server in view.listing:
        for apex, zone in server.zones.items():
            key = key_for(server, apex)
            if key not in wanted or (key, id(server.zones)) in seen:
                continue
            seen.add((key, id(server.zones)))
            address = server.ipv4 or server.ipv6
            if address:
                plan.setdefault(key, (zone.soa, []))[1].append(address)
    return [(key, soa, addresses) for key, (soa, addresses) in plan.items()]


class Transfers:
    """Answers AXFR and IXFR for one DNS server.

    Args:
        settings: who may transfer.
        history: the serials and deltas of every zone served.
    """

    def __init__(self, settings: Settings, history: ZoneHistory) -> None:
        self.settings, self.history = settings, history
        self.served = self.refused = 0  # transfers given and refused, for tests and the curious
        self._cache: OrderedDict[tuple[int, int], _Cached] = OrderedDict()

    def respond(self, view: View, data: bytes, address: str, client: str) -> tuple[list[bytes], str, int]:
        """The messages answering an AXFR/IXFR query, the zone's name and the rcode."""
        query = parse(data)
        if query.error is not None:
            return [wire.error_response(query, query.error)], query.qname, query.error
        if not self.settings.allows(client):
            self.refused += 1
            return [wire.error_response(query, REFUSED)], query.qname, REFUSED
        server = view.server(address)
        apex = query.qname.lower().rstrip(".")
        zone = server.zones.get(apex) if server is not None else None
        if server is None or zone is None or query.qclass != 1:
            return [wire.error_response(query, NOTAUTH)], query.qname, NOTAUTH
        try:
            records = self._records(query, data, server.zones, zone, key_for(server, apex))
            if records is None:
                return [wire.error_response(query, FORMERR)], query.qname, FORMERR
            messages = pack(query, records)
        except Exception as exc:  # a record that cannot be encoded fails this transfer only
            wire.log_failure_once(f"transfer of {apex or '.'} from {address}", exc)
            return [wire.error_response(query, SERVFAIL)], query.qname, SERVFAIL
        self.served += 1
        return messages, query.qname, NOERROR

    def _records(self, query: Query, data: bytes, zones: Mapping[str, ZoneData], zone: ZoneData,
                 key: tuple[str, str, str]) -> list[RR] | None:
        current = zone.soa
        if query.qtype == TYPE_IXFR:
            serial = _client_serial(data, query)
            if serial is None:
                return None  # RFC 1995 §3: the query carries the client's SOA
            if not serial_lt(serial, serial_of(current)):
                return [current]  # up to date (or ahead): the single SOA (RFC 1995 §2)
            deltas = self.history.deltas_since(key, serial, serial_of(current))
            if deltas is not None:
                return ixfr_records(current, deltas)
        assert query.qtype in (TYPE_AXFR, TYPE_IXFR)
        return [*self._whole(zone, zones), current]

    def _whole(self, zone: ZoneData, zones: Mapping[str, ZoneData]) -> list[RR]:
        """The zone-file records of ``zone`` (SOA first), computed once per zone object."""
        cache_key = (id(zone), id(zones))
        hit = self._cache.get(cache_key)
        if hit is not None and hit[0] is zone and hit[1] is zones:
            self._cache.move_to_end(cache_key)
            return hit[2]
        records = transferable(zone, frozenset(zones))
        self._cache[cache_key] = (zone, zones, records)
        while len(self._cache) > CACHED_TRANSFERS:
            self._cache.popitem(last=False)
        return records


__all__ = ["NOERROR", "NOTAUTH", "TRANSFER_TYPES", "TYPE_AXFR", "TYPE_IXFR", "Settings", "Transfers",
           "ixfr_records", "notify_plan", "pack", "question_type"]
