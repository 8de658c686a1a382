"""Faults as world state: validated operations, undone when refused, seen as a Change, kept in
snapshots and declared in scenario files (fault_ops, scenario)."""

from __future__ import annotations

from pathlib import Path

import pytest

from acns_dns.world import fault_ops, scenario, snapshot
from acns_dns.world.changes import Change
from acns_dns.world.errors import InvalidInput, NotFound, ScenarioError
from acns_dns.world.models import World
from acns_dns.world.registry import Registry


def _registry(name: str = "default") -> Registry:
    return Registry(scenario.load(name))


def test_a_fault_by_address_is_kept_under_the_server_name_and_covers_both_addresses() -> None:
    registry = _registry()
    ns1 = next(ns for ns in registry.world.custom_ns if ns.ns_name == "ns1.example.com")
    shown = registry.apply(fault_ops.set_fault, ns1.ipv6.upper(), "delay", 250)
    assert shown == {"server": "ns1.example.com", "addresses": [ns1.ipv4, ns1.ipv6],
                     "faults": [{"kind": "delay", "delay_ms": 250}]}
    registry.apply(fault_ops.set_fault, "NS1.example.com.", "servfail")
    assert registry.world.faults.servers == {"ns1.example.com": {"delay": 250, "servfail": 0}}
    for name in ("a.root-servers.net", "ns2.nic.com", "ada.ns.cloudflare.com"):
        registry.apply(fault_ops.set_fault, name, "drop")
    assert [row["server"] for row in fault_ops.describe(registry.world)["faults"]] == [
        "a.root-servers.net", "ada.ns.cloudflare.com", "ns1.example.com", "ns2.nic.com"]


@pytest.mark.parametrize(("target", "kind", "delay", "error", "text"), [
    ("ns9.example.com", "drop", None, NotFound, "no simulated server called ns9.example.com"),
    ("127.53.9.9", "drop", None, NotFound, "no simulated server holds 127.53.9.9"),
    ("ns1.example.com", "explode", None, InvalidInput, "fault kind 'explode' is not one of drop"),
    ("ns1.example.com", "delay", None, InvalidInput, "delay_ms must be a whole number"),
    ("ns1.example.com", "delay", 0, InvalidInput, "from 1 to 30000, got 0"),
    ("ns1.example.com", "delay", 30001, InvalidInput, "got 30001"),
    ("ns1.example.com", "delay", True, InvalidInput, "got True"),
    ("ns1.example.com", "servfail", 10, InvalidInput, "delay_ms goes with the delay fault only"),
    ("bad name!", "drop", None, InvalidInput, "neither a server name nor an address"),
])
def test_a_refused_fault_names_the_problem_and_changes_nothing(
        target: str, kind: str, delay: int | None, error: type[Exception], text: str) -> None:
    registry = _registry()
    before = registry.world.model_copy(deep=True)
    seen: list[Change] = []
    registry.subscribe(lambda world, change: seen.append(change))
    with pytest.raises(error, match=text.replace("(", r"\(")):
        registry.apply(fault_ops.set_fault, target, kind, delay)
    assert registry.world == before
    assert seen == [Change.EVERYTHING]  # only the subscription's first call


def test_a_fault_change_is_a_faults_change_and_nothing_else() -> None:
    registry = _registry()
    seen: list[Change] = []
    registry.subscribe(lambda world, change: seen.append(change))
    registry.apply(fault_ops.set_fault, "ns1.nic.com", "strip-glue")
    registry.apply(fault_ops.set_unheld, "timeout")
    registry.apply(fault_ops.clear_faults, "ns1.nic.com", "strip-glue")
    assert seen[1:] == [Change(faults=True)] * 3
    assert registry.world.faults.servers == {}
    assert registry.world.faults.unheld == "timeout"


