"""wire: query parsing, answer packing, truncation rules and the answer cache (no sockets)."""

from __future__ import annotations

import struct

import dns.flags
import dns.message
import dns.rcode
import pytest
from dns_cases import EDGE, build_registry

from acns_dns.dns import wire
from acns_dns.dns.authority import Answer, Result
from acns_dns.dns.view import RR, Role, Server, View, build_zone, compile_view

SOA = RR("x.test", "SOA", 3600, "ns.x.test. host.x.test. 1 7200 900 604800 300")


@pytest.fixture(scope="module")
def view() -> View:
    return compile_view(build_registry().world, 1, (EDGE,))


def _query(name: str, rtype: str = "A", **kwargs: object) -> bytes:
    message = dns.message.make_query(name, rtype, **kwargs)  # type: ignore[arg-type]
    return message.to_wire()


def test_parse_keeps_case_and_edns() -> None:
    query = wire.parse(_query("WwW.Example.COM", "AAAA", use_edns=0, payload=4096, want_dnssec=True))
    assert query.qname == "WwW.Example.COM"
    assert query.qtype == 28 and query.qclass == 1 and query.error is None
    assert query.edns == wire.Edns(4096, 0, True)
    assert query.limit(tcp=False) == 1232 and query.limit(tcp=True) == 65535


def test_parse_payload_floor_and_classic_limit() -> None:
    assert wire.parse(_query("a.test", use_edns=0, payload=100)).limit(tcp=False) == 512
    assert wire.parse(_query("a.test", use_edns=False)).limit(tcp=False) == 512


@pytest.mark.parametrize("data", [b"", b"\x00" * 11, struct.pack("!6H", 1, 0x8000, 1, 0, 0, 0)])
def test_drops(data: bytes) -> None:
    with pytest.raises(wire.Drop):
        wire.parse(data)


def test_pointer_in_question_is_formerr() -> None:
    data = struct.pack("!6H", 7, 0, 1, 0, 0, 0) + b"\xc0\x0c" + struct.pack("!HH", 1, 1)
    assert wire.parse(data).error == wire.FORMERR


def test_trailing_octets_are_formerr() -> None:
    assert wire.parse(_query("a.test") + b"\x00").error == wire.FORMERR


def test_odd_octets_in_labels_never_match_real_names() -> None:
    data = struct.pack("!6H", 7, 0, 1, 0, 0, 0) + b"\x07www.exa\x03com\x00" + struct.pack("!HH", 1, 1)
    assert wire.parse(data).qname == "www\\046exa.com"


def test_meta_types(view: View) -> None:
    responder = wire.Responder(view)
    for qtype, rcode in (("AXFR", wire.REFUSED), ("IXFR", wire.REFUSED), ("MAILB", wire.NOTIMP)):
        reply = responder.respond(_query("example.com", qtype), EDGE)
        assert reply is not None and dns.message.from_wire(reply.data).rcode() == rcode


def _big_extra_answer() -> Answer:
    ns = tuple(RR("x.test", "NS", 300, f"ns{i}.x.test.") for i in range(4))
    extra = tuple(RR(f"ns{i}.x.test", "TXT", 300, '"' + "y" * 200 + '"') for i in range(4))
    return Answer(Result.SUCCESS, aa=True, answer=ns, extra=extra)


def test_optional_additional_dropped_without_tc() -> None:
    """S2: optional data that does not fit is left out silently (RFC 2181 §9)."""
    query = wire.parse(_query("x.test", "NS", use_edns=False))
    data = wire.encode(query, _big_extra_answer(), 512)
    response = dns.message.from_wire(data)
    assert not response.flags & dns.flags.TC
    assert len(response.answer[0]) == 4
    assert 0 < len(response.additional) < 4 and len(data) <= 512


def test_required_glue_that_does_not_fit_sets_tc() -> None:
    """R2 / RFC 9471 §3.1: in-domain glue is required data."""
    ns = tuple(RR("c.x.test", "NS", 300, f"ns{i}.c.x.test.") for i in range(13))
    glue = tuple(RR(f"ns{i}.c.x.test", "AAAA", 300, f"2001:db8::{i}") for i in range(13))
    query = wire.parse(_query("www.c.x.test", use_edns=False))
    tight = dns.message.from_wire(wire.encode(query, Answer(Result.REFERRAL, authority=ns, glue=glue), 512))
    assert tight.flags & dns.flags.TC and not tight.authority and not tight.additional
    roomy = dns.message.from_wire(wire.encode(query, Answer(Result.REFERRAL, authority=ns, glue=glue), 1232))
    assert not roomy.flags & dns.flags.TC and len(roomy.additional[0]) + len(roomy.additional) >= 13


