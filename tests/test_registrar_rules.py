"""Registrars: NS and glue set directly at an external registrar, by ticket at Cloudflare's."""

from __future__ import annotations

import pytest
from acns_world import ACME, CLOUDFLARE, EXTERNAL, OTHER_EXTERNAL, build, fails

from acns_dns.world import cloudflare_ops, registrar_ops
from acns_dns.world.errors import (
    InvalidInput,
    InvalidName,
    NeedsSupportTicket,
    NotFound,
    NotSponsor,
    RegistrarRefused,
    TicketState,
)
from acns_dns.world.models import Domain
from acns_dns.world.registry import Registry


@pytest.fixture()
def registry() -> Registry:
    return build()[0]


def _domain(registry: Registry, name: str) -> Domain:
    return registry.read(registrar_ops.find_domain, name)


def _glue(registry: Registry, host: str) -> tuple[list[str], list[str]] | None:
    found = registry.read(registrar_ops.glue_of, host)
    return None if found is None else (found.ipv4, found.ipv6)


# --- an external registrar: the user changes NS and glue directly ---------------------------------

def test_an_external_registrar_sets_ns_directly(registry: Registry) -> None:
    registry.set_registrar_nameservers(EXTERNAL, "Vanity.NET", ["NS1.vanity.net.", "ns2.vanity.net"])
    assert _domain(registry, "vanity.net").nameservers == ["ns1.vanity.net", "ns2.vanity.net"]
    assert registry.world.tlds["net"].domains["vanity.net"].registrar == EXTERNAL


def test_an_external_registrar_sets_and_deletes_glue_directly(registry: Registry) -> None:
    created = registry.add_nameserver(ACME, "ns1.vanity.net")
    registry.set_glue(EXTERNAL, "ns1.vanity.net", [created.ipv4], [created.ipv6])
    assert _glue(registry, "ns1.vanity.net") == ([created.ipv4], [created.ipv6])
    registry.set_glue(EXTERNAL, "ns1.vanity.net", ["192.0.2.7"], [])
    assert _glue(registry, "ns1.vanity.net") == (["192.0.2.7"], [])
    assert registry.set_glue(EXTERNAL, "ns1.vanity.net", [], []) is None
    assert _glue(registry, "ns1.vanity.net") is None


def test_the_seed_flow_at_an_external_registrar(registry: Registry) -> None:
    """Seed, non-Cloudflare Registrar: create names, add glue, enable the set, change NS."""
    zone = registry.create_zone(ACME, "vanity.net")
    made = [registry.add_nameserver(ACME, f"ns{i}.vanity.net") for i in (1, 2)]
    for ns in made:
        registry.set_glue(EXTERNAL, ns.ns_name, [ns.ipv4], [ns.ipv6])
    registry.use_custom_nameservers(zone.id, 1)
    registry.set_registrar_nameservers(EXTERNAL, "vanity.net", [ns.ns_name for ns in made])
    assert _domain(registry, "vanity.net").nameservers == ["ns1.vanity.net", "ns2.vanity.net"]
    records = cloudflare_ops.zone_records(registry.world, registry.world.zones[zone.id])
    for ns in made:
        assert _glue(registry, ns.ns_name) == ([ns.ipv4], [ns.ipv6])
        assert {(r.type, r.content) for r in records if r.name == ns.ns_name} == {
            ("A", ns.ipv4), ("AAAA", ns.ipv6)}


@pytest.mark.parametrize(("ipv4", "ipv6", "bad"), [
    (["300.1.1.1"], [], "300.1.1.1"), ([], ["fd00::zz"], "fd00::zz"), (["fd00::1"], [], "fd00::1")])
def test_bad_glue_addresses_are_refused(registry: Registry, ipv4: list[str], ipv6: list[str],
                                        bad: str) -> None:
    error = fails(registry, InvalidInput, "set_glue", EXTERNAL, "ns1.vanity.net", ipv4, ipv6)
    assert bad in error.message


def test_a_nameserver_list_is_checked(registry: Registry) -> None:
    error = fails(registry, InvalidInput, "set_registrar_nameservers", EXTERNAL, "vanity.net",
                  ["ns1.host.test", "NS1.host.test."])
    assert "ns1.host.test" in error.message
    error = fails(registry, InvalidName, "set_registrar_nameservers", EXTERNAL, "vanity.net",
                  ["bad name.test"])
    assert "'bad name.test'" in error.message
    fails(registry, InvalidInput, "set_registrar_nameservers", EXTERNAL, "vanity.net",
          [f"ns{i}.host.test" for i in range(14)])


# --- sponsorship: only the sponsoring registrar touches a domain and the hosts under it ----------

def test_glue_only_under_a_domain_the_registrar_sponsors(registry: Registry) -> None:
    error = fails(registry, NotSponsor, "set_glue", EXTERNAL, "ns1.plain.org", ["192.0.2.1"], [])
    assert error.code == 1102
    assert "plain.org" in error.message and OTHER_EXTERNAL in error.message
    registry.set_glue(OTHER_EXTERNAL, "ns1.plain.org", ["192.0.2.1"], [])
    assert _glue(registry, "ns1.plain.org") == (["192.0.2.1"], [])


