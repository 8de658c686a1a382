"""Tenant custom nameservers (TCNS) end to end: the official SDK's ``tenant_custom_nameservers``
methods against the API, and what the simulated servers then answer over DNS.

spec-acns §1.3, §1.5 (same conditions as ACNS with the tenant owner), §2 #13, §3.2, §3.8
(``ns_type: "tenant"``), §3.9/§3.11 (``custom.tenant`` as a default), §6.10.
"""

from __future__ import annotations

from collections.abc import Iterator

import cloudflare
import dns.flags
import dns.rcode
import pytest
from api_support import ADMIN, Served, error_code, unchanged

from acns_dns.lab.testing import running_world
from acns_dns.world import scenario

TENANT = "6b1b2b0c8c9a4d1e9f0a1b2c3d4e5f60"
OPS = "5e7c0a1b2c3d4e5f60718293a4b5c6d7"  # Reseller Ops: holds resellerdns.net
SHOP = "8f9e0d1c2b3a4958a6b7c8d9e0f1a2b3"  # Shop Ltd: shop.com, default custom.tenant
pytestmark = pytest.mark.filterwarnings("ignore:Use \\[DNS settings API\\]:DeprecationWarning")


@pytest.fixture(scope="module")
def served_module() -> Iterator[Served]:
    with running_world("tenant", api=True, admin_token=ADMIN) as world:
        served = Served(world)
        yield served
        served.close()


@pytest.fixture
def served(served_module: Served) -> Iterator[Served]:
    registry = served_module.world.registry
    registry.replace(scenario.load("tenant", network=registry.world.network))
    yield served_module


def test_scenario_zone_on_tenant_set_is_served_by_the_tenant_names(served: Served) -> None:
    assert served.ns_names("shop.com") == {"ns1.resellerdns.net", "ns2.resellerdns.net"}
    tenant_ns = {ns.ns_name: ns for ns in served.world.registry.world.custom_ns if ns.kind == "tenant"}
    # the tenant's names answer on their own addresses, authoritatively
    reply = served.world.query("shop.com", "SOA", at=tenant_ns["ns1.resellerdns.net"].ipv4)
    assert reply.rcode() == dns.rcode.NOERROR and reply.flags & dns.flags.AA
    # their A records live in the tenant's zone that provides them (Reseller Ops' resellerdns.net)
    assert served.address("ns2.resellerdns.net") == [tenant_ns["ns2.resellerdns.net"].ipv4]


def test_sdk_creates_tenant_names_and_a_zone_switches_to_them(served: Served) -> None:
    owner = served.sdk("tenant-token")
    created = [owner.tenant_custom_nameservers.create(TENANT, ns_name=name, ns_set=2)
               for name in ("ns3.resellerdns.net", "NS4.resellerdns.net.")]
    assert [c.ns_name for c in created if c is not None] == ["ns3.resellerdns.net", "ns4.resellerdns.net"]
    first = created[0]
    assert first is not None and first.ns_set == 2.0
    assigned = {r.type: r.value for r in first.dns_records}
    assert set(assigned) == {"A", "AAAA"}
    assert first.zone_tag == served.zone_id("resellerdns.net")  # its records live there
    listed = owner.tenant_custom_nameservers.get(TENANT)
    assert [ns.ns_name for ns in listed.result] == ["ns1.resellerdns.net", "ns2.resellerdns.net",
                                                   "ns3.resellerdns.net", "ns4.resellerdns.net"]
    # names created, addresses assigned: the edge answers the A record at once
    assert served.address("ns3.resellerdns.net") == [assigned["A"]]
    # zone switched: the account's own token uses the tenant's set 2
    shop = served.sdk("shop-token")
    zone = served.zone_id("shop.com")
    result = shop.dns.settings.zone.edit(zone_id=zone, nameservers={"type": "custom.tenant", "ns_set": 2})
    assert result is not None and result.nameservers is not None
    assert result.nameservers.type == "custom.tenant" and result.nameservers.ns_set == 2
    assert served.ns_names("shop.com") == {"ns3.resellerdns.net", "ns4.resellerdns.net"}
    reply = served.world.query("www.shop.com", "A", at=assigned["A"])
    assert reply.flags & dns.flags.AA and "192.0.2.50" in reply.to_text()
    shown = shop.zones.get(zone_id=zone)
    assert shown is not None and shown.vanity_name_servers == ["ns3.resellerdns.net", "ns4.resellerdns.net"]
    # delete: the name goes, its address stops answering (no socket), the set keeps one name
    owner.tenant_custom_nameservers.delete("ns4.resellerdns.net", tenant_tag=TENANT)
    assert served.ns_names("shop.com") == {"ns3.resellerdns.net"}
    assert served.address("ns4.resellerdns.net") == []


