"""Indexes over one world, so an operation costs what it touches rather than the world's size.

``of(world)`` is the world's ``WorldIndex``, built from scratch on first use and then kept
current by the world itself: its tracked ``zones`` dict and ``custom_ns`` list report every
change (``undo``), during an operation and while a refused one is rolled back. It holds:
zone id by name (names are unique), zone ids by account, the zones strictly below a name
(for the parent/child rule), custom nameservers by owner, by account, by tenant, by name and
below a name, how many servers hold each custom nameserver address, and credentials by token
and by e-mail (lower case). Closest enclosing
zone of a name = walk up its labels through zone-by-name. ``rebuilt(world)`` is the same
index made from nothing, for tests to compare. Imports: names, models, undo.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from acns_dns.world import names, undo
from acns_dns.world.models import Credential, CustomNameserver, World, Zone

OwnerKey = tuple[str, str]  # (kind, owner id)


def _above(name: str) -> list[str]:
    """The names strictly above ``name`` that could be zone apexes (two labels or more)."""
    found = []
    _, _, rest = name.partition(".")
    while rest.count(".") >= 1:
        found.append(rest)
        _, _, rest = rest.partition(".")
    return found


def owner_key(ns: CustomNameserver) -> OwnerKey:
    """Who owns the name, as the index keys it."""
    if ns.kind == "tenant":
        return ns.kind, ns.tenant_id or ""
    if ns.kind == "zone":
        return ns.kind, ns.zone_id or ""
    return ns.kind, ns.account_id


class WorldIndex:
    """Lookups over one world's zones and custom nameservers."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.zone_ids: dict[str, str] = {}
        self.by_account: dict[str, dict[str, None]] = {}
        self.below: dict[str, dict[str, None]] = {}  # name -> zone names strictly below it
        self._zones_from_scratch()
        self.ns_owned: dict[OwnerKey, list[CustomNameserver]] = {}
        self.ns_by_account: dict[str, list[CustomNameserver]] = {}
        self.ns_by_tenant: dict[str, list[CustomNameserver]] = {}
        self.ns_named: dict[str, list[CustomNameserver]] = {}
        self.ns_below: dict[str, dict[int, CustomNameserver]] = {}  # name -> names at/below it
        self.ns_addresses: Counter[str] = Counter()
        self._ns_from_scratch()
        self.by_token: dict[str, Credential] = {}
        self.by_email: dict[str, Credential] = {}
        self._credentials_from_scratch()

    def __deepcopy__(self, memo: dict[int, Any]) -> None:
        return None  # a copied world builds its own index when first asked

    # --- zones ------------------------------------------------------------------------------

    def _zones_from_scratch(self) -> None:
        self.zone_ids.clear()
        self.by_account.clear()
        self.below.clear()
        for zone in self.world.zones.values():
            self._add_zone(zone)

    def _add_zone(self, zone: Zone) -> None:
        self.zone_ids[zone.name] = zone.id
        self.by_account.setdefault(zone.account_id, {})[zone.id] = None
        for name in _above(zone.name):
            self.below.setdefault(name, {})[zone.name] = None

    def _drop_zone(self, zone: Zone) -> None:
        if self.zone_ids.get(zone.name) == zone.id:
            del self.zone_ids[zone.name]
        self.by_account.get(zone.account_id, {}).pop(zone.id, None)
        for name in _above(zone.name):
            self.below.get(name, {}).pop(zone.name, None)

    def zone_named(self, name: str) -> Zone | None:
        """The Cloudflare zone called ``name``, if any."""
        zone_id = self.zone_ids.get(name)
        return self.world.zones.get(zone_id) if zone_id is not None else None

    def enclosing(self, name: str, accounts: set[str] | None = None, *, strict: bool = False) -> Zone | None:
        """The closest zone at or above ``name`` (strictly above with ``strict``), of one of
        ``accounts`` when given."""
        for candidate in names.parents(name):
            if strict and candidate == name:
                continue
            zone = self.zone_named(candidate)
            if zone is not None and (accounts is None or zone.account_id in accounts):
                return zone
        return None

    def zones_below(self, name: str) -> list[Zone]:
        """The zones strictly below ``name``."""
        zones = self.world.zones
        return [z for z in (self.zone_named(n) for n in self.below.get(name, ())) if z is not None
                and z.id in zones]

    def zones_of(self, account_id: str) -> list[Zone]:
        """The account's zones, in creation order."""
        zones = self.world.zones
        return [zones[zone_id] for zone_id in self.by_account.get(account_id, ()) if zone_id in zones]

    # --- custom nameservers -----------------------------------------------------------------

    def _ns_from_scratch(self) -> None:
        for table in (self.ns_owned, self.ns_by_account, self.ns_by_tenant, self.ns_named, self.ns_below):
            table.clear()
        self.ns_addresses.clear()
        for ns in self.world.custom_ns:
            self._add_ns(ns)

    def _add_ns(self, ns: CustomNameserver) -> None:
        self.ns_owned.setdefault(owner_key(ns), []).append(ns)
        self.ns_by_account.setdefault(ns.account_id, []).append(ns)
        if ns.tenant_id is not None:
            self.ns_by_tenant.setdefault(ns.tenant_id, []).append(ns)
        self.ns_named.setdefault(ns.ns_name, []).append(ns)
        for name in [ns.ns_name, *_above(ns.ns_name)]:
            self.ns_below.setdefault(name, {})[id(ns)] = ns
        self.ns_addresses.update(a for a in (ns.ipv4, ns.ipv6) if a)

    def _drop_ns(self, ns: CustomNameserver) -> None:
        tables: list[tuple[dict[Any, list[CustomNameserver]], Any]] = [
            (self.ns_owned, owner_key(ns)), (self.ns_by_account, ns.account_id),
            (self.ns_by_tenant, ns.tenant_id), (self.ns_named, ns.ns_name)]
        for table, key in tables:
            members = table.get(key)
            if members is not None:
                for i, member in enumerate(members):
                    if member is ns:
                        del members[i]
                        break
        for name in [ns.ns_name, *_above(ns.ns_name)]:
            self.ns_below.get(name, {}).pop(id(ns), None)
        for address in (ns.ipv4, ns.ipv6):
            if address and self.ns_addresses[address] > 1:
                self.ns_addresses[address] -= 1
            elif address:
                self.ns_addresses.pop(address, None)

    # --- credentials ------------------------------------------------------------------------

    def _credentials_from_scratch(self) -> None:
        self.by_token.clear()
        self.by_email.clear()
        for credential in self.world.credentials:
            self._add_credential(credential)

    def _add_credential(self, credential: Credential) -> None:
        if credential.token is not None:
            self.by_token.setdefault(credential.token, credential)
        if credential.email is not None:
            self.by_email.setdefault(credential.email.lower(), credential)

    def credential(self, token: str | None, email: str | None) -> Credential | None:
        """The credential holding ``token``, else the one of ``email`` (any case), if any."""
        if token is not None and token in self.by_token:
            return self.by_token[token]
        return self.by_email.get(email.lower()) if email is not None else None

    def owned(self, kind: str, owner: str) -> list[CustomNameserver]:
        """The names ``owner`` holds, in creation order (do not change the list)."""
        return self.ns_owned.get((kind, owner), [])

    # --- hooks from the world ---------------------------------------------------------------

    def attr_changed(self, name: str) -> None:
        """The world's ``name`` was assigned: rebuild what depends on it."""
        if name == "zones":
            self._zones_from_scratch()
        elif name == "custom_ns":
            self._ns_from_scratch()
        elif name == "credentials":
            self._credentials_from_scratch()

    def container_changed(self, field: str, key: Any, old: Any, new: Any) -> None:
        """The world's ``field`` changed at ``key`` from ``old`` to ``new``."""
        if field == "zones":
            if old is not undo.MISSING:
                self._drop_zone(old)
            if new is not undo.MISSING:
                self._add_zone(new)
            if old is undo.MISSING and new is undo.MISSING:
                self._zones_from_scratch()
        elif field == "custom_ns":
            if old is undo.MISSING and new is undo.MISSING:
                self._ns_from_scratch()
                return
            if old is not undo.MISSING:
                self._drop_ns(old)
            if new is not undo.MISSING:
                self._add_ns(new)
        elif field == "credentials":
            if old is undo.MISSING and new is not undo.MISSING:
                self._add_credential(new)  # appended: it cannot shadow an earlier one
            else:
                self._credentials_from_scratch()

    def snapshot(self) -> dict[str, Any]:
        """Every table as plain values, to compare two indexes."""
        return {
            "zone_ids": dict(self.zone_ids),
            "by_account": {k: sorted(v) for k, v in self.by_account.items() if v},
            "below": {k: sorted(v) for k, v in self.below.items() if v},
            "ns_owned": {k: [id(ns) for ns in v] for k, v in self.ns_owned.items() if v},
            "ns_by_account": {k: [id(ns) for ns in v] for k, v in self.ns_by_account.items() if v},
            "ns_by_tenant": {k: [id(ns) for ns in v] for k, v in self.ns_by_tenant.items() if v},
            "ns_named": {k: [id(ns) for ns in v] for k, v in self.ns_named.items() if v},
            "ns_below": {k: list(v) for k, v in self.ns_below.items() if v},
            "ns_addresses": {k: v for k, v in self.ns_addresses.items() if v},
            "by_token": {k: id(v) for k, v in self.by_token.items()},
            "by_email": {k: id(v) for k, v in self.by_email.items()},
        }


def of(world: World) -> WorldIndex:
    """The world's index (built now if it has none yet)."""
    private = world.__pydantic_private__
    index = private["_index"] if private is not None else None  # not world._index: its __getattr__ is slow
    if not isinstance(index, WorldIndex) or index.world is not world:  # none yet, or a shallow copy's
        index = WorldIndex(world)
        world._index = index
    return index


def rebuilt(world: World) -> WorldIndex:
    """A fresh index of ``world``, not attached to it (to check the attached one)."""
    return WorldIndex(world)