def test_cache_patches_id_flags_and_case(view: View) -> None:
    responder = wire.Responder(view)
    first = responder.respond(_query("www.example.com"), EDGE)
    message = dns.message.make_query("WWW.example.COM", "A", use_edns=False)
    message.flags = dns.flags.CD
    second = responder.respond(message.to_wire(), EDGE)
    assert first is not None and second is not None
    response = dns.message.from_wire(second.data)
    assert response.id == message.id
    assert response.flags & dns.flags.CD and not response.flags & dns.flags.RD
    assert second.data[12:12 + 17] == message.to_wire()[12:12 + 17]
    assert len(responder._cache) == 1  # the second query was answered from the cache


def test_identical_octets_reuse_the_reply_with_their_own_id(view: View) -> None:
    responder = wire.Responder(view)
    first = dns.message.make_query("www.example.com", "A", use_edns=0)
    second = dns.message.make_query("www.example.com", "A", use_edns=0)
    second.id = (first.id + 1) % 65536
    third = dns.message.make_query("www.example.com", "A", use_edns=0)
    third.flags = dns.flags.CD  # RD off, CD on: other flag octets, another entry
    one, two = responder.respond(first.to_wire(), EDGE), responder.respond(second.to_wire(), EDGE)
    assert one is not None and two is not None
    assert len(responder.replies) == 1  # the second was not parsed again
    assert dns.message.from_wire(two.data).id == second.id and one.data[2:] == two.data[2:]
    three = responder.respond(third.to_wire(), EDGE)
    assert three is not None and len(responder.replies) == 2
    reply = dns.message.from_wire(three.data)
    assert reply.id == third.id and reply.flags & dns.flags.CD and not reply.flags & dns.flags.RD
    assert dns.message.from_wire(one.data).flags & dns.flags.RD


def test_cache_keys_keep_the_type_octets_apart(view: View) -> None:
    """Type 65 is 0x0041 ("A") and type 97 is 0x0061 ("a"): folding case must not join them."""
    responder = wire.Responder(view)
    for rtype in ("TYPE65", "TYPE97"):
        reply = responder.respond(_query("www.example.com", rtype), EDGE)
        assert reply is not None
        assert dns.message.from_wire(reply.data).question[0].rdtype == int(rtype[4:])
    assert len(responder._cache) == 2


def test_new_view_new_answers(view: View) -> None:
    registry = build_registry()
    before = wire.Responder(compile_view(registry.world, 1, (EDGE,)))
    zone = next(z.id for z in registry.world.zones.values() if z.name == "example.com")
    registry.add_record(zone, "new", "A", "192.0.2.99")
    after = wire.Responder(compile_view(registry.world, 2, (EDGE,)))
    for responder, rcode in ((before, dns.rcode.NXDOMAIN), (after, dns.rcode.NOERROR)):
        reply = responder.respond(_query("new.example.com"), EDGE)
        assert reply is not None and dns.message.from_wire(reply.data).rcode() == rcode


def test_failure_while_answering_is_servfail() -> None:
    """STYLE §7.4: a record that cannot be packed gives SERVFAIL, never silence."""
    zone = build_zone("x.test", [SOA, RR("bad.x.test", "A", 300, "not-an-address")])
    server = Server(Role.HOST, "ns.x.test", "127.9.9.9", "", {"x.test": zone})
    responder = wire.Responder(View(servers={"127.9.9.9": server}))
    reply = responder.respond(_query("bad.x.test", use_edns=0), "127.9.9.9")
    assert reply is not None and reply.rcode == wire.SERVFAIL
    response = dns.message.from_wire(reply.data)
    assert response.rcode() == dns.rcode.SERVFAIL and response.edns == 0


def test_servfail_for_raw_header() -> None:
    data = struct.pack("!6H", 99, 0x0100, 1, 0, 0, 0)
    reply = wire.servfail_for(data)
    assert reply is not None and struct.unpack_from("!HH", reply) == (99, 0x8102)
    assert wire.servfail_for(b"\x00" * 5) is None


def test_flags_text_and_names() -> None:
    assert wire.flags_text(struct.pack("!HH", 0, 0x8500)) == "qr aa rd"
    assert wire.qtype_name(65534) == "TYPE65534" and wire.qtype_name(28) == "AAAA"
    assert wire.rcode_name(16) == "BADVERS" and wire.rcode_name(17) == "RCODE17"
