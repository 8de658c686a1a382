"""Account custom nameservers through the official SDK: add, list, delete and their refusals."""

from __future__ import annotations

import cloudflare
import pytest
from api_support import ACCOUNT, ADMIN, OTHER_ACCOUNT, OTHER_TOKEN, Api, api, api_server, unchanged

__all__ = ["api", "api_server"]


def _code(exc: cloudflare.APIStatusError) -> int:
    body = exc.body
    assert isinstance(body, dict) and body["success"] is False and body["result"] is None
    return int(body["errors"][0]["code"])


def test_create_returns_custom_ns_with_one_address_of_each_family(api: Api) -> None:
    ns = api.sdk().custom_nameservers.create(account_id=ACCOUNT, ns_name="NS3.Example.com.", ns_set=2)
    assert ns is not None
    assert ns.ns_name == "ns3.example.com" and ns.ns_set == 2.0
    assert sorted(r.type for r in ns.dns_records) == ["A", "AAAA"]
    assert ns.status == "pending"  # no glue at the registry yet
    assert ns.zone_tag == api.zone_id("example.com")
    stored = [n for n in api.registry.world.custom_ns if n.ns_name == "ns3.example.com"]
    assert [(n.ns_set, n.ipv4) for n in stored] == [(2, ns.dns_records[0].value)]


def test_omitted_ns_set_means_set_one_and_float_is_accepted(api: Api) -> None:
    sdk = api.sdk()
    assert sdk.custom_nameservers.create(account_id=ACCOUNT, ns_name="ns3.example.com").ns_set == 1.0
    made = sdk.custom_nameservers.create(
        account_id=ACCOUNT, ns_name="ns4.example.com", extra_body={"ns_set": 2.0, "unknown_field": True}
    )
    assert made is not None and made.ns_set == 2.0


def test_name_outside_any_zone_of_the_account_has_empty_zone_tag(api: Api) -> None:
    made = api.sdk().custom_nameservers.create(account_id=ACCOUNT, ns_name="ns1.vanity.org", ns_set=3)
    assert made is not None and made.zone_tag == ""


def test_list_shows_every_name_with_verified_glue(api: Api) -> None:
    listed = api.sdk().custom_nameservers.get(account_id=ACCOUNT).result
    assert [(n.ns_name, n.ns_set, n.status) for n in listed] == [
        ("ns1.example.com", 1.0, "verified"),
        ("ns2.example.com", 1.0, "verified"),
    ]


def test_delete_by_name_returns_empty_list_and_releases_the_name(api: Api) -> None:
    sdk = api.sdk()
    sdk.custom_nameservers.create(account_id=ACCOUNT, ns_name="ns3.example.com", ns_set=2)
    deleted = sdk.custom_nameservers.delete("ns3.example.com", account_id=ACCOUNT)
    assert deleted.result == []
    assert "ns3.example.com" not in [n.ns_name for n in sdk.custom_nameservers.get(account_id=ACCOUNT).result]


def test_managed_records_follow_the_name(api: Api) -> None:
    sdk, zone = api.sdk(), api.zone_id("example.com")
    sdk.custom_nameservers.create(account_id=ACCOUNT, ns_name="ns3.example.com", ns_set=2)
    rows = [r for r in sdk.dns.records.list(zone_id=zone) if r.name == "ns3.example.com"]
    assert sorted(r.type for r in rows) == ["A", "AAAA"]
    assert all(r.meta.read_only for r in rows)  # type: ignore[attr-defined]
    sdk.custom_nameservers.delete("ns3.example.com", account_id=ACCOUNT)
    assert not [r for r in sdk.dns.records.list(zone_id=zone) if r.name == "ns3.example.com"]