def test_legacy_zone_custom_ns_with_ns_type_tenant(served: Served) -> None:
    ops = served.sdk("ops-token")
    zone = served.zone_id("resellerdns.net")
    ops.dns.settings.zone.edit(zone_id=zone, nameservers={"type": "cloudflare.standard"})
    assert "ns1.resellerdns.net" not in served.ns_names("resellerdns.net")
    ops.zones.custom_nameservers.update(zone_id=zone, enabled=True, extra_body={"ns_type": "tenant"})
    assert served.ns_names("resellerdns.net") == {"ns1.resellerdns.net", "ns2.resellerdns.net"}
    meta = ops.get(f"/zones/{zone}/custom_ns", cast_to=object)
    assert isinstance(meta, dict)
    assert meta["result"] == {"enabled": True, "ns_set": 1, "type": "tenant"}
    got = ops.dns.settings.zone.get(zone_id=zone)
    assert got is not None and got.nameservers is not None and got.nameservers.type == "custom.tenant"


def test_tenant_default_for_new_zones_tries_set_one_then_the_next(served: Served) -> None:
    shop = served.sdk("shop-token")
    fresh = shop.zones.create(account={"id": SHOP}, name="newshop.com")
    assert fresh is not None
    assert served.world.registry.world.zones[fresh.id].nameservers.type == "custom.tenant"
    assert served.ns_names("newshop.com") == {"ns1.resellerdns.net", "ns2.resellerdns.net"}
    # a child of shop.com: set 1 clashes with its parent and no other set is usable -> branded pair
    child = shop.zones.create(account={"id": SHOP}, name="eu.shop.com")
    assert child is not None
    assert served.world.registry.world.zones[child.id].nameservers.type == "cloudflare.standard"
    with unchanged(served.world.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        shop.dns.settings.zone.edit(zone_id=child.id, nameservers={"type": "custom.tenant", "ns_set": 1})
    assert error_code(caught.value) == 1007
    # and as the account default through the account DNS settings, for the other account
    ops = served.sdk("ops-token")
    edited = ops.dns.settings.account.edit(account_id=OPS,
                                           zone_defaults={"nameservers": {"type": "custom.tenant"}})
    assert edited is not None and edited.zone_defaults is not None
    assert edited.zone_defaults.nameservers is not None
    assert edited.zone_defaults.nameservers.type == "custom.tenant"


@pytest.mark.parametrize(
    ("name", "ns_set", "code"),
    [
        ("ns1.resellerdns.net", 2, 1003),  # a name may be in one set only
        ("ns1.resellerdns.net", 1, 1003),
        ("ns3.resellerdns.net", 9, 1005),
        ("bad..name", 1, 1006),
    ],
)
def test_tenant_create_refusals_change_nothing(served: Served, name: str, ns_set: int, code: int) -> None:
    owner = served.sdk("tenant-token")
    with unchanged(served.world.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        owner.tenant_custom_nameservers.create(TENANT, ns_name=name, ns_set=ns_set)
    assert error_code(caught.value) == code


def test_a_set_holds_at_most_five_tenant_names(served: Served) -> None:
    owner = served.sdk("tenant-token")
    for number in range(3, 6):
        owner.tenant_custom_nameservers.create(TENANT, ns_name=f"ns{number}.resellerdns.net", ns_set=1)
    with unchanged(served.world.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        owner.tenant_custom_nameservers.create(TENANT, ns_name="ns6.resellerdns.net", ns_set=1)
    assert error_code(caught.value) == 1004


def test_a_set_with_one_name_cannot_be_enabled(served: Served) -> None:
    owner = served.sdk("tenant-token")
    owner.tenant_custom_nameservers.create(TENANT, ns_name="ns9.resellerdns.net", ns_set=3)
    with unchanged(served.world.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        served.sdk("shop-token").dns.settings.zone.edit(
            zone_id=served.zone_id("shop.com"), nameservers={"type": "custom.tenant", "ns_set": 3})
    assert error_code(caught.value) == 1001


def test_only_the_tenant_owner_uses_the_tenant_routes(served: Served) -> None:
    with unchanged(served.world.registry):
        for token in ("shop-token", "ops-token", "shop-registrant"):
            with pytest.raises(cloudflare.PermissionDeniedError):
                served.sdk(token).tenant_custom_nameservers.create(TENANT, ns_name="ns7.resellerdns.net")
            with pytest.raises(cloudflare.PermissionDeniedError):
                served.sdk(token).tenant_custom_nameservers.get(TENANT)
        with pytest.raises(cloudflare.PermissionDeniedError):  # another tenant's tag: 403, not 404
            served.sdk("tenant-token").tenant_custom_nameservers.get("f" * 32)
        with pytest.raises(cloudflare.NotFoundError):
            served.sdk(ADMIN).tenant_custom_nameservers.get("f" * 32)
        with pytest.raises(cloudflare.NotFoundError):
            served.sdk("tenant-token").tenant_custom_nameservers.delete("nope.resellerdns.net",
                                                                        tenant_tag=TENANT)
    # the tenant owner acts on the tenant's accounts too
    assert served.sdk("tenant-token").zones.get(zone_id=served.zone_id("shop.com")) is not None


def test_tenant_without_the_entitlement_gets_1002(served: Served) -> None:
    served.world.registry.world.tenants[TENANT].tcns_entitled = False
    served.world.registry.replace(served.world.registry.world.model_copy(deep=True))
    with unchanged(served.world.registry), pytest.raises(cloudflare.PermissionDeniedError) as caught:
        served.sdk("tenant-token").tenant_custom_nameservers.get(TENANT)
    assert error_code(caught.value) == 1002