def test_ns_only_at_the_sponsoring_registrar(registry: Registry) -> None:
    error = fails(registry, NotSponsor, "set_registrar_nameservers", OTHER_EXTERNAL, "vanity.net",
                  ["ns1.host.test", "ns2.host.test"])
    assert "vanity.net" in error.message


def test_unknown_registrar_domain_and_registry(registry: Registry) -> None:
    assert "'nobody'" in fails(registry, NotFound, "set_registrar_nameservers", "nobody", "vanity.net",
                               ["ns1.host.test"]).message
    assert "nowhere.net" in fails(registry, NotFound, "set_registrar_nameservers", EXTERNAL, "nowhere.net",
                                  ["ns1.host.test"]).message
    assert "'zz'" in fails(registry, NotFound, "set_glue", EXTERNAL, "ns1.vanity.zz",
                           ["192.0.2.1"], []).message
    assert "ns1.nowhere.net" in fails(registry, NotFound, "set_glue", EXTERNAL, "ns1.nowhere.net",
                                      ["192.0.2.1"], []).message


# --- Cloudflare Registrar: only a resolved support ticket changes anything -----------------------

def test_cloudflare_registrar_refuses_direct_changes_with_1101(registry: Registry) -> None:
    error = fails(registry, NeedsSupportTicket, "set_registrar_nameservers", CLOUDFLARE, "example.com",
                  ["ns1.example.com", "ns2.example.com"])
    assert error.code == 1101 and "example.com" in error.message
    error = fails(registry, NeedsSupportTicket, "set_glue", CLOUDFLARE, "ns1.example.com", ["192.0.2.1"], [])
    assert error.code == 1101


def test_a_ns_ticket_changes_the_delegation_only_when_resolved(registry: Registry) -> None:
    before = _domain(registry, "example.com").nameservers
    ticket = registry.open_ticket("example.com", "set_ns", nameservers=["ns1.example.com", "ns2.example.com"])
    assert ticket.status == "open"
    assert _domain(registry, "example.com").nameservers == before
    resolved = registry.resolve_ticket(ticket.id)
    assert resolved.status == "resolved"
    assert _domain(registry, "example.com").nameservers == ["ns1.example.com", "ns2.example.com"]


def test_glue_tickets_add_and_delete_glue_when_resolved(registry: Registry) -> None:
    created = registry.add_nameserver(ACME, "ns1.example.com")
    ticket = registry.open_ticket("example.com", "set_glue", host="ns1.example.com",
                                  ipv4=[created.ipv4], ipv6=[created.ipv6])
    assert _glue(registry, "ns1.example.com") is None
    registry.resolve_ticket(ticket.id)
    assert _glue(registry, "ns1.example.com") == ([created.ipv4], [created.ipv6])
    removal = registry.open_ticket("example.com", "delete_glue", host="ns1.example.com")
    assert _glue(registry, "ns1.example.com") is not None
    registry.resolve_ticket(removal.id)
    assert _glue(registry, "ns1.example.com") is None


def test_resolving_a_ticket_twice_is_refused_with_1103(registry: Registry) -> None:
    ticket = registry.open_ticket("example.com", "set_ns", nameservers=["ns1.example.com", "ns2.example.com"])
    registry.resolve_ticket(ticket.id)
    error = fails(registry, TicketState, "resolve_ticket", ticket.id)
    assert error.code == 1103
    assert ticket.id in error.message


def test_ticket_ids_are_distinct_and_unknown_ones_are_404(registry: Registry) -> None:
    first = registry.open_ticket("example.com", "set_ns", nameservers=["ns1.example.com"])
    second = registry.open_ticket("example.com", "delete_glue", host="ns1.example.com")
    assert first.id != second.id
    assert "'T9999'" in fails(registry, NotFound, "resolve_ticket", "T9999").message


def test_tickets_only_for_cloudflare_registrar_domains(registry: Registry) -> None:
    error = fails(registry, RegistrarRefused, "open_ticket", "vanity.net", "set_ns",
                  nameservers=["ns1.host.test"])
    assert error.code == 1100 and "vanity.net" in error.message and EXTERNAL in error.message


@pytest.mark.parametrize(("action", "details", "needle"), [
    ("transfer", {}, "'transfer'"),
    ("set_glue", {}, "host"),
    ("set_glue", {"host": "ns1.vanity.net", "ipv4": ["192.0.2.1"]}, "ns1.vanity.net"),
    ("set_glue", {"host": "ns1.example.com"}, "ns1.example.com"),
    ("set_glue", {"host": "ns1.example.com", "ipv4": ["1.2.3"]}, "1.2.3"),
])
def test_malformed_tickets_are_refused(registry: Registry, action: str, details: dict[str, object],
                                       needle: str) -> None:
    error = fails(registry, InvalidInput, "open_ticket", "example.com", action, **details)
    assert needle in error.message
