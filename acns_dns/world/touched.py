"""From an operation's undo log to the ``Change`` it made: what DNS must recompile.

Each entry of the log names a model attribute, a dict key or a list that the operation
changed, with its old value; the object's class (and the model holding a container) says
which part of the world that is. Changes to custom nameservers and to zones that came or went
reach further than the object itself: the zones whose NS RRset follows the name's set, and the
zones holding its A/AAAA records (before and after). Parts no DNS answer depends on (accounts'
defaults, tokens, tickets, released addresses) add nothing; a part this module cannot place
makes the change ``everything``. The meaning of each field is in ``changes``.
Imports: names, models, undo, indexes, changes, custom_ns_ops.
"""

from __future__ import annotations

from typing import Any

from acns_dns.world import custom_ns_ops, indexes, undo
from acns_dns.world.changes import Change
from acns_dns.world.models import (
    Account,
    AddressPool,
    Credential,
    CustomNameserver,
    DnsHost,
    Domain,
    Faults,
    HostObject,
    Registrar,
    Tenant,
    Ticket,
    Tld,
    World,
    Zone,
    ZoneDefaults,
)

QUIET_WORLD = {"accounts", "tenants", "registrars", "credentials", "tickets", "released",
               "zcns_plans", "description"}  # no answer depends on these
QUIET_MODELS = (Credential, Ticket, Registrar, Tenant, ZoneDefaults, AddressPool)
TENANCY = {"tenant_id", "acns_entitled"}  # account attributes that change whose names it uses
SERVER_ATTRS = {"ipv4", "ipv6", "server_name", "extra_servers"}


