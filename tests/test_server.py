"""server: sockets per address, live changes, TCP framing (RFC 7766), bind errors, journal."""

from __future__ import annotations

import importlib.util
import socket
import struct
import threading
import time
from collections.abc import Iterator

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest
from dns_cases import build_registry, read_exactly

from acns_dns.dns.server import BindError, DnsServer
from acns_dns.lab.testing import RunningWorld, random_network, running_world

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"


@pytest.fixture()
def served() -> Iterator[RunningWorld]:
    with running_world(build_registry(random_network())) as world:
        yield world


def _zone_id(world: RunningWorld, name: str) -> str:
    return next(z.id for z in world.registry.world.zones.values() if z.name == name)


def test_every_ipv4_address_has_udp_and_tcp(served: RunningWorld) -> None:
    bound = set(served.server.bound)
    for server in served.view.listing:
        assert (server.ipv4, "udp") in bound and (server.ipv4, "tcp") in bound
        if server.ipv6 and (server.ipv6, "udp") not in bound:
            assert "IPv6" in served.server.unbound[server.ipv6]


def test_live_change_shows_in_the_next_answer(served: RunningWorld) -> None:
    served.registry.add_record(_zone_id(served, "example.com"), "live", "A", "192.0.2.77")
    response = served.query("live.example.com", "A", at="ns1.example.com")
    assert response.answer[0][0].address == "192.0.2.77"


def test_released_address_has_no_socket(served: RunningWorld) -> None:
    address = served.address("ns2.example.com")
    served.registry.add_nameserver(ACCOUNT, "ns3.example.com", 1)
    fresh = served.address("ns3.example.com")
    assert served.query("example.com", "SOA", at=fresh).rcode() == dns.rcode.NOERROR
    served.registry.use_standard_nameservers(_zone_id(served, "example.com"))
    served.registry.delete_nameserver(ACCOUNT, "ns2.example.com")
    assert (address, "udp") not in served.server.bound
    with pytest.raises(dns.exception.Timeout):
        served.query("example.com", "SOA", at=address, timeout=0.3)
    with pytest.raises(OSError):  # nobody listens: the kernel refuses the connection
        socket.create_connection((address, served.port), timeout=0.5).close()


def _frame(name: str, ident: int) -> bytes:
    message = dns.message.make_query(name, "A")
    message.id = ident
    wire = message.to_wire()
    return struct.pack("!H", len(wire)) + wire


def _read_message(sock: socket.socket) -> dns.message.Message:
    length = struct.unpack("!H", read_exactly(sock, 2))[0]
    return dns.message.from_wire(read_exactly(sock, length))


def test_tcp_pipelined_queries_on_one_connection(served: RunningWorld) -> None:
    """S5: several queries, sent together, all answered on the same connection."""
    names = ["www.example.com", "mail.example.com", "nope.example.com"]
    with socket.create_connection((served.address("edge"), served.port), timeout=2) as sock:
        sock.sendall(b"".join(_frame(name, 100 + i) for i, name in enumerate(names)))
        replies = {m.id: m for m in (_read_message(sock) for _ in names)}
        sock.sendall(_frame("www.example.net", 200))  # and more later on the same connection
        later = _read_message(sock)
    assert sorted(replies) == [100, 101, 102]
    assert replies[102].rcode() == dns.rcode.NXDOMAIN
    assert later.id == 200 and later.answer


def test_tcp_idle_timeout_closes(served: RunningWorld) -> None:
    served.server.tcp_pool.idle_timeout = 0.3
    with socket.create_connection((served.address("edge"), served.port), timeout=2) as sock:
        sock.sendall(b"\x00")  # half a length prefix, then silence
        started = time.monotonic()
        assert sock.recv(10) == b""
        assert time.monotonic() - started < 1.5


