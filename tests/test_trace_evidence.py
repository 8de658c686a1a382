"""``trace`` ends with what each real resolver does, in the words the recorded matrix holds."""

from __future__ import annotations

from acns_dns.lab import evidence, matrix, trace
from acns_dns.lab.testing import random_network, running_world
from acns_dns.world import scenario
from acns_dns.world.registry import Registry


def walk(source: str | Registry, qname: str) -> trace.Trace:
    with running_world(source) as world:
        return trace.Tracer(world.root, world.port, timeout=0.5).trace(qname, "A")


def recorded(name: str, case: str) -> matrix.Case:
    found = matrix.find(name)
    assert found is not None
    return found.case(case)


def test_missing_glue_quotes_knot_resolver_not_bind() -> None:
    text = trace.render(walk("missing-glue", "www.example.com"))
    knot = recorded("missing-glue", "missing-glue").expect["knot"].reason[0]
    assert f'Knot Resolver 5.6: SERVFAIL after ~0.02 s (it logs "{knot}")' in text
    assert "BIND logs" not in text
    bind = recorded("missing-glue", "missing-glue").expect["bind"].reason[0]
    assert "BIND 9.18: SERVFAIL after ~12 s" in text and bind in text


def test_cyclic_sibling_resolves_here_but_bind_does_not() -> None:
    result = walk("cyclic-sibling", "www.alpha.net")
    assert result.status == "answer" and result.situation == "sibling-cycle"
    text = trace.render(result)
    assert "BIND 9.18: SERVFAIL after ~12 s — it does not use the sibling glue here" in text
    assert "unbound 1.17: resolves" in text and "Knot Resolver 5.6: resolves" in text


def test_in_domain_cycle_quotes_what_unbound_printed() -> None:
    world = scenario.load("cyclic-sibling", random_network())
    world.tlds["net"].glue_policy = "in-domain"
    result = walk(Registry(world), "www.alpha.net")
    assert result.situation == "cycle"
    text = trace.render(result)
    assert "skipping target due to dependency cycle" not in text
    unbound = recorded("cyclic-sibling", "cyclic-sibling-in-domain-glue-only").expect["unbound"].reason[0]
    assert unbound in text


def test_unreachable_glue_and_plain_success_name_their_cases() -> None:
    assert walk("stale-glue", "www.example.com").situation == "unreachable"
    ok = walk("default", "www.example.com")
    assert ok.situation == "ok" and ok.resolvers[-1].endswith("case default)")


def test_every_situation_maps_to_a_recorded_case_with_all_four_resolvers() -> None:
    for situation in evidence.SITUATIONS:
        assert set(evidence.case_for(situation).expect) == set(evidence.RECORDED_WITH)
