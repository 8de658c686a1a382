"""How ``trace`` reports each fault, as seen from outside, and what it quotes the real resolvers
doing there (from the recorded matrix: scenarios/lab/misbehaving-servers.yaml, stale-glue.yaml)."""

from __future__ import annotations

import pytest

from acns_dns.lab import evidence, trace
from acns_dns.lab.testing import running_world
from acns_dns.world import fault_ops

BOTH = ("ns1.example.com", "ns2.example.com")
COM = ("ns1.nic.com", "ns2.nic.com")


def walk(faults: list[tuple[str, str, int | None]], qname: str = "www.example.com", qtype: str = "A",
         scenario: str = "default", unheld: str = "refused") -> trace.Trace:
    with running_world(scenario) as world:
        for server, kind, delay in faults:
            world.registry.apply(fault_ops.set_fault, server, kind, delay)
        world.registry.apply(fault_ops.set_unheld, unheld)
        return trace.Tracer(world.root, world.port, timeout=0.4).trace(qname, qtype)


def lines(result: trace.Trace) -> str:
    return "\n".join(line for hop in result.hops for line in [hop.outcome, *hop.lines])


def quotes_the_matrix(result: trace.Trace, situation: str) -> None:
    """The walk ends in ``situation`` and quotes each resolver's recorded outcome for it."""
    assert result.situation == situation
    case = evidence.case_for(situation)
    text = trace.render(result)
    assert f"case {case.name})" in text
    for kind, label in evidence.RECORDED_WITH.items():
        expect = case.expect[kind]
        assert f"{label}: " in text
        if expect.reason:
            assert expect.reason[0] in text


@pytest.mark.parametrize("kind", ["drop", "other-source"])
def test_silent_servers_are_a_timeout_and_a_foreign_reply_is_named(kind: str) -> None:
    result = walk([(server, kind, None) for server in BOTH])
    assert result.status == "fail"
    assert "no answer from" in result.verdict and "within 0.4 s" in result.verdict
    if kind == "drop":
        assert "silence" in result.verdict
        quotes_the_matrix(result, "silent")
    else:
        assert "a reply came from" in result.verdict and "RFC 5452 §9.1" in result.verdict
        assert "the replies came from addresses that were not asked, and are ignored" in result.verdict
        quotes_the_matrix(result, "other-source")


def test_unheld_addresses_refuse_or_stay_silent() -> None:
    refused = walk([], scenario="stale-glue")
    assert "nothing listens at" in refused.verdict and refused.situation == "unreachable"
    silent = walk([], scenario="stale-glue", unheld="timeout")
    assert "no answer from" in silent.verdict and "nothing listens" not in silent.verdict
    quotes_the_matrix(silent, "silent")


@pytest.mark.parametrize(("kind", "words"), [
    ("servfail", "SERVFAIL — it failed to answer for example.com."),
    ("refused", "REFUSED — it refuses: it does not serve example.com."),
])
def test_servfail_and_refused_are_named_per_server(kind: str, words: str) -> None:
    result = walk([(server, kind, None) for server in BOTH])
    assert result.status == "fail" and words in result.verdict
    assert "a resolver tries the zone's other servers" in result.verdict
    quotes_the_matrix(result, kind)


def test_a_lame_answer_is_said_to_lack_authority() -> None:
    result = walk([(server, "lame", None) for server in BOTH])
    assert result.status == "answer" and result.addresses == ["192.0.2.10"]
    assert "answer without authority (AA=0): lame" in lines(result)
    assert "answered without authority (AA=0)" in result.verdict
    quotes_the_matrix(result, "lame")
    nodata = walk([(server, "lame", None) for server in BOTH], qtype="TXT")
    assert nodata.status == "fail" and "lame answer" in lines(nodata)
    assert "AA=0 and no SOA" in nodata.verdict
    quotes_the_matrix(nodata, "lame-nodata")


def test_truncation_is_retried_over_tcp() -> None:
    result = walk([(server, "tc", None) for server in BOTH])
    assert result.status == "answer" and result.addresses == ["192.0.2.10"]
    assert "truncated over UDP (TC=1), asked again over TCP" in lines(result)
    quotes_the_matrix(result, "tc")


def test_glue_stripped_by_one_server_is_told_from_glue_the_registry_lacks() -> None:
    one = walk([("ns1.nic.com", "strip-glue", None)])
    assert "sends the glue for ns1.example.com that ns1.nic.com" in lines(one)
    assert "strips glue from its referrals" in lines(one)
    assert "one that asks another server of com. gets the glue" in one.verdict
    quotes_the_matrix(one, "strip-glue")
    both = walk([(server, "strip-glue", None) for server in COM])  # from outside: no glue at all
    assert "in-domain but the referral has no glue" in both.verdict
    assert both.situation == "missing-glue"


def test_a_slow_answer_is_noted() -> None:
    result = walk([(server, "delay", 300) for server in BOTH])
    assert result.status == "answer"
    assert "answered after" in lines(result) and "(slow:" in lines(result)