def test_tcp_client_at_its_limit_is_refused_and_others_still_served(served: RunningWorld) -> None:
    served.server.tcp_pool.max_per_client = 2
    edge = (served.address("edge"), served.port)
    held = [socket.create_connection(edge, timeout=2) for _ in range(2)]
    try:
        time.sleep(0.1)
        with socket.create_connection(edge, timeout=2) as extra:
            assert extra.recv(10) == b""  # this client already holds its share: closed at once
        with socket.create_connection(edge, timeout=2, source_address=("127.0.0.9", 0)) as other:
            other.sendall(_frame("www.example.com", 8))  # another client is served
            assert _read_message(other).id == 8
        held[0].sendall(_frame("www.example.com", 7))
        assert _read_message(held[0]).id == 7
    finally:
        for sock in held:
            sock.close()


def test_tcp_address_at_its_limit_closes_the_idlest(served: RunningWorld) -> None:
    """RFC 7766 §6.2.3: under pressure the idle connection goes, the newcomer is served."""
    served.server.tcp_pool.max_per_address = 2
    edge = (served.address("edge"), served.port)
    idle = socket.create_connection(edge, timeout=2, source_address=("127.0.0.10", 0))
    time.sleep(0.05)
    busy = socket.create_connection(edge, timeout=2, source_address=("127.0.0.11", 0))
    try:
        busy.sendall(_frame("www.example.com", 1))
        assert _read_message(busy).id == 1
        with socket.create_connection(edge, timeout=2, source_address=("127.0.0.12", 0)) as new:
            new.sendall(_frame("www.example.com", 2))
            assert _read_message(new).id == 2
        assert idle.recv(10) == b""  # the one idle longest made room
        busy.sendall(_frame("www.example.com", 3))
        assert _read_message(busy).id == 3
    finally:
        idle.close()
        busy.close()


def test_tcp_idle_timeout_shrinks_under_pressure(served: RunningWorld) -> None:
    pool = served.server.tcp_pool
    address = served.address("edge")
    assert pool.timeout_for(address) == pool.idle_timeout
    pool.max_per_address = 4
    held = [socket.create_connection((address, served.port), timeout=2,
                                     source_address=(f"127.0.0.{20 + i}", 0)) for i in range(4)]
    try:
        deadline = time.monotonic() + 2
        while len(pool) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.timeout_for(address) < pool.idle_timeout / 2
    finally:
        for sock in held:
            sock.close()


def test_port_in_use_is_a_clear_error(served: RunningWorld) -> None:
    other = DnsServer(served.registry, port=served.port)
    with pytest.raises(BindError) as caught:
        served.call(other.start())
    message = str(caught.value)
    assert f"port {served.port}" in message and "already in use" in message
    assert served.query("www.example.com", "A").answer  # the first server is unharmed


def test_journal_records_every_query(served: RunningWorld) -> None:
    served.journal.clear()
    served.query("WWW.example.com", "AAAA", at="com")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"junk", (served.root, served.port))
    deadline = time.monotonic() + 2
    while len(served.journal) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    first, second = served.journal.entries()
    assert (first.server, first.qname, first.qtype, first.rcode, first.transport) == (
        served.address("com"), "WWW.example.com", "AAAA", "NOERROR", "udp")
    assert first.flags == "qr" and first.size > 0
    assert second.rcode == "DROPPED" and second.server == served.root


def test_a_repeated_query_is_journaled_like_the_first(served: RunningWorld) -> None:
    """The second answer comes from the reply cache: the journal shows the same outline."""
    served.journal.clear()
    message = dns.message.make_query("www.example.com", "A")
    message.flags = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        for query_id in (1, 2, 3):
            message.id = query_id
            sock.sendto(message.to_wire(), (served.address("edge"), served.port))
            assert dns.message.from_wire(sock.recv(4096)).id == query_id
    entries = served.journal.entries()
    assert len(entries) == 3
    assert len({(e.qname, e.qtype, e.rcode, e.flags, e.size) for e in entries}) == 1
    assert entries[0].flags == "qr aa" and entries[0].size > 12


