"""The §1.3 conformance checklist of spec/dns-behaviour.md as one table of DNS cases.

Each ``Case`` names the checklist row it covers, where the query goes, how it is built and
what the response must hold. ``test_checklist`` runs every case against ``wire.Responder``
(no sockets) and over real UDP and TCP sockets; ``check`` also asserts the invariants every
response must meet (H1, H2, H3, Z4, A2, E1, E2).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype

from acns_dns.world import infrastructure, scenario
from acns_dns.world.models import Network, World
from acns_dns.world.registry import Registry

EDGE = "127.0.0.1"
NOERROR, FORMERR, NXDOMAIN, NOTIMP, REFUSED, BADVERS = 0, 1, 3, 4, 5, 16
LONG_TXT = "x" * 120
BIG_NS = [f"ns{i}.bigglue.com" for i in range(1, 14)]
SOA_EXAMPLE = ("example.com. 1800 IN SOA ns1.example.com. dns.cloudflare.com. "
               "2026112801 10000 2400 604800 1800")
MAX_QNAME = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 49, "example", "com"])  # 255 octets on the wire


def build_registry(network: Network | None = None) -> Registry:
    """The default scenario plus what the checklist needs (ENT, big RRsets, more delegations)."""
    registry = Registry(scenario.load("default", network=network))
    zone = next(z.id for z in registry.world.zones.values() if z.name == "example.com")
    registry.add_record(zone, "a.b", "A", "192.0.2.50")  # b.example.com: empty non-terminal
    for i in range(6):  # ~800 octets: more than 512, less than 1232
        registry.add_record(zone, "big", "TXT", f'"{i}{LONG_TXT}"')
    for i in range(12):  # ~1600 octets: more than 1232
        registry.add_record(zone, "huge", "TXT", f'"{i}{LONG_TXT}"')
    registrar = "example-registrar"
    register = infrastructure.register_domain
    registry.apply(register, registrar, "bigglue.com", BIG_NS)
    for i, host in enumerate(BIG_NS, start=1):
        registry.set_glue(registrar, host, [f"192.0.2.{100 + i}"], [f"2001:db8::{100 + i}"])
    registry.apply(register, registrar, "sib.com", ["ns1.example.com", "ns2.example.com"])
    registry.apply(register, registrar, "oob.com", ["ns1.example.net", "ns2.example.net"])
    return registry


def placeholders(world: World) -> dict[str, str]:
    """Addresses the expected records refer to ({ns1}, {ns1_6}, ...)."""
    found = {"edge": EDGE}
    for ns in world.custom_ns:
        label = ns.ns_name.split(".")[0]
        found[label], found[f"{label}_6"] = ns.ipv4, ns.ipv6
    return found


def _set_header_bits(mask: int) -> Callable[[bytes], bytes]:
    def transform(data: bytes) -> bytes:
        flags = struct.unpack_from("!H", data, 2)[0] | mask
        return data[:2] + struct.pack("!H", flags) + data[4:]
    return transform


def _with_counts(ar_delta: int = 0, extra: bytes = b"") -> Callable[[bytes], bytes]:
    def transform(data: bytes) -> bytes:
        ident, flags, qdcount, an, ns, ar = struct.unpack_from("!6H", data)
        return struct.pack("!6H", ident, flags, qdcount, an, ns, ar + ar_delta) + data[12:] + extra
    return transform


def _question_end(data: bytes) -> int:
    return 12 + len(data[12:].split(b"\x00", 1)[0]) + 5


def _two_questions(data: bytes) -> bytes:
    end = _question_end(data)
    return data[:4] + struct.pack("!H", 2) + data[6:end] + data[12:end] + data[end:]


def _no_question(data: bytes) -> bytes:
    return data[:4] + struct.pack("!H", 0) + data[6:12] + data[_question_end(data):]


def _truncate_question(data: bytes) -> bytes:
    return data[:12 + 5]  # the header promises a question; the name stops mid-label


UNKNOWN_OPTION = dns.edns.GenericOption(100, b"\xff")  # type: ignore[arg-type]  # a code nobody uses
OPT_RR = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)
BAD_OPT_RR = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 4) + struct.pack("!HH", 100, 9)


@dataclass(frozen=True)
class Case:
    """One query and what its response must hold. Sections: RR texts, or "owner TYPE" pairs."""

    id: str
    at: str  # edge, com, ns1.example.com (a server name), or an address
    qname: str = "example.com"
    qtype: str = "SOA"
    qclass: str = "IN"
    edns: int | None = 0  # EDNS version; None = no OPT
    payload: int = 1232
    do: bool = False
    ednsflags: int = 0
    options: tuple[dns.edns.Option, ...] = ()
    flags: int = dns.flags.RD
    raw: Callable[[bytes], bytes] | None = None
    rcode: int | None = NOERROR  # None: no reply at all
    has: str = ""  # header flags that must be set
    lacks: str = ""  # header flags that must be clear
    answer: tuple[str, ...] | None = None
    authority: tuple[str, ...] | None = None
    additional: tuple[str, ...] | None = None
    includes: tuple[str, ...] = ()  # RRs that must appear in additional
    transports: tuple[str, ...] = ("unit", "udp", "tcp")
    opt: bool | None = None  # OPT expected in the response (default: iff the query had one)
    check_question: bool = True
    extra: dict[str, object] = field(default_factory=dict)


REFERRAL_EXAMPLE = ("example.com. 172800 IN NS ns1.example.com.",
                    "example.com. 172800 IN NS ns2.example.com.")
GLUE_EXAMPLE = ("ns1.example.com. 172800 IN A {ns1}", "ns1.example.com. 172800 IN AAAA {ns1_6}",
                "ns2.example.com. 172800 IN A {ns2}", "ns2.example.com. 172800 IN AAAA {ns2_6}")
APEX_NS = ("example.com. 86400 IN NS ns1.example.com.", "example.com. 86400 IN NS ns2.example.com.")
NS_ADDRESSES = ("ns1.example.com. 86400 IN A {ns1}", "ns1.example.com. 86400 IN AAAA {ns1_6}",
                "ns2.example.com. 86400 IN A {ns2}", "ns2.example.com. 86400 IN AAAA {ns2_6}")
UDP = ("unit", "udp")

CASES: tuple[Case, ...] = (
    # --- header ---------------------------------------------------------------------------
    Case("H1-flags-copied", "ns1.example.com", flags=dns.flags.RD | dns.flags.CD, has="qr aa rd cd",
         lacks="ra tc ad", answer=(f"{SOA_EXAMPLE.replace(' 1800 IN', ' 3600 IN')}",)),
    Case("H2-no-recursion", "edge", "www.example.com", "A", has="qr aa rd", lacks="ra",
         answer=("www.example.com. 300 IN A 192.0.2.10",)),
    Case("H3-z-bit", "edge", "www.example.com", "A", raw=_set_header_bits(0x0040), has="aa", lacks="ra ad",
         answer=("www.example.com. 300 IN A 192.0.2.10",)),
    Case("H3-ad-bit", "edge", "www.example.com", "A", flags=dns.flags.AD, has="aa", lacks="ad ra rd",
         answer=("www.example.com. 300 IN A 192.0.2.10",)),
    Case("H4-opcode-15", "edge", raw=_set_header_bits(15 << 11), rcode=NOTIMP, lacks="aa"),
    Case("H4-iquery", "edge", raw=_set_header_bits(1 << 11), rcode=NOTIMP, lacks="aa"),
    Case("H5-qdcount-2", "edge", raw=_two_questions, rcode=FORMERR, lacks="aa", check_question=False),
    Case("H5-qdcount-0", "edge", raw=_no_question, rcode=FORMERR, lacks="aa", check_question=False),
    Case("H6-qr-set-dropped", "edge", raw=_set_header_bits(0x8000), rcode=None, transports=UDP),
    Case("H6-short-dropped", "edge", raw=lambda data: data[:11], rcode=None, transports=UDP),
    Case("H6-bad-body", "edge", edns=None, raw=_truncate_question, rcode=FORMERR, lacks="aa",
         check_question=False),
    Case("H7-class-ch", "edge", "version.bind", "TXT", qclass="CH", rcode=REFUSED, lacks="aa"),
    # --- zone choice ----------------------------------------------------------------------
    Case("Z1-outside-zones", "ns1.example.com", "example.edu", "A", rcode=REFUSED, lacks="aa",
         answer=(), authority=(), additional=()),
    Case("Z1-tld-other-tld", "com", "www.example.net", "A", rcode=REFUSED, lacks="aa", authority=()),
    Case("Z2-tld-refers", "com", "www.example.com", "A", lacks="aa", answer=(), authority=REFERRAL_EXAMPLE),
    Case("Z3-mixed-case", "edge", "WwW.ExAmPlE.CoM", "A", has="aa",
         answer=("www.example.com. 300 IN A 192.0.2.10",)),
    Case("Z4-case-echoed", "ns2.example.com", "EXAMPLE.com", "NS", has="aa", answer=APEX_NS),
    # --- authoritative data ---------------------------------------------------------------
    Case("A1-apex-ns", "edge", "example.com", "NS", has="aa", answer=APEX_NS),
    Case("A3-apex-soa", "ns1.example.com", has="aa", answer=(SOA_EXAMPLE.replace(" 1800 IN", " 3600 IN"),)),
    Case("A4-ns-addresses", "ns1.example.com", "example.com", "NS", has="aa", answer=APEX_NS,
         additional=NS_ADDRESSES),
    Case("A6-any", "edge", "example.com", "ANY", has="aa", extra={"answer_nonempty": True}),
    Case("A6-any-nxdomain", "edge", "nope.example.com", "ANY", rcode=NXDOMAIN, has="aa",
         authority=(SOA_EXAMPLE,)),
    # --- negative answers -----------------------------------------------------------------
    Case("N1-nxdomain", "ns1.example.com", "nope.example.com", "A", rcode=NXDOMAIN, has="aa", answer=(),
         authority=(SOA_EXAMPLE,)),
    Case("N2-nodata", "edge", "example.com", "AAAA", has="aa", answer=(), authority=(SOA_EXAMPLE,)),
    Case("N3-negative-ttl", "edge", "www.example.com", "MX", has="aa", authority=(SOA_EXAMPLE,)),
    Case("N4-empty-non-terminal", "edge", "b.example.com", "A", has="aa", answer=(),
         authority=(SOA_EXAMPLE,)),
    Case("N5-unknown-type", "edge", "www.example.com", "TYPE65534", has="aa", answer=(),
         authority=(SOA_EXAMPLE,)),
    Case("N5-unknown-type-absent-name", "edge", "nope.example.com", "TYPE65534", rcode=NXDOMAIN, has="aa"),
    # --- referrals ------------------------------------------------------------------------
    Case("R1-child-apex-soa", "com", "example.com", "SOA", lacks="aa", answer=(), authority=REFERRAL_EXAMPLE,
         additional=GLUE_EXAMPLE),
    Case("R2-in-domain-glue", "com", "www.example.com", "A", edns=None, lacks="aa tc", answer=(),
         authority=REFERRAL_EXAMPLE, additional=GLUE_EXAMPLE),
    Case("R2-glue-too-big-tc", "com", "www.bigglue.com", "A", edns=None, has="tc", lacks="aa", answer=(),
         authority=(), additional=(), transports=UDP),
    Case("R2-glue-fits-edns", "com", "www.bigglue.com", "A", lacks="aa tc",
         extra={"authority_count": 13, "additional_count": 26}),
    Case("R2-glue-tcp", "com", "www.bigglue.com", "A", edns=None, lacks="aa tc", transports=("tcp",),
         extra={"authority_count": 13, "additional_count": 26}),
    Case("R3-sibling-glue", "com", "www.sib.com", "A", lacks="aa",
         authority=("sib.com. 172800 IN NS ns1.example.com.", "sib.com. 172800 IN NS ns2.example.com."),
         additional=GLUE_EXAMPLE),
    Case("R4-out-of-bailiwick", "com", "www.oob.com", "A", lacks="aa",
         authority=("oob.com. 172800 IN NS ns1.example.net.", "oob.com. 172800 IN NS ns2.example.net."),
         additional=()),
    Case("R5-glue-name-at-parent", "com", "ns1.example.com", "A", lacks="aa", answer=(),
         authority=REFERRAL_EXAMPLE, additional=GLUE_EXAMPLE),
    Case("R6-ds-at-parent", "com", "example.com", "DS", has="aa", answer=(), authority=("com. SOA",)),
    Case("R7-max-qname-512", "com", MAX_QNAME, "A", edns=None, lacks="aa tc", authority=REFERRAL_EXAMPLE,
         additional=GLUE_EXAMPLE, transports=UDP),
    # --- sizes ----------------------------------------------------------------------------
    Case("S1-no-edns-tc", "edge", "big.example.com", "TXT", edns=None, has="aa tc", answer=(),
         authority=(), additional=(), transports=UDP),
    Case("S3-tc-keeps-question-opt", "edge", "big.example.com", "TXT", payload=512, has="tc", answer=(),
         opt=True, transports=UDP),
    Case("S4-tcp-no-truncation", "edge", "huge.example.com", "TXT", edns=None, has="aa", lacks="tc",
         transports=("tcp",), extra={"answer_count": 12}),
    # --- EDNS -----------------------------------------------------------------------------
    Case("E1-no-opt", "edge", "www.example.com", "A", edns=None, opt=False, has="aa"),
    Case("E2-opt-on-refused", "edge", "example.edu", "A", rcode=REFUSED, opt=True),
    Case("E2-opt-on-notimp", "edge", raw=_set_header_bits(15 << 11), rcode=NOTIMP, opt=True),
    Case("E3-two-opts", "edge", raw=_with_counts(ar_delta=1, extra=OPT_RR), rcode=FORMERR, opt=True),
    Case("E3-bad-opt", "edge", edns=None, raw=_with_counts(ar_delta=1, extra=BAD_OPT_RR), rcode=FORMERR,
         opt=True),
    Case("E4-badvers", "edge", "www.example.com", "A", edns=1, rcode=BADVERS, answer=(), opt=True,
         extra={"edns_version": 0}),
    Case("E5-unknown-option", "edge", "www.example.com", "A",
         options=(UNKNOWN_OPTION,), has="aa", extra={"no_options": True},
         answer=("www.example.com. 300 IN A 192.0.2.10",)),
    Case("E5-unknown-option-v1", "edge", "www.example.com", "A", edns=1,
         options=(UNKNOWN_OPTION,), rcode=BADVERS, extra={"no_options": True}),
    Case("E6-unknown-edns-flags", "edge", "www.example.com", "A", ednsflags=0x40, has="aa",
         extra={"ednsflags": 0}),
    Case("E7-do-copied", "edge", "www.example.com", "A", do=True, has="aa",
         extra={"ednsflags": dns.flags.DO}),
    Case("E8-small-payload-floor", "edge", "big.example.com", "TXT", payload=100, has="tc", transports=UDP),
    Case("E8-payload-fits-1232", "edge", "big.example.com", "TXT", payload=4096, lacks="tc", has="aa",
         extra={"answer_count": 6}),
    Case("E8-server-cap-1232", "edge", "huge.example.com", "TXT", payload=4096, has="tc", transports=UDP),
    Case("E9-edns-over-tcp", "edge", "huge.example.com", "TXT", payload=512, lacks="tc", opt=True,
         transports=("tcp",), extra={"answer_count": 12}),
)


def build_query(case: Case) -> tuple[dns.message.QueryMessage, bytes]:
    """The dnspython query for ``case`` and its wire form (after any raw change)."""
    message = dns.message.make_query(
        case.qname, dns.rdatatype.from_text(case.qtype), case.qclass,
        use_edns=case.edns if case.edns is not None else False, payload=case.payload,
        want_dnssec=case.do, ednsflags=case.ednsflags, options=list(case.options) or None)
    message.flags = case.flags
    wire = message.to_wire()
    return message, case.raw(wire) if case.raw else wire


def _rr_texts(section: list[dns.rrset.RRset]) -> list[str]:
    lines = (line for rrset in section for line in rrset.to_text().splitlines())
    return sorted(" ".join(line.split()).lower() for line in lines)


def _compare(name: str, expected: tuple[str, ...], section: list[dns.rrset.RRset],
             values: dict[str, str]) -> None:
    wanted = [e.format(**values) for e in expected]
    texts = _rr_texts(section)
    if all(len(w.split()) == 2 for w in wanted) and wanted:
        pairs = sorted(" ".join((t.split()[0], t.split()[3])) for t in texts)
        assert pairs == sorted(w.lower() for w in wanted), f"{name}: {texts}"
        return
    assert texts == sorted(" ".join(w.split()).lower() for w in wanted), f"{name}: {texts} != {wanted}"


def check(case: Case, query_wire: bytes, reply: bytes | None, values: dict[str, str], limit: int) -> None:
    """Assert everything ``case`` expects of ``reply`` plus the invariants of every response."""
    if case.rcode is None:
        assert reply is None, "expected no reply"
        return
    assert reply is not None, "expected a reply"
    response = dns.message.from_wire(reply)
    assert response.id == struct.unpack_from("!H", query_wire)[0]
    _check_header(case, query_wire, reply, response)
    if case.check_question and len(query_wire) > 12:
        end = _question_end(query_wire)
        assert reply[12:end] == query_wire[12:end], "question not echoed as sent"
    assert len(reply) <= limit
    for section_name in ("answer", "authority", "additional"):
        expected = getattr(case, section_name)
        if expected is not None:
            _compare(section_name, expected, getattr(response, section_name), values)
    for rrset in response.answer + response.authority + response.additional:
        assert 0 <= rrset.ttl <= 2**31 - 1  # A2: dnspython keeps one TTL per RRset; a mix would split it
    _check_opt(case, query_wire, response)
    _check_extra(case, response)


def _check_header(case: Case, query_wire: bytes, reply: bytes, response: dns.message.Message) -> None:
    query_flags = struct.unpack_from("!H", query_wire, 2)[0]
    flags = struct.unpack_from("!H", reply, 2)[0]
    assert flags & 0x8000, "QR must be set"
    assert flags & 0x7800 == query_flags & 0x7800, "opcode must be copied"
    assert flags & 0x0100 == query_flags & 0x0100, "RD must be copied"
    assert flags & 0x0010 == query_flags & 0x0010, "CD must be copied"
    assert not flags & 0x00C0, "RA and Z must be clear"
    assert response.rcode() == case.rcode, f"rcode {dns.rcode.to_text(response.rcode())}"
    text = dns.flags.to_text(response.flags).lower().split()
    for flag in case.has.split():
        assert flag in text, f"{flag} not set in {text}"
    for flag in case.lacks.split():
        assert flag not in text, f"{flag} set in {text}"


def _check_opt(case: Case, query_wire: bytes, response: dns.message.Message) -> None:
    expected = case.opt if case.opt is not None else case.edns is not None
    assert (response.edns >= 0) == expected, f"OPT present: {response.edns >= 0}"
    if response.edns >= 0:
        assert response.edns == 0, "our OPT is version 0"
        assert response.payload == 1232
        assert response.ednsflags & 0x7FFF == 0, "unknown EDNS flags must be clear"


def _check_extra(case: Case, response: dns.message.Message) -> None:
    extra = case.extra
    if extra.get("answer_nonempty"):
        assert response.answer
    for key, section in (("answer_count", response.answer), ("authority_count", response.authority),
                         ("additional_count", response.additional)):
        if key in extra:
            assert sum(len(rrset) for rrset in section) == extra[key]
    if "edns_version" in extra:
        assert response.edns == extra["edns_version"]
    if extra.get("no_options"):
        assert not response.options
    if "ednsflags" in extra:
        assert response.ednsflags == extra["ednsflags"]


def read_exactly(sock: socket.socket, size: int) -> bytes:
    """``size`` octets from a TCP socket (a DNS length prefix or message, RFC 1035 §4.2.2)."""
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed early")
        data += chunk
    return data
