"""Zone custom nameservers (ZCNS) and partial (CNAME) zones, through the official SDK and DNS.

spec-acns §1.2 (ZCNS names lie below the zone), §1.3 (Business/Enterprise plans; partial zones
cannot use custom nameservers), §1.4 (one IPv4 + one IPv6, read-only A/AAAA), §1.5
(``PATCH /zones/{id}`` ``vanity_name_servers``, ``[]`` removes, ``vanity_name_servers_ips``),
§3.10 (``custom.zone``), §6.11 (what the zone object shows).
"""

from __future__ import annotations

from collections.abc import Iterator

import cloudflare
import dns.flags
import dns.rcode
import pytest
from api_support import ADMIN, TOKEN, Served, error_code, unchanged

from acns_dns.lab.testing import running_world
from acns_dns.world import scenario

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
ZCNS = ["ns-a.example.com", "ns-b.example.com"]
pytestmark = pytest.mark.filterwarnings("ignore:Use \\[DNS settings API\\]:DeprecationWarning")


def _fresh(served: Served, name: str) -> Served:
    registry = served.world.registry
    registry.replace(scenario.load(name, network=registry.world.network))
    return served


@pytest.fixture(scope="module")
def default_module() -> Iterator[Served]:
    with running_world("default", api=True, admin_token=ADMIN) as world:
        served = Served(world)
        yield served
        served.close()


@pytest.fixture
def served(default_module: Served) -> Served:
    return _fresh(default_module, "default")


