"""Operations the HTTP API needs beyond the registry's named ones, each one transaction.

Each function takes a draft ``World`` like the operations modules and is run with
``Registry.apply``: ``update_account`` (PUT /accounts/{id}: rename and default nameservers at
once) and ``create_account`` (/sim: an account and, optionally, a token scoped to it).
Imports: errors, models, cloudflare_ops.
"""

from __future__ import annotations

from .. import cloudflare_ops
from ..errors import InvalidInput
from ..models import Account, Credential, World


def update_account(
    world: World, account_id: str, name: str | None, default_nameservers: str | None
) -> Account:
    """Rename the account and/or choose the nameservers its new zones start with."""
    account = cloudflare_ops.find_account(world, account_id)
    if default_nameservers is not None:
        cloudflare_ops.set_default_nameservers(world, account_id, default_nameservers)
    if name is not None:
        if not name.strip():
            raise InvalidInput("name must not be empty")
        account.name = name
    return account


def create_account(
    world: World, name: str, account_id: str | None, acns_entitled: bool, token: str | None
) -> Account:
    """Create an account; ``token`` (if given and unused) may then act on it."""
    if token is not None and any(c.token == token for c in world.credentials):
        raise InvalidInput("token is already used by another credential; choose another")
    account = cloudflare_ops.add_account(world, name, account_id, acns_entitled)
    if token is not None:
        world.credentials.append(Credential(token=token, accounts=[account.id]))
    return account
