"""The pytest plugin (``acns_dns.testing``, entry point ``pytest11``) as a resolver project uses it.

This suite has the plugin loaded like any project that installs acns-dns, so the fixtures are
used here directly (outside a namespace: worlds on a free port). Resolvers over port 53 are
``test_testing_netns.py``'s; what pytest itself shows (``--fixtures``, skip reasons) is asked
of a pytest run in a folder of its own.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys
import threading
from pathlib import Path

import dns.rcode
import pytest

from acns_dns.dns.journal import QueryJournal
from acns_dns.lab import netns
from acns_dns.lab.api_access import ApiAccess
from acns_dns.lab.pytest_plugin import PLUGIN_OCTETS, world_prefix
from acns_dns.lab.testing import RunningWorld, running_world
from acns_dns.world import registrar_ops

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
FIXTURES = ("acns_world", "acns_resolver", "acns_resolvers", "acns_api", "acns_journal")


def _glue(world: RunningWorld, qname: str = "www.example.com") -> dict[str, set[str]]:
    """The glue the com registry's referral carries, by name."""
    reply = world.query(qname, "A", at="com")
    found: dict[str, set[str]] = {}
    for rrset in reply.additional:
        found.setdefault(rrset.name.to_text().rstrip("."), set()).update(r.to_text() for r in rrset)
    return found


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # schemathesis and hypothesis (this venv's) only slow a session that does not use them
    quiet = ["-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest"]
    return subprocess.run([sys.executable, "-m", "pytest", *quiet, *args], cwd=folder,
                          capture_output=True, text=True, timeout=120)


# --- the world ---------------------------------------------------------------------------

def test_a_world_has_its_own_prefix_and_edge(acns_world: RunningWorld) -> None:
    prefix = ipaddress.IPv4Network(acns_world.registry.world.network.prefix4)
    edge = acns_world.address("edge")
    assert ipaddress.IPv4Address(edge) in prefix and ipaddress.IPv4Address(acns_world.root) in prefix
    assert prefix.network_address.packed[1] in PLUGIN_OCTETS
    assert not [a for a, _ in acns_world.server.bound if a == "127.0.0.1"]
    reply = acns_world.query("example.com", "NS")
    assert reply.rcode() == dns.rcode.NOERROR and reply.flags & dns.flags.AA
    assert {r.to_text() for r in reply.answer[0]} == {"ns1.example.com.", "ns2.example.com."}


def test_worlds_side_by_side_share_no_address() -> None:
    with running_world("default") as one, running_world("default") as two:
        assert one.address("edge") != two.address("edge")
        assert not {a for a, _ in one.server.bound} & {a for a, _ in two.server.bound}


@pytest.mark.acns_scenario("missing-glue")
def test_the_marker_chooses_the_scenario(acns_world: RunningWorld) -> None:
    assert acns_world.scenario == "missing-glue"
    assert _glue(acns_world) == {}


@pytest.mark.parametrize("acns_world", ["stale-glue", "out-of-bailiwick"], indirect=True)
def test_a_parameter_chooses_the_scenario(acns_world: RunningWorld, request: pytest.FixtureRequest) -> None:
    assert acns_world.scenario == request.node.callspec.params["acns_world"]
    if acns_world.scenario == "out-of-bailiwick":  # served from the zone files in zonefiles/
        reply = acns_world.query("dnsnames.net", "SOA", at="ns1.otherdns.com")
        soa = [r.to_text().split()[:2] for r in reply.answer[0]]
        assert soa == [["ns1.otherdns.com.", "hostmaster.otherdns.com."]]


def test_every_prefix_belongs_to_one_worker() -> None:
    for workers in (1, 2, 4, 8, 52):
        taken: dict[str, str] = {}
        for index in range(workers):
            for serial in range(60):
                prefix = world_prefix(f"gw{index}", workers, serial)
                assert taken.setdefault(prefix, f"gw{index}") == f"gw{index}", (workers, prefix)
        assert all(int(p.split(".")[1]) in PLUGIN_OCTETS for p in taken)
    assert world_prefix("master", 1, 0) == world_prefix("gw0", 1, 0)
    assert len({world_prefix("gw0", 4, serial) for serial in range(4)}) > 1  # it cycles


# --- addresses and glue ------------------------------------------------------------------

@pytest.mark.acns_scenario("missing-glue")
def test_fix_glue_publishes_the_assigned_addresses(acns_world: RunningWorld) -> None:
    ns1 = acns_world.assigned("ns1.example.com")
    assert ipaddress.ip_address(ns1.ipv4).version == 4 and ipaddress.ip_address(ns1.ipv6).version == 6
    edge = acns_world.query("ns1.example.com", "A").answer
    assert [r.to_text() for r in edge[0]] == [ns1.ipv4]  # what the edge itself answers
    acns_world.fix_glue("ns1.example.com")
    assert _glue(acns_world) == {"ns1.example.com": {ns1.ipv4, ns1.ipv6}}
    acns_world.fix_glue()  # every custom nameserver name below a registered domain
    ns2 = acns_world.assigned("ns2.example.com")
    assert _glue(acns_world)["ns2.example.com"] == {ns2.ipv4, ns2.ipv6}


def test_break_glue_deletes_it_or_makes_it_stale(acns_world: RunningWorld) -> None:
    served = {a for a, _ in acns_world.server.bound}
    acns_world.break_glue("ns1.example.com")
    assert "ns1.example.com" not in _glue(acns_world)
    acns_world.break_glue("ns2.example.com", stale=True)
    stale = _glue(acns_world)["ns2.example.com"]
    assert len(stale) == 2 and not stale & served
    assert stale != {acns_world.assigned("ns2.example.com").ipv4, acns_world.assigned("ns2.example.com").ipv6}
    acns_world.set_glue("ns2.example.com", ["192.0.2.53"])
    assert _glue(acns_world)["ns2.example.com"] == {"192.0.2.53"}


