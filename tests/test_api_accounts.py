"""Accounts and their default nameservers: PUT /accounts and account dns_settings share one state."""

from __future__ import annotations

import cloudflare
import pytest
from api_support import ACCOUNT, ADMIN, OTHER_ACCOUNT, OTHER_TOKEN, TOKEN, Api, api, api_server, unchanged

__all__ = ["api", "api_server"]


def _code(exc: cloudflare.APIStatusError) -> int:
    assert isinstance(exc.body, dict)
    return int(exc.body["errors"][0]["code"])


def test_list_shows_only_the_callers_accounts(api: Api) -> None:
    assert [a.id for a in api.sdk().accounts.list()] == [ACCOUNT]
    assert sorted(a.id for a in api.sdk(ADMIN).accounts.list()) == sorted([ACCOUNT, OTHER_ACCOUNT])


def test_get_account(api: Api) -> None:
    account = api.sdk().accounts.get(account_id=ACCOUNT)
    assert account is not None and (account.id, account.name) == (ACCOUNT, "Example Corp")


def test_put_default_nameservers_shows_in_account_dns_settings(api: Api) -> None:
    sdk = api.sdk()
    updated = sdk.accounts.update(
        account_id=ACCOUNT,
        id=ACCOUNT,
        name="acct",
        type="standard",
        extra_body={"settings": {"default_nameservers": "custom.account"}},
    )
    assert updated is not None and updated.name == "acct"
    assert sdk.dns.settings.account.get(account_id=ACCOUNT).zone_defaults.nameservers.type == "custom.account"
    assert api.registry.world.accounts[ACCOUNT].default_nameservers == "custom.account"


def test_patch_account_dns_settings_shows_in_the_account(api: Api) -> None:
    sdk = api.sdk()
    edited = sdk.dns.settings.account.edit(
        account_id=ACCOUNT, zone_defaults={"nameservers": {"type": "custom.account"}}
    )
    assert edited is not None and edited.zone_defaults.nameservers.type == "custom.account"
    raw = api.http().get(f"/client/v4/accounts/{ACCOUNT}").json()["result"]
    assert raw["settings"]["default_nameservers"] == "custom.account"
    sdk.accounts.update(
        account_id=ACCOUNT,
        id=ACCOUNT,
        name="Example Corp",
        type="standard",
        extra_body={"settings": {"use_account_custom_ns_by_default": False}},
    )
    assert (
        sdk.dns.settings.account.get(account_id=ACCOUNT).zone_defaults.nameservers.type
        == "cloudflare.standard"
    )


def test_a_new_zone_picks_up_the_default_set(api: Api) -> None:
    sdk = api.sdk()
    sdk.dns.settings.account.edit(
        account_id=ACCOUNT, zone_defaults={"nameservers": {"type": "custom.account"}}
    )
    zone = sdk.zones.create(account={"id": ACCOUNT}, name="example.info")
    assert sdk.dns.settings.zone.get(zone_id=zone.id).nameservers.model_dump() == {
        "type": "custom.account",
        "ns_set": 1,
    }
    assert zone.vanity_name_servers == ["ns1.example.com", "ns2.example.com"]


@pytest.mark.parametrize(
    ("account", "token", "body", "error", "code"),
    [
        (
            OTHER_ACCOUNT,
            OTHER_TOKEN,
            {"zone_defaults": {"nameservers": {"type": "custom.account"}}},
            cloudflare.PermissionDeniedError,
            1002,
        ),
        (
            ACCOUNT,
            "demo-token",
            {"zone_defaults": {"nameservers": {"type": "custom.tenant"}}},  # Example Corp has no tenant
            cloudflare.BadRequestError,
            1000,
        ),
        (
            ACCOUNT,
            "demo-token",
            {"zone_defaults": {"nameservers": {"type": "nope"}}},
            cloudflare.BadRequestError,
            1000,
        ),
        (ACCOUNT, "demo-token", {"zone_defaults": {"ns_ttl": 20}}, cloudflare.BadRequestError, 1000),
        (ACCOUNT, "demo-token", {"zone_defaults": {"soa": {"retry": 10}}}, cloudflare.BadRequestError, 1000),
        (ACCOUNT, TOKEN, {"zone_defaults": {"zone_mode": "cdn_only"}}, cloudflare.BadRequestError, 1008),
        (ACCOUNT, "demo-token", {"enforce_dns_only": True}, cloudflare.BadRequestError, 1008),
        (
            OTHER_ACCOUNT,
            "demo-token",
            {"zone_defaults": {"nameservers": {"type": "cloudflare.standard"}}},
            cloudflare.PermissionDeniedError,
            9109,
        ),
    ],
)
def test_account_dns_settings_refusals_change_nothing(
    api: Api,
    account: str,
    token: str,
    body: dict[str, object],
    error: type[cloudflare.APIStatusError],
    code: int,
) -> None:
    with unchanged(api.registry), pytest.raises(error) as caught:
        api.sdk(token).dns.settings.account.edit(account_id=account, extra_body=body)
    assert _code(caught.value) == code


def test_put_account_refusals_change_nothing(api: Api) -> None:
    sdk = api.sdk()
    with unchanged(api.registry):
        with pytest.raises(cloudflare.BadRequestError):
            sdk.accounts.update(
                account_id=ACCOUNT,
                id=ACCOUNT,
                name="x",
                type="standard",
                extra_body={"settings": {"default_nameservers": "custom.zone"}},
            )
        with pytest.raises(cloudflare.BadRequestError):
            sdk.accounts.update(account_id=ACCOUNT, id=ACCOUNT, name="x" * 101, type="standard")
        with pytest.raises(cloudflare.PermissionDeniedError):
            sdk.accounts.update(account_id=OTHER_ACCOUNT, id=OTHER_ACCOUNT, name="x", type="standard")
        with pytest.raises(cloudflare.PermissionDeniedError):
            api.sdk(OTHER_TOKEN).accounts.get(account_id=ACCOUNT)
