"""World objects in Cloudflare's shapes, and the read-only questions the API asks the world.

Owns the explicit converters from the domain models to the ``result`` objects the routes
return (spec-acns §3), the computed ACNS ``status`` and ``zone_tag`` (§6.7), the DNS settings
Cloudflare shows for a zone or an account (§3.10, §3.11, §6.9) and the legacy availability
list (§6.17). Each function reads a ``World`` and never changes it.
Imports: errors, models, cloudflare_ops, registrar_ops, view.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from acns_dns.world import cloudflare_ops, custom_ns_ops, registrar_ops, settings_ops
from acns_dns.world.errors import Unsupported
from acns_dns.world.models import Account, CustomNameserver, DnsRecord, World, Zone, ZoneDefaults

CREATED_ON = "2026-01-01T00:00:00Z"


# --- account custom nameservers -----------------------------------------------------------


def glue_status(world: World, ns: CustomNameserver) -> str:
    """``verified`` when the registry's glue is exactly the assigned pair, else ``pending``."""
    glue = registrar_ops.glue_of(world, ns.ns_name)
    if glue is not None and set(glue.ipv4) == {ns.ipv4} and set(glue.ipv6) == {ns.ipv6}:
        return "verified"
    return "pending"


def custom_ns(world: World, ns: CustomNameserver) -> dict[str, Any]:
    """One ACNS or TCNS name as ``CustomNS`` (spec-acns §3.2)."""
    provider = custom_ns_ops.provider_zone(world, ns)
    return {
        "dns_records": [{"type": "A", "value": ns.ipv4}, {"type": "AAAA", "value": ns.ipv6}],
        "ns_name": ns.ns_name,
        "ns_set": ns.ns_set,
        "status": glue_status(world, ns),
        "zone_tag": provider.id if provider is not None else "",
    }


def custom_ns_list(world: World, account_id: str) -> list[dict[str, Any]]:
    """The account's ACNS names as ``CustomNS`` objects (1002 when not entitled)."""
    return [custom_ns(world, ns) for ns in cloudflare_ops.list_nameservers(world, account_id)]


def availability(world: World, account_id: str) -> list[str]:
    """Zone names under which ACNS could be created: the account's zones (spec-acns §6.17)."""
    cloudflare_ops.list_nameservers(world, account_id)  # the entitlement check (1002)
    return sorted(zone.name for zone in world.zones.values() if zone.account_id == account_id)


# --- zones --------------------------------------------------------------------------------


def zone_custom_ns(zone: Zone) -> dict[str, Any]:
    """The deprecated zone metadata: enabled, ns_set and ns type (spec-acns §6.8, §6.10)."""
    setting = zone.nameservers
    return {"enabled": setting.type in ("custom.account", "custom.tenant"), "ns_set": setting.ns_set or 1,
            "type": "tenant" if setting.type == "custom.tenant" else "account"}


def nameservers(zone: Zone) -> dict[str, Any]:
    """The zone's ``nameservers`` setting; ``ns_set`` only for ``custom.*`` (spec-acns §6.9)."""
    setting = zone.nameservers
    if setting.type.startswith("custom."):
        return {"type": setting.type, "ns_set": setting.ns_set or 1}
    return {"type": setting.type}


def _settings(ns: dict[str, Any], values: Zone | ZoneDefaults, mname: str | None) -> dict[str, Any]:
    soa = values.soa
    return {
        "flatten_all_cnames": False,
        "foundation_dns": False,
        "internal_dns": {"reference_zone_id": None},
        "multi_provider": values.multi_provider,
        "nameservers": ns,
        "ns_ttl": values.ns_ttl,
        "secondary_overrides": values.secondary_overrides,
        "soa": {
            "expire": soa.expire,
            "min_ttl": soa.min_ttl,
            "mname": mname,
            "refresh": soa.refresh,
            "retry": soa.retry,
            "rname": soa.rname,
            "ttl": soa.ttl,
        },
        "zone_mode": "standard",
    }


def zone_settings(world: World, zone: Zone) -> dict[str, Any]:
    """GET /zones/{id}/dns_settings: the full settings object (spec-acns §3.10)."""
    # The SOA MNAME is the one set, else the first served name, sorted, as the DNS server uses
    # (spec-acns §6.14).
    return _settings(nameservers(zone), zone, settings_ops.soa_mname(world, zone))


def account_settings(account: Account) -> dict[str, Any]:
    """GET /accounts/{id}/dns_settings: ``zone_defaults`` (spec-acns §3.11; no ``ns_set``)."""
    defaults = account.zone_defaults
    shown = _settings({"type": account.default_nameservers}, defaults, defaults.soa.mname)
    return {"zone_defaults": shown, "enforce_dns_only": False}


