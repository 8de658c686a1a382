"""Which nameservers a zone uses: deprecated zone custom_ns and dns_settings share one state."""

from __future__ import annotations

import cloudflare
import pytest
from api_support import ACCOUNT, ADMIN, OTHER_TOKEN, Api, api, api_server, unchanged

__all__ = ["api", "api_server"]
# The SDK marks the zone custom_ns methods deprecated (spec-acns §2 #6-7); they are tested anyway.
pytestmark = pytest.mark.filterwarnings("ignore:Use \\[DNS settings API\\]:DeprecationWarning")


def _code(exc: cloudflare.APIStatusError) -> int:
    assert isinstance(exc.body, dict)
    return int(exc.body["errors"][0]["code"])


def _add_set_two(api: Api) -> None:
    for name in ("ns3.example.com", "ns4.example.com"):
        api.sdk().custom_nameservers.create(account_id=ACCOUNT, ns_name=name, ns_set=2)


def test_custom_ns_get_has_top_level_fields_and_result(api: Api) -> None:
    zone = api.zone_id("example.com")
    meta = api.sdk().zones.custom_nameservers.get(zone_id=zone)
    assert (meta.enabled, meta.ns_set) == (True, 1.0)
    raw = api.http().get(f"/client/v4/zones/{zone}/custom_ns").json()
    assert raw["result"] == {"enabled": True, "ns_set": 1, "type": "account"}
    assert raw["enabled"] is True and raw["ns_set"] == 1


def test_custom_ns_put_and_dns_settings_change_the_same_state(api: Api) -> None:
    sdk, zone = api.sdk(), api.zone_id("example.com")
    _add_set_two(api)
    assert sdk.zones.custom_nameservers.update(zone_id=zone, enabled=True, ns_set=2).result == []
    assert sdk.dns.settings.zone.get(zone_id=zone).nameservers.model_dump() == {
        "type": "custom.account",
        "ns_set": 2,
    }
    sdk.dns.settings.zone.edit(zone_id=zone, nameservers={"type": "cloudflare.standard"})
    meta = sdk.zones.custom_nameservers.get(zone_id=zone)
    assert meta.enabled is False
    assert api.registry.world.zones[zone].nameservers.type == "cloudflare.standard"
    sdk.zones.custom_nameservers.update(zone_id=zone, enabled=False)
    edited = sdk.dns.settings.zone.edit(zone_id=zone, nameservers={"type": "custom.account"})
    assert edited is not None and edited.nameservers.model_dump() == {"type": "custom.account", "ns_set": 1}


def test_zone_nameservers_follow_the_setting(api: Api) -> None:
    sdk, zone = api.sdk(), api.zone_id("example.com")
    assert sdk.zones.get(zone_id=zone).vanity_name_servers == ["ns1.example.com", "ns2.example.com"]
    sdk.dns.settings.zone.edit(zone_id=zone, nameservers={"type": "cloudflare.standard"})
    shown = sdk.zones.get(zone_id=zone)
    assert shown.vanity_name_servers == [] and len(shown.name_servers) == 2
    settings = sdk.dns.settings.zone.get(zone_id=zone)
    assert settings.soa.mname == sorted(shown.name_servers)[0]


def test_legacy_string_ns_set_is_accepted(api: Api) -> None:
    zone = api.zone_id("example.com")
    _add_set_two(api)
    answer = api.http().put(f"/client/v4/zones/{zone}/custom_ns", json={"enabled": True, "ns_set": "2"})
    assert answer.status_code == 200, answer.text
    assert api.registry.world.zones[zone].nameservers.ns_set == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"nameservers": {"type": "custom.account", "ns_set": 3}}, 1001),  # set 3 has no names
        ({"nameservers": {"type": "custom.account", "ns_set": 9}}, 1005),
        ({"nameservers": {"type": "custom.tenant", "ns_set": 1}}, 1001),  # no tenant owns Example Corp
        ({"nameservers": {"type": "custom.zone"}}, 1001),  # example.com has no zone custom nameservers
        ({"nameservers": {"type": "cloudflare.advanced"}}, 1008),
        ({"nameservers": {"type": "custom", "nameserver_set_id": "a" * 32}}, 1008),
        ({"nameservers": {"type": "bogus"}}, 1000),
        ({"ns_ttl": 29}, 1000),
        ({"ns_ttl": 86401}, 1000),
        ({"ns_ttl": 60.5}, 1000),
        ({"soa": {"refresh": 599}}, 1000),
        ({"soa": {"expire": 2419201}}, 1000),
        ({"soa": {"min_ttl": 59}}, 1000),
        ({"soa": {"retry": 86401}}, 1000),
        ({"soa": {"ttl": 299}}, 1000),
        ({"soa": {"rname": "not a name"}}, 1000),
        ({"ns_ttl": 300, "nameservers": {"type": "custom.account", "ns_set": 3}}, 1001),  # all or nothing
        ({"flatten_all_cnames": True}, 1008),
        ({"zone_mode": "dns_only", "nameservers": {"type": "cloudflare.standard"}}, 1008),
        ({"nameservers": {"ns_set": 1}}, 1000),
    ],
)
def test_dns_settings_refusals_change_nothing(api: Api, body: dict[str, object], code: int) -> None:
    zone = api.zone_id("example.com")
    with unchanged(api.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        api.sdk().dns.settings.zone.edit(zone_id=zone, extra_body=body)
    assert _code(caught.value) == code


def test_unchanged_values_of_unmodelled_settings_are_accepted(api: Api) -> None:
    zone = api.zone_id("example.com")
    edited = api.sdk().dns.settings.zone.edit(zone_id=zone, ns_ttl=86400, flatten_all_cnames=False)
    assert edited is not None and edited.ns_ttl == 86400


def test_enabling_an_empty_set_is_1001(api: Api) -> None:
    zone = api.zone_id("example.com")
    with unchanged(api.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        api.sdk().zones.custom_nameservers.update(zone_id=zone, enabled=True, ns_set=4)
    assert _code(caught.value) == 1001
    assert "Custom Nameserver set doesn't exist" in str(caught.value.body)


def test_tenant_type_on_custom_ns_put_needs_a_tenant(api: Api) -> None:
    zone = api.zone_id("example.com")
    with unchanged(api.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        api.sdk().zones.custom_nameservers.update(
            zone_id=zone, enabled=True, extra_body={"ns_type": "tenant"}
        )
    assert _code(caught.value) == 1001  # Example Corp belongs to no tenant: no such set
    assert "belongs to no tenant" in str(caught.value.body)


def test_parent_and_child_may_not_share_a_set(api: Api) -> None:
    sdk = api.sdk()
    child = sdk.zones.create(account={"id": ACCOUNT}, name="sub.example.com")
    with unchanged(api.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.dns.settings.zone.edit(zone_id=child.id, nameservers={"type": "custom.account", "ns_set": 1})
    assert _code(caught.value) == 1007


def test_a_zone_of_another_account_is_403_whether_or_not_it_exists(api: Api) -> None:
    sdk = api.sdk(OTHER_TOKEN)
    with unchanged(api.registry):
        for zone in (api.zone_id("example.com"), "0" * 32):
            with pytest.raises(cloudflare.PermissionDeniedError):
                sdk.dns.settings.zone.get(zone_id=zone)
            with pytest.raises(cloudflare.PermissionDeniedError):
                sdk.zones.custom_nameservers.update(zone_id=zone, enabled=False)
        with pytest.raises(cloudflare.NotFoundError):
            api.sdk(ADMIN).dns.settings.zone.get(zone_id="0" * 32)