def test_vanity_name_servers_create_names_records_and_switch_the_zone(served: Served) -> None:
    sdk = served.sdk(TOKEN)
    zone_id = served.zone_id("example.com")
    zone = sdk.zones.edit(zone_id=zone_id, vanity_name_servers=["NS-A.example.com.", "ns-b.example.com"])
    assert zone is not None and zone.vanity_name_servers == ZCNS
    body = sdk.get(f"/zones/{zone_id}", cast_to=object)
    assert isinstance(body, dict)
    ips = body["result"]["vanity_name_servers_ips"]
    assert sorted(ips) == ZCNS and all(set(ip) == {"ipv4", "ipv6"} for ip in ips.values())
    settings = sdk.dns.settings.zone.get(zone_id=zone_id)
    assert settings is not None and settings.nameservers is not None
    assert settings.nameservers.type == "custom.zone"
    # read-only A/AAAA records in the zone itself
    managed = [r for r in sdk.dns.records.list(zone_id=zone_id) if r.name in ZCNS]
    assert {(r.name, r.type) for r in managed} == {(n, t) for n in ZCNS for t in ("A", "AAAA")}
    record = next(r for r in managed if r.type == "A")
    with unchanged(served.world.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.dns.records.delete(record.id, zone_id=zone_id)
    assert error_code(caught.value) == 1009
    # the edge answers them, and each name answers on its own address, authoritatively
    assert served.ns_names("example.com") == set(ZCNS)
    assert served.address("ns-a.example.com") == [ips["ns-a.example.com"]["ipv4"]]
    reply = served.world.query("www.example.com", "A", at=ips["ns-b.example.com"]["ipv4"])
    assert reply.rcode() == dns.rcode.NOERROR and reply.flags & dns.flags.AA
    # the SOA MNAME follows the served names (spec-acns §6.14)
    soa = served.world.query("example.com", "SOA")
    assert "ns-a.example.com." in soa.answer[0].to_text()
    # dns_settings may move away and back; [] removes names, records, and the setting
    sdk.dns.settings.zone.edit(zone_id=zone_id, nameservers={"type": "cloudflare.standard"})
    assert served.ns_names("example.com") == set(served.world.registry.world.zones[zone_id].branded_ns)
    sdk.dns.settings.zone.edit(zone_id=zone_id, nameservers={"type": "custom.zone"})
    assert served.ns_names("example.com") == set(ZCNS)
    cleared = sdk.zones.edit(zone_id=zone_id, vanity_name_servers=[])
    assert cleared is not None and cleared.vanity_name_servers == []
    assert served.address("ns-a.example.com") == []
    assert not [r for r in sdk.dns.records.list(zone_id=zone_id) if r.name in ZCNS]
    assert served.world.registry.world.zones[zone_id].nameservers.type == "cloudflare.standard"


def test_replacing_the_list_keeps_the_addresses_of_kept_names(served: Served) -> None:
    sdk = served.sdk(TOKEN)
    zone_id = served.zone_id("example.com")
    sdk.zones.edit(zone_id=zone_id, vanity_name_servers=ZCNS)
    before = {ns.ns_name: ns.ipv4 for ns in served.world.registry.world.custom_ns if ns.kind == "zone"}
    sdk.zones.edit(zone_id=zone_id, vanity_name_servers=["ns-c.example.com", "ns-a.example.com"])
    after = {ns.ns_name: ns.ipv4 for ns in served.world.registry.world.custom_ns if ns.kind == "zone"}
    assert after["ns-a.example.com"] == before["ns-a.example.com"] and "ns-b.example.com" not in after
    assert [n.rstrip(".") for n in sdk.zones.get(zone_id=zone_id).vanity_name_servers or []] == [
        "ns-c.example.com", "ns-a.example.com"]


@pytest.mark.parametrize(
    ("names", "code"),
    [
        (["ns1.example.org", "ns2.example.org"], 1006),  # not below the zone (zone-custom-nameservers.mdx)
        (["example.com", "ns2.example.com"], 1006),  # the apex is not below itself
        (["ns-a.example.com"], 1000),  # 2 to 5 names
        ([f"ns{i}x.example.com" for i in range(6)], 1000),
        (["ns-a.example.com", "NS-A.example.com"], 1000),
        (["ns1.example.com", "ns-b.example.com"], 1003),  # already the account's ACNS name
    ],
)
def test_vanity_refusals_change_nothing(served: Served, names: list[str], code: int) -> None:
    with unchanged(served.world.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        served.sdk(TOKEN).zones.edit(zone_id=served.zone_id("example.com"), vanity_name_servers=names)
    assert error_code(caught.value) == code


def test_a_name_in_a_child_zone_is_refused(served: Served) -> None:
    sdk = served.sdk(TOKEN)
    sdk.zones.create(account={"id": ACCOUNT}, name="eu.example.com")
    with unchanged(served.world.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.zones.edit(zone_id=served.zone_id("example.com"),
                       vanity_name_servers=["ns1.eu.example.com", "ns-b.example.com"])
    assert error_code(caught.value) == 1006 and "eu.example.com" in str(caught.value.body)


def test_one_zone_property_at_a_time(served: Served) -> None:
    zone_id = served.zone_id("example.com")
    with unchanged(served.world.registry), pytest.raises(cloudflare.BadRequestError):
        served.sdk(TOKEN).zones.edit(zone_id=zone_id, vanity_name_servers=ZCNS, type="full")
    with unchanged(served.world.registry), pytest.raises(cloudflare.PermissionDeniedError):
        served.sdk("other-token").zones.edit(zone_id=zone_id, vanity_name_servers=ZCNS)


def test_plan_restriction_is_a_world_setting(served: Served) -> None:
    registry = served.world.registry
    world = registry.world.model_copy(deep=True)
    zone_id = served.zone_id("example.org")
    world.zones[zone_id].plan = "free"
    registry.replace(world)
    sdk = served.sdk("other-token")
    with unchanged(registry), pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.zones.edit(zone_id=zone_id, vanity_name_servers=["ns1.example.org", "ns2.example.org"])
    assert error_code(caught.value) == 1011 and "free" in str(caught.value.body)
    world = registry.world.model_copy(deep=True)
    world.zcns_plans = ["free", "pro", "business", "enterprise"]
    registry.replace(world)
    zone = sdk.zones.edit(zone_id=zone_id, vanity_name_servers=["ns1.example.org", "ns2.example.org"])
    assert zone is not None and zone.vanity_name_servers == ["ns1.example.org", "ns2.example.org"]
    assert served.ns_names("example.org") == {"ns1.example.org", "ns2.example.org"}


def test_scenario_zone_with_zcns_and_glue_resolves_from_com(default_module: Served) -> None:
    served = _fresh(default_module, "tenant")
    assert served.ns_names("brand.com") == {"ns1.brand.com", "ns2.brand.com"}
    referral = served.world.query("www.brand.com", "A", at="com")
    glue = {rr.to_text() for rrset in referral.additional for rr in rrset}
    own = {ns.ipv4 for ns in served.world.registry.world.custom_ns if ns.kind == "zone"}
    assert own <= glue


# --- partial (CNAME) zones -------------------------------------------------------------------


def test_partial_zone_creation_and_refusal_of_every_custom_type(served: Served) -> None:
    sdk = served.sdk(TOKEN)
    sdk.dns.settings.account.edit(account_id=ACCOUNT,
                                  zone_defaults={"nameservers": {"type": "custom.account"}})
    zone = sdk.zones.create(account={"id": ACCOUNT}, name="example.info", type="partial")
    assert zone is not None and zone.type == "partial"
    stored = served.world.registry.world.zones[zone.id]
    assert stored.nameservers.type == "cloudflare.standard"  # the custom default is not applied
    with unchanged(served.world.registry):
        for ns_type in ("custom.account", "custom.tenant", "custom.zone"):
            with pytest.raises(cloudflare.BadRequestError) as caught:
                sdk.dns.settings.zone.edit(zone_id=zone.id, nameservers={"type": ns_type, "ns_set": 1})
            assert error_code(caught.value) == 1010, ns_type
            assert "partial" in str(caught.value.body)
        with pytest.raises(cloudflare.BadRequestError) as caught:
            sdk.zones.custom_nameservers.update(zone_id=zone.id, enabled=True, ns_set=1)
        assert error_code(caught.value) == 1010
        with pytest.raises(cloudflare.BadRequestError) as caught:
            sdk.zones.edit(zone_id=zone.id, vanity_name_servers=["ns1.example.info", "ns2.example.info"])
        assert error_code(caught.value) == 1010
    # Cloudflare is not the zone's authoritative DNS: the edge refuses it
    assert served.world.query("example.info", "SOA").rcode() == dns.rcode.REFUSED


def test_a_zone_on_custom_nameservers_cannot_become_partial(served: Served) -> None:
    sdk = served.sdk(TOKEN)
    with unchanged(served.world.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.zones.edit(zone_id=served.zone_id("example.com"), type="partial")
    assert error_code(caught.value) == 1010
    other = served.sdk("other-token")
    org = served.zone_id("example.org")
    changed = other.zones.edit(zone_id=org, type="partial")
    assert changed is not None and changed.type == "partial"
    back = other.zones.edit(zone_id=org, type="full")
    assert back is not None and back.type == "full"


def test_scenario_partial_zone(default_module: Served) -> None:
    served = _fresh(default_module, "tenant")
    zone_id = served.zone_id("partial.com")
    zone = served.sdk("shop-token").zones.get(zone_id=zone_id)
    assert zone is not None and zone.type == "partial"
    with unchanged(served.world.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        served.sdk("shop-token").dns.settings.zone.edit(zone_id=zone_id,
                                                        nameservers={"type": "custom.tenant"})
    assert error_code(caught.value) == 1010
