"""Scenario files: every packaged one loads, round trips, and broken ones get one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from acns_dns.world import cloudflare_ops, names, scenario, snapshot
from acns_dns.world.errors import ScenarioError
from acns_dns.world.models import Network

PACKAGED = [name for name, _ in scenario.packaged()]
REQUIRED = {"default", "missing-glue", "stale-glue", "wrong-removal-order", "out-of-bailiwick",
            "cyclic-sibling"}
NS_NAMES = ("ns1.example.com", "ns2.example.com")


def test_the_required_scenarios_are_packaged_with_descriptions() -> None:
    listed = dict(scenario.packaged())
    assert REQUIRED <= set(listed)
    assert PACKAGED[0] == "default"
    assert all(description.strip() for description in listed.values())


@pytest.mark.parametrize("name", PACKAGED)
def test_every_packaged_scenario_loads_and_round_trips(name: str) -> None:
    world = scenario.load(name)
    again = snapshot.loads(snapshot.dumps(world))
    assert again == world
    assert scenario.load(name) == world  # the same scenario gives the same world every time


@pytest.mark.parametrize("name", sorted(REQUIRED - {"out-of-bailiwick", "cyclic-sibling"}))
def test_example_com_scenarios_share_the_same_dig_targets(name: str) -> None:
    world = scenario.load(name)
    zone = cloudflare_ops.zone_by_name(world, "example.com")
    assert zone is not None
    owners = {(r.name, r.type) for r in zone.records}
    assert {("www.example.com", "A"), ("www.example.com", "AAAA")} <= owners


def test_default_glue_matches_the_assigned_addresses() -> None:
    world = scenario.load("default")
    hosts = world.tlds["com"].hosts
    for ns in world.custom_ns:
        assert hosts[ns.ns_name].ipv4 == [ns.ipv4]
        assert hosts[ns.ns_name].ipv6 == [ns.ipv6]


def test_failure_scenarios_differ_from_default_where_they_say() -> None:
    default = scenario.load("default")
    assert scenario.load("missing-glue").tlds["com"].hosts.keys().isdisjoint(NS_NAMES)
    stale = scenario.load("stale-glue")
    assigned = {ns.ipv4 for ns in stale.custom_ns}
    assert all(set(stale.tlds["com"].hosts[h].ipv4).isdisjoint(assigned) for h in NS_NAMES)
    removed = scenario.load("wrong-removal-order")
    assert removed.custom_ns == []
    glue = {a for h in NS_NAMES for a in removed.tlds["com"].hosts[h].ipv4}
    assert glue == {ns.ipv4 for ns in default.custom_ns if ns.ns_name.endswith("example.com")}
    assert set(removed.released) == glue


def test_out_of_bailiwick_host_publishes_the_assigned_addresses() -> None:
    world = scenario.load("out-of-bailiwick")
    records = {(r.name, r.content) for z in world.hosts["otherdns"].zones for r in z.records}
    for ns in world.custom_ns:
        assert (ns.ns_name, ns.ipv4) in records and (ns.ns_name, ns.ipv6) in records
        assert not names.is_subdomain(ns.ns_name, "org")


def test_another_prefix_moves_every_address() -> None:
    network = Network(prefix4="127.54.0.0/16", prefix6="fd54:54:54::/48")
    moved = scenario.load("out-of-bailiwick", network)
    text = snapshot.dumps(moved)
    assert "127.53." not in text and "fd53:53:53" not in text
    assert moved.custom_ns[0].ipv4.startswith("127.54.")


BROKEN = [
    ("description: x\naccounts:\n  - name: A\n    custom_nameservers:\n"
     "      - {ns_name: ns1.example.com, ns_set: 7}\n",
     "accounts[0].custom_nameservers[0]", "ns_set"),
    ("description: x\naccounts:\n  - name: A\n"
     "    zones: [{name: example.com, nameservers: {type: custom.acount}}]\n",
     "accounts[0].zones[0].nameservers.type", "custom.acount"),
    ("description: x\ntlds: [{name: com}]\naccounts:\n  - name: A\n    colour: blue\n",
     "accounts[0].colour", "Extra"),
    ("description: x\n  bad: [\n", "line 2", "YAML"),
    ("tlds: []\n", "description", "required"),
    ("description: x\naccounts:\n  - {name: A, tokens: [t]}\n  - {name: B, tokens: [t]}\n",
     "accounts[1].tokens[0]", "already used"),
    ("description: x\ndomains: [{name: example.com, registrar: nobody}]\n", "domains[0]", "nobody"),
    ("description: x\naccounts:\n  - name: A\n    custom_nameservers: [{ns_name: ns1.example.com}]\n"
     "    zones: [{name: example.com, nameservers: {type: custom.account, ns_set: 1}}]\n",
     "accounts[0].zones[0].nameservers", "doesn't exist"),
]


@pytest.mark.parametrize(("text", "field", "detail"), BROKEN)
def test_broken_scenario_error_names_file_and_field(tmp_path: Path, text: str, field: str,
                                                    detail: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        scenario.load(str(path))
    message = caught.value.message
    assert str(path) in message and field in message and detail in message
    assert "\n" not in message


def test_cli_reports_a_broken_scenario_in_one_line_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN[0][0])
    done = subprocess.run([sys.executable, "-m", "acns_dns", "check-scenario", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "accounts[0].custom_nameservers[0]" in done.stderr


def test_cli_lists_scenarios_one_line_each() -> None:
    done = subprocess.run([sys.executable, "-m", "acns_dns", "scenarios"], capture_output=True, text=True,
                          timeout=60, check=True)
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == PACKAGED
