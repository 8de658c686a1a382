"""Zones and DNS records through the SDK."""

from __future__ import annotations

import cloudflare
import pytest
from api_support import ACCOUNT, ADMIN, OTHER_ACCOUNT, OTHER_TOKEN, Api, api, api_server, unchanged

__all__ = ["api", "api_server"]


def test_create_get_list_delete(api: Api) -> None:
    sdk = api.sdk()
    zone = sdk.zones.create(account={"id": ACCOUNT}, name="Example.Info.")
    assert zone.name == "example.info" and zone.account.id == ACCOUNT and len(zone.name_servers) == 2
    assert sdk.zones.get(zone_id=zone.id).name == "example.info"
    assert [z.name for z in sdk.zones.list(name="example.info")] == ["example.info"]
    assert sorted(z.name for z in sdk.zones.list(account={"id": ACCOUNT})) == [
        "example.com",
        "example.info",
        "example.net",
    ]
    deleted = sdk.zones.delete(zone_id=zone.id)
    assert deleted is not None and deleted.id == zone.id
    assert zone.id not in api.registry.world.zones


def test_list_pages_and_scope(api: Api) -> None:
    assert sorted(z.name for z in api.sdk(ADMIN).zones.list(per_page=5)) == [
        "example.com",
        "example.net",
        "example.org",
    ]
    assert [z.name for z in api.sdk(OTHER_TOKEN).zones.list()] == ["example.org"]
    assert list(api.sdk(OTHER_TOKEN).zones.list(account={"id": ACCOUNT})) == []
    second = api.http().get("/client/v4/zones", params={"page": 2, "per_page": 5}).json()
    assert second["result"] == [] and second["result_info"]["total_count"] == 2


def test_create_refusals_change_nothing(api: Api) -> None:
    sdk = api.sdk()
    with unchanged(api.registry):
        with pytest.raises(cloudflare.BadRequestError):
            sdk.zones.create(account={"id": ACCOUNT}, name="example.com")  # exists
        with pytest.raises(cloudflare.BadRequestError):
            sdk.zones.create(account={"id": ACCOUNT}, name="bad..name")
        with pytest.raises(cloudflare.BadRequestError):
            sdk.zones.create(account={"id": ACCOUNT}, name="example.info", type="secondary")
        with pytest.raises(cloudflare.PermissionDeniedError):
            sdk.zones.create(account={"id": OTHER_ACCOUNT}, name="example.info")
        with pytest.raises(cloudflare.BadRequestError):
            sdk.post("/zones", cast_to=object, body={"name": "example.info"})  # no account


def test_delete_of_another_accounts_zone_is_forbidden(api: Api) -> None:
    with unchanged(api.registry):
        with pytest.raises(cloudflare.PermissionDeniedError):
            api.sdk(OTHER_TOKEN).zones.delete(zone_id=api.zone_id("example.com"))
        with pytest.raises(cloudflare.NotFoundError):
            api.sdk(ADMIN).zones.delete(zone_id="0" * 32)


def test_dns_records_list_get_create(api: Api) -> None:
    sdk, zone = api.sdk(), api.zone_id("example.com")
    rows = list(sdk.dns.records.list(zone_id=zone))
    managed = sorted((r.name, r.type) for r in rows if r.meta.read_only)  # type: ignore[attr-defined]
    assert managed == [
        ("ns1.example.com", "A"),
        ("ns1.example.com", "AAAA"),
        ("ns2.example.com", "A"),
        ("ns2.example.com", "AAAA"),
    ]
    one = sdk.dns.records.get(dns_record_id=rows[0].id, zone_id=zone)
    assert one is not None and one.id == rows[0].id
    made = sdk.dns.records.create(zone_id=zone, type="A", name="api", content="192.0.2.99", ttl=1)
    assert made is not None and (made.name, made.ttl) == ("api.example.com", 300)
    found = list(sdk.dns.records.list(zone_id=zone, name={"exact": "api.example.com"}))
    assert [r.content for r in found] == ["192.0.2.99"]
    filtered = api.http().get(f"/client/v4/zones/{zone}/dns_records", params={"type": "aaaa"}).json()
    assert {r["type"] for r in filtered["result"]} == {"AAAA"}


def test_dns_record_refusals(api: Api) -> None:
    sdk, zone = api.sdk(), api.zone_id("example.com")
    with unchanged(api.registry):
        with pytest.raises(cloudflare.NotFoundError):
            sdk.dns.records.get(dns_record_id="0" * 32, zone_id=zone)
        with pytest.raises(cloudflare.BadRequestError):
            sdk.dns.records.create(zone_id=zone, type="A", name="api", content="not-an-ip", ttl=1)
        with pytest.raises(cloudflare.BadRequestError):
            sdk.dns.records.create(zone_id=zone, type="A", name="api", content="192.0.2.1", ttl=-5)
