"""The NSD export serves what acns-dns serves: the same questions, the same answers.

Each scenario is exported, every server group is started in a real ``nsd -d`` on the same
private 127.x.0.0/16 as the acns-dns world but another port, and both are asked the same
questions. Responses are compared by rcode, AA and TC, and each section as a set of records
(order and ID do not matter). The few differences that RFCs leave to the implementation are
listed in ALLOWED, each with its reason; any other difference fails.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from acns_dns import cli
from acns_dns.dns import export
from acns_dns.dns.view import Role, compile_view
from acns_dns.lab import probe
from acns_dns.lab.resolver import stop_process
from acns_dns.lab.testing import PORT_RANGE, RunningWorld, running_world
from acns_dns.world import scenario
from acns_dns.world.addressing import network_for
from acns_dns.world.registry import Registry

NSD = shutil.which("nsd") or shutil.which("/usr/sbin/nsd")
needs_nsd = pytest.mark.skipif(NSD is None, reason="nsd is not installed")

STARTUP_SECONDS = 10.0
EDGE = "127.0.0.1"

# (where, name, type): where is "root", a TLD ("com"), "edge" (127.0.0.1) or a server name.
DEFAULT_QUESTIONS = [
    # root: its own data, referrals to TLDs (with glue), names it does not have
    ("root", ".", "NS"), ("root", ".", "SOA"), ("root", ".", "MX"),
    ("root", "com.", "NS"), ("root", "www.example.com.", "A"), ("root", "ns1.nic.com.", "A"),
    ("root", "com.", "DS"), ("root", "no-such-tld.", "A"), ("root", "a.root-servers.net.", "A"),
    ("root", "a.root-servers.net.", "AAAA"), ("root", "root-servers.net.", "NS"),
    # com registry: referrals, glue names (answered by referral), DS at the cut, NXDOMAIN
    ("com", "com.", "SOA"), ("com", "com.", "NS"), ("com", "com.", "MX"),
    ("com", "ns1.nic.com.", "A"), ("com", "ns1.nic.com.", "AAAA"),
    ("com", "example.com.", "NS"), ("com", "www.example.com.", "A"), ("com", "ns1.example.com.", "A"),
    ("com", "ns2.example.com.", "AAAA"), ("com", "example.com.", "DS"), ("com", "nothing-here.com.", "A"),
    ("com", "cloudflare.com.", "NS"), ("com", "example.org.", "A"),
    # net registry: a delegation to names under com (no glue: unrelated, RFC 9471 §2)
    ("net", "www.example.net.", "A"), ("net", "example.net.", "DS"),
    # net refers root-servers.net to the root letters, with glue (as on the Internet)
    ("net", "a.root-servers.net.", "A"), ("net", "root-servers.net.", "NS"),
    # the Cloudflare edge, on 127.0.0.1 and on an ACNS address
    ("edge", "example.com.", "NS"), ("edge", "example.com.", "SOA"), ("edge", "example.com.", "MX"),
    ("edge", "example.com.", "TXT"), ("edge", "www.example.com.", "A"),
    ("edge", "www.example.com.", "AAAA"), ("edge", "www.example.com.", "MX"),
    ("edge", "mail.example.com.", "A"), ("edge", "shop.example.com.", "A"),
    ("edge", "nope.example.com.", "A"),
    ("edge", "ns1.example.com.", "A"), ("edge", "ns2.example.com.", "AAAA"),
    ("edge", "example.com.", "DS"), ("edge", "example.net.", "A"), ("edge", "www.example.org.", "A"),
    ("edge", "cloudflare.com.", "NS"), ("edge", "ada.ns.cloudflare.com.", "A"), ("edge", "other.test.", "A"),
    ("ns1.example.com", "www.example.net.", "AAAA"), ("ns2.example.com", "example.net.", "NS"),
    ("ada.ns.cloudflare.com", "example.org.", "NS"),
]

MISSING_GLUE_QUESTIONS = [
    ("root", ".", "NS"), ("root", "com.", "NS"), ("root", "example.com.", "A"),
    ("com", "example.com.", "NS"), ("com", "www.example.com.", "A"), ("com", "ns1.example.com.", "A"),
    ("com", "example.com.", "DS"), ("com", "com.", "NS"),
    ("edge", "example.com.", "NS"), ("edge", "ns1.example.com.", "AAAA"), ("edge", "www.example.com.", "A"),
    ("edge", "missing.example.com.", "A"),
    # net. lies between the root zone and root-servers.net, which the root server also serves
    ("root", "net.", "A"), ("root", "x.net.", "A"), ("root", "a.root-servers.net.", "A"),
]

# Sibling glue (RFC 9471 §2.3): with the sibling policy and with in-domain only.
CYCLIC_QUESTIONS = [
    ("net", "alpha.net.", "NS"), ("net", "www.beta.net.", "A"), ("net", "ns1.alpha.net.", "A"),
    ("net", "alpha.net.", "DS"), ("net", "gamma.net.", "A"), ("root", "alpha.net.", "A"),
    ("edge", "alpha.net.", "NS"), ("edge", "ns1.alpha.net.", "A"), ("edge", "www.beta.net.", "A"),
]

# Another DNS host's zones, and names served by one provider but provided by another.
OUT_OF_BAILIWICK_QUESTIONS = [
    ("org", "example.org.", "NS"), ("net", "dnsnames.net.", "NS"), ("com", "otherdns.com.", "NS"),
    ("ns1.otherdns.com", "otherdns.com.", "NS"), ("ns1.otherdns.com", "otherdns.com.", "SOA"),
    ("ns1.otherdns.com", "www.otherdns.com.", "A"), ("ns1.otherdns.com", "www.otherdns.com.", "AAAA"),
    ("ns2.otherdns.com", "ns1.dnsnames.net.", "A"), ("ns2.otherdns.com", "dnsnames.net.", "NS"),
    ("ns2.otherdns.com", "nope.dnsnames.net.", "A"), ("ns1.otherdns.com", "example.org.", "A"),
    ("edge", "example.org.", "NS"), ("ns1.dnsnames.net", "www.example.org.", "A"),
]

# Differences the RFCs leave to the server: (where, name, type) -> (the part that may differ, why).
ALLOWED: dict[tuple[str, str, str], tuple[str, str]] = {
    ("root", "net.", "A"): (
        "rcode",
        "In a world without a net TLD the root server still serves root-servers.net. acns-dns "
        "answers from the root zone alone, where net. has no records and nothing below it: "
        "NXDOMAIN (RFC 1034 §4.3.2 step 3c). NSD keeps all zones of one instance in one name "
        "tree, where net. has a descendant (root-servers.net.), so it exists: NOERROR/NODATA "
        "(RFC 8020 §2). Both keep the same SOA in authority."),
}


@contextmanager
def nsd_serving(result: export.Export) -> Iterator[None]:
    """Run one ``nsd -d`` per server group; wait (bounded) until each answers; always stop them."""
    assert NSD is not None
    with ExitStack() as stack:
        for group in result.groups:
            log = stack.enter_context(open(result.directory / "run" / f"{group.name}.stderr", "wb"))
            process = subprocess.Popen([NSD, "-d", "-c", str(result.conf(group))],
                                       stdout=subprocess.DEVNULL, stderr=log)
            stack.callback(stop_process, process)
        deadline = time.monotonic() + STARTUP_SECONDS
        for group in result.groups:
            _wait_answering(group, result.port, deadline, result.directory)
        yield



def _wait_answering(group: export.Group, port: int, deadline: float, directory: Path) -> None:
    apex = sorted(group.zones)[0]
    within = max(0.0, deadline - time.monotonic())
    if not probe.wait_answering(group.addresses[0], port, apex + "." if apex else ".", within=within):
        logs = "".join(p.read_text() for p in (directory / "run").glob(f"{group.name}.*"))
        pytest.fail(f"NSD for {group.name} did not answer within {STARTUP_SECONDS} s:\n{logs}")


def _free_port(*addresses: str) -> int:
    """A port free for UDP and TCP on every one of ``addresses`` (checked, then released)."""
    for _ in range(50):
        port = random.randint(*PORT_RANGE)
        try:
            for address in addresses:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
                    udp.bind((address, port))
                    tcp.bind((address, port))
            return port
        except OSError:
            continue
    raise AssertionError("no free port")


@contextmanager
def both(source: str, tmp_path: Path) -> Iterator[tuple[RunningWorld, int]]:
    """acns-dns and NSD serving scenario ``source`` on the same addresses, on two ports."""
    prefix = f"127.{random.randint(60, 250)}.0.0/16"
    world = scenario.load(source, network=network_for(prefix))
    view = compile_view(world, edge_aliases=(EDGE,))
    with running_world(Registry(world), edge_aliases=(EDGE,)) as served:
        nsd_port = _free_port(world.root_ipv4, EDGE)  # chosen after acns-dns holds its own port
        result = export.export(view, tmp_path / "export", port=nsd_port, ipv6=False)
        with nsd_serving(result):
            yield served, nsd_port


def records(section: list[dns.rrset.RRset]) -> set[str]:
    """A section as a set of ``owner TTL class type rdata`` lines, names lower-cased."""
    return {line.lower() for rrset in section for line in rrset.to_text().splitlines()}


def outline(message: dns.message.Message) -> dict[str, object]:
    """What is compared: rcode, AA, TC, EDNS version and payload, every section as a set."""
    return {
        "rcode": dns.rcode.to_text(message.rcode()),
        "edns": (message.edns, message.payload if message.edns >= 0 else None),
        "aa": bool(message.flags & dns.flags.AA),
        "tc": bool(message.flags & dns.flags.TC),
        "answer": records(message.answer),
        "authority": records(message.authority),
        "additional": records(message.additional),
    }


def ask(served: RunningWorld, port: int, how: str, where: str, name: str, rtype: str) -> dns.message.Message:
    """One question, RD=0 as a resolver asks: over plain UDP, UDP with EDNS(0), or TCP."""
    address = EDGE if where == "edge" else served.address(where)
    edns = 0 if how == "edns" else None
    query = dns.message.make_query(name, dns.rdatatype.from_text(rtype), use_edns=edns)
    query.flags &= ~dns.flags.RD
    if how == "tcp":
        return dns.query.tcp(query, address, port=port, timeout=2)
    return dns.query.udp(query, address, port=port, timeout=2)


def compare(served: RunningWorld, nsd_port: int, questions: list[tuple[str, str, str]]) -> list[str]:
    """Every difference not in ALLOWED, one line each."""
    problems = []
    for question in questions:
        for how in ("udp", "edns", "tcp"):
            ours = outline(ask(served, served.port, how, *question))
            theirs = outline(ask(served, nsd_port, how, *question))
            allowed = ALLOWED.get(question, ("", ""))[0]
            problems += [f"{' '.join(question)} ({how}): {part}: acns-dns {ours[part]} != NSD {theirs[part]}"
                         for part in ours if part != allowed and ours[part] != theirs[part]]
    return problems


@needs_nsd
@pytest.mark.parametrize(("name", "questions"), [
    ("default", DEFAULT_QUESTIONS), ("missing-glue", MISSING_GLUE_QUESTIONS),
    ("cyclic-sibling", CYCLIC_QUESTIONS), ("out-of-bailiwick", OUT_OF_BAILIWICK_QUESTIONS)])
def test_nsd_answers_like_acns_dns(name: str, questions: list[tuple[str, str, str]], tmp_path: Path) -> None:
    with both(name, tmp_path) as (served, nsd_port):
        problems = compare(served, nsd_port, questions)
    assert not problems, "\n".join(problems)


@needs_nsd
def test_in_domain_glue_policy_drops_sibling_glue(tmp_path: Path) -> None:
    text = scenario.resolve("cyclic-sibling").read_text()
    text = text.replace("glue_policy: sibling", "glue_policy: in-domain")
    source = tmp_path / "in-domain.yaml"
    source.write_text(text)
    with both(str(source), tmp_path) as (served, nsd_port):
        problems = compare(served, nsd_port, CYCLIC_QUESTIONS)
        referral = ask(served, nsd_port, "udp", "net", "alpha.net.", "NS")
    assert not problems, "\n".join(problems)
    assert not referral.additional  # the cycle is broken, as the scenario says it should be


def test_export_writes_one_group_per_role(tmp_path: Path) -> None:
    view = compile_view(scenario.load("out-of-bailiwick"), edge_aliases=(EDGE,))
    result = export.export(view, tmp_path, port=5300)
    roles = [group.role for group in result.groups]
    assert roles == [Role.ROOT, Role.TLD, Role.TLD, Role.TLD, Role.CLOUDFLARE, Role.HOST]
    edge = result.groups[4]
    assert EDGE in edge.addresses and len(edge.addresses) == 2 * (16 + 2) + 1
    conf = result.conf(edge).read_text()
    assert "rrl-ratelimit: 0" in conf and "server-count: 1" in conf and 'username: ""' in conf
    assert str(tmp_path.resolve() / "run") in conf
    com = (tmp_path / "zones" / "tld-com" / "com.zone").read_text()
    assert "otherdns.com.\t172800\tIN\tNS\tns1.otherdns.com." in com
    assert "ns1.otherdns.com.\t172800\tIN\tA\t127.53.2.1" in com  # glue below the cut
    assert result.launcher.stat().st_mode & 0o111


def test_export_command_writes_configurations_nsd_accepts(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    args = ["export", str(tmp_path), "--scenario", "missing-glue", "--no-ipv6", "--port", "5399"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "tld-com" in out and str(tmp_path.resolve() / "nsd-run") in out
    confs = sorted((tmp_path / "nsd").glob("*.conf"))
    assert [conf.stem for conf in confs] == ["cloudflare", "root", "tld-com"]
    checkconf = shutil.which("nsd-checkconf") or shutil.which("/usr/sbin/nsd-checkconf")
    for conf in confs if checkconf else []:
        done = subprocess.run([str(checkconf), str(conf)], capture_output=True, text=True, timeout=10)
        assert done.returncode == 0, done.stderr
    assert "do-ip6: no" in confs[0].read_text() and "ip-address: 127.0.0.1" in confs[0].read_text()