# Fixed parts of the zone object: ACNS needs a Business or Enterprise plan (spec-acns §1.3).
ZONE_PLAN: dict[str, Any] = {
    "id": "enterprise", "name": "Enterprise Website", "legacy_id": "enterprise", "price": 0,  # per zone.plan
    "currency": "USD", "frequency": "", "is_subscribed": True, "can_subscribe": False,
    "externally_managed": False, "legacy_discount": False,
}  # fmt: skip
ZONE_META: dict[str, Any] = {
    "step": 4, "custom_certificate_quota": 0, "page_rule_quota": 100, "phishing_detected": False,
    "cdn_only": False, "dns_only": False, "foundation_dns": False,
}  # fmt: skip
ZONE_PERMISSIONS = ["#zone:read", "#zone:edit", "#dns_records:read", "#dns_records:edit"]


def vanity_names(world: World, zone: Zone) -> list[str]:
    """The custom names the zone is served by (its ACNS or TCNS set, or its own ZCNS), or []
    on the branded pair (spec-acns §6.11)."""
    if not zone.nameservers.type.startswith("custom."):
        return []
    served = cloudflare_ops.zone_nameserver_names(world, zone)
    return [] if served == zone.branded_ns else served


def vanity_ips(world: World, zone: Zone) -> dict[str, dict[str, str]] | None:
    """``vanity_name_servers_ips``: each zone custom nameserver's addresses, or None without
    ZCNS (spec-acns §1.5, §6.11; secondary zones read the addresses here)."""
    own = custom_ns_ops.owned(world, "zone", zone.id)
    return {ns.ns_name: {"ipv4": ns.ipv4, "ipv6": ns.ipv6} for ns in own} or None


def zone(world: World, zone: Zone) -> dict[str, Any]:
    """A zone object (SDK ``Zone``); ``name_servers`` keeps the branded pair (spec-acns §6.11)."""
    account = world.accounts.get(zone.account_id)
    owner = {"id": zone.account_id, "name": account.name if account is not None else ""}
    return {
        "id": zone.id, "name": zone.name, "status": zone.status, "type": zone.type,
        "account": owner, "owner": {**owner, "type": "organization"},
        "plan": {**ZONE_PLAN, "id": zone.plan, "legacy_id": zone.plan,
                 "name": f"{zone.plan.title()} Website"},
        "meta": dict(ZONE_META),
        "name_servers": list(zone.branded_ns),
        "original_name_servers": None, "original_registrar": None, "original_dnshost": None,
        "vanity_name_servers": vanity_names(world, zone),
        "vanity_name_servers_ips": vanity_ips(world, zone),
        "development_mode": 0, "paused": False, "permissions": list(ZONE_PERMISSIONS),
        "created_on": zone.created_on, "modified_on": zone.created_on,
        "activated_on": zone.created_on if zone.status == "active" else None,
    }  # fmt: skip


def record(zone: Zone, row: DnsRecord) -> dict[str, Any]:
    """A DNS record (SDK ``RecordResponse``); ACNS-managed A/AAAA are read-only."""
    meta: dict[str, Any] = {"auto_added": row.managed, "read_only": row.managed}
    if row.managed:
        meta["source"] = "account_custom_nameservers"
    return {
        "id": row.id,
        "zone_id": zone.id,
        "zone_name": zone.name,
        "name": row.name,
        "type": row.type,
        "content": row.content,
        "ttl": row.ttl,
        "proxied": False,
        "proxiable": False,
        "comment": None,
        "tags": [],
        "settings": {},
        "meta": meta,
        "created_on": zone.created_on,
        "modified_on": zone.created_on,
    }


# --- accounts -----------------------------------------------------------------------------


def account(account: Account) -> dict[str, Any]:
    """An account object (SDK ``Account``) with the legacy settings (spec-acns §3.9)."""
    return {
        "id": account.id,
        "name": account.name,
        "type": account.type or ("enterprise" if account.acns_entitled else "standard"),
        "created_on": CREATED_ON,
        "settings": {
            "default_nameservers": account.default_nameservers,
            "use_account_custom_ns_by_default": account.default_nameservers == "custom.account",
            "enforce_twofactor": False,
            "abuse_contact_email": None,
        },
    }


def settings_changes(body: BaseModel) -> dict[str, Any]:
    """The settings a PATCH may change (spec-acns §3.10), as sent: SOA parts only when given."""
    changes: dict[str, Any] = {}
    for field in settings_ops.SETTINGS:
        if field not in body.model_fields_set or getattr(body, field) is None:
            continue
        value = getattr(body, field)
        changes[field] = value.model_dump(exclude_unset=True) if isinstance(value, BaseModel) else value
    return changes


# --- settings the simulator does not model ------------------------------------------------


def refuse_changes(
    current: dict[str, Any], body: BaseModel, where: str, skip: tuple[str, ...] = ("nameservers",)
) -> None:
    """Raise Unsupported when ``body`` sets a field to anything but its current value."""
    for field in sorted(body.model_fields_set - set(skip)):
        value = getattr(body, field)
        if value is None:
            continue
        if isinstance(value, BaseModel):
            refuse_changes(current.get(field) or {}, value, f"{where}.{field}", skip=())
        elif value != current.get(field):
            raise Unsupported(
                f"{where}.{field} cannot be changed in this simulator (it stays "
                f"{current.get(field)!r}); only the nameservers setting is simulated"
            )
