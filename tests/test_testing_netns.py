"""The plugin's resolver fixtures, run as a resolver project runs them: ``pytest -n 2 --acns-netns``.

The session enters its own user + network namespace before pytest-xdist starts its workers;
there each worker's worlds serve port 53 and IPv6 on their own prefix, and the real
resolvers (BIND, Knot Resolver, PowerDNS Recursor, unbound) run beside them on their own
addresses. The tests below are written into a folder of their own and run there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from acns_dns.lab import netns
from acns_dns.lab.resolvers import KINDS

REASON = netns.available()
MISSING = sorted(kind for kind, cls in KINDS.items() if not cls.installed())

PROJECT_TESTS = '''
import socket

import dns.message
import dns.query
import pytest

from acns_dns.lab.resolvers import KINDS

INSTALLED = sorted(kind for kind, cls in KINDS.items() if cls.installed())


@pytest.mark.parametrize("acns_resolver", sorted(KINDS), indirect=True)
def test_each_resolver_answers_beside_its_world(acns_world, acns_resolver):
    assert acns_world.port == 53
    second = acns_world.registry.world.network.prefix4.split(".")[1]
    assert acns_resolver.listen.startswith(f"127.0.{second}.")
    outcome = acns_resolver.ask("www.example.com")
    assert (outcome.rcode, outcome.answer) == ("NOERROR", ["192.0.2.10"])
    acns_resolver.flush()
    assert acns_resolver.ask("www.example.net").answer == ["192.0.2.20"]


@pytest.mark.acns_scenario("missing-glue")
@pytest.mark.acns_resolver("knot")
def test_markers_choose_the_scenario_and_the_resolver(acns_resolver):
    outcome = acns_resolver.ask("www.example.com")
    assert (acns_resolver.kind, outcome.rcode) == ("knot", "SERVFAIL")
    assert "missing mandatory glue, skipping NS ns1.example.com." in outcome.reason


@pytest.mark.acns_scenario("stale-glue")
def test_every_installed_resolver_at_once(acns_world, acns_resolvers):
    assert sorted(acns_resolvers) == INSTALLED
    assert len({r.listen for r in acns_resolvers.values()}) == len(INSTALLED)
    acns_world.fix_glue()
    for resolver in acns_resolvers.values():
        assert resolver.ask("www.example.com").answer == ["192.0.2.10"], resolver.label


def test_ipv6_is_served_in_the_namespace(acns_world):
    assert acns_world.ipv6
    query = dns.message.make_query("www.example.com", "AAAA")
    reply = dns.query.udp(query, acns_world.address6("com"), port=53, timeout=2)
    glue = {rrset.rdtype: [r.to_text() for r in rrset] for rrset in reply.additional
            if rrset.name.to_text() == "ns1.example.com."}
    assert glue[dns.rdatatype.AAAA] == [acns_world.assigned("ns1.example.com").ipv6]


def test_a_resolver_of_your_own_can_listen_beside_the_world(acns_world):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((acns_world.spare_address(), 53))
        query = dns.message.make_query("com", "NS")
        reply = dns.query.udp(query, acns_world.root, port=53, timeout=2, sock=sock)
    assert reply.authority
'''


@pytest.mark.skipif(bool(REASON), reason=f"needs user+network namespaces: {REASON}")
def test_resolver_fixtures_under_xdist_in_a_namespace(tmp_path: Path) -> None:
    (tmp_path / "test_resolvers.py").write_text(PROJECT_TESTS)
    quiet = ["-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest"]
    done = subprocess.run([sys.executable, "-m", "pytest", *quiet, "-n", "2", "--acns-netns", "-rs"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "acns-dns: in its own user + network namespace" in output
    if not MISSING:
        assert "= 8 passed in" in output, output
    for kind in MISSING:  # each missing resolver is a skip that names its package
        assert f"{KINDS[kind].label} is not installed" in output, output