class _Collector:
    def __init__(self, world: World) -> None:
        self.world = world
        self.index = indexes.of(world)
        self.zones: set[str] = set()
        self.tlds: set[str] = set()
        self.entries: set[str] = set()
        self.hosts: set[str] = set()
        self.servers = False
        self.everything = False
        self.faults = False
        self.names: dict[int, CustomNameserver] = {}  # custom nameservers that came, went or moved
        self.moved: set[str] = set()  # zones that came or went
        self.accounts: dict[str, set[str | None]] = {}  # account -> tenants it was or is in

    def change(self) -> Change:
        if self.everything:
            return Change.EVERYTHING
        for ns in self.names.values():
            self.servers = True
            self._name_reach(ns)
        for name in self.moved:
            for ns in list(self.index.ns_below.get(name, {}).values()):
                self._name_reach(ns, strictly_above=name)
        for account_id, tenants in self.accounts.items():
            self.zones.update(zone.name for zone in self.index.zones_of(account_id))
            for tenant in tenants:
                for ns in self.index.ns_by_tenant.get(tenant or "", ()):
                    self._name_reach(ns)
                    above = self.index.enclosing(ns.ns_name, {account_id})
                    if above is not None:
                        self.zones.add(above.name)
        return Change(zones=frozenset(self.zones), tlds=frozenset(self.tlds), hosts=frozenset(self.hosts),
                      servers=self.servers, tld_entries=frozenset(self.entries), faults=self.faults)

    def _name_reach(self, ns: CustomNameserver, strictly_above: str | None = None) -> None:
        """The zones serving ``ns`` in their NS RRset and the one holding its A/AAAA."""
        provider = custom_ns_ops.provider_zone(self.world, ns)
        if provider is not None:
            self.zones.add(provider.name)
        if strictly_above is not None:
            before = self.index.enclosing(strictly_above, custom_ns_ops._accounts_of(self.world, ns),
                                          strict=True)
            if before is not None:
                self.zones.add(before.name)
            return
        if ns.kind == "zone":
            zone = self.world.zones.get(ns.zone_id or "")
            if zone is not None:
                self.zones.add(zone.name)
            return
        ns_type = "custom.tenant" if ns.kind == "tenant" else "custom.account"
        accounts = custom_ns_ops._accounts_of(self.world, ns)
        for account_id in accounts:
            for zone in self.index.zones_of(account_id):
                setting = zone.nameservers
                if setting.type == ns_type and setting.ns_set == ns.ns_set:
                    self.zones.add(zone.name)

    # --- one log entry ------------------------------------------------------------------------

    def entry(self, kind: str, obj: Any, key: Any, old: Any) -> None:
        if kind == "attr":
            self.model(obj, key, old)
        else:
            self.container(kind, obj, key, old)

    def container(self, kind: str, container: Any, key: Any, old: Any) -> None:
        owner, field = container.owner, container.field
        if isinstance(owner, World):
            self.world_container(field, container, key, old)
        elif isinstance(owner, Tld):
            if field in ("domains", "hosts") and kind == "dict":
                self.entries.add(key)
            else:
                self.tlds.add(owner.name)
                self.servers = self.servers or field == "extra_servers"
        elif owner is None:
            self.everything = True
        else:
            self.model(owner, field, undo.MISSING)

    def world_container(self, field: str, container: Any, key: Any, old: Any) -> None:
        if field in QUIET_WORLD:
            return
        if field == "zones":
            new = container.get(key, undo.MISSING)
            for zone in (old, new):
                if zone is not undo.MISSING:
                    self.zones.add(zone.name)
            if (old is undo.MISSING) != (new is undo.MISSING) or (
                    old is not undo.MISSING and new is not undo.MISSING and old.name != new.name):
                self.moved.update(zone.name for zone in (old, new) if zone is not undo.MISSING)
        elif field == "custom_ns":
            self.custom_ns(old, list(container))
        elif field == "tlds":
            self.tlds.add(key)
            self.servers = True
        elif field == "hosts":
            self.hosts.add(key)
            self.servers = True
        else:
            self.everything = True

    def custom_ns(self, before: list[CustomNameserver], after: list[CustomNameserver]) -> None:
        """Names that came or went, and those whose place among the others changed."""
        was = {id(ns): i for i, ns in enumerate(before)}
        now = {id(ns): i for i, ns in enumerate(after)}
        for ns in before:
            if id(ns) not in now:
                self.names[id(ns)] = ns
        for ns in after:
            if id(ns) not in was:
                self.names[id(ns)] = ns
        kept_before = [id(ns) for ns in before if id(ns) in now]
        kept_after = [id(ns) for ns in after if id(ns) in was]
        if kept_before != kept_after:  # reordered: the NS RRsets listing them change order
            for ns in after:
                self.names[id(ns)] = ns

    def model(self, model: Any, name: str, old: Any) -> None:
        if isinstance(model, Zone):
            if name == "name" and isinstance(old, str):
                self.zones.add(old)
            self.zones.add(model.name)
        elif isinstance(model, World):
            if name in QUIET_WORLD:
                return
            if name == "custom_ns" and isinstance(old, list):
                self.custom_ns(old, list(model.custom_ns))
            elif name == "faults":
                self.faults = True
            else:
                self.everything = True
        elif isinstance(model, Account):
            if name in TENANCY:
                tenants = self.accounts.setdefault(model.id, set())
                tenants.add(model.tenant_id)
                if name == "tenant_id" and old is not undo.MISSING:
                    tenants.add(old)
        elif isinstance(model, (Domain, HostObject)):
            self.entries.add(model.name)
        elif isinstance(model, Tld):
            self.tlds.add(model.name)
            self.servers = self.servers or name in SERVER_ATTRS
        elif isinstance(model, DnsHost):
            self.hosts.add(model.id)
            self.servers = True
        elif isinstance(model, CustomNameserver):
            if any(ns is model for ns in self.index.ns_named.get(model.ns_name, ())):
                self.names[id(model)] = model
        elif isinstance(model, Faults):  # fault injection: no served data changes
            self.faults = True
        elif isinstance(model, QUIET_MODELS):
            return
        else:  # e.g. a zone's SOA values changed in place: which zone holds them is not known
            self.everything = True


def change_of(world: World, log: undo.UndoLog) -> Change:
    """What the operation recorded in ``log`` changed in ``world`` (now applied)."""
    collector = _Collector(world)
    for kind, obj, key, old in log.entries:
        collector.entry(kind, obj, key, old)
        if collector.everything:
            return Change.EVERYTHING
    return collector.change()
