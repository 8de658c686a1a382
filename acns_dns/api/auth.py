"""Who is calling, and which accounts they may act on.

Cloudflare's two ways to authenticate are accepted: ``Authorization: Bearer <token>`` and
``X-Auth-Email`` + ``X-Auth-Key`` (spec-acns §4.1). A credential of the world is scoped to its
accounts; the admin token given to ``create_app`` (and any credential marked ``admin``) may act
on every account and on the simulator's own ``/sim`` writes.

The rules, applied the same way on every route:

- no usable credentials, or unknown ones: 401, code 10000;
- an account outside the caller's scope: 403, code 9109, whether or not the account exists;
- a zone id the caller cannot see: 403, whether the zone belongs to another account or does
  not exist at all, so a 403 never tells a stranger that a zone exists. Only an admin, who may
  see everything, gets 404 for a zone id that does not exist;
- a registration (its NS, its glue, its support tickets) held by another account: 403. Every
  credential of an account acts as the registrant of the domains the account holds; a
  credential of scope "registrant" does only that, not the Cloudflare API.

Imports: errors, models, indexes, registry, fastapi.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from acns_dns.world import indexes
from acns_dns.world.errors import Forbidden, NotFound, Unauthenticated
from acns_dns.world.models import Account, Credential, Tenant, World, Zone
from acns_dns.world.registry import Registry

FORBIDDEN = "Unauthorized to access requested resource"

bearer = HTTPBearer(auto_error=False, description="An API token: Authorization: Bearer <token>")
auth_email = APIKeyHeader(name="X-Auth-Email", auto_error=False, description="With X-Auth-Key")
auth_key = APIKeyHeader(name="X-Auth-Key", auto_error=False, description="With X-Auth-Email")


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: an admin, or the accounts one credential may act on, through
    the Cloudflare API (``accounts``) and as registrant of their registrations (``registrant``)."""

    admin: bool
    accounts: frozenset[str]
    registrant: frozenset[str] = frozenset()
    tenants: frozenset[str] = frozenset()

    def may(self, account_id: str) -> bool:
        """True when the caller may act on ``account_id`` through the Cloudflare API."""
        return self.admin or account_id in self.accounts

    def owns_tenant(self, tenant_id: str) -> bool:
        """True when the caller may act on the tenant (its owner, or the admin)."""
        return self.admin or tenant_id in self.tenants

    def holds(self, registrant: str | None) -> bool:
        """True when the caller may change a registration held by ``registrant``."""
        return self.admin or (registrant is not None and registrant in self.registrant)

    def sees(self) -> frozenset[str]:
        """Every account whose data this caller may read (API and registrant scope)."""
        return self.accounts | self.registrant


async def registry_of(request: Request) -> Registry:
    """The registry the app serves (async: FastAPI runs a plain function in a worker thread,
    a thread hop per request for one attribute read)."""
    registry: Registry = request.app.state.registry
    return registry


RegistryDep = Annotated[Registry, Depends(registry_of)]


def _same(given: str, expected: str | None) -> bool:
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


def _matches(credential: Credential, token: str | None, email: str | None, key: str | None) -> bool:
    if token:
        return _same(token, credential.token)
    return (
        bool(email and key and credential.email)
        and _same((email or "").lower(), (credential.email or "").lower())
        and _same(key or "", credential.key)
    )


def identify(
    world: World, admin_token: str | None, token: str | None, email: str | None, key: str | None
) -> Caller | None:
    """The caller these credentials belong to, or None (a bearer token wins over a key)."""
    if token and _same(token, admin_token):
        return Caller(admin=True, accounts=frozenset())
    index = indexes.of(world)
    for credential in (index.credential(token, None) if token else None, index.credential(None, email)):
        if credential is not None and _matches(credential, token, email, key):
            tenants = frozenset(credential.tenants)
            held = frozenset(credential.accounts)
            if tenants:  # a tenant owner acts on every account the tenant owns (spec-acns §1.3)
                held |= {a.id for a in world.accounts.values() if a.tenant_id in tenants}
            api = held if credential.scope == "account" else frozenset()
            return Caller(admin=credential.admin, accounts=api, registrant=held, tenants=tenants)
    return None


NO_CREDENTIALS = "Authentication error: send Authorization: Bearer <token> or X-Auth-Email and X-Auth-Key"
UNKNOWN_CREDENTIALS = "Authentication error: unknown API token or key"


def authenticate(
    world: World, admin_token: str | None, token: str | None, email: str | None, key: str | None
) -> Caller:
    """The caller these credentials belong to; raises Unauthenticated (401) when there are none
    or nobody holds them. The one check both the routes and ``body_guard`` make."""
    if not token and not (email and key):
        raise Unauthenticated(NO_CREDENTIALS)
    found = identify(world, admin_token, token or None, email, key)
    if found is None:
        raise Unauthenticated(UNKNOWN_CREDENTIALS)
    return found


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (as ``HTTPBearer`` reads it)."""
    scheme, _, token = (authorization or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


async def caller(
    request: Request,
    registry: RegistryDep,
    token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    email: Annotated[str | None, Security(auth_email)],
    key: Annotated[str | None, Security(auth_key)],
) -> Caller:
    """The authenticated caller, or 401."""
    return authenticate(registry.world, request.app.state.admin_token,
                        token.credentials if token else None, email, key)


CallerDep = Annotated[Caller, Depends(caller)]


async def admin(who: CallerDep) -> Caller:
    """The caller, when it holds the admin token; else 403."""
    if not who.admin:
        raise Forbidden("This simulator operation needs the admin token")
    return who


AdminDep = Annotated[Caller, Depends(admin)]


def require_account(who: Caller, world: World, account_id: str) -> Account:
    """The account: 403 outside the caller's scope (existing or not), else 404 if absent."""
    if not who.may(account_id):
        raise Forbidden(FORBIDDEN)
    found = world.accounts.get(account_id)
    if found is None:
        raise NotFound(f"account {account_id!r} not found")
    return found


async def account_in_scope(account_id: str, who: CallerDep, registry: RegistryDep) -> Account:
    """The path's account (see ``require_account``)."""
    return require_account(who, registry.world, account_id)


async def zone_in_scope(zone_id: str, who: CallerDep, registry: RegistryDep) -> Zone:
    """The path's zone: 403 when the caller cannot see it (404 only for an admin)."""
    found = registry.world.zones.get(zone_id)
    if found is None:
        if who.admin:
            raise NotFound(f"zone {zone_id!r} not found")
        raise Forbidden(FORBIDDEN)
    if not who.may(found.account_id):
        raise Forbidden(FORBIDDEN)
    return found


async def tenant_in_scope(tenant_tag: str, who: CallerDep, registry: RegistryDep) -> Tenant:
    """The path's tenant: 403 unless the caller owns it (existing or not); 404 for the admin."""
    if not who.owns_tenant(tenant_tag):
        raise Forbidden(FORBIDDEN)
    found = registry.world.tenants.get(tenant_tag)
    if found is None:
        raise NotFound(f"tenant {tenant_tag!r} not found")
    return found


def require_registrant(who: Caller, registrant: str | None, what: str) -> None:
    """403 unless the caller holds the registration (or is the admin): registrar and ticket
    routes act on behalf of the registrant, never of a stranger."""
    if not who.holds(registrant):
        raise Forbidden(f"{what} is held by another registrant: only a credential of the account "
                        "holding it (or the admin token) may change it")


AccountDep = Annotated[Account, Depends(account_in_scope)]
ZoneDep = Annotated[Zone, Depends(zone_in_scope)]
TenantDep = Annotated[Tenant, Depends(tenant_in_scope)]
