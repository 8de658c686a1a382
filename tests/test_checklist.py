"""Every row of the §1.3 checklist, without sockets and over real UDP and TCP sockets."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import pytest
from dns_cases import CASES, Case, build_query, build_registry, check, placeholders, read_exactly

from acns_dns.dns import wire
from acns_dns.dns.view import compile_view
from acns_dns.lab.testing import RunningWorld, random_network, running_world

UNIT = [pytest.param(case, id=case.id) for case in CASES if "unit" in case.transports]
UDP = [pytest.param(case, id=case.id) for case in CASES if "udp" in case.transports]
TCP = [pytest.param(case, id=case.id) for case in CASES if "tcp" in case.transports]


@pytest.fixture(scope="module")
def served() -> Iterator[RunningWorld]:
    with running_world(build_registry(random_network())) as world:
        yield world


def _address(world: RunningWorld, at: str) -> str:
    return world.address(at)


@pytest.mark.parametrize("case", UNIT)
def test_without_sockets(case: Case, served: RunningWorld) -> None:
    view = compile_view(served.registry.world, 1, served.server.edge_aliases)
    address = _address(served, case.at)
    _, data = build_query(case)
    reply = wire.Responder(view).respond(data, address, tcp=False)
    check(case, data, reply.data if reply else None, placeholders(served.registry.world), 1232)


@pytest.mark.parametrize("case", UDP)
def test_over_udp(case: Case, served: RunningWorld) -> None:
    address = _address(served, case.at)
    _, data = build_query(case)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.3 if case.rcode is None else 2.0)
        sock.sendto(data, (address, served.port))
        try:
            reply, source = sock.recvfrom(65535)
        except TimeoutError:
            reply, source = None, (address, served.port)
    assert source == (address, served.port), "Z5: reply must come from the address asked"
    check(case, data, reply, placeholders(served.registry.world), 1232)


def _tcp_exchange(address: str, port: int, data: bytes) -> bytes:
    with socket.create_connection((address, port), timeout=2.0) as sock:
        sock.sendall(struct.pack("!H", len(data)) + data)
        length = struct.unpack("!H", read_exactly(sock, 2))[0]
        return read_exactly(sock, length)


@pytest.mark.parametrize("case", TCP)
def test_over_tcp(case: Case, served: RunningWorld) -> None:
    _, data = build_query(case)
    reply = _tcp_exchange(_address(served, case.at), served.port, data)
    check(case, data, reply, placeholders(served.registry.world), 65535)


def test_every_checklist_row_has_a_case() -> None:
    rows = {case.id.split("-")[0] for case in CASES}
    covered_elsewhere = {"Z5": "test_over_udp source check", "A2": "check()", "S2": "test_wire",
                         "S5": "test_server", "A5": "registry rules"}
    expected = {"H1", "H2", "H3", "H4", "H5", "H6", "H7", "Z1", "Z2", "Z3", "Z4", "A1", "A3", "A4", "A6",
                "N1", "N2", "N3", "N4", "N5", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "S1", "S3", "S4",
                "E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9"}
    assert expected <= rows, expected - rows
    assert not (set(covered_elsewhere) & rows - {"Z5", "A2"})
