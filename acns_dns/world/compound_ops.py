"""Operations that are one transaction over several others, as the API makes them: a /sim
account with its token, and a dns_settings PATCH that changes settings and nameservers
together. Each takes the ``World`` like the other operations modules and is run with
``Registry.apply``, so a refusal of any part changes nothing (and the durable state journals
it as one operation). Imports: models, cloudflare_ops, settings_ops.
"""

from __future__ import annotations

from collections.abc import Mapping

from acns_dns.world import cloudflare_ops, settings_ops
from acns_dns.world.models import Account, World, Zone


def create_account(
    world: World, name: str, account_id: str | None, acns_entitled: bool, token: str | None
) -> Account:
    """Create an account; ``token`` (if given and unused) may then act on it."""
    account = cloudflare_ops.add_account(world, name, account_id, acns_entitled)
    if token is not None:
        cloudflare_ops.add_credential(world, account.id, token=token)
    return account


def edit_zone_settings(
    world: World, zone_id: str, changes: Mapping[str, object], ns_type: str | None, ns_set: object
) -> Zone:
    """PATCH /zones/{id}/dns_settings: the settings, then the nameservers (when sent)."""
    zone = settings_ops.set_zone_settings(world, zone_id, changes)
    if ns_type is not None:
        zone = cloudflare_ops.set_zone_nameservers(world, zone_id, ns_type, ns_set)
    return zone


def edit_account_settings(
    world: World, account_id: str, changes: Mapping[str, object], ns_type: str | None
) -> Account:
    """PATCH /accounts/{id}/dns_settings: the zone defaults, then the default nameservers."""
    account = settings_ops.set_zone_defaults(world, account_id, changes)
    if ns_type is not None:
        account = cloudflare_ops.set_default_nameservers(world, account_id, ns_type)
    return account
