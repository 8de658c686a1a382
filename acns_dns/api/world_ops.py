"""The /sim account operation, one transaction: an account and, optionally, a token scoped
to it. Takes a draft ``World`` like the operations modules and is run with ``Registry.apply``.
Imports: models, cloudflare_ops.
"""

from __future__ import annotations

from acns_dns.world import cloudflare_ops
from acns_dns.world.models import Account, World


def create_account(
    world: World, name: str, account_id: str | None, acns_entitled: bool, token: str | None
) -> Account:
    """Create an account; ``token`` (if given and unused) may then act on it."""
    account = cloudflare_ops.add_account(world, name, account_id, acns_entitled)
    if token is not None:
        cloudflare_ops.add_credential(world, account.id, token=token)
    return account
