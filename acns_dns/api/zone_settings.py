"""Which nameservers a zone uses: the deprecated ``custom_ns`` metadata and ``dns_settings``.

Both pairs of routes read and change the one stored setting of the zone (spec-acns §6.10):
``PUT /zones/{id}/custom_ns {enabled: true, ns_set: N}`` is
``PATCH /zones/{id}/dns_settings {nameservers: {type: "custom.account", ns_set: N}}``, and
``enabled: false`` is ``{type: "cloudflare.standard"}``; ``ns_type: "tenant"`` means
``custom.tenant``. ``ns_ttl``, ``soa``,
``multi_provider`` and ``secondary_overrides`` are stored and served; the other DNS settings
are shown with Cloudflare's defaults and may only be "changed" to the value they have.
Imports: the api helpers, errors, compound_ops, registry.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from acns_dns.api import shapes
from acns_dns.api.auth import RegistryDep, ZoneDep
from acns_dns.api.envelope import Collection, Success, documented, ok, page, reply
from acns_dns.api.schemas import SettingsOut, ZoneCustomNSEnvelope, ZoneCustomNSIn, ZoneDnsSettingsIn
from acns_dns.world import compound_ops, settings_ops
from acns_dns.world.errors import InvalidInput

router = APIRouter(prefix="/zones/{zone_id}", tags=["Zone nameserver settings"])


@router.get(
    "/custom_ns",
    summary="Get account custom nameserver related zone metadata (deprecated)",
    deprecated=True,
    **documented(ZoneCustomNSEnvelope),
)
async def get_custom_ns(zone: ZoneDep) -> JSONResponse:
    """``enabled`` and ``ns_set`` at the top level (SDK 5.9) and in ``result`` (legacy clients)."""
    meta = shapes.zone_custom_ns(zone)
    return reply(ok(meta, enabled=meta["enabled"], ns_set=meta["ns_set"]))


@router.put(
    "/custom_ns",
    summary="Set account custom nameserver related zone metadata (deprecated)",
    deprecated=True,
    **documented(Collection[str]),
)
async def put_custom_ns(zone: ZoneDep, body: ZoneCustomNSIn, registry: RegistryDep) -> JSONResponse:
    """Enable a set on the zone (``ns_set`` omitted: 1; ``ns_type`` omitted: ``account``, or
    ``tenant`` for TCNS, spec-acns §1.5) or go back to the branded pair."""
    if body.ns_type not in (None, "account", "tenant"):
        raise InvalidInput(f"ns_type {body.ns_type!r} must be 'account' or 'tenant'")
    if body.enabled:
        ns_type = "custom.tenant" if body.ns_type == "tenant" else "custom.account"
        registry.set_zone_nameservers(zone.id, ns_type, body.ns_set)
    else:
        registry.use_standard_nameservers(zone.id)
    return reply(page([]))


@router.get("/dns_settings", summary="Show zone DNS settings", **documented(Success[SettingsOut]))
async def get_dns_settings(zone: ZoneDep, registry: RegistryDep) -> JSONResponse:
    """The full settings object; ``nameservers`` is the zone's stored setting."""
    return reply(ok(registry.read(shapes.zone_settings, zone)))


@router.patch("/dns_settings", summary="Update zone DNS settings", **documented(Success[SettingsOut]))
async def patch_dns_settings(zone: ZoneDep, body: ZoneDnsSettingsIn, registry: RegistryDep) -> JSONResponse:
    """Change ``nameservers`` (``custom.account`` without ``ns_set`` means set 1, spec-acns §6.9),
    ``ns_ttl``, ``soa``, ``multi_provider`` and ``secondary_overrides``, all or nothing."""
    settable = ("nameservers", *settings_ops.SETTINGS)
    shapes.refuse_changes(registry.read(shapes.zone_settings, zone), body, "dns_settings", skip=settable)
    ns = body.nameservers
    zone = registry.apply(compound_ops.edit_zone_settings, zone.id, shapes.settings_changes(body),
                          ns.type if ns is not None else None, ns.ns_set if ns is not None else None)
    return reply(ok(registry.read(shapes.zone_settings, zone)))
