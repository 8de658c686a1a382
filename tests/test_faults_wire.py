"""Faults on the wire: what each fault makes a simulated server send (or not), over real sockets,
and what an address nobody holds does with ``unheld: refused`` and ``unheld: timeout``."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable, Iterator

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from acns_dns.dns import fault_path, tcp
from acns_dns.lab.testing import RunningWorld, running_world
from acns_dns.world import fault_ops

SHORT = 0.5  # seconds to wait for a reply that must not come


@pytest.fixture()
def world() -> Iterator[RunningWorld]:
    with running_world("default") as served:
        yield served


def _fault(world: RunningWorld, target: str, kind: str, delay_ms: int | None = None) -> None:
    world.registry.apply(fault_ops.set_fault, target, kind, delay_ms)


def _query(name: str, qtype: str = "A") -> dns.message.Message:
    message = dns.message.make_query(name, dns.rdatatype.from_text(qtype), use_edns=0, payload=1232)
    message.flags &= ~dns.flags.RD
    return message


def _udp(world: RunningWorld, at: str, name: str, qtype: str = "A",
         timeout: float = 2.0) -> dns.message.Message:
    return dns.query.udp(_query(name, qtype), world.address(at), port=world.port, timeout=timeout)


def _tcp(world: RunningWorld, at: str, name: str, qtype: str = "A") -> dns.message.Message:
    return dns.query.tcp(_query(name, qtype), world.address(at), port=world.port, timeout=2.0)


def _journal(world: RunningWorld, at: str) -> list[str]:
    return [entry.rcode for entry in world.journal.entries(server=world.address(at))]


def _wait(condition: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.01)


def test_drop_sends_nothing_over_udp_or_tcp(world: RunningWorld) -> None:
    _fault(world, "ns1.example.com", "drop")
    with pytest.raises(dns.exception.Timeout):
        _udp(world, "ns1.example.com", "www.example.com", timeout=SHORT)
    with socket.create_connection((world.address("ns1.example.com"), world.port), timeout=SHORT) as sock:
        wire = _query("www.example.com").to_wire()
        sock.sendall(struct.pack("!H", len(wire)) + wire)
        with pytest.raises(TimeoutError):
            sock.recv(2)
    assert _journal(world, "ns1.example.com") == ["DROPPED", "DROPPED"]
    assert _udp(world, "ns2.example.com", "www.example.com").answer  # its twin answers


@pytest.mark.parametrize(("kind", "rcode"), [("servfail", dns.rcode.SERVFAIL),
                                             ("refused", dns.rcode.REFUSED)])
def test_servfail_and_refused_replace_the_answer(world: RunningWorld, kind: str, rcode: int) -> None:
    _fault(world, "ns1.example.com", kind)
    for reply in (_udp(world, "ns1.example.com", "WWW.example.com"),
                  _tcp(world, "ns1.example.com", "www.example.com")):
        assert reply.rcode() == rcode
        assert not reply.answer and not reply.authority and not reply.flags & dns.flags.AA
    assert _udp(world, "ns1.example.com", "WWW.example.com").question[0].name.to_text() == "WWW.example.com."
    assert _journal(world, "ns1.example.com") == [dns.rcode.to_text(rcode)] * 3


def test_lame_clears_aa_and_leaves_the_soa_out(world: RunningWorld) -> None:
    _fault(world, "ns1.example.com", "lame")
    for name, rcode in (("www.example.com", dns.rcode.NOERROR), ("nope.example.com", dns.rcode.NXDOMAIN)):
        healthy = _udp(world, "ns2.example.com", name)
        lame = _udp(world, "ns1.example.com", name)
        assert healthy.flags & dns.flags.AA and not lame.flags & dns.flags.AA
        assert lame.rcode() == healthy.rcode() == rcode
        assert lame.answer == healthy.answer
        assert not [r for r in lame.authority if r.rdtype == dns.rdatatype.SOA]
    assert [r for r in _udp(world, "ns2.example.com", "nope.example.com").authority
            if r.rdtype == dns.rdatatype.SOA]
    assert not _tcp(world, "ns1.example.com", "www.example.com").flags & dns.flags.AA


def test_tc_truncates_every_udp_reply_and_tcp_answers(world: RunningWorld) -> None:
    _fault(world, "ns1.example.com", "tc")
    reply = _udp(world, "ns1.example.com", "www.example.com")
    assert reply.flags & dns.flags.TC and not reply.answer and reply.rcode() == dns.rcode.NOERROR
    full = _tcp(world, "ns1.example.com", "www.example.com")
    assert full.answer and full.flags & dns.flags.AA and not full.flags & dns.flags.TC


def test_strip_glue_sends_referrals_without_glue(world: RunningWorld) -> None:
    _fault(world, "ns1.nic.com", "strip-glue")
    stripped = _udp(world, "ns1.nic.com", "www.example.com")
    glued = _udp(world, "ns2.nic.com", "www.example.com")
    assert stripped.authority == glued.authority and glued.additional
    assert not stripped.additional
    assert not _tcp(world, "ns1.nic.com", "www.example.com").additional
    assert _udp(world, "ns1.nic.com", "com", "SOA").answer  # answers that are not referrals stay


def test_other_source_replies_from_another_address_over_udp_only(world: RunningWorld) -> None:
    _fault(world, "ns1.example.com", "other-source")
    asked = world.address("ns1.example.com")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2.0)
        sock.sendto(_query("www.example.com").to_wire(), (asked, world.port))
        data, (source, port) = sock.recvfrom(65535)
    assert source != asked and port == world.port
    assert source == world.root  # the first address bound: the root's
    assert dns.message.from_wire(data).answer  # the right answer, from the wrong address
    with pytest.raises(dns.query.UnexpectedSource):
        dns.query.udp(_query("www.example.com"), asked, port=world.port, timeout=2.0,
                      ignore_unexpected=False)
    with pytest.raises(dns.exception.Timeout):  # a resolver ignores it (RFC 5452 §9.1): silence
        dns.query.udp(_query("www.example.com"), asked, port=world.port, timeout=SHORT,
                      ignore_unexpected=True)
    assert _tcp(world, "ns1.example.com", "www.example.com").answer


def test_delay_holds_the_reply_without_blocking_the_server(world: RunningWorld) -> None:
    _fault(world, "ns1.example.com", "delay", 1500)
    path = world.server._faults
    assert path is not None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect((world.address("ns1.example.com"), world.port))
        sock.send(_query("www.example.com").to_wire())
        _wait(lambda: path.held == 1)  # answered and held by the loop, not yet sent
        assert _udp(world, "ns2.example.com", "www.example.com").answer  # meanwhile others answer
        sock.setblocking(False)
        with pytest.raises(BlockingIOError):
            sock.recv(65535)
        sock.settimeout(5.0)
        assert dns.message.from_wire(sock.recv(65535)).answer
    assert path.held == 0
    assert _tcp(world, "ns1.example.com", "www.example.com").answer
    assert world.server.tcp_pool.held == 0


def test_held_replies_are_bounded(world: RunningWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fault_path, "MAX_HELD", 3)
    monkeypatch.setattr(tcp, "MAX_HELD", 2)
    _fault(world, "ns1.example.com", "delay", 30000)
    path, pool = world.server._faults, world.server.tcp_pool
    assert path is not None
    address = world.address("ns1.example.com")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _ in range(10):
            sock.sendto(_query("www.example.com").to_wire(), (address, world.port))
        _wait(lambda: path.held + path.lost == 10)
    assert (path.held, path.lost) == (3, 7)
    with socket.create_connection((address, world.port), timeout=2.0) as stream:
        wire = _query("www.example.com").to_wire()
        for _ in range(5):
            stream.sendall(struct.pack("!H", len(wire)) + wire)
            time.sleep(0.05)  # one read, one held reply
        _wait(lambda: pool.held + pool.lost == 5)
    assert (pool.held, pool.lost) == (2, 3)


def test_a_change_of_fault_takes_effect_at_once_and_clearing_it_restores_the_answer(
        world: RunningWorld) -> None:
    before = _udp(world, "ns1.example.com", "www.example.com")
    with socket.create_connection((world.address("ns1.example.com"), world.port), timeout=2.0) as sock:
        _fault(world, "ns1.example.com", "servfail")  # open connections are closed: new faults apply
        assert sock.recv(2) == b""
    assert _udp(world, "ns1.example.com", "www.example.com").rcode() == dns.rcode.SERVFAIL
    world.registry.apply(fault_ops.clear_faults, "ns1.example.com")
    after = _udp(world, "ns1.example.com", "www.example.com")
    assert after.answer == before.answer and after.flags == before.flags


@pytest.fixture()
def stale() -> Iterator[RunningWorld]:
    with running_world("stale-glue") as served:
        yield served


def _ask_connected(address: str, port: int) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(SHORT)
        sock.connect((address, port))
        sock.send(_query("www.example.com").to_wire())
        try:
            sock.recv(65535)
        except ConnectionRefusedError:
            return "refused"
        except TimeoutError:
            return "timeout"
    return "answered"


def test_unheld_addresses_refuse_or_stay_silent_as_the_world_says(stale: RunningWorld) -> None:
    glue = stale.registry.world.tlds["com"].hosts["ns1.example.com"].ipv4[0]
    assert _ask_connected(glue, stale.port) == "refused"  # no socket: ICMP port unreachable
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((glue, stale.port), timeout=SHORT).close()
    stale.registry.apply(fault_ops.set_unheld, "timeout")
    assert _ask_connected(glue, stale.port) == "timeout"
    assert stale.server._faults is not None and glue in stale.server._faults.silent
    assert [e.rcode for e in stale.journal.entries(server=glue)] == ["SILENT"]
    held: list[socket.socket] = []
    try:  # the one backlog slot fills, then a connection attempt gets no answer at all
        with pytest.raises(TimeoutError):
            for _ in range(4):
                held.append(socket.create_connection((glue, stale.port), timeout=SHORT))
    finally:
        for sock in held:
            sock.close()
    stale.registry.apply(fault_ops.set_unheld, "refused")
    assert _ask_connected(glue, stale.port) == "refused"
    assert stale.server._faults.silent == []


def test_an_unheld_address_a_server_takes_gets_its_listener(stale: RunningWorld) -> None:
    stale.registry.apply(fault_ops.set_unheld, "timeout")
    glue = stale.registry.world.tlds["com"].hosts["ns1.example.com"].ipv4[0]
    host = next(iter(stale.registry.world.hosts.values()), None)
    assert host is None  # stale-glue has no other DNS host: add one that takes the glue address
    stale.registry.apply(_add_host_at, glue)
    reply = dns.query.udp(_query("example.org", "SOA"), glue, port=stale.port, timeout=2.0)
    assert reply.rcode() == dns.rcode.REFUSED  # a server now, that serves no such zone
    assert stale.server._faults is not None and glue not in stale.server._faults.silent


def _add_host_at(world: object, address: str) -> None:
    from acns_dns.world import infrastructure
    from acns_dns.world.models import World

    assert isinstance(world, World)
    infrastructure.add_host(world, "late", "Late DNS", [{"name": "ns.late.example", "ipv4": address,
                                                         "ipv6": ""}], [])
