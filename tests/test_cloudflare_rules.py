"""Cloudflare's ACNS conditions (spec-acns §1.1-1.4, §3.12, §6): each rule, each error code."""

from __future__ import annotations

import math

import pytest
from acns_world import ACME, PLAIN, Ids, build, fails

from acns_dns.world import cloudflare_ops, errors
from acns_dns.world.errors import (
    HierarchyConflict,
    InvalidInput,
    InvalidNsSet,
    NameserverExists,
    NotEntitled,
    NotFound,
    SetFull,
    SetNotFound,
    Unsupported,
)
from acns_dns.world.models import Zone
from acns_dns.world.registry import Registry


@pytest.fixture()
def world() -> tuple[Registry, Ids]:
    return build()


def _fill(registry: Registry, ns_set: int, count: int, domain: str = "example.com") -> list[str]:
    added = [f"ns{i}.s{ns_set}.{domain}" for i in range(1, count + 1)]
    for name in added:
        registry.add_nameserver(ACME, name, ns_set)
    return added


def _zone(registry: Registry, zone_id: str) -> Zone:
    return registry.world.zones[zone_id]


def _ns_names(registry: Registry, zone_id: str) -> list[str]:
    return cloudflare_ops.zone_nameserver_names(registry.world, _zone(registry, zone_id))


# --- ns_set: 1..5, default 1, floats from the SDK ------------------------------------------------

@pytest.mark.parametrize("ns_set", [1, 2, 3, 4, 5])
def test_each_of_the_five_sets_can_be_used(world: tuple[Registry, Ids], ns_set: int) -> None:
    registry, _ = world
    assert registry.add_nameserver(ACME, "ns1.example.com", ns_set).ns_set == ns_set


@pytest.mark.parametrize("ns_set", [0, 6, -1, 2.5, True, False, "1", [1], math.nan, math.inf])
def test_ns_set_outside_one_to_five_is_refused_with_1005(world: tuple[Registry, Ids], ns_set: object) -> None:
    registry, ids = world
    error = fails(registry, InvalidNsSet, "add_nameserver", ACME, "ns1.example.com", ns_set)
    assert error.code == 1005
    assert error.http_status == 400
    assert repr(ns_set) in error.message
    _fill(registry, 1, 2)
    error = fails(registry, InvalidNsSet, "use_custom_nameservers", ids.parent_zone, ns_set)
    assert repr(ns_set) in error.message