def test_stop_closes_everything() -> None:
    with running_world(build_registry(random_network())) as world:
        address, port = world.address("edge"), world.port
        assert world.query("www.example.com", "A").answer
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=0.5).close()


@pytest.mark.skipif(importlib.util.find_spec("acns_dns.api") is None, reason="the HTTP API is not there")
def test_api_change_shows_over_dns() -> None:
    httpx = pytest.importorskip("httpx")
    with running_world("default", api=True) as world:
        assert world.api_url is not None
        reply = httpx.post(f"{world.api_url}/client/v4/accounts/{ACCOUNT}/custom_ns", timeout=5,
                           json={"ns_name": "ns3.example.com", "ns_set": 1},
                           headers={"Authorization": "Bearer demo-token"})
        assert reply.status_code == 200, reply.text
        address = reply.json()["result"]["dns_records"][0]["value"]
        assert world.query("example.com", "SOA", at=address).rcode() == dns.rcode.NOERROR


def test_dns_world_fixture(dns_world: RunningWorld) -> None:
    assert dns_world.query("www.example.com", "A").answer
    assert dns_world.address("root") == dns_world.root != dns_world.address("com")


def _raw_query(name_octets: bytes, ident: int) -> bytes:
    return struct.pack("!HHHHHH", ident, 0, 1, 0, 0, 0) + name_octets + struct.pack("!HH", 1, 1)


def _wire_name(total: int) -> bytes:
    """A name of exactly ``total`` octets on the wire (labels, lengths and the final zero)."""
    labels, left = [], total - 1 - len(b"\x07example\x03com")
    while left > 0:
        size = min(63, left - 1)
        labels.append(bytes((size,)) + b"a" * size)
        left -= size + 1
    return b"".join(labels) + b"\x07example\x03com\x00"


@pytest.mark.parametrize(("total", "rcode"), [(255, dns.rcode.NOERROR), (256, dns.rcode.FORMERR)])
def test_question_name_limit_is_255_octets(served: RunningWorld, total: int, rcode: int) -> None:
    """RFC 1035 §3.1: 255 octets with the final zero is the longest name; one more is FORMERR."""
    name = _wire_name(total)
    assert len(name) == total
    for tcp in (False, True):
        if tcp:
            with socket.create_connection((served.address("com"), served.port), timeout=2) as sock:
                query = _raw_query(name, 77)
                sock.sendall(struct.pack("!H", len(query)) + query)
                length = struct.unpack("!H", read_exactly(sock, 2))[0]
                reply = read_exactly(sock, length)
        else:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(2)
                sock.sendto(_raw_query(name, 77), (served.address("com"), served.port))
                reply = sock.recv(4096)
        assert reply[:2] == b"\x00\x4d" and reply[3] & 0x0F == rcode
        if rcode == dns.rcode.NOERROR:
            message = dns.message.from_wire(reply)  # a client can parse what we echo
            assert message.authority  # a referral to example.com


def test_start_serves_every_address_it_reports_while_the_world_changes() -> None:
    """Sockets are watched as they are bound: when start returns, every address answers at once,
    also while another thread adds and releases addresses (no socket is handed over later)."""
    registry = build_registry(random_network())
    stop = threading.Event()

    def churn() -> None:
        for i in range(200):
            if stop.is_set():
                return
            registry.add_nameserver(ACCOUNT, f"churn{i}.example.com", 2)
            registry.delete_nameserver(ACCOUNT, f"churn{i}.example.com")

    for _ in range(3):
        worker = threading.Thread(target=churn)
        with running_world(registry) as world:
            reported = [address for address, transport in world.server.bound if transport == "udp"]
            worker.start()  # the addresses reported stay; others come and go meanwhile
            try:
                for address in reported:
                    if ":" in address:
                        continue
                    assert world.query(".", "SOA", at=address, timeout=2).rcode() in (
                        dns.rcode.NOERROR, dns.rcode.REFUSED)
                    world.query(".", "SOA", at=address, tcp=True, timeout=2)
            finally:
                stop.set()
                worker.join(10)
        stop.clear()