def test_clearing_a_fault_that_is_not_there_is_not_found() -> None:
    registry = _registry()
    registry.apply(fault_ops.set_fault, "ns1.example.com", "lame")
    with pytest.raises(NotFound, match="ns1.example.com has no tc set"):
        registry.apply(fault_ops.clear_faults, "ns1.example.com", "tc")
    with pytest.raises(NotFound, match="ns2.example.com has no fault set"):
        registry.apply(fault_ops.clear_faults, "ns2.example.com")
    removed = registry.apply(fault_ops.clear_faults)
    assert [row["server"] for row in removed] == ["ns1.example.com"]
    with pytest.raises(InvalidInput, match="unheld must be refused or timeout"):
        registry.apply(fault_ops.set_unheld, "sometimes")


def test_the_fault_of_a_server_that_went_away_is_cleared_by_its_name() -> None:
    """The fault stays listed (inert) under the name; clearing it by that name works."""
    registry = _registry()
    ns1 = next(ns for ns in registry.world.custom_ns if ns.ns_name == "ns1.example.com")
    registry.apply(fault_ops.set_fault, "ns1.example.com", "servfail")
    registry.delete_nameserver(ns1.account_id, "ns1.example.com")
    assert fault_ops.describe(registry.world)["faults"][0]["addresses"] == []
    removed = registry.apply(fault_ops.clear_faults, "NS1.example.com.", "servfail")
    assert [row["server"] for row in removed] == ["ns1.example.com"]
    assert registry.world.faults.servers == {}
    with pytest.raises(NotFound, match="no simulated server called ns1.example.com"):
        registry.apply(fault_ops.clear_faults, "ns1.example.com")


def test_faults_survive_a_snapshot(tmp_path: Path) -> None:
    registry = _registry()
    registry.apply(fault_ops.set_fault, "ns2.example.com", "delay", 1200)
    registry.apply(fault_ops.set_fault, "ns2.example.com", "tc")
    registry.apply(fault_ops.set_unheld, "timeout")
    loaded = snapshot.load(snapshot.save(registry.world, tmp_path / "w.json"))
    assert loaded == registry.world
    assert loaded.faults.servers == {"ns2.example.com": {"delay": 1200, "tc": 0}}
    assert World().faults.servers == {}  # the default is not shared between worlds


def test_unheld_addresses_are_the_stale_glue() -> None:
    world = scenario.load("stale-glue")
    assert fault_ops.unheld_addresses(world) == {"127.53.3.1", "127.53.3.2", "fd53:53:53::301",
                                                 "fd53:53:53::302"}
    assert fault_ops.unheld_addresses(scenario.load("default")) == set()


def test_a_scenario_declares_faults_and_unheld(tmp_path: Path) -> None:
    path = tmp_path / "faulty.yaml"
    path.write_text(Path(scenario.resolve("stale-glue")).read_text() + """
unheld: timeout
faults:
  - {server: ns1.nic.com, kind: strip-glue}
  - {server: 127.53.0.1, kind: delay, delay_ms: 40}
""")
    world = scenario.load(str(path), network=None)
    assert world.faults.unheld == "timeout"
    assert world.faults.servers == {"ns1.nic.com": {"strip-glue": 0}, "a.root-servers.net": {"delay": 40}}
    from acns_dns.world.addressing import network_for
    moved = scenario.load(str(path), network=network_for("127.54.0.0/16"))
    assert "a.root-servers.net" in moved.faults.servers  # the address moved with the network


@pytest.mark.parametrize(("extra", "message"), [
    ("faults:\n  - {server: ns7.example.com, kind: drop}\n",
     "faults[0]: no simulated server called ns7.example.com"),
    ("faults:\n  - {server: ns1.example.com, kind: delay, delay_ms: 90000}\n",
     "faults[0]: delay_ms must be a whole number of milliseconds from 1 to 30000, got 90000"),
    ("faults:\n  - {server: ns1.example.com, kind: slow}\n", "faults[0].kind: Input should be"),
    ("unheld: maybe\n", "unheld: Input should be 'refused' or 'timeout'"),
])
def test_a_wrong_fault_in_a_scenario_names_file_field_and_problem(tmp_path: Path, extra: str,
                                                                 message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(Path(scenario.resolve("default")).read_text() + extra)
    with pytest.raises(ScenarioError) as caught:
        scenario.load(str(path))
    assert str(caught.value).startswith(f"{path}: {message}")
