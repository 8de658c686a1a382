"""Account custom nameservers: add, list, delete, and the legacy availability and verify.

``/accounts/{account_id}/custom_ns`` (spec-acns §2 #1-5, §3.2-3.7). Each route checks the
caller's scope, calls one registry method and wraps the answer in the v4 envelope.
Imports: the api helpers, registry.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from acns_dns.api import shapes
from acns_dns.api.auth import AccountDep, RegistryDep
from acns_dns.api.envelope import Collection, Success, documented, ok, page, reply
from acns_dns.api.schemas import CustomNSIn, CustomNSOut

router = APIRouter(prefix="/accounts/{account_id}/custom_ns", tags=["Account custom nameservers"])


@router.post("", summary="Add an account custom nameserver", **documented(Success[CustomNSOut]))
async def add(account: AccountDep, body: CustomNSIn, registry: RegistryDep) -> JSONResponse:
    """Create a name in a set (``ns_set`` omitted: 1); it gets one IPv4 and one IPv6 address."""
    created = registry.add_nameserver(account.id, body.ns_name, body.ns_set)
    return reply(ok(shapes.custom_ns(registry.world, created)))


@router.get("", summary="List account custom nameservers", **documented(Collection[CustomNSOut]))
async def list_all(account: AccountDep, registry: RegistryDep) -> JSONResponse:
    """Every ACNS name of the account, with its addresses and glue status."""
    return reply(page(registry.read(shapes.custom_ns_list, account.id)))


@router.get(
    "/availability",
    summary="Get eligible zones for account custom nameservers (legacy)",
    **documented(Collection[str]),
)
async def availability(account: AccountDep, registry: RegistryDep) -> JSONResponse:
    """The account's zone names: ``ns1.<zone>`` could be created under each (spec-acns §3.6)."""
    return reply(page(registry.read(shapes.availability, account.id)))


@router.post(
    "/verify",
    summary="Verify account custom nameserver glue records (legacy)",
    **documented(Collection[CustomNSOut]),
)
async def verify(account: AccountDep, registry: RegistryDep) -> JSONResponse:
    """The names with ``status`` from the registry's glue: verified when it matches (§6.7)."""
    return reply(page(registry.read(shapes.custom_ns_list, account.id)))


@router.delete(
    "/{custom_ns_id}", summary="Delete an account custom nameserver", **documented(Collection[str])
)
async def delete(account: AccountDep, custom_ns_id: str, registry: RegistryDep) -> JSONResponse:
    """Delete one name (the path holds its FQDN); zones keep their set (spec-acns §6.5)."""
    registry.delete_nameserver(account.id, custom_ns_id)
    return reply(page([]))
