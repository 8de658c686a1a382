"""Accounts: list, get, the legacy default switch (PUT) and the account DNS settings.

``PUT /accounts/{id}`` with ``settings.default_nameservers`` (or the older
``use_account_custom_ns_by_default``) and ``PATCH /accounts/{id}/dns_settings`` with
``zone_defaults.nameservers.type`` change the one stored default (spec-acns §6.17).
Imports: the api helpers, errors, compound_ops, registry.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from acns_dns.api import shapes
from acns_dns.api.auth import AccountDep, CallerDep, RegistryDep
from acns_dns.api.envelope import Collection, PageNumber, Success, documented, ok, page, reply
from acns_dns.api.schemas import AccountDnsSettingsIn, AccountDnsSettingsOut, AccountOut, AccountUpdateIn
from acns_dns.world import cloudflare_ops, compound_ops, settings_ops

router = APIRouter(prefix="/accounts", tags=["Accounts"])
PerPage = Annotated[int, Query(ge=5, le=50)]


@router.get("", summary="List accounts", **documented(Collection[AccountOut]))
async def list_accounts(
    who: CallerDep, registry: RegistryDep, page_number: PageNumber = 1, per_page: PerPage = 20
) -> JSONResponse:
    """The accounts the caller may act on."""
    visible = [shapes.account(a) for a in registry.world.accounts.values() if who.may(a.id)]
    return reply(page(visible, page_number, per_page))


@router.get("/{account_id}", summary="Account details", **documented(Success[AccountOut]))
async def get_account(account: AccountDep) -> JSONResponse:
    """One account, with ``settings.default_nameservers``."""
    return reply(ok(shapes.account(account)))


@router.put("/{account_id}", summary="Update account", **documented(Success[AccountOut]))
async def update_account(account: AccountDep, body: AccountUpdateIn, registry: RegistryDep) -> JSONResponse:
    """Rename the account and/or set ``settings.default_nameservers`` (deprecated field)."""
    default = None
    if body.settings is not None:
        shapes.refuse_changes(
            shapes.account(account)["settings"],
            body.settings,
            "settings",
            skip=("default_nameservers", "use_account_custom_ns_by_default"),
        )
        default = body.settings.default_nameservers
        if default is None and body.settings.use_account_custom_ns_by_default is not None:
            default = (
                "custom.account" if body.settings.use_account_custom_ns_by_default else "cloudflare.standard"
            )
    updated = registry.apply(cloudflare_ops.update_account, account.id, body.name, default, body.type)
    return reply(ok(shapes.account(updated)))


@router.get(
    "/{account_id}/dns_settings",
    summary="Show account DNS settings",
    **documented(Success[AccountDnsSettingsOut]),
)
async def get_dns_settings(account: AccountDep) -> JSONResponse:
    """``zone_defaults``: what new zones of the account start with."""
    return reply(ok(shapes.account_settings(account)))


@router.patch(
    "/{account_id}/dns_settings",
    summary="Update account DNS settings",
    **documented(Success[AccountDnsSettingsOut]),
)
async def patch_dns_settings(
    account: AccountDep, body: AccountDnsSettingsIn, registry: RegistryDep
) -> JSONResponse:
    """Change ``zone_defaults.nameservers.type`` (no ``ns_set``: set 1 is tried first)."""
    shapes.refuse_changes(shapes.account_settings(account), body, "dns_settings", skip=("zone_defaults",))
    defaults = body.zone_defaults
    changes: dict[str, object] = {}
    ns_type = None
    if defaults is not None:
        settable = ("nameservers", *settings_ops.SETTINGS)
        current = shapes.account_settings(account)["zone_defaults"]
        shapes.refuse_changes(current, defaults, "zone_defaults", skip=settable)
        changes = shapes.settings_changes(defaults)
        ns_type = defaults.nameservers.type if defaults.nameservers is not None else None
    account = registry.apply(compound_ops.edit_account_settings, account.id, changes, ns_type)
    return reply(ok(shapes.account_settings(account)))
