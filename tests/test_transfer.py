"""Zone transfer out of a running world: AXFR, IXFR, serials, NOTIFY and who may transfer.

Every transfer is asked over a real TCP connection with dnspython, as a secondary would; the
NOTIFY test listens on a real UDP socket for what the server sends.
"""

from __future__ import annotations

import socket
import time

import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.zone
import pytest
from test_serve_cmd import _free_port, _prefix, serving

from acns_dns import cli
from acns_dns.dns import export, transfer
from acns_dns.dns.transfer import Settings
from acns_dns.dns.zone_history import ZoneHistory, next_serial, serial_lt
from acns_dns.lab.testing import RunningWorld, random_network, running_world
from acns_dns.world import scenario
from acns_dns.world.registry import Registry

LOOPBACK = Settings.parse(["127.0.0.0/8"])


def soa_serial(world: RunningWorld, zone: str, at: str) -> int:
    answer = world.query(zone, "SOA", at=at).answer
    return int(answer[0][0].serial)


def transfer_lines(messages: list[dns.message.Message]) -> list[str]:
    return [line.lower() for m in messages for rrset in m.answer for line in rrset.to_text().splitlines()]


def axfr(world: RunningWorld, zone: str, at: str, source: str | None = None) -> list[dns.message.Message]:
    address = world.address(at) if at != "edge" else world.server.edge_aliases[0]
    return list(dns.query.xfr(address, zone, port=world.port, source=source, lifetime=5,
                                relativize=False))


def ixfr(world: RunningWorld, zone: str, at: str, serial: int) -> list[dns.message.Message]:
    return list(dns.query.xfr(world.address(at), zone, rdtype=dns.rdatatype.IXFR, serial=serial,
                              port=world.port, lifetime=5, relativize=False))


def zone_file_lines(world: RunningWorld, apex: str, at: str) -> list[str]:
    server = world.view.server(world.address(at))
    assert server is not None
    zone = server.zones[apex]
    return sorted(f"{rr.name}. {rr.ttl} in {rr.rtype} {rr.rdata}".lower().replace("..", ".")
                  for rr in export.zone_records(zone, server.zones))


def test_axfr_holds_the_zone_file_between_two_soas() -> None:
    with running_world("default", transfers=LOOPBACK) as world:
        messages = axfr(world, "com.", "com")
        lines = transfer_lines(messages)
        assert lines[0] == lines[-1] and " soa " in lines[0]  # RFC 5936 §2.2
        got = {" ".join(line.split()) for line in lines[:-1]}
        parsed = dns.zone.from_xfr(dns.query.xfr(world.address("com"), "com.", port=world.port))
        want = zone_file_lines(world, "com", "com")
        assert len(got) == len(want) == sum(len(rdataset) for _, rdataset in parsed.iterate_rdatasets())
        assert parsed.get_soa().serial == soa_serial(world, "com.", "com")
        root = dns.zone.from_xfr(dns.query.xfr(world.root, ".", port=world.port))
        assert root.get_rdataset("com", "NS") is not None  # the delegation travels as an NS RRset


def test_every_zone_of_every_server_can_be_transferred() -> None:
    with running_world("out-of-bailiwick", transfers=LOOPBACK) as world:
        count = 0
        for server in world.view.listing:
            address = server.ipv4
            for apex in server.zones:
                zone = dns.zone.from_xfr(dns.query.xfr(address, apex + "." if apex else ".", port=world.port,
                                                       lifetime=5))
                assert zone.get_soa() is not None
                count += 1
        assert count > 20


def test_transfers_go_only_to_the_named_addresses() -> None:
    with running_world("default") as world:  # nobody named: REFUSED, over TCP and UDP
        query, com = dns.message.make_query("com.", "AXFR"), world.address("com")
        assert dns.query.tcp(query, com, port=world.port, timeout=2).rcode() == dns.rcode.REFUSED
        assert dns.query.udp(query, com, port=world.port, timeout=2).rcode() == dns.rcode.REFUSED
        assert world.server.transfers.refused == 1
    with running_world("default", transfers=Settings.parse(["127.0.0.2"])) as world:
        assert axfr(world, "com.", "com", source="127.0.0.2")
        with pytest.raises(dns.query.TransferError) as refused:
            axfr(world, "com.", "com", source="127.0.0.3")
        assert refused.value.rcode == dns.rcode.REFUSED
        ixfr_query = dns.message.make_query("com.", "IXFR")
        reply = dns.query.tcp(ixfr_query, world.address("com"), port=world.port, timeout=2,
                              source="127.0.0.9")
        assert reply.rcode() == dns.rcode.REFUSED
        entries = [e for e in world.journal.entries() if e.qtype in ("AXFR", "IXFR")]
        assert [e.rcode for e in entries] == ["NOERROR", "REFUSED", "REFUSED"]