@pytest.mark.acns_scenario("pending-ticket")
def test_glue_at_cloudflare_registrar_goes_through_a_resolved_ticket(acns_world: RunningWorld) -> None:
    before = len(acns_world.registry.world.tickets)
    acns_world.fix_glue("ns1.example.com")
    tickets = acns_world.registry.world.tickets[before:]
    assert [(t.action, t.host, t.status) for t in tickets] == [("set_glue", "ns1.example.com", "resolved")]
    glue = acns_world.registry.read(registrar_ops.glue_of, "ns1.example.com")
    assigned = acns_world.assigned("ns1.example.com")
    assert glue is not None and (glue.ipv4, glue.ipv6) == ([assigned.ipv4], [assigned.ipv6])


def test_a_name_without_addresses_is_named_in_the_error(acns_world: RunningWorld) -> None:
    with pytest.raises(KeyError, match="ns9.example.com: no custom nameserver of that name"):
        acns_world.assigned("ns9.example.com")
    with pytest.raises(KeyError, match="no simulated server called 'nowhere.example'"):
        acns_world.address6("nowhere.example")


def test_address6_names_the_ipv6_side_of_each_server(acns_world: RunningWorld) -> None:
    world = acns_world.registry.world
    assert acns_world.address6("root") == acns_world.root6 == world.root_ipv6
    assert acns_world.address6("com") == world.tlds["com"].ipv6
    assert acns_world.address6("edge") == world.cloudflare.nameservers[0].ipv6
    assert acns_world.address6("ns1.example.com") == acns_world.assigned("ns1.example.com").ipv6
    prefix = ipaddress.IPv6Network(world.network.prefix6)
    assert ipaddress.IPv6Address(acns_world.address6("com")) in prefix


# --- the API and the journal -------------------------------------------------------------

def test_the_api_is_ready_for_the_sdk(acns_api: ApiAccess, acns_world: RunningWorld) -> None:
    assert acns_api.token == "demo-token" and acns_api.base_url.endswith("/client/v4")
    sdk = acns_api.sdk()
    assert {z.name for z in sdk.zones.list()} == {"example.com", "example.net"}
    made = sdk.custom_nameservers.create(account_id=ACCOUNT, ns_name="ns3.example.com", ns_set=2)
    assert made is not None
    assigned = acns_world.assigned("ns3.example.com")
    assert {r.type: r.value for r in made.dns_records} == {"A": assigned.ipv4, "AAAA": assigned.ipv6}
    with acns_api.sim() as sim:
        servers = sim.get("/sim/servers")
    assert servers.status_code == 200, servers.text
    assert acns_world.root in servers.text


def test_the_journal_records_each_query(acns_world: RunningWorld, acns_journal: QueryJournal) -> None:
    assert acns_journal is acns_world.journal
    acns_world.query("example.com", "NS")
    acns_world.query("www.example.com", "A", at="com")
    entries = acns_journal.entries()
    assert [(e.server, e.qname, e.qtype) for e in entries] == [
        (acns_world.address("edge"), "example.com", "NS"),
        (acns_world.address("com"), "www.example.com", "A")]


# --- what pytest shows ---------------------------------------------------------------------

def test_pytest_lists_the_fixtures_with_their_documentation(tmp_path: Path) -> None:
    done = _pytest(tmp_path, "--fixtures")
    assert done.returncode == 0, done.stdout + done.stderr
    for name in FIXTURES:
        assert f"\n{name} -- " in done.stdout, f"{name} missing from pytest --fixtures"
    assert "A scenario served over DNS and the HTTP API" in done.stdout
    assert "--acns-netns" in _pytest(tmp_path, "--help").stdout


def test_resolver_fixtures_skip_outside_a_namespace_saying_why(tmp_path: Path) -> None:
    (tmp_path / "test_resolver.py").write_text(
        "def test_resolver(acns_resolver):\n    raise AssertionError('ran without port 53')\n"
        "def test_world(acns_world):\n    assert acns_world.port != 53\n")
    done = _pytest(tmp_path, "-rs")
    assert "1 passed, 1 skipped" in done.stdout, done.stdout + done.stderr
    assert "real resolvers query port 53 only: run pytest with --acns-netns" in done.stdout


def test_without_a_namespace_the_resolver_fixtures_say_why(tmp_path: Path) -> None:
    # a conftest that starts a thread: unshare(2) then refuses a new user namespace
    (tmp_path / "conftest.py").write_text(
        "import threading\nthreading.Thread(target=threading.Event().wait, daemon=True).start()\n")
    (tmp_path / "test_resolver.py").write_text(
        "def test_resolver(acns_resolver):\n    raise AssertionError('ran without a namespace')\n")
    done = _pytest(tmp_path, "-rs", "--acns-netns")
    assert "1 skipped" in done.stdout, done.stdout + done.stderr
    assert "acns-dns: no user + network namespace (cannot enter a user namespace: this process " \
           "already runs" in done.stdout
    assert "real resolvers need a user + network namespace, unavailable here: cannot enter" in done.stdout


def test_entering_a_namespace_is_refused_with_other_threads_running() -> None:
    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait)
    waiting.start()
    try:
        with pytest.raises(netns.NamespaceError, match="cannot enter a user namespace: this process already"):
            netns.enter()
    finally:
        stop.set()
        waiting.join()
    assert not netns.inside()
