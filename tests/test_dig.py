"""The worlds as ``dig`` sees them: the user's own tool against the live server."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from dns_cases import build_registry

from acns_dns.lab.testing import RunningWorld, random_network, running_world

pytestmark = pytest.mark.skipif(shutil.which("dig") is None, reason="dig is not installed")


@dataclass
class Dig:
    """The parts of dig's output the tests look at."""

    text: str
    status: str = ""
    flags: set[str] = field(default_factory=set)
    sections: dict[str, list[list[str]]] = field(default_factory=dict)
    edns: str = ""


def dig(world: RunningWorld, at: str, *args: str) -> Dig:
    address = at if at[:1].isdigit() else world.address(at)
    done = subprocess.run(["dig", f"@{address}", "-p", str(world.port), "+time=1", "+tries=1", *args],
                          capture_output=True, text=True, timeout=15, check=False)
    result = Dig(done.stdout)
    if match := re.search(r"status: (\w+)", done.stdout):
        result.status = match.group(1)
    if match := re.search(r";; flags: ([^;]*);", done.stdout):
        result.flags = set(match.group(1).split())
    if match := re.search(r"; EDNS: (.*)", done.stdout):
        result.edns = match.group(1)
    current = None
    for line in done.stdout.splitlines():
        if header := re.match(r";; (\w+) SECTION:", line):
            current = header.group(1)
            result.sections[current] = []
        elif not line.strip():
            current = None
        elif current and not line.startswith(";"):
            result.sections[current].append(line.split())
    return result


def rows(result: Dig, section: str) -> list[tuple[str, str, str]]:
    """(owner, type, data) of each record in a section, lower-case."""
    return sorted((r[0].lower(), r[3], " ".join(r[4:]).lower()) for r in result.sections.get(section, []))


@pytest.fixture(scope="module")
def default() -> Iterator[RunningWorld]:
    with running_world(build_registry(random_network())) as world:
        yield world


def _acns(world: RunningWorld) -> dict[str, tuple[str, str]]:
    return {ns.ns_name: (ns.ipv4, ns.ipv6) for ns in world.registry.world.custom_ns}


def test_tld_referral_with_glue(default: RunningWorld) -> None:
    result = dig(default, "com", "www.example.com", "A", "+norec")
    assert result.status == "NOERROR" and "aa" not in result.flags and "ra" not in result.flags
    assert "ANSWER" not in result.sections
    assert rows(result, "AUTHORITY") == [("example.com.", "NS", "ns1.example.com."),
                                         ("example.com.", "NS", "ns2.example.com.")]
    glue = {(owner, rtype, data) for owner, rtype, data in rows(result, "ADDITIONAL")}
    for name, (v4, v6) in _acns(default).items():
        assert {(f"{name}.", "A", v4), (f"{name}.", "AAAA", v6)} <= glue


def test_edge_ns_with_addresses(default: RunningWorld) -> None:
    result = dig(default, "edge", "example.com", "NS")
    assert result.status == "NOERROR" and "aa" in result.flags
    assert [r[2] for r in rows(result, "ANSWER")] == ["ns1.example.com.", "ns2.example.com."]
    addresses = {data for _, _, data in rows(result, "ADDITIONAL")}
    assert {a for pair in _acns(default).values() for a in pair} <= addresses


def test_nxdomain_and_nodata_carry_soa(default: RunningWorld) -> None:
    for qname, qtype, status in (("nope.example.com", "A", "NXDOMAIN"), ("www.example.com", "MX", "NOERROR")):
        result = dig(default, "ns1.example.com", qname, qtype, "+norec")
        assert result.status == status and "aa" in result.flags
        assert "ANSWER" not in result.sections
        assert [(r[0], r[1]) for r in rows(result, "AUTHORITY")] == [("example.com.", "SOA")]


def test_truncated_then_tcp_retry(default: RunningWorld) -> None:
    result = dig(default, "edge", "big.example.com", "TXT", "+noedns")
    assert "Truncated, retrying in TCP mode" in result.text
    assert "(TCP)" in result.text and len(rows(result, "ANSWER")) == 6


def test_badvers(default: RunningWorld) -> None:
    result = dig(default, "edge", "www.example.com", "A", "+edns=1", "+noednsnegotiation")
    assert result.status == "BADVERS" and result.edns.startswith("version: 0")
    assert "ANSWER" not in result.sections


def test_missing_glue_referral_has_no_glue() -> None:
    with running_world("missing-glue") as world:
        result = dig(world, "com", "www.example.com", "A", "+norec")
        assert [r[2] for r in rows(result, "AUTHORITY")] == ["ns1.example.com.", "ns2.example.com."]
        assert rows(result, "ADDITIONAL") == []
        # the names exist and Cloudflare answers on them; only the parent cannot say where they are
        assert "aa" in dig(world, "ns1.example.com", "example.com", "SOA", "+norec").flags


def test_stale_glue_differs_from_the_edge() -> None:
    with running_world("stale-glue") as world:
        referral = dig(world, "com", "www.example.com", "A", "+norec")
        glue = {(o, t, d) for o, t, d in rows(referral, "ADDITIONAL") if t == "A"}
        edge = dig(world, "edge", "ns1.example.com", "A")
        served = {(o, t, d) for o, t, d in rows(edge, "ANSWER")}
        assert glue and served and not (glue & served)
        stale = next(d for o, _, d in glue if o == "ns1.example.com.")
        timeout = dig(world, stale, "example.com", "SOA", "+norec")  # nobody holds that address
        assert "timed out" in timeout.text or "no servers could be reached" in timeout.text