def test_a_zone_the_address_does_not_serve_is_notauth() -> None:
    with running_world("default", transfers=LOOPBACK) as world:
        with pytest.raises(dns.query.TransferError) as failed:
            axfr(world, "example.com.", "root")
        assert failed.value.rcode == dns.rcode.NOTAUTH


def test_serials_move_with_every_change_to_a_zone_and_only_then() -> None:
    with running_world("default", transfers=LOOPBACK) as world:
        com, edge = soa_serial(world, "com.", "com"), soa_serial(world, "example.com.", "edge")
        zone_id = next(z.id for z in world.registry.world.zones.values() if z.name == "example.com")
        world.registry.add_record(zone_id, "new.example.com", "A", "192.0.2.7")
        assert soa_serial(world, "example.com.", "edge") == next_serial(edge)
        assert soa_serial(world, "com.", "com") == com  # another zone: unchanged
        world.registry.set_glue("example-registrar", "ns9.example.com", ["192.0.2.9"], [])
        assert soa_serial(world, "com.", "com") == next_serial(com)
        assert soa_serial(world, "example.com.", "edge") == next_serial(edge)
        nx = world.query("nothing.example.com.", "A")  # negative answers carry the new SOA too
        assert int(nx.authority[0][0].serial) == next_serial(edge)


def test_ixfr_sends_the_deltas_or_one_soa_or_the_whole_zone() -> None:
    with running_world("default", transfers=LOOPBACK) as world:
        first = soa_serial(world, "com.", "com")
        world.registry.set_glue("example-registrar", "ns9.example.com", ["192.0.2.9"], [])
        world.registry.set_glue("example-registrar", "ns9.example.com", ["192.0.2.10"], [])
        now = soa_serial(world, "com.", "com")
        assert now == next_serial(next_serial(first))
        lines = [" ".join(line.split()) for line in transfer_lines(ixfr(world, "com.", "com", first))]
        soas = [line for line in lines if " soa " in line]
        assert [int(s.split()[6]) for s in soas] == [now, first, first + 1, first + 1, now, now]
        assert "ns9.example.com. 172800 in a 192.0.2.9" in lines  # added, then removed
        assert lines.index("ns9.example.com. 172800 in a 192.0.2.10") > lines.index(soas[3])
        up_to_date = ixfr(world, "com.", "com", now)
        assert len(transfer_lines(up_to_date)) == 1  # RFC 1995 §2: the single current SOA
        too_old = transfer_lines(ixfr(world, "com.", "com", first - 5))
        assert len(too_old) == len(zone_file_lines(world, "com", "com")) + 1  # AXFR form


def test_ixfr_history_is_bounded() -> None:
    history = ZoneHistory(entries=2)
    with running_world("default", transfers=LOOPBACK) as world:
        world.server.history = history
        world.server.transfers.history = history
        world.registry.set_glue("example-registrar", "ns9.example.com", ["192.0.2.1"], [])  # seen first here
        first = soa_serial(world, "com.", "com")
        for last in range(2, 5):
            world.registry.set_glue("example-registrar", "ns9.example.com", [f"192.0.2.{last}"], [])
        lines = transfer_lines(ixfr(world, "com.", "com", first))
        assert len(lines) == len(zone_file_lines(world, "com", "com")) + 1  # reaches back 2 only
        lines = transfer_lines(ixfr(world, "com.", "com", first + 1))
        assert len(lines) == 1 + 2 * 4 + 1


def test_ixfr_without_the_client_soa_is_formerr() -> None:
    with running_world("default", transfers=LOOPBACK) as world:
        query = dns.message.make_query("com.", "IXFR")
        reply = dns.query.tcp(query, world.address("com"), port=world.port, timeout=2)
        assert reply.rcode() == dns.rcode.FORMERR


