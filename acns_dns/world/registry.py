"""The one mutable world and the single door every change goes through.

``Registry`` holds the ``World`` behind one lock. An operation changes the world in place
while an undo log records the first change of each attribute, dict key and list (``undo``);
if it raises, or the commit hook does, the log is rolled back and the world is exactly as
before: a refused operation changes nothing, and nothing is copied whatever the world's size.
The world's indexes (``indexes``) follow every change, rollbacks included. After each change
the registry bumps ``version`` and tells its listeners what changed (``Change``, derived from
the log by ``touched``; the DNS server recompiles only that). A commit hook (the durable state
journal) runs after an operation succeeds and before it is published: if the hook raises, the
change is dropped; a replace hook runs before a whole new world is swapped in, and may refuse
it the same way. The world is live: read it under the lock (``read``, or ``with
registry.lock``), not from another thread while an operation runs. Method names follow what
a user does (seed steps) and match the API verbs. Imports: changes, models, undo, indexes,
touched and the operations modules.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from acns_dns.world import cloudflare_ops, indexes, infrastructure, record_ops, registrar_ops, touched, undo
from acns_dns.world.changes import Change
from acns_dns.world.models import (
    Account,
    CustomNameserver,
    DnsRecord,
    Domain,
    HostObject,
    Ticket,
    World,
    Zone,
)

T = TypeVar("T")
Listener = Callable[[World, Change], None]
CommitHook = Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], None]


class Registry:
    """The simulated world and its operations; safe to share between the API and DNS."""

    def __init__(self, world: World | None = None) -> None:
        self._world = world if world is not None else infrastructure.new_world()
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._commit_hook: CommitHook | None = None
        self._replace_hook: Callable[[World], None] | None = None
        self.version = 0

    # --- plumbing -------------------------------------------------------------------------

    @property
    def world(self) -> World:
        """The current world. Treat it as read-only: change it only through operations."""
        return self._world

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(world, change)`` after every change (and once now, with everything)."""
        with self._lock:
            self._listeners.append(listener)
            listener(self._world, Change.EVERYTHING)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def set_replace_hook(self, hook: Callable[[World], None] | None) -> None:
        """Call ``hook(world)`` before a whole new world is swapped in (``replace``); an
        exception from the hook refuses it (the old world stays)."""
        with self._lock:
            self._replace_hook = hook

    def set_commit_hook(self, hook: CommitHook | None) -> None:
        """Call ``hook(operation, args, kwargs)`` for each operation that succeeded, before it
        is published; an exception from the hook refuses the change (it is dropped)."""
        with self._lock:
            self._commit_hook = hook

    @property
    def lock(self) -> threading.RLock:
        """The lock every operation holds: hold it to read the world from another thread."""
        return self._lock

    def apply(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``operation(world, *args)`` in place; if it (or the commit hook) raises, undo it."""
        with self._lock:
            world = self._world
            indexes.of(world)  # built before the operation, so it follows every change
            log = undo.begin()
            try:
                result = operation(world, *args, **kwargs)
                change = touched.change_of(world, log)
                if self._commit_hook is not None:
                    self._commit_hook(operation, args, kwargs)
            except BaseException:
                undo.end()
                log.rollback()
                raise
            undo.end()
            self._publish(world, change)
            return result

    def replace(self, world: World) -> None:
        """Swap in a whole new world (scenario load, snapshot restore)."""
        with self._lock:
            if self._replace_hook is not None:
                self._replace_hook(world)
            self._publish(world, Change.EVERYTHING)

    def _publish(self, world: World, change: Change) -> None:
        self._world = world
        self.version += 1
        for listener in list(self._listeners):
            listener(world, change)

    def read(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a read-only ``operation(world, *args)`` under the lock."""
        with self._lock:
            return operation(self._world, *args, **kwargs)

    # --- Cloudflare: account custom nameservers (seed step 1; spec-acns §2 #1-3) -------------

    def add_nameserver(self, account_id: str, ns_name: str, ns_set: object = 1) -> CustomNameserver:
        """Create an ACNS name; it gets one IPv4 and one IPv6 address at once."""
        return self.apply(cloudflare_ops.add_nameserver, account_id, ns_name, ns_set)

    def delete_nameserver(self, account_id: str, ns_name: str) -> CustomNameserver:
        """Delete an ACNS name and release its addresses."""
        return self.apply(cloudflare_ops.delete_nameserver, account_id, ns_name)

    def list_nameservers(self, account_id: str) -> list[CustomNameserver]:
        """The account's ACNS names."""
        return self.read(cloudflare_ops.list_nameservers, account_id)

    # --- Cloudflare: zones and accounts (seed step 3, removal, defaults) --------------------

    def use_custom_nameservers(self, zone_id: str, ns_set: object = 1) -> Zone:
        """Enable an ACNS set on a zone (``custom.account``)."""
        return self.apply(cloudflare_ops.set_zone_nameservers, zone_id, "custom.account", ns_set)

    def use_standard_nameservers(self, zone_id: str) -> Zone:
        """Switch a zone back to its Cloudflare-branded pair."""
        return self.apply(cloudflare_ops.set_zone_nameservers, zone_id, "cloudflare.standard")

    def set_zone_nameservers(self, zone_id: str, ns_type: str, ns_set: object = None) -> Zone:
        """Set a zone's ``nameservers`` setting by type (dns_settings PATCH)."""
        return self.apply(cloudflare_ops.set_zone_nameservers, zone_id, ns_type, ns_set)

    def set_default_nameservers(self, account_id: str, ns_type: str) -> Account:
        """Choose the nameservers new zones of the account start with."""
        return self.apply(cloudflare_ops.set_default_nameservers, account_id, ns_type)

    def add_account(self, name: str, account_id: str | None = None, acns_entitled: bool = True) -> Account:
        """Create an account (simulator only)."""
        return self.apply(cloudflare_ops.add_account, name, account_id, acns_entitled)

    def create_zone(self, account_id: str, name: str) -> Zone:
        """Add a zone to an account."""
        return self.apply(cloudflare_ops.create_zone, account_id, name)

    def delete_zone(self, zone_id: str) -> Zone:
        """Remove a zone."""
        return self.apply(cloudflare_ops.delete_zone, zone_id)

    def add_record(self, zone_id: str, name: str, rtype: str, content: str, ttl: int = 300) -> DnsRecord:
        """Add a DNS record to a zone."""
        return self.apply(cloudflare_ops.add_record, zone_id, name, rtype, content, ttl)

    def update_record(self, zone_id: str, record_id: str, name: str | None = None, rtype: str | None = None,
                      content: str | None = None, ttl: int | None = None) -> DnsRecord:
        """Change a DNS record in place (None keeps a part as it is)."""
        return self.apply(record_ops.update_record, zone_id, record_id, name, rtype, content, ttl)

    def delete_record(self, zone_id: str, record_id: str) -> DnsRecord:
        """Remove a DNS record from a zone."""
        return self.apply(record_ops.delete_record, zone_id, record_id)

    # --- registrars (seed step 2, and the registrar half of removal) ------------------------

    def set_registrar_nameservers(self, registrar_id: str, domain: str, nameservers: list[str]) -> Domain:
        """At an external registrar: change the domain's delegation."""
        return self.apply(registrar_ops.set_nameservers, registrar_id, domain, nameservers)

    def set_glue(self, registrar_id: str, host: str, ipv4: list[str], ipv6: list[str]) -> HostObject | None:
        """At an external registrar: create or replace glue (no addresses deletes it)."""
        return self.apply(registrar_ops.set_glue, registrar_id, host, ipv4, ipv6)

    def open_ticket(self, domain: str, action: str, **details: Any) -> Ticket:
        """At Cloudflare Registrar: ask Support for an NS or glue change."""
        return self.apply(registrar_ops.open_ticket, domain, action, **details)

    def resolve_ticket(self, ticket_id: str) -> Ticket:
        """Support carries the ticket out: the registry changes now."""
        return self.apply(registrar_ops.resolve_ticket, ticket_id)