@pytest.mark.parametrize(
    ("name", "ns_set", "code"),
    [
        ("ns1.example.com", 2, 1003),  # a name may be in one set only
        ("ns3.example.com", 6, 1005),
        ("ns3.example.com", 0, 1005),
        ("ns3.example.com", 2.5, 1005),
        ("-bad-.example.com", 1, 1006),
        ("localhost", 1, 1006),
    ],
)
def test_create_refusals_are_400_with_codes_and_change_nothing(
    api: Api, name: str, ns_set: float, code: int
) -> None:
    with unchanged(api.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        api.sdk().custom_nameservers.create(account_id=ACCOUNT, ns_name=name, ns_set=ns_set)
    assert _code(caught.value) == code


def test_a_sixth_name_in_a_set_is_refused(api: Api) -> None:
    sdk = api.sdk()
    for index in range(3, 6):
        sdk.custom_nameservers.create(account_id=ACCOUNT, ns_name=f"ns{index}.example.com", ns_set=1)
    with unchanged(api.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.custom_nameservers.create(account_id=ACCOUNT, ns_name="ns6.example.com", ns_set=1)
    assert _code(caught.value) == 1004


def test_missing_ns_name_is_400_naming_the_field(api: Api) -> None:
    with unchanged(api.registry), pytest.raises(cloudflare.BadRequestError) as caught:
        api.sdk().post(f"/accounts/{ACCOUNT}/custom_ns", cast_to=object, body={"ns_set": 1})
    assert "ns_name" in str(caught.value.body)


def test_delete_of_an_unknown_name_is_404(api: Api) -> None:
    with unchanged(api.registry), pytest.raises(cloudflare.NotFoundError):
        api.sdk().custom_nameservers.delete("ns9.example.com", account_id=ACCOUNT)


def test_account_without_entitlement_gets_1002_on_every_call(api: Api) -> None:
    sdk = api.sdk(OTHER_TOKEN)
    with unchanged(api.registry):
        for call in (
            lambda: sdk.custom_nameservers.get(account_id=OTHER_ACCOUNT),
            lambda: sdk.custom_nameservers.create(account_id=OTHER_ACCOUNT, ns_name="ns1.example.org"),
            lambda: sdk.custom_nameservers.delete("ns1.example.org", account_id=OTHER_ACCOUNT),
        ):
            with pytest.raises(cloudflare.PermissionDeniedError) as caught:
                call()
            assert _code(caught.value) == 1002


def test_another_accounts_names_are_forbidden_existing_or_not(api: Api) -> None:
    sdk = api.sdk(OTHER_TOKEN)
    with unchanged(api.registry):
        for account in (ACCOUNT, "f" * 32):
            with pytest.raises(cloudflare.PermissionDeniedError) as caught:
                sdk.custom_nameservers.get(account_id=account)
            assert _code(caught.value) == 9109
            with pytest.raises(cloudflare.PermissionDeniedError):
                sdk.custom_nameservers.delete("ns1.example.com", account_id=account)


def test_unknown_token_is_401_and_admin_sees_404_for_missing_account(api: Api) -> None:
    with unchanged(api.registry):
        with pytest.raises(cloudflare.AuthenticationError):
            api.sdk("no-such-token").custom_nameservers.get(account_id=ACCOUNT)
        with pytest.raises(cloudflare.NotFoundError):
            api.sdk(ADMIN).custom_nameservers.get(account_id="f" * 32)


def test_email_and_key_authenticate_too(api: Api) -> None:
    base = f"{api.url}/client/v4"
    with cloudflare.Cloudflare(
        api_email="User@Example.com", api_key="demo-key", base_url=base, max_retries=0
    ) as sdk:
        assert len(sdk.custom_nameservers.get(account_id=ACCOUNT).result) == 2
    with (
        cloudflare.Cloudflare(
            api_email="user@example.com", api_key="nope", base_url=base, max_retries=0
        ) as wrong,
        pytest.raises(cloudflare.AuthenticationError),
    ):
        wrong.custom_nameservers.get(account_id=ACCOUNT)
