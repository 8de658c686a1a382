"""Glue for tests: the addresses a name was assigned, and glue fixed or broken at its registrar.

A test that breaks or repairs a delegation should not need to know who sponsors the domain
or what Cloudflare assigned: ``assigned`` reads a custom nameserver's two addresses (account,
tenant or zone custom nameserver alike), ``set_glue`` changes a host object at whichever
registrar sponsors the domain above it (an external registrar directly; Cloudflare Registrar
through a support ticket that Support then resolves, as the seed describes), and
``fix_glue`` / ``break_glue`` build on it. Every change goes through the registry's
operations, so it is validated, journalled and served at once. Imports: names, errors,
models, addressing, infrastructure, registrar_ops, registry.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from acns_dns.world import addressing, names, registrar_ops
from acns_dns.world.errors import NotFound
from acns_dns.world.infrastructure import taken_addresses
from acns_dns.world.models import HostObject, World
from acns_dns.world.registry import Registry

# stale glue points here: high in the range of other DNS hosts, which scenarios fill from the
# bottom, so no simulated server holds these addresses
STALE_OFFSETS = range(0x7E01, 0x7EFF)


@dataclass(frozen=True)
class Assigned:
    """The IPv4 and IPv6 address Cloudflare assigned to a custom nameserver name."""

    ipv4: str
    ipv6: str


def assigned(world: World, name: str) -> Assigned:
    """The addresses assigned to the custom nameserver ``name`` (ACNS, TCNS or ZCNS).

    Raises:
        KeyError: no custom nameserver has that name (the message lists those that exist).
    """
    wanted = names.normalize(name)
    for ns in world.custom_ns:
        if ns.ns_name == wanted:
            return Assigned(ns.ipv4, ns.ipv6)
    known = ", ".join(ns.ns_name for ns in world.custom_ns) or "none"
    raise KeyError(f"{wanted}: no custom nameserver of that name (have: {known})")


def set_glue(registry: Registry, host: str, ipv4: Iterable[str],
             ipv6: Iterable[str] = ()) -> HostObject | None:
    """Publish ``ipv4``/``ipv6`` as the glue of ``host`` (none: delete it) at the registrar
    sponsoring the domain above it; on Cloudflare Registrar by a ticket Support resolves."""
    name = names.normalize(host)
    domain = registry.read(registrar_ops.superordinate, name)
    v4, v6 = list(ipv4), list(ipv6)
    if registry.world.registrars[domain.registrar].kind != "cloudflare":
        return registry.set_glue(domain.registrar, name, v4, v6)
    if v4 or v6:
        ticket = registry.open_ticket(domain.name, "set_glue", host=name, ipv4=v4, ipv6=v6)
    else:
        ticket = registry.open_ticket(domain.name, "delete_glue", host=name)
    registry.resolve_ticket(ticket.id)
    return registry.read(registrar_ops.glue_of, name)


def needing_glue(world: World) -> list[str]:
    """Custom nameserver names that lie below a registered domain (so only glue reaches them)."""
    found = []
    for ns in world.custom_ns:
        try:
            registrar_ops.superordinate(world, ns.ns_name)
        except NotFound:
            continue
        found.append(ns.ns_name)
    return sorted(set(found))


def fix_glue(registry: Registry, hosts: Iterable[str] = ()) -> list[HostObject]:
    """Publish each host's assigned addresses as its glue (no hosts: every custom nameserver
    name below a registered domain); the host objects as now published."""
    chosen = list(hosts) or needing_glue(registry.world)
    published = []
    for host in chosen:
        addresses = assigned(registry.world, host)
        glue = set_glue(registry, host, [addresses.ipv4], [addresses.ipv6])
        assert glue is not None  # two addresses were given
        published.append(glue)
    return published


def break_glue(registry: Registry, hosts: Iterable[str], *, stale: bool = False,
               taken: Collection[str] = ()) -> None:
    """Delete each host's glue (missing glue) or, with ``stale``, point it at an address in
    the world's prefix that no simulated server holds (stale glue: a lame delegation).

    Args:
        taken: addresses in use besides the world's own servers (aliases, say).
    """
    network = registry.world.network
    in_use = set(taken) | _server_addresses(registry.world)
    spare = (addressing.pair(network, offset) for offset in STALE_OFFSETS)
    for host in hosts:
        if not stale:
            set_glue(registry, host, [], [])
            continue
        ipv4, ipv6 = next((v4, v6) for v4, v6 in spare if v4 not in in_use and v6 not in in_use)
        set_glue(registry, host, [ipv4], [ipv6])


def _server_addresses(world: World) -> set[str]:
    """Every address some part of the world holds or publishes as glue."""
    found = set(taken_addresses(world))
    for tld in world.tlds.values():
        for glue in tld.hosts.values():
            found |= {*glue.ipv4, *glue.ipv6}
    return found
