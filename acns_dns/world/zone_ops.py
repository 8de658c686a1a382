"""Zone edits beyond nameserver sets: zone custom nameservers (ZCNS) and the setup type.

``PATCH /zones/{id}`` with ``vanity_name_servers`` (spec-acns §1.2, §1.5): each name lies below
the zone itself, 2-5 of them; Cloudflare assigns each an IPv4 and an IPv6 address through the
same allocation as ACNS, keeps read-only A/AAAA records in the zone, and the zone is served by
them (``nameservers.type = "custom.zone"``). An empty list removes the names and their records
and the zone goes back to its branded pair. Partial (CNAME) zones and plans the world excludes
(``World.zcns_plans``) are refused. Imports: names, errors, models, custom_ns_ops, cloudflare_ops.
"""

from __future__ import annotations

from acns_dns.world import cloudflare_ops, custom_ns_ops, names
from acns_dns.world.errors import InvalidInput, InvalidName, NotFullSetup
from acns_dns.world.models import STANDARD_NAMESERVERS, NameserverSetting, World, Zone, shared


def set_vanity_names(world: World, zone_id: str, requested: list[str]) -> Zone:
    """Give the zone exactly these custom nameservers (kept names keep their addresses)."""
    zone = cloudflare_ops.find_zone(world, zone_id)
    current = custom_ns_ops.owned(world, "zone", zone.id)
    if not requested:
        for ns in current:
            custom_ns_ops.release(world, ns)
        if zone.nameservers.type == "custom.zone":
            zone.nameservers = STANDARD_NAMESERVERS
        return zone
    cloudflare_ops.check_custom_allowed(world, zone, "custom.zone")
    wanted = [_below(zone, value, index) for index, value in enumerate(requested)]
    for index, name in enumerate(wanted):
        _not_in_a_child(world, zone, name, f"vanity_name_servers[{index}]")
    if len(set(wanted)) != len(wanted):
        raise InvalidInput("vanity_name_servers lists a name twice")
    if not custom_ns_ops.MIN_SET_SIZE <= len(wanted) <= custom_ns_ops.MAX_SET_SIZE:
        raise InvalidInput(f"vanity_name_servers needs {custom_ns_ops.MIN_SET_SIZE} to "
                           f"{custom_ns_ops.MAX_SET_SIZE} names, got {len(wanted)}")
    for ns in current:
        if ns.ns_name not in wanted:
            custom_ns_ops.release(world, ns)
    kept = {ns.ns_name for ns in current}
    for name in wanted:
        if name not in kept:
            custom_ns_ops.create(world, "zone", zone.id, name, 1, account_id=zone.account_id)
    # keep the order the user gave (the NS RRset and the zone object list them so)
    order = {name: index for index, name in enumerate(wanted)}
    mine = [ns for ns in world.custom_ns if ns.kind == "zone" and ns.zone_id == zone.id]
    others = [ns for ns in world.custom_ns if not (ns.kind == "zone" and ns.zone_id == zone.id)]
    world.custom_ns = others + sorted(mine, key=lambda ns: order[ns.ns_name])
    zone.nameservers = shared(NameserverSetting(type="custom.zone", ns_set=1))
    return zone


def _below(zone: Zone, value: object, index: int) -> str:
    field = f"vanity_name_servers[{index}]"
    if not isinstance(value, str):
        raise InvalidName(f"{field} must be a host name, got {value!r}")
    name = custom_ns_ops.normalized(value)
    if not names.is_subdomain(name, zone.name) or name == zone.name:
        # zone-custom-nameservers.mdx: ns1.domain.test for domain.test, not ns1.domain.org
        raise InvalidName(f"{field} {name} is not a subdomain of the zone {zone.name}: zone custom "
                          "nameservers must lie below the zone itself")
    return name


def _not_in_a_child(world: World, zone: Zone, name: str, field: str) -> None:
    """The zone must hold the name's records itself, so the name may not lie in a child zone."""
    for other in world.zones.values():
        if other.id != zone.id and names.is_subdomain(other.name, zone.name) \
                and names.is_subdomain(name, other.name):
            raise InvalidName(f"{field} {name} lies in the zone {other.name}, not in {zone.name}: "
                              "its A/AAAA records could not be kept in the zone it serves")


def set_zone_type(world: World, zone_id: str, zone_type: str) -> Zone:
    """Switch a zone between a full and a partial (CNAME) setup; a zone that uses custom
    nameservers (or has its own) cannot become partial (spec-acns §1.3)."""
    zone = cloudflare_ops.find_zone(world, zone_id)
    if zone_type not in ("full", "partial"):
        raise InvalidInput(f"type {zone_type!r} must be 'full' or 'partial'")
    if zone_type == "partial" and (zone.nameservers.type != "cloudflare.standard"
                                   or custom_ns_ops.owned(world, "zone", zone.id)):
        raise NotFullSetup(f"zone {zone.name} uses custom nameservers ({zone.nameservers.type}); "
                           "a partial (CNAME) setup cannot: switch to cloudflare.standard first")
    zone.type = zone_type  # type: ignore[assignment]
    return zone
