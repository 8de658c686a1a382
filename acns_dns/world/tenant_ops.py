"""Tenants and their custom nameservers (TCNS, spec-acns §1.3, §1.5).

A tenant owns accounts; the names its owner creates are offered to every zone of every account
in the tenant (``nameservers.type = "custom.tenant"``). The conditions are those of ACNS with
the tenant owner in place of the account owner, and the addresses and A/AAAA records come from
the same allocation (``custom_ns_ops``). Imports: errors, models, indexes, custom_ns_ops,
cloudflare_ops.
"""

from __future__ import annotations

from acns_dns.world import cloudflare_ops, custom_ns_ops, indexes
from acns_dns.world.errors import InvalidInput, NotEntitled, NotFound
from acns_dns.world.models import Account, Credential, CustomNameserver, Tenant, World


def add_tenant(world: World, name: str, tenant_id: str | None = None, tcns_entitled: bool = True) -> Tenant:
    """Create a tenant (scenario and /sim only: Cloudflare's API cannot create tenants)."""
    tenant_id = tenant_id or cloudflare_ops.stable_id("tenant", name)
    if tenant_id in world.tenants:
        raise InvalidInput(f"tenant tag {tenant_id!r} is already used")
    if not name.strip():
        raise InvalidInput("tenant name must not be empty")
    tenant = Tenant(id=tenant_id, name=name, tcns_entitled=tcns_entitled)
    world.tenants[tenant_id] = tenant
    return tenant


def find_tenant(world: World, tenant_id: str) -> Tenant:
    """The tenant, or NotFound."""
    tenant = world.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id!r} not found")
    return tenant


def join_tenant(world: World, account_id: str, tenant_id: str) -> Account:
    """Make the tenant the owner of the account."""
    account = cloudflare_ops.find_account(world, account_id)
    account.tenant_id = find_tenant(world, tenant_id).id
    return account


def add_owner_credential(world: World, tenant_id: str, token: str) -> Credential:
    """Let ``token`` act as the tenant owner: on the tenant and on every account it owns."""
    find_tenant(world, tenant_id)
    if indexes.of(world).credential(token, None) is not None:
        raise InvalidInput("token is already used by another credential; choose another")
    credential = Credential(token=token, tenants=[tenant_id])
    world.credentials.append(credential)
    return credential


def _entitled(world: World, tenant_id: str) -> Tenant:
    tenant = find_tenant(world, tenant_id)
    if not tenant.tcns_entitled:
        raise NotEntitled("This feature is not enabled for your account.")  # as for ACNS (§3.12)
    return tenant


def list_nameservers(world: World, tenant_id: str) -> list[CustomNameserver]:
    """The tenant's custom nameservers, in creation order."""
    _entitled(world, tenant_id)
    return custom_ns_ops.owned(world, "tenant", tenant_id)


def add_nameserver(world: World, tenant_id: str, ns_name: str, ns_set: object = 1) -> CustomNameserver:
    """Create a TCNS name in a set (1 when omitted); it gets one IPv4 and one IPv6 address."""
    _entitled(world, tenant_id)
    number = cloudflare_ops.check_ns_set(1 if ns_set is None else ns_set)
    return custom_ns_ops.create(world, "tenant", tenant_id, ns_name, number)


def delete_nameserver(world: World, tenant_id: str, ns_name: str) -> CustomNameserver:
    """Delete a TCNS name; its addresses are released, zones keep their set (spec-acns §6.5)."""
    _entitled(world, tenant_id)
    return custom_ns_ops.delete(world, "tenant", tenant_id, ns_name)
