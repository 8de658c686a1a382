"""The registry's engine: in-place operations under an undo log, indexes, and precise changes.

A state machine runs random operations of every kind (account, tenant and zone custom
nameservers, zones, records, settings, tenancy, delegations, glue, tickets), valid and invalid,
some of them refused by the commit hook after they succeeded. After every step: the world's
indexes equal ones rebuilt from nothing; a refused step left the world byte for byte as it was
(key order included) and the version unchanged; an accepted step's ``Change`` names every zone
whose served data differs, every registry entry that differs and says when server addresses
came or went, and is never "everything".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from acns_world import ACME, EXTERNAL, PLAIN, build
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from acns_dns.world import (
    cloudflare_ops,
    indexes,
    infrastructure,
    record_ops,
    registrar_ops,
    settings_ops,
    snapshot,
    tenant_ops,
    zone_ops,
)
from acns_dns.world.changes import Change
from acns_dns.world.errors import AcnsError
from acns_dns.world.models import World
from acns_dns.world.registry import Registry

TENANT = "t" * 32
ACCOUNTS = st.sampled_from([ACME, ACME, PLAIN, "d" * 32])
ZONES = st.sampled_from(["example.com", "sub.example.com", "deep.sub.example.com", "plain.org",
                         "vanity.net", "other.test"])
NS_NAMES = st.sampled_from(["ns1.example.com", "ns2.example.com", "ns1.sub.example.com",
                            "ns2.sub.example.com", "ns1.vanity.net", "ns2.vanity.net", "ns3.example.com",
                            "bad..name"])
SETS = st.sampled_from([1, 1, 2, 6])
TYPES = st.sampled_from(["custom.account", "custom.tenant", "custom.zone", "cloudflare.standard"])
RECORDS = st.sampled_from([("www", "A", "192.0.2.1"), ("ns1", "A", "192.0.2.2"), ("@", "MX", "10 mail"),
                           ("mail", "CNAME", "example.net"), ("bad", "A", "not-an-ip")])
VANITY = st.sampled_from([[], ["ns1.{z}", "ns2.{z}"], ["ns2.{z}", "ns3.{z}", "ns1.{z}"], ["ns1.{z}"]])
GLUE = st.sampled_from([(["192.0.2.7"], []), ([], ["2001:db8::7"]), ([], []), (["x"], [])])


class HookRefused(Exception):
    """The commit hook could not make the change durable."""


def served(world: World) -> dict[str, Any]:
    """What the edge serves for each zone, from the world (the view compiles these)."""
    return {zone.name: (zone.model_dump(), cloudflare_ops.zone_nameserver_names(world, zone),
                        [r.model_dump() for r in cloudflare_ops.managed_records(world, zone)])
            for zone in world.zones.values()}


def registry_entries(world: World) -> dict[tuple[str, str], Any]:
    """Each delegation and host object, by (TLD, name)."""
    found: dict[tuple[str, str], Any] = {}
    for tld in world.tlds.values():
        found.update({(tld.name, k): ("domain", v.nameservers) for k, v in tld.domains.items()})
        found.update({(tld.name, f"host:{k}"): v.model_dump() for k, v in tld.hosts.items()})
    return found


def tld_own(world: World) -> dict[str, Any]:
    return {name: tld.model_dump(exclude={"domains", "hosts"}) for name, tld in world.tlds.items()}


def addresses(world: World) -> list[str]:
    return sorted(infrastructure.taken_addresses(world))


def differing(before: dict[Any, Any], after: dict[Any, Any]) -> set[Any]:
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


class EngineMachine(RuleBasedStateMachine):
    """Random operations through one registry; the engine's promises checked after each."""

    def __init__(self) -> None:
        super().__init__()
        self.registry, _ = build()
        self.registry.apply(tenant_ops.add_tenant, "reseller", TENANT)
        self.registry.apply(infrastructure.register_domain, EXTERNAL, "other.test", [])
        self.refuse_next = False
        self.changes: list[Change] = []
        self.registry.subscribe(lambda world, change: self.changes.append(change))
        self.registry.set_commit_hook(self.hook)

    def hook(self, operation: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if self.refuse_next:
            raise HookRefused("cannot write the journal")

    @property
    def world(self) -> World:
        return self.registry.world

    def zone_id(self, name: str) -> str:
        zone = cloudflare_ops.zone_by_name(self.world, name)
        return zone.id if zone is not None else cloudflare_ops.stable_id("zone", name)

    def run(self, refuse: bool, operation: Callable[..., Any], *args: Any) -> None:
        world = self.world
        text, version = snapshot.dumps(world), self.registry.version
        zones, entries, own, taken = served(world), registry_entries(world), tld_own(world), addresses(world)
        self.refuse_next = refuse
        self.changes.clear()
        try:
            self.registry.apply(operation, *args)
        except (AcnsError, HookRefused) as exc:
            assert refuse or isinstance(exc, AcnsError)
            assert snapshot.dumps(self.world) == text, f"refused {operation.__name__}{args} changed the world"
            assert self.registry.version == version and not self.changes
            return
        finally:
            self.refuse_next = False
        assert not refuse, "the hook refused, yet the change was kept"
        (change,) = self.changes
        assert not change.everything, f"{operation.__name__} reported everything"
        assert differing(zones, served(self.world)) <= change.zones, (operation.__name__, args, change)
        for tld, name in differing(entries, registry_entries(self.world)):
            assert tld in change.tlds or name.removeprefix("host:") in change.tld_entries, (name, change)
        assert differing(own, tld_own(self.world)) <= change.tlds
        if addresses(self.world) != taken:
            assert change.servers, f"{operation.__name__}: addresses changed, servers not reported"

    @invariant()
    def indexes_match_a_rebuild(self) -> None:
        assert indexes.of(self.world).snapshot() == indexes.rebuilt(self.world).snapshot()

    # --- custom nameservers -------------------------------------------------------------------

    @rule(refuse=st.booleans(), account=ACCOUNTS, name=NS_NAMES, ns_set=SETS)
    def add_acns(self, refuse: bool, account: str, name: str, ns_set: int) -> None:
        self.run(refuse, cloudflare_ops.add_nameserver, account, name, ns_set)

    @rule(refuse=st.booleans(), account=ACCOUNTS, name=NS_NAMES)
    def delete_acns(self, refuse: bool, account: str, name: str) -> None:
        self.run(refuse, cloudflare_ops.delete_nameserver, account, name)

    @rule(refuse=st.booleans(), name=NS_NAMES, ns_set=SETS)
    def add_tcns(self, refuse: bool, name: str, ns_set: int) -> None:
        self.run(refuse, tenant_ops.add_nameserver, TENANT, name, ns_set)

    @rule(refuse=st.booleans(), name=NS_NAMES)
    def delete_tcns(self, refuse: bool, name: str) -> None:
        self.run(refuse, tenant_ops.delete_nameserver, TENANT, name)

    @rule(refuse=st.booleans(), account=ACCOUNTS)
    def join_tenant(self, refuse: bool, account: str) -> None:
        self.run(refuse, tenant_ops.join_tenant, account, TENANT)

    @rule(refuse=st.booleans(), zone=ZONES, names=VANITY)
    def vanity(self, refuse: bool, zone: str, names: list[str]) -> None:
        self.run(refuse, zone_ops.set_vanity_names, self.zone_id(zone), [n.format(z=zone) for n in names])

    # --- zones ----------------------------------------------------------------------------------

    @rule(refuse=st.booleans(), account=ACCOUNTS, zone=ZONES)
    def create_zone(self, refuse: bool, account: str, zone: str) -> None:
        self.run(refuse, cloudflare_ops.create_zone, account, zone)

    @rule(refuse=st.booleans(), zone=ZONES)
    def delete_zone(self, refuse: bool, zone: str) -> None:
        self.run(refuse, cloudflare_ops.delete_zone, self.zone_id(zone))

    @rule(refuse=st.booleans(), zone=ZONES, ns_type=TYPES, ns_set=SETS)
    def set_nameservers(self, refuse: bool, zone: str, ns_type: str, ns_set: int) -> None:
        self.run(refuse, cloudflare_ops.set_zone_nameservers, self.zone_id(zone), ns_type, ns_set)

    @rule(refuse=st.booleans(), account=ACCOUNTS, ns_type=TYPES)
    def set_default(self, refuse: bool, account: str, ns_type: str) -> None:
        self.run(refuse, cloudflare_ops.set_default_nameservers, account, ns_type)

    @rule(refuse=st.booleans(), zone=ZONES, ttl=st.sampled_from([60, 3600, 5]))
    def zone_settings(self, refuse: bool, zone: str, ttl: int) -> None:
        self.run(refuse, settings_ops.set_zone_settings, self.zone_id(zone),
                 {"ns_ttl": ttl, "soa": {"ttl": 900}})

    @rule(refuse=st.booleans(), zone=ZONES, kind=st.sampled_from(["full", "partial"]))
    def zone_type(self, refuse: bool, zone: str, kind: str) -> None:
        self.run(refuse, zone_ops.set_zone_type, self.zone_id(zone), kind)

    @rule(refuse=st.booleans(), zone=ZONES, record=RECORDS)
    def add_record(self, refuse: bool, zone: str, record: tuple[str, str, str]) -> None:
        self.run(refuse, cloudflare_ops.add_record, self.zone_id(zone), *record)

    @rule(refuse=st.booleans(), zone=ZONES, data=st.data())
    def change_record(self, refuse: bool, zone: str, data: st.DataObject) -> None:
        found = self.world.zones.get(self.zone_id(zone))
        ids = [r.id for r in cloudflare_ops.zone_records(self.world, found)] if found else []
        record_id = data.draw(st.sampled_from(ids + ["0" * 32]))
        if data.draw(st.booleans()):
            self.run(refuse, record_ops.delete_record, self.zone_id(zone), record_id)
        else:
            self.run(refuse, record_ops.update_record, self.zone_id(zone), record_id, None, None,
                     data.draw(st.sampled_from(["192.0.2.9", "nope"])), None)

    # --- registries -----------------------------------------------------------------------------

    @rule(refuse=st.booleans(), domain=st.sampled_from(["vanity.net", "other.test", "example.com"]),
          nameservers=st.sampled_from([["ns1.vanity.net", "ns2.vanity.net"], [], ["a.b.c", "a.b.c"]]))
    def delegate(self, refuse: bool, domain: str, nameservers: list[str]) -> None:
        self.run(refuse, registrar_ops.set_nameservers, EXTERNAL, domain, nameservers)

    @rule(refuse=st.booleans(), host=st.sampled_from(["ns1.vanity.net", "ns1.other.test", "ns1.example.com"]),
          glue=GLUE)
    def glue(self, refuse: bool, host: str, glue: tuple[list[str], list[str]]) -> None:
        self.run(refuse, registrar_ops.set_glue, EXTERNAL, host, *glue)

    @rule(refuse=st.booleans(), resolve=st.booleans())
    def ticket(self, refuse: bool, resolve: bool) -> None:
        if resolve and self.world.tickets:
            self.run(refuse, registrar_ops.resolve_ticket, self.world.tickets[-1].id)
        else:
            self.run(refuse, registrar_ops.open_ticket, "example.com", "set_glue", None, "ns1.example.com",
                     ["192.0.2.53"], [])


TestEngine = EngineMachine.TestCase
TestEngine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None,
                               suppress_health_check=[HealthCheck.too_slow])


