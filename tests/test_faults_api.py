"""Fault injection through /sim and the ``acns-dns fault`` commands, seen over real DNS."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.query
import httpx
import pytest

from acns_dns.cli import main
from acns_dns.lab.testing import RunningWorld, running_world

ADMIN = "fault-admin"


@pytest.fixture()
def world() -> Iterator[RunningWorld]:
    with running_world("stale-glue", api=True, admin_token=ADMIN) as served:
        yield served


def _http(world: RunningWorld, token: str = ADMIN) -> httpx.Client:
    return httpx.Client(base_url=world.api_url or "", headers={"Authorization": f"Bearer {token}"},
                        timeout=10)


def _cli(world: RunningWorld, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["fault", *argv, "--api", world.api_url or "", "--token", ADMIN])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _aa(world: RunningWorld, at: str) -> bool:
    return bool(world.query("www.example.com", at=at).flags & dns.flags.AA)


def test_faults_through_the_api_change_what_dns_sends(world: RunningWorld) -> None:
    with _http(world) as http:
        answer = http.put("/sim/faults/ns1.example.com/lame")
        assert answer.status_code == 200
        assert answer.json()["result"]["faults"] == [{"kind": "lame"}]
        ns1 = world.registry.world.custom_ns[0]
        assert answer.json()["result"]["addresses"] == [ns1.ipv4, ns1.ipv6]
        assert not _aa(world, ns1.ipv4)
        assert http.put(f"/sim/faults/{ns1.ipv4}/delay", json={"delay_ms": 20}).status_code == 200
        listed = http.get("/sim/faults").json()["result"]
        assert listed == {"unheld": "refused", "silent": [], "faults": [
            {"server": "ns1.example.com", "addresses": [ns1.ipv4, ns1.ipv6],
             "faults": [{"kind": "delay", "delay_ms": 20}, {"kind": "lame"}]}]}
        assert http.delete("/sim/faults/ns1.example.com/lame").status_code == 200
        assert _aa(world, ns1.ipv4)
        assert http.delete("/sim/faults").json()["result"][0]["server"] == "ns1.example.com"
        assert world.registry.world.faults.servers == {}


@pytest.mark.parametrize(("method", "path", "body", "status", "message"), [
    ("PUT", "/sim/faults/ns9.example.com/drop", None, 404, "no simulated server called ns9.example.com"),
    ("PUT", "/sim/faults/ns1.example.com/melt", None, 400, "fault kind 'melt' is not one of"),
    ("PUT", "/sim/faults/ns1.example.com/delay", {"delay_ms": 60000}, 400, "from 1 to 30000, got 60000"),
    ("DELETE", "/sim/faults/ns1.example.com", None, 404, "ns1.example.com has no fault set"),
    ("PUT", "/sim/unheld", {"mode": "never"}, 400, "mode"),
])
def test_refusals_name_the_problem_and_change_nothing(world: RunningWorld, method: str, path: str,
                                                      body: object, status: int, message: str) -> None:
    before = world.registry.world.model_copy(deep=True)
    with _http(world) as http:
        answer = http.request(method, path, json=body)
    assert answer.status_code == status
    assert message in answer.json()["errors"][0]["message"]
    assert world.registry.world == before


def test_only_the_admin_token_may_touch_faults(world: RunningWorld) -> None:
    with _http(world, token="demo-token") as http:
        for method, path in (("GET", "/sim/faults"), ("PUT", "/sim/faults/ns1.example.com/drop"),
                             ("DELETE", "/sim/faults"), ("PUT", "/sim/unheld")):
            assert http.request(method, path, json={"mode": "timeout"}).status_code == 403
    assert world.registry.world.faults.servers == {} and world.registry.world.faults.unheld == "refused"
    routes = httpx.get(f"{world.api_url}/sim/").json()["result"]
    assert {"/sim/faults", "/sim/faults/{server}/{kind}", "/sim/unheld"} <= {r["path"] for r in routes}


def _connected(address: str, port: int) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        sock.connect((address, port))
        sock.send(dns.message.make_query("www.example.com", "A").to_wire())
        try:
            sock.recv(512)
        except ConnectionRefusedError:
            return "refused"
        except TimeoutError:
            return "timeout"
    return "answered"


def test_the_fault_commands(world: RunningWorld, capsys: pytest.CaptureFixture[str]) -> None:
    glue = world.registry.world.tlds["com"].hosts["ns1.example.com"].ipv4
    status, out, _ = _cli(world, capsys, "set", "ns1.nic.com", "delay", "--ms", "40")
    assert status == 0 and out.split()[0] == "ns1.nic.com" and out.rstrip().endswith("delay 40 ms")
    assert _cli(world, capsys, "set", "ns2.nic.com", "strip-glue")[0] == 0
    assert not world.query("www.example.com", at="ns2.nic.com").additional
    assert _connected(glue[0], world.port) == "refused"
    status, out, _ = _cli(world, capsys, "unheld", "timeout")
    assert status == 0 and out.startswith("unheld addresses: timeout (silent: ") and glue[0] in out
    assert _connected(glue[0], world.port) == "timeout"
    status, out, _ = _cli(world, capsys, "list", "--json")
    assert [row["server"] for row in json.loads(out)["faults"]] == ["ns1.nic.com", "ns2.nic.com"]
    status, out, _ = _cli(world, capsys, "clear", "ns2.nic.com", "strip-glue")
    assert status == 0 and out.startswith("cleared: ns2.nic.com")
    assert world.query("www.example.com", at="ns2.nic.com").additional
    status, out, err = _cli(world, capsys, "set", "ns7.example.com", "drop")
    assert status == 1 and out == "" and err.count("\n") == 1 and "no simulated server called ns7" in err
    status, out, _ = _cli(world, capsys, "clear")
    assert status == 0 and out.startswith("cleared: ns1.nic.com")
    status, out, _ = _cli(world, capsys, "list")
    assert out.splitlines()[1:] == ["no server has a fault"]


def test_serve_says_which_faults_the_world_starts_with() -> None:
    from acns_dns.cli.serve_cmd import fault_line
    from acns_dns.world import scenario

    world = scenario.load("misbehaving-servers")
    assert fault_line(world) == ("faults: ns1.example.com lame, ns2.example.com lame; addresses nobody "
                                 "holds: refused")
