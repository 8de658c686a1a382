"""The server cannot be broken by what it receives: junk, cut and mutated queries, idle TCP."""

from __future__ import annotations

import functools
import socket
import struct
import time
from collections.abc import Iterator

import dns.message
import dns.rcode
import pytest
from dns_cases import EDGE, build_registry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acns_dns.dns import wire
from acns_dns.dns.view import View, compile_view
from acns_dns.lab.testing import RunningWorld, random_network, running_world

QUICK = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
NAMES = ["www.example.com", "example.com", "nope.example.com", "ns1.example.com", "b.example.com",
         "WwW.ExAmPlE.cOm", "big.example.com", "www.bigglue.com", "example.net", "x.invalid", "."]
TYPES = ["A", "AAAA", "NS", "SOA", "MX", "TXT", "ANY", "DS", "CNAME", "TYPE65534"]


@functools.cache
def _view() -> View:
    """Built once; not a fixture, so hypothesis never prints it with an example."""
    return compile_view(build_registry(random_network()).world, 1, (EDGE,))


@st.composite
def valid_queries(draw: st.DrawFn) -> bytes:
    message = dns.message.make_query(draw(st.sampled_from(NAMES)), draw(st.sampled_from(TYPES)),
                                     use_edns=draw(st.sampled_from([False, 0])),
                                     payload=draw(st.integers(0, 65535)), want_dnssec=draw(st.booleans()))
    message.id = draw(st.integers(0, 65535))
    return message.to_wire()


@st.composite
def mutated_queries(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(valid_queries()))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(data)))
    return bytes(data[:cut]) if draw(st.booleans()) else bytes(data)


def _sane(data: bytes, reply: wire.Reply | None) -> None:
    """A reply, when there is one, is a parseable response to this query."""
    if reply is None:
        assert len(data) < 12 or data[2] & 0x80
        return
    assert reply.data[:2] == data[:2] and reply.data[2] & 0x80
    assert not reply.data[3] & 0xC0  # RA and Z clear
    assert len(reply.data) <= 1232
    if (reply.data[2] >> 3) & 0xF == 5:  # dnspython reads UPDATE with RFC 2136 §2.3 rules
        assert reply.data[3] & 0xF == 4  # NOTIMP: updates are not offered (RFC 2136 §3.1)
        return
    dns.message.from_wire(reply.data)


@QUICK
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    view = _view()
    responder = wire.Responder(view)
    for address in (EDGE, view.listing[0].ipv4, "127.255.255.254"):
        _sane(data, responder.respond(data, address))


@QUICK
@given(mutated_queries())
def test_mutated_and_cut_queries(data: bytes) -> None:
    _sane(data, wire.Responder(_view()).respond(data, EDGE))


@QUICK
@given(valid_queries())
def test_valid_queries_in_zone_have_aa_and_the_id(data: bytes) -> None:
    """STYLE §7.13: every in-zone answer at the edge has AA and the query's ID."""
    reply = wire.Responder(_view()).respond(data, EDGE)
    assert reply is not None
    response = dns.message.from_wire(reply.data)
    question = dns.message.from_wire(data)
    assert response.id == question.id
    name = question.question[0].name.to_text().lower()
    if response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) and "example." in name:
        assert response.flags & dns.flags.AA


@pytest.fixture(scope="module")
def served() -> Iterator[RunningWorld]:
    with running_world(build_registry(random_network())) as world:
        yield world


def _answers_everywhere(world: RunningWorld) -> None:
    for server in world.view.listing:
        for tcp in (False, True):
            zone = sorted(server.zones)[0]
            response = world.query(zone or ".", "SOA", at=server.ipv4, tcp=tcp, timeout=2)
            assert response.rcode() == dns.rcode.NOERROR and response.answer


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(st.binary(max_size=300), mutated_queries()), min_size=1, max_size=20))
def test_live_server_survives_junk(served: RunningWorld, packets: list[bytes]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for packet in packets:
            sock.sendto(packet, (served.address("edge"), served.port))
    with socket.create_connection((served.address("edge"), served.port), timeout=2) as sock:
        for packet in packets:
            sock.sendall(struct.pack("!H", len(packet)) + packet)
    assert served.query("www.example.com", "A", timeout=2).answer


def test_half_open_tcp_then_every_address_answers(served: RunningWorld) -> None:
    served.server.tcp_pool.idle_timeout = 0.5
    stalled = []
    for i, server in enumerate(served.view.listing[:20]):
        sock = socket.create_connection((server.ipv4, served.port), timeout=2)
        sock.sendall([b"", b"\x00", b"\x00\x30\x12\x34"][i % 3])  # nothing, half a prefix, part of a message
        stalled.append(sock)
    try:
        _answers_everywhere(served)
        time.sleep(0.8)
        for sock in stalled:
            sock.settimeout(1)
            assert sock.recv(10) == b""  # the server gave up on them
    finally:
        for sock in stalled:
            sock.close()
    _answers_everywhere(served)