def test_an_operation_reports_only_what_it_touched() -> None:
    registry, ids = build()
    seen: list[Change] = []
    registry.subscribe(lambda world, change: seen.append(change))
    registry.add_record(ids.plain_zone, "www", "A", "192.0.2.1")
    assert seen[-1] == Change(zones=frozenset({"plain.org"}))
    registry.add_nameserver(ACME, "ns1.example.com")
    assert seen[-1] == Change(zones=frozenset({"example.com"}), servers=True)
    registry.add_nameserver(ACME, "ns2.example.com")
    registry.use_custom_nameservers(ids.child_zone)
    assert seen[-1] == Change(zones=frozenset({"sub.example.com"}))
    registry.add_nameserver(ACME, "ns3.example.com")  # the child's NS RRset grows; the parent has its A/AAAA
    assert seen[-1] == Change(zones=frozenset({"example.com", "sub.example.com"}), servers=True)
    registry.set_glue(EXTERNAL, "ns1.vanity.net", ["192.0.2.8"], [])
    assert seen[-1] == Change(tld_entries=frozenset({"ns1.vanity.net"}))
    registry.add_account("quiet", "e" * 32)
    assert seen[-1].empty


def test_a_failed_commit_hook_restores_order_and_indexes() -> None:
    registry, ids = build()
    for name in ("ns1.example.com", "ns2.example.com"):
        registry.add_nameserver(ACME, name)
    before = snapshot.dumps(registry.world)

    def refuse(operation: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        raise HookRefused("disk full")

    registry.set_commit_hook(refuse)
    calls = (lambda: registry.delete_zone(ids.parent_zone),
             lambda: registry.delete_nameserver(ACME, "ns1.example.com"))
    for call in calls:
        with pytest.raises(HookRefused):
            call()
        assert snapshot.dumps(registry.world) == before
        assert indexes.of(registry.world).snapshot() == indexes.rebuilt(registry.world).snapshot()


def test_copies_of_a_world_get_their_own_index() -> None:
    registry = Registry(build()[0].world.model_copy(deep=True))
    copy = registry.world.model_copy(deep=True)
    registry.add_nameserver(ACME, "ns1.example.com")
    assert cloudflare_ops.nameservers(copy, ACME) == []
    assert [ns.ns_name for ns in cloudflare_ops.nameservers(registry.world, ACME)] == ["ns1.example.com"]
