"""What an edge zone is compiled from besides its own records: apex NS names, managed A/AAAA.

``EdgeLookups`` asks the world's operations (``custom_ns_ops``), one zone at a time.
``IndexedLookups`` gives the same answers from an index of the custom nameservers
(``NsIndex``: set members by owner, names by every name above them) and a way to find a zone
by name, so compiling every zone is linear, not quadratic (``provider_zone`` scans every zone
per name), and recompiling one zone costs what that zone holds. An ``NsIndex`` lasts as long
as the custom nameservers do (any change to them changes the servers, and rebuilds it).
Managed records come back as (owner, type, TTL, content) rows. Imports: names, models,
cloudflare_ops, custom_ns_ops.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from acns_dns.world import cloudflare_ops, custom_ns_ops, names
from acns_dns.world.errors import SetNotFound
from acns_dns.world.models import CustomNameserver, World, Zone

Row = tuple[str, str, int, str]


class EdgeLookups:
    """The apex NS names and managed records of a zone, from the world's operations."""

    def ns_names(self, world: World, zone: Zone) -> list[str]:
        return cloudflare_ops.zone_nameserver_names(world, zone)

    def managed(self, world: World, zone: Zone) -> list[Row]:
        return [(r.name, r.type, r.ttl, r.content) for r in cloudflare_ops.managed_records(world, zone)]


class NsIndex:
    """The custom nameservers of one world: set members by (kind, owner, set), and every
    name by each name above it (the zones that might hold its A/AAAA)."""

    def __init__(self, world: World) -> None:
        self.members: dict[tuple[str, str, int], list[str]] = defaultdict(list)
        self.under: dict[str, list[CustomNameserver]] = defaultdict(list)
        for live in world.custom_ns:
            ns = live.model_copy()  # the world changes in place later: keep what was read now
            self.members[(ns.kind, custom_ns_ops.owner_of(ns), ns.ns_set)].append(ns.ns_name)
            for above in names.parents(ns.ns_name):
                if above:
                    self.under[above].append(ns)


class IndexedLookups(EdgeLookups):
    """The same answers as ``EdgeLookups`` from an ``NsIndex`` and ``zone_named``."""

    def __init__(self, world: World, index: NsIndex | None = None,
                 zone_named: Callable[[str], Zone | None] | None = None) -> None:
        self.index = index if index is not None else NsIndex(world)
        if zone_named is None:
            by_name = {zone.name: zone for zone in world.zones.values()}  # names are unique
            zone_named = by_name.get
        self.zone_named = zone_named
        self._tenants: dict[str, set[str]] = {}

    def ns_names(self, world: World, zone: Zone) -> list[str]:
        """As ``custom_ns_ops.served``."""
        setting = zone.nameservers
        if setting.type in custom_ns_ops.KIND_OF_TYPE:
            try:
                kind, owner = custom_ns_ops.setting_owner(world, zone, setting.type)
            except SetNotFound:  # the account left its tenant: the branded pair serves
                return list(zone.branded_ns)
            members = self.index.members.get((kind, owner, setting.ns_set or 1))
            if members:  # a set emptied by deletions falls back to the branded pair (§6.5)
                return list(members)
        return list(zone.branded_ns)

    def managed(self, world: World, zone: Zone) -> list[Row]:
        """As ``cloudflare_ops.managed_records``."""
        rows: list[Row] = []
        for ns in self.index.under.get(zone.name, ()):
            provider = self._provider(world, ns)
            if provider is not None and provider.id == zone.id:
                rows += [(ns.ns_name, "A", zone.ns_ttl, ns.ipv4), (ns.ns_name, "AAAA", zone.ns_ttl, ns.ipv6)]
        return rows

    def _provider(self, world: World, ns: CustomNameserver) -> Zone | None:
        """As ``custom_ns_ops.provider_zone``: the closest zone above the name that may use it."""
        if ns.kind == "zone":
            return world.zones.get(ns.zone_id or "")
        if ns.kind == "tenant":
            tenant = ns.tenant_id or ""
            if tenant not in self._tenants:
                self._tenants[tenant] = custom_ns_ops.tenant_accounts(world, tenant)
            accounts = self._tenants[tenant]
        else:
            accounts = {ns.account_id}
        for candidate in names.parents(ns.ns_name):
            zone = self.zone_named(candidate)
            if zone is not None and zone.account_id in accounts:
                return zone
        return None
