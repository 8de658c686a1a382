"""Tenant custom nameservers: add, list and delete (``/tenants/{tenant_tag}/custom_ns``).

spec-acns §1.5 and §2 #13: the same shapes as account custom nameservers (``CustomNS``),
created by the tenant owner and offered to every zone of every account the tenant owns.
Only the tenant owner's credential (or the admin token) may use these routes.
Imports: the api helpers, tenant_ops, registry.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from acns_dns.api import shapes
from acns_dns.api.auth import RegistryDep, TenantDep
from acns_dns.api.envelope import Collection, Success, documented, ok, page, reply
from acns_dns.api.schemas import CustomNSIn, CustomNSOut
from acns_dns.world import tenant_ops

router = APIRouter(prefix="/tenants/{tenant_tag}/custom_ns", tags=["Tenant custom nameservers"])


@router.post("", summary="Add a tenant custom nameserver", **documented(Success[CustomNSOut]))
async def add(tenant: TenantDep, body: CustomNSIn, registry: RegistryDep) -> JSONResponse:
    """Create a name in a set (``ns_set`` omitted: 1); it gets one IPv4 and one IPv6 address."""
    created = registry.apply(tenant_ops.add_nameserver, tenant.id, body.ns_name, body.ns_set)
    return reply(ok(registry.read(shapes.custom_ns, created)))


@router.get("", summary="List tenant custom nameservers", **documented(Collection[CustomNSOut]))
async def list_all(tenant: TenantDep, registry: RegistryDep) -> JSONResponse:
    """Every TCNS name of the tenant, with its addresses and glue status."""
    world = registry.world
    return reply(page([shapes.custom_ns(world, ns) for ns in tenant_ops.list_nameservers(world, tenant.id)]))


@router.delete(
    "/{custom_ns_id}", summary="Delete a tenant custom nameserver", **documented(Collection[str])
)
async def delete(tenant: TenantDep, custom_ns_id: str, registry: RegistryDep) -> JSONResponse:
    """Delete one name (the path holds its FQDN); zones keep their set (spec-acns §6.5)."""
    registry.apply(tenant_ops.delete_nameserver, tenant.id, custom_ns_id)
    return reply(page([]))
