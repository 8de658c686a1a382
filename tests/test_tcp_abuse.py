"""TCP under abuse (RFC 7766 §6.2.3): new clients keep being served while others hold connections.

Three cases over real sockets: many well-behaved clients that each keep an idle connection,
slowloris connections trickling a byte at a time, and 5000 connections opened at once. While
each runs, fresh clients (other source addresses) connect and ask one question: at least 95 %
must be answered. Abusers and probes come from their own 127.0.0.x source addresses.
"""

from __future__ import annotations

import resource
import socket
import struct
import time
from collections.abc import Iterator

import dns.message
import pytest
from dns_cases import build_registry, read_exactly

from acns_dns.lab.testing import RunningWorld, random_network, running_world

PROBES = 40


@pytest.fixture()
def served() -> Iterator[RunningWorld]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 12000:
        pytest.skip(f"needs 12000 descriptors, the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        with running_world(build_registry(random_network())) as world:
            yield world
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _frame(name: str, ident: int) -> bytes:
    message = dns.message.make_query(name, "A")
    message.id = ident
    wire = message.to_wire()
    return struct.pack("!H", len(wire)) + wire


def _connect_all(target: tuple[str, int], sources: list[str], each: int) -> list[socket.socket]:
    """``each`` non-blocking connections from every source address (not waiting for accept)."""
    opened: list[socket.socket] = []
    for source in sources:
        for _ in range(each):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((source, 0))
            sock.setblocking(False)
            sock.connect_ex(target)
            opened.append(sock)
    return opened


def _probe(target: tuple[str, int], index: int) -> bool:
    """A new client asks one question; True when it is answered."""
    source = f"127.0.0.{200 + index % 50}"
    try:
        with socket.create_connection(target, timeout=3, source_address=(source, 0)) as sock:
            sock.sendall(_frame("www.example.com", 1000 + index))
            length = struct.unpack("!H", read_exactly(sock, 2))[0]
            reply = dns.message.from_wire(read_exactly(sock, length))
            return reply.id == 1000 + index and bool(reply.answer)
    except (OSError, ConnectionError):
        return False


def _probes_served(target: tuple[str, int], during: float = 0.0) -> int:
    pause = during / PROBES
    served = 0
    for index in range(PROBES):
        served += _probe(target, index)
        time.sleep(pause)
    return served


def _close(socks: list[socket.socket]) -> None:
    for sock in socks:
        sock.close()


def test_many_idle_well_behaved_clients(served: RunningWorld) -> None:
    """300 clients each asked once and keep their connection open (more than one address allows)."""
    target = (served.address("ns1.example.com"), served.port)
    sources = [f"127.0.0.{100 + i}" for i in range(10)]
    held = []
    try:
        for index, source in enumerate(sources * 30):
            sock = socket.create_connection(target, timeout=3, source_address=(source, 0))
            sock.sendall(_frame("www.example.com", index))
            held.append(sock)
        assert _probes_served(target) >= 0.95 * PROBES
        pool = served.server.tcp_pool
        assert len(pool) <= pool.max_per_address and pool.evicted > 0
    finally:
        _close(held)


def test_slowloris(served: RunningWorld) -> None:
    """1000 connections sending half a length prefix, then a byte now and then."""
    target = (served.address("ns1.example.com"), served.port)
    slow = _connect_all(target, [f"127.0.0.{100 + i}" for i in range(40)], 25)
    try:
        time.sleep(0.2)
        served_count = 0
        for round_ in range(4):  # keep trickling while the probes run
            for sock in slow:
                try:
                    sock.send(b"\x00" if round_ == 0 else b"\x30")
                except OSError:
                    pass  # closed by the server: that is the point
            served_count += _probes_served(target, during=0.2) if round_ == 0 else 0
        assert served_count >= 0.95 * PROBES
        assert len(served.server.tcp_pool) <= served.server.tcp_pool.max_per_address
    finally:
        _close(slow)


def test_5000_concurrent_connections(served: RunningWorld) -> None:
    target = (served.address("ns1.example.com"), served.port)
    flood = _connect_all(target, [f"127.0.0.{100 + i}" for i in range(20)], 250)
    try:
        assert _probes_served(target, during=1.0) >= 0.95 * PROBES
        pool = served.server.tcp_pool
        assert len(pool) <= pool.max_per_address and pool.refused + pool.evicted > 0
    finally:
        _close(flood)
    assert served.query("www.example.com", "A", at="ns1.example.com", tcp=True).answer