def test_a_large_zone_goes_in_several_messages() -> None:
    registry = Registry(scenario.load("default", network=random_network()))
    zone_id = next(z.id for z in registry.world.zones.values() if z.name == "example.com")
    for index in range(500):  # before serving: one view compiled, not 500
        registry.add_record(zone_id, f"host{index}.example.com", "TXT", f"record number {index} " + "x" * 100)
    with running_world(registry, transfers=LOOPBACK) as world:
        messages = axfr(world, "example.com.", "edge")
        assert len(messages) > 3 and all(len(m.to_wire()) <= transfer.MESSAGE_SIZE for m in messages)
        assert len(messages[0].question) == 1 and not messages[1].question  # RFC 5936 §2.2.1
        assert len(transfer_lines(messages)) == len(zone_file_lines(world, "example.com", "edge")) + 1


def test_serial_arithmetic_wraps() -> None:
    assert next_serial(2**32 - 1) == 1
    assert serial_lt(2**32 - 5, 3) and not serial_lt(3, 2**32 - 5)
    assert serial_lt(1, 2) and not serial_lt(2, 2)


def _notify_listener() -> tuple[socket.socket, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    return sock, sock.getsockname()[1]


def test_every_change_is_notified_and_retried_until_answered() -> None:
    listener, port = _notify_listener()
    settings = Settings.parse(["127.0.0.0/8"], notify=[f"127.0.0.1@{port}"])
    with listener, running_world("default", transfers=settings) as world:
        world.server.notifier.first_retry = 0.2  # type: ignore[union-attr]
        world.registry.set_glue("example-registrar", "ns9.example.com", ["192.0.2.9"], [])
        seen: list[tuple[dns.message.Message, tuple[str, int]]] = []
        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:  # the first one is not answered
            try:
                data, peer = listener.recvfrom(65535)
            except TimeoutError:
                continue
            seen.append((dns.message.from_wire(data), peer))
        assert len(seen) == 2 and seen[0][0].id == seen[1][0].id
        notify = seen[1][0]
        assert notify.opcode() == dns.opcode.NOTIFY and notify.flags & dns.flags.AA
        assert notify.question[0].name.to_text() == "com." and notify.question[0].rdtype == dns.rdatatype.SOA
        assert int(notify.answer[0][0].serial) == soa_serial(world, "com.", "com")
        response = dns.message.make_response(notify)
        listener.sendto(response.to_wire(), seen[1][1])
        deadline = time.monotonic() + 3
        while world.server.notifier.pending and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.05)
        assert world.server.notifier.answered == 1  # type: ignore[union-attr]
        with pytest.raises(TimeoutError):
            while True:  # nothing more for that change once answered
                listener.recvfrom(65535)


def test_notify_gives_up_after_bounded_tries() -> None:
    listener, port = _notify_listener()
    settings = Settings.parse(notify=[f"127.0.0.1@{port}"])
    with listener, running_world("default", transfers=settings) as world:
        notifier = world.server.notifier
        assert notifier is not None
        notifier.first_retry, notifier.tries = 0.05, 3
        world.registry.set_glue("example-registrar", "ns9.example.com", ["192.0.2.9"], [])
        deadline = time.monotonic() + 5
        while notifier.given_up < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert notifier.given_up == 1 and notifier.sent == 3 and not notifier.pending


def test_settings_name_the_bad_value() -> None:
    with pytest.raises(ValueError, match="--allow-transfer 'nonsense'"):
        Settings.parse(["nonsense"])
    with pytest.raises(ValueError, match="ADDRESS@PORT"):
        Settings.parse(notify=["127.0.0.1:53"])


def test_serve_transfers_to_the_named_prefix_only(capsys: pytest.CaptureFixture[str]) -> None:
    port = _free_port()
    prefix = _prefix()
    with serving("--port", str(port), "--no-api", "--listen-prefix", prefix,
                 "--allow-transfer", "127.0.0.0/8") as (process, lines):
        assert any(line.startswith("zone transfers (AXFR/IXFR over TCP) to 127.0.0.0/8") for line in lines)
        root = prefix.rsplit(".", 2)[0] + ".0.1"
        zone = dns.zone.from_xfr(dns.query.xfr(root, ".", port=port, lifetime=5))
        assert zone.get_rdataset("com", "NS") is not None
    assert process.returncode == 0
    assert cli.main(["serve", "--allow-transfer", "10.0.0.0/33", "--no-api"]) == 2
    assert "--allow-transfer '10.0.0.0/33': not an IP address or prefix" in capsys.readouterr().err
