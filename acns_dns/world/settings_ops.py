"""The DNS settings users change on a zone or as an account's zone defaults: the NS TTL, the
SOA values, ``multi_provider`` and ``secondary_overrides`` (spec-acns §3.10, §3.11).

Each value is checked against Cloudflare's range before anything changes, and a refusal names
the field, the range and the value sent. The edge publishes a zone's values in its apex NS
and SOA at once; an account's defaults are copied into each zone created afterwards (spec-acns
§1.4: defaults apply only when a zone is created). Imports: names, errors, models, cloudflare_ops.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from acns_dns.world import cloudflare_ops, names
from acns_dns.world.errors import InvalidInput
from acns_dns.world.models import Account, SoaSettings, World, Zone, ZoneDefaults, shared

NS_TTL_RANGE = (30, 86400)  # spec-acns §1.4, §3.10
SOA_RANGES = {  # spec-acns §3.10
    "expire": (86400, 2419200),
    "min_ttl": (60, 86400),
    "refresh": (600, 86400),
    "retry": (600, 86400),
    "ttl": (300, 86400),
}
SETTINGS = ("ns_ttl", "soa", "multi_provider", "secondary_overrides")


def whole_number(value: object, field: str, low: int, high: int) -> int:
    """``value`` as an int in ``low..high`` (the SDK may send 300.0), else InvalidInput."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value != int(value):
        raise InvalidInput(f"{field} must be a whole number from {low} to {high}, got {value!r}")
    if not low <= int(value) <= high:
        raise InvalidInput(f"{field} must be between {low} and {high}, got {int(value)}")
    return int(value)


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false, got {value!r}")
    return value


def _host(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a domain name, got {value!r}")
    try:
        return names.normalize(value, hostname=False, min_labels=2)
    except names.NameError_ as exc:
        raise InvalidInput(f"{field}: {exc}") from exc


def _soa(current: SoaSettings, changes: object, where: str) -> SoaSettings:
    if not isinstance(changes, Mapping):
        raise InvalidInput(f"{where} must be an object of SOA values")
    values = current.model_dump()
    for key, value in changes.items():
        field = f"{where}.{key}"
        if key in SOA_RANGES:
            values[key] = whole_number(value, field, *SOA_RANGES[key])
        elif key == "mname":  # null: automatic, the zone's first name server (spec-acns §6.14)
            values[key] = None if value is None else _host(value, field)
        elif key == "rname":
            values[key] = _host(value, field)
        else:
            raise InvalidInput(f"{field} is not an SOA setting (expire, min_ttl, mname, refresh, "
                               "retry, rname, ttl)")
    return shared(SoaSettings(**values))


def _apply(target: Zone | ZoneDefaults, changes: Mapping[str, object], where: str) -> None:
    for key, value in changes.items():
        field = f"{where}.{key}"
        if key == "ns_ttl":
            target.ns_ttl = whole_number(value, field, *NS_TTL_RANGE)
        elif key == "soa":
            target.soa = _soa(target.soa, value, field)
        elif key in ("multi_provider", "secondary_overrides"):
            setattr(target, key, _flag(value, field))
        else:
            raise InvalidInput(f"{field} is not a setting that can be changed here "
                               f"({', '.join(SETTINGS)})")


def set_zone_settings(world: World, zone_id: str, changes: Mapping[str, object]) -> Zone:
    """Change a zone's NS TTL, SOA values, multi_provider or secondary_overrides."""
    zone = cloudflare_ops.find_zone(world, zone_id)
    _apply(zone, changes, "dns_settings")
    return zone


def set_zone_defaults(world: World, account_id: str, changes: Mapping[str, object]) -> Account:
    """Change the settings an account's new zones start with."""
    account = cloudflare_ops.find_account(world, account_id)
    _apply(account.zone_defaults, changes, "zone_defaults")
    return account


def soa_mname(world: World, zone: Zone) -> str:
    """The SOA MNAME the zone publishes: the one set, or its first served name, sorted."""
    if zone.soa.mname is not None:
        return zone.soa.mname
    return sorted(cloudflare_ops.zone_nameserver_names(world, zone))[0]
