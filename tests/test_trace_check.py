"""``acns-dns trace`` and ``acns-dns check`` against live worlds, over real sockets."""

from __future__ import annotations

import subprocess
import sys

from acns_dns.lab import check, trace
from acns_dns.lab.testing import random_network, running_world
from acns_dns.world import scenario
from acns_dns.world.models import Network
from acns_dns.world.registry import Registry


def walk(source: str | Registry, qname: str, qtype: str = "A") -> trace.Trace:
    with running_world(source) as world:
        return trace.Tracer(world.root, world.port, timeout=0.5).trace(qname, qtype)


def findings(source: str | Registry, domain: str) -> dict[str, set[str]]:
    """check's findings as {check id: {levels}}."""
    with running_world(source) as world:
        found = check.check(domain, world.root, world.port, timeout=0.5)
    levels: dict[str, set[str]] = {}
    for finding in found:
        levels.setdefault(finding.check, set()).add(finding.level)
    return levels


def test_trace_follows_root_tld_and_edge_with_in_domain_glue() -> None:
    result = walk("default", "www.example.com")
    assert result.status == "answer" and result.addresses == ["192.0.2.10"]
    assert [hop.zone for hop in result.hops] == ["", "com", "example.com"]
    assert any("ns1.example.com: in-domain, glue: " in line for line in result.hops[1].lines)
    assert "OK: resolved" in trace.render(result)


def test_trace_names_missing_mandatory_glue_as_the_failure() -> None:
    result = walk("missing-glue", "www.example.com")
    assert result.status == "fail"
    assert "in-domain but the referral has no glue" in result.verdict and "RFC 9471" in result.verdict
    assert "FAIL:" in trace.render(result)


def test_trace_shows_that_nothing_listens_at_stale_or_released_glue() -> None:
    for name in ("stale-glue", "wrong-removal-order"):
        result = walk(name, "www.example.com")
        assert result.status == "fail" and "nothing listens at" in result.verdict, name


def test_trace_resolves_out_of_bailiwick_names_separately() -> None:
    result = walk("out-of-bailiwick", "www.example.org", "AAAA")
    assert result.status == "answer" and result.addresses == ["2001:db8::40"]
    assert any(hop.outcome.startswith("(for ns1.dnsnames.net)") for hop in result.hops)


def test_sibling_glue_resolves_a_cycle_and_its_absence_is_reported() -> None:
    assert walk("cyclic-sibling", "www.alpha.net").status == "answer"
    world = scenario.load("cyclic-sibling", random_network())
    world.tlds["net"].glue_policy = "in-domain"
    result = walk(Registry(world), "www.alpha.net")
    assert result.status == "fail" and "dependency cycle" in result.verdict


def test_trace_reports_nxdomain_and_nodata() -> None:
    assert walk("default", "nope.example.com").status == "nxdomain"
    assert walk("default", "www.example.com", "MX").status == "nodata"


def test_check_passes_a_correct_delegation() -> None:
    levels = findings("default", "example.com")
    assert all(found == {"PASS"} for found in levels.values()), levels
    assert {"delegated", "glue-present", "authoritative", "parent-child-ns", "glue-matches"} <= set(levels)


def test_check_fails_missing_glue_and_lame_servers() -> None:
    assert "FAIL" in findings("missing-glue", "example.com")["glue-present"]
    stale = findings("stale-glue", "example.com")
    assert stale["glue-present"] == {"PASS"} and "FAIL" in stale["authoritative"]


def test_check_warns_when_parent_and_child_disagree() -> None:
    levels = findings("pending-ticket", "example.com")  # registry: branded pair; zone: the ACNS set
    assert levels["parent-child-ns"] == {"WARN"}


def test_check_fails_glue_that_points_at_another_live_server() -> None:
    registry = Registry(scenario.load("default", random_network()))
    ns1, ns2 = registry.world.custom_ns[:2]
    registry.set_glue("example-registrar", ns1.ns_name, [ns2.ipv4], [ns2.ipv6])
    levels = findings(registry, "example.com")
    assert "FAIL" in levels["glue-matches"] and levels["authoritative"] == {"PASS"}


def test_cli_exit_status_follows_the_outcome() -> None:
    network = Network(prefix4="127.57.0.0/16", prefix6="fd53:53:39::/48")
    for name, expected in (("default", 0), ("missing-glue", 1)):
        with running_world(Registry(scenario.load(name, network))) as world:
            for command in (["trace", "www.example.com"], ["check", "example.com"]):
                done = subprocess.run([sys.executable, "-m", "acns_dns", *command, "--root", world.root,
                                       "--port", str(world.port), "--timeout", "0.5"],
                                      capture_output=True, text=True, timeout=60)
                assert done.returncode == expected, (name, command, done.stdout, done.stderr)