def test_ns_set_defaults_to_one(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    assert registry.add_nameserver(ACME, "ns1.example.com").ns_set == 1
    assert registry.add_nameserver(ACME, "ns2.example.com", None).ns_set == 1
    zone = registry.set_zone_nameservers(ids.parent_zone, "custom.account")
    assert zone.nameservers.ns_set == 1


def test_a_float_ns_set_such_as_two_point_zero_is_accepted(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    created = registry.add_nameserver(ACME, "ns1.example.com", 2.0)
    registry.add_nameserver(ACME, "ns2.example.com", 2.0)
    assert created.ns_set == 2 and type(created.ns_set) is int
    assert registry.use_custom_nameservers(ids.parent_zone, 2.0).nameservers.ns_set == 2


# --- set sizes: usable with 2 to 5 names ----------------------------------------------------------

def test_a_sixth_name_in_a_set_is_refused_with_1004(world: tuple[Registry, Ids]) -> None:
    registry, _ = world
    _fill(registry, 3, 5)
    error = fails(registry, SetFull, "add_nameserver", ACME, "ns6.s3.example.com", 3)
    assert error.code == 1004
    assert "3" in error.message
    registry.add_nameserver(ACME, "ns6.s3.example.com", 4)  # another set still takes it


@pytest.mark.parametrize("count", [0, 1])
def test_enabling_a_set_with_fewer_than_two_names_is_refused_with_1001(
        world: tuple[Registry, Ids], count: int) -> None:
    registry, ids = world
    _fill(registry, 2, count)
    error = fails(registry, SetNotFound, "use_custom_nameservers", ids.parent_zone, 2)
    assert error.code == 1001
    assert "Custom Nameserver set doesn't exist" in error.message
    assert "set 2" in error.message


@pytest.mark.parametrize("count", [2, 5])
def test_a_set_with_two_to_five_names_can_be_enabled(world: tuple[Registry, Ids], count: int) -> None:
    registry, ids = world
    names = _fill(registry, 2, count)
    registry.use_custom_nameservers(ids.parent_zone, 2)
    assert _ns_names(registry, ids.parent_zone) == names


# --- a name in one set only ----------------------------------------------------------------------

@pytest.mark.parametrize(("again", "ns_set"), [
    ("ns1.example.com", 1), ("ns1.example.com", 4), ("NS1.Example.Com.", 2)])
def test_a_name_already_in_a_set_is_refused_with_1003(
        world: tuple[Registry, Ids], again: str, ns_set: int) -> None:
    registry, _ = world
    registry.add_nameserver(ACME, "ns1.example.com", 1)
    error = fails(registry, NameserverExists, "add_nameserver", ACME, again, ns_set)
    assert error.code == 1003
    assert "ns1.example.com" in error.message
    assert "already exist" in error.message


def test_the_same_name_may_exist_in_another_account(world: tuple[Registry, Ids]) -> None:
    registry, _ = world
    second = registry.add_account("second").id
    mine = registry.add_nameserver(ACME, "ns1.example.com")
    theirs = registry.add_nameserver(second, "ns1.example.com")
    assert mine.ipv4 != theirs.ipv4


# --- the hierarchy rule (spec-acns §1.1.4, §6.12) ------------------------------------------------

def test_a_child_zone_may_not_use_the_set_of_its_parent(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    _fill(registry, 1, 2)
    _fill(registry, 2, 2)
    registry.use_custom_nameservers(ids.parent_zone, 1)
    error = fails(registry, HierarchyConflict, "use_custom_nameservers", ids.child_zone, 1)
    assert error.code == 1007
    assert "sub.example.com" in error.message and "set 1" in error.message
    registry.use_custom_nameservers(ids.child_zone, 2)


def test_a_parent_zone_may_not_use_the_set_of_its_child(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    _fill(registry, 1, 2)
    registry.use_custom_nameservers(ids.child_zone, 1)
    error = fails(registry, HierarchyConflict, "set_zone_nameservers", ids.parent_zone, "custom.account", 1)
    assert "example.com" in error.message


def test_the_rule_covers_the_whole_tree_but_not_unrelated_zones(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    _fill(registry, 1, 2)
    registry.use_custom_nameservers(ids.parent_zone, 1)
    deep = registry.create_zone(ACME, "deep.sub.example.com")
    fails(registry, HierarchyConflict, "use_custom_nameservers", deep.id, 1)
    unrelated = registry.create_zone(ACME, "notexample.com")
    assert registry.use_custom_nameservers(unrelated.id, 1).nameservers.ns_set == 1


def test_a_zone_of_another_account_does_not_clash(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    second = registry.add_account("second").id
    for name in ("ns1.x.test", "ns2.x.test"):
        registry.add_nameserver(second, name)
    _fill(registry, 1, 2)
    registry.use_custom_nameservers(ids.parent_zone, 1)
    other_child = registry.create_zone(second, "other.example.com")
    assert registry.use_custom_nameservers(other_child.id, 1).nameservers.ns_set == 1


# --- the entitlement (spec-acns §3.12: every custom_ns call, list included) ---------------------

@pytest.mark.parametrize(("operation", "args"), [
    ("add_nameserver", (PLAIN, "ns1.plain.org")),
    ("add_nameserver", (PLAIN, "not a name", 9)),
    ("list_nameservers", (PLAIN,)),
    ("delete_nameserver", (PLAIN, "ns1.plain.org")),
    ("set_default_nameservers", (PLAIN, "custom.account")),
])
def test_accounts_without_the_entitlement_get_1002(
        world: tuple[Registry, Ids], operation: str, args: tuple[object, ...]) -> None:
    registry, _ = world
    error = fails(registry, NotEntitled, operation, *args)
    assert (error.code, error.http_status) == (1002, 403)
    assert error.message == "This feature is not enabled for your account."


def test_enabling_acns_on_a_zone_of_an_unentitled_account_gets_1002(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    error = fails(registry, NotEntitled, "use_custom_nameservers", ids.plain_zone, 1)
    assert (error.code, error.http_status) == (1002, 403)
    assert registry.use_standard_nameservers(ids.plain_zone).nameservers.type == "cloudflare.standard"


def test_the_entitlement_check_is_real(world: tuple[Registry, Ids]) -> None:
    registry, _ = world
    assert registry.list_nameservers(ACME) == []
    registry.add_nameserver(ACME, "ns1.example.com")
    assert len(registry.list_nameservers(ACME)) == 1


# --- custom.account as the account default (spec-acns §1.4, §6.12) ------------------------------

def test_new_zones_take_set_one_first(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    _fill(registry, 1, 2)
    _fill(registry, 2, 2)
    registry.set_default_nameservers(ACME, "custom.account")
    zone = registry.create_zone(ACME, "vanity.net")
    assert zone.nameservers.model_dump() == {"type": "custom.account", "ns_set": 1}
    assert _zone(registry, ids.parent_zone).nameservers.type == "cloudflare.standard"  # only new zones


def test_new_zones_skip_sets_that_are_too_small(world: tuple[Registry, Ids]) -> None:
    registry, _ = world
    _fill(registry, 1, 1)
    _fill(registry, 2, 1)
    _fill(registry, 4, 2)
    _fill(registry, 5, 2)
    registry.set_default_nameservers(ACME, "custom.account")
    assert registry.create_zone(ACME, "vanity.net").nameservers.ns_set == 4


def test_new_zones_skip_sets_that_clash_with_the_hierarchy(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    for ns_set in (1, 2, 3):
        _fill(registry, ns_set, 2)
    registry.use_custom_nameservers(ids.parent_zone, 1)
    registry.use_custom_nameservers(ids.child_zone, 2)
    registry.set_default_nameservers(ACME, "custom.account")
    assert registry.create_zone(ACME, "deep.sub.example.com").nameservers.ns_set == 3
    assert registry.create_zone(ACME, "other.example.com").nameservers.ns_set == 2


def test_new_zones_fall_back_to_the_branded_pair(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    _fill(registry, 1, 2)
    _fill(registry, 2, 1)
    registry.use_custom_nameservers(ids.parent_zone, 1)
    registry.set_default_nameservers(ACME, "custom.account")
    zone = registry.create_zone(ACME, "deep.sub.example.com")
    assert zone.nameservers.type == "cloudflare.standard"
    assert _ns_names(registry, zone.id) == zone.branded_ns


def test_the_default_stays_standard_unless_chosen(world: tuple[Registry, Ids]) -> None:
    registry, _ = world
    _fill(registry, 1, 2)
    assert registry.create_zone(ACME, "vanity.net").nameservers.type == "cloudflare.standard"


# --- switching and deleting ----------------------------------------------------------------------

def test_enabling_then_switching_back_restores_the_branded_pair(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    branded = _ns_names(registry, ids.parent_zone)
    names = _fill(registry, 1, 3)
    registry.use_custom_nameservers(ids.parent_zone, 1)
    assert _ns_names(registry, ids.parent_zone) == names
    registry.use_standard_nameservers(ids.parent_zone)
    assert _ns_names(registry, ids.parent_zone) == branded
    assert _zone(registry, ids.parent_zone).nameservers.model_dump() == {
        "type": "cloudflare.standard", "ns_set": None}


def test_deleting_a_name_in_use_is_allowed_and_the_zone_falls_back(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    first, second = _fill(registry, 1, 2)
    registry.use_custom_nameservers(ids.parent_zone, 1)
    registry.delete_nameserver(ACME, first)
    assert _zone(registry, ids.parent_zone).nameservers.ns_set == 1  # the zone keeps its set
    assert _ns_names(registry, ids.parent_zone) == [second]
    registry.delete_nameserver(ACME, second.upper() + ".")
    assert _ns_names(registry, ids.parent_zone) == _zone(registry, ids.parent_zone).branded_ns
    fails(registry, SetNotFound, "use_custom_nameservers", ids.child_zone, 1)


@pytest.mark.parametrize("name", ["ns9.example.com", "not a name", ""])
def test_deleting_an_unknown_name_is_404(world: tuple[Registry, Ids], name: str) -> None:
    registry, _ = world
    _fill(registry, 1, 2)
    error = fails(registry, NotFound, "delete_nameserver", ACME, name)
    assert error.http_status == 404
    assert repr(name) in error.message


def test_a_name_of_another_account_cannot_be_deleted(world: tuple[Registry, Ids]) -> None:
    registry, _ = world
    second = registry.add_account("second").id
    registry.add_nameserver(second, "ns1.example.com")
    fails(registry, NotFound, "delete_nameserver", ACME, "ns1.example.com")


def test_unknown_zone_and_unknown_types(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    assert fails(registry, NotFound, "use_custom_nameservers", "f" * 32, 1).http_status == 404
    error = fails(registry, Unsupported, "set_zone_nameservers", ids.parent_zone, "cloudflare.advanced", 1)
    assert "'cloudflare.advanced'" in error.message
    error = fails(registry, InvalidInput, "set_zone_nameservers", ids.parent_zone, "bogus")
    assert "'bogus'" in error.message
    fails(registry, InvalidInput, "set_default_nameservers", ACME, "bogus")


# --- managed A/AAAA in the providing zone (spec-acns §1.4, §6.13) -------------------------------

def _managed(registry: Registry, zone_id: str) -> set[tuple[str, str, str]]:
    zone = _zone(registry, zone_id)
    return {(r.name, r.type, r.content) for r in cloudflare_ops.zone_records(registry.world, zone)
            if r.managed}


def test_managed_records_appear_with_the_name_and_go_with_it(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    created = registry.add_nameserver(ACME, "ns1.example.com", 3)  # no zone uses set 3
    assert _managed(registry, ids.parent_zone) == {
        ("ns1.example.com", "A", created.ipv4), ("ns1.example.com", "AAAA", created.ipv6)}
    assert _managed(registry, ids.child_zone) == set()
    registry.delete_nameserver(ACME, "ns1.example.com")
    assert _managed(registry, ids.parent_zone) == set()


def test_managed_records_go_to_the_closest_zone_of_the_same_account(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    inner = registry.add_nameserver(ACME, "ns1.sub.example.com")
    registry.add_nameserver(ACME, "ns1.plain.org")  # plain.org is another account's zone
    registry.add_nameserver(ACME, "ns1.vanity.net")  # not a zone on Cloudflare
    assert _managed(registry, ids.child_zone) == {
        ("ns1.sub.example.com", "A", inner.ipv4), ("ns1.sub.example.com", "AAAA", inner.ipv6)}
    assert _managed(registry, ids.parent_zone) == set()
    assert _managed(registry, ids.plain_zone) == set()
    zone = registry.create_zone(ACME, "vanity.net")
    assert {r[0] for r in _managed(registry, zone.id)} == {"ns1.vanity.net"}


def test_managed_records_are_read_only_and_follow_the_ns_ttl(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    registry.add_nameserver(ACME, "ns1.example.com")
    records = [r for r in cloudflare_ops.zone_records(registry.world, _zone(registry, ids.parent_zone))
               if r.managed]
    assert {r.ttl for r in records} == {86400}
    assert len({r.id for r in records}) == 2


def test_a_name_server_name_is_never_an_alias(world: tuple[Registry, Ids]) -> None:
    """RFC 2181 §10.3 (Zonemaster DELEGATION05): NS targets have address records, no CNAME."""
    registry, ids = world
    registry.add_nameserver(ACME, "ns1.example.com")
    for rtype, content in (("CNAME", "www.example.com."), ("A", "192.0.2.1"), ("AAAA", "2001:db8::1")):
        error = fails(registry, InvalidInput, "add_record", ids.parent_zone, "ns1", rtype, content)
        assert "ns1.example.com" in error.message
    registry.add_record(ids.parent_zone, "alias", "CNAME", "www.example.com.")
    error = fails(registry, InvalidInput, "add_nameserver", ACME, "alias.example.com")
    assert "alias.example.com" in error.message and "CNAME" in error.message


def test_a_cname_does_not_share_its_name_with_other_records(world: tuple[Registry, Ids]) -> None:
    registry, ids = world
    registry.add_record(ids.parent_zone, "www", "A", "192.0.2.1")
    fails(registry, InvalidInput, "add_record", ids.parent_zone, "www", "CNAME", "example.com.")
    registry.add_record(ids.parent_zone, "shop", "CNAME", "www.example.com.")
    fails(registry, InvalidInput, "add_record", ids.parent_zone, "shop", "TXT", '"x"')


# --- the error tree -------------------------------------------------------------------------------

def _subclasses(cls: type[errors.AcnsError]) -> list[type[errors.AcnsError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _subclasses(sub)
    return found


def test_no_error_uses_http_409_and_codes_are_distinct() -> None:
    classes = _subclasses(errors.AcnsError)
    assert len(classes) >= 20
    for cls in classes:
        assert cls.http_status != 409, cls
        # the request's fault, except a change the state on disk could not take (retry is safe)
        assert 400 <= cls.http_status < 500 or (cls is errors.NotDurable and cls.http_status == 503), cls
        assert cls.code >= 1000, cls
    concrete = classes[1:]  # InvalidInput reuses the base's generic 1000
    assert len({cls.code for cls in concrete}) == len(concrete)


def test_an_error_renders_as_a_v4_error_item() -> None:
    error = SetFull("Nameserver set 3 is full (max 5 names)")
    assert error.as_error() == {"code": 1004, "message": "Nameserver set 3 is full (max 5 names)"}
