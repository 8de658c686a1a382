"""Fault injection: how simulated servers misbehave, and what an address nobody holds does.

Faults are world state (``World.faults``), changed only through these operations, so they are
validated, undone when refused, saved in snapshots and seen by DNS as a ``Change`` whose
``faults`` flag is set. A fault targets one simulated server, named (``ns1.example.com``,
``a.root-servers.net``, ``ns1.nic.com``) or by one of its addresses, and covers every address
of that server (IPv4 and IPv6); it is kept under the server's name. What leaves the wire:

- ``drop``: nothing, over UDP or TCP (a lost packet, a server that is down);
- ``delay``: the usual reply, ``ms`` milliseconds late (1 to 30000);
- ``servfail``, ``refused``: that rcode instead of the answer (RFC 1035 §4.1.1);
- ``lame``: the answer without AA and without the SOA (a server that does not know it should
  be authoritative for the zone: RFC 1034 §4.3.1, the "lame" of RFC 8499 §7);
- ``tc``: over UDP an empty reply with TC=1, so the client must retry over TCP (RFC 2181 §9,
  RFC 7766 §5); TCP answers as usual;
- ``strip-glue``: referrals leave without their additional section (the glue);
- ``other-source``: the UDP reply leaves from another simulated address, which a resolver must
  ignore (RFC 5452 §9.1); TCP answers as usual (a connection has one address).

``unheld`` says what an address nobody holds does when glue or a record points at it:
``refused`` (no socket: ICMP port unreachable, TCP reset — a lab's quick failure) or
``timeout`` (silence, as on the Internet: the DNS layer binds silent sockets on exactly the
addresses ``unheld_addresses`` finds). Imports: names, errors, models, infrastructure, indexes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any, cast, get_args

from acns_dns.world import indexes, names
from acns_dns.world.errors import InvalidInput, NotFound
from acns_dns.world.infrastructure import servers, taken_addresses
from acns_dns.world.models import FaultKind, Faults, Record, World

KINDS: tuple[str, ...] = get_args(FaultKind)
UNHELD_MODES = ("refused", "timeout")
MAX_DELAY_MS = 30_000  # a resolver gives up long before (BIND's whole query: 10 s)
MAX_TARGETS = 1000  # faulted servers at once: each takes the slow path and a line in the listing


def addresses_of(world: World, name: str) -> list[str]:
    """The addresses of the server called ``name`` (empty when no server has that name)."""
    for server, v4, v6 in servers(world):
        if server == name:
            return [a for a in (v4, v6) if a]
    for ns in indexes.of(world).ns_named.get(name, ()):
        return [a for a in (ns.ipv4, ns.ipv6) if a]
    return []


def server_named(world: World, target: str) -> str:
    """The name of the server ``target`` names (its name, or one of its addresses).

    Raises:
        NotFound: no simulated server has that name or address.
    """
    address = _address(target)
    if address is None:
        try:
            name = names.normalize(target, hostname=False)
        except names.NameError_ as exc:
            raise InvalidInput(f"fault target {target!r} is neither a server name nor an address: "
                               f"{exc}") from None
        if addresses_of(world, name):
            return name
        raise NotFound(f"no simulated server called {name} (see GET /sim/servers)")
    for server, v4, v6 in servers(world):
        if address in (v4, v6):
            return server
    for ns in world.custom_ns:
        if address in (ns.ipv4, ns.ipv6):
            return ns.ns_name
    raise NotFound(f"no simulated server holds {address} (see GET /sim/servers)")


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _parameter(kind: str, delay_ms: object) -> int:
    if kind not in KINDS:
        raise InvalidInput(f"fault kind {kind!r} is not one of {', '.join(KINDS)}")
    if kind != "delay":
        if delay_ms not in (None, 0):
            raise InvalidInput(f"delay_ms goes with the delay fault only, not with {kind}")
        return 0
    if isinstance(delay_ms, bool) or not isinstance(delay_ms, int) or not 1 <= delay_ms <= MAX_DELAY_MS:
        raise InvalidInput(f"delay_ms must be a whole number of milliseconds from 1 to {MAX_DELAY_MS}, "
                           f"got {delay_ms!r}")
    return delay_ms


def set_fault(world: World, target: str, kind: str, delay_ms: int | None = None) -> dict[str, Any]:
    """Make the server ``target`` misbehave in way ``kind`` (added to its other faults).

    Raises:
        InvalidInput: unknown kind, or a delay outside 1..30000 ms.
        NotFound: no simulated server has that name or address.
    """
    parameter = _parameter(kind, delay_ms)
    name = server_named(world, target)
    table = world.faults.servers
    if name not in table and len(table) >= MAX_TARGETS:
        raise InvalidInput(f"at most {MAX_TARGETS} servers may have faults at once")
    table[name] = {**table.get(name, {}), cast(FaultKind, kind): parameter}  # a new dict: undo sees it
    return entry(world, name)


def clear_faults(world: World, target: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Remove ``kind`` (or every fault) of ``target`` (or of every server); what was removed.

    Raises:
        NotFound: ``target`` has no fault (of that kind).
    """
    table = world.faults.servers
    if target is None:
        removed = [entry(world, name) for name in sorted(table)]
        table.clear()
        return removed
    name = _faulted_name(world, target)
    had = table.get(name, {})
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"fault kind {kind!r} is not one of {', '.join(KINDS)}")
    if not had or (kind is not None and kind not in had):
        raise NotFound(f"{name} has no {kind or 'fault'} set")
    removed = [entry(world, name)]
    left = {k: v for k, v in had.items() if kind is not None and k != kind}
    if left:
        table[name] = left
    else:
        del table[name]
    return removed


def _faulted_name(world: World, target: str) -> str:
    """The name ``target`` stands for in the fault table: a name listed there (its server may
    have gone since: the fault waits for it, inert), else the server ``target`` names now."""
    try:
        listed = names.normalize(target, hostname=False)
    except names.NameError_:
        listed = ""
    return listed if listed in world.faults.servers else server_named(world, target)


def set_unheld(world: World, mode: str) -> Faults:
    """Choose what addresses nobody holds do: ``refused`` or ``timeout``."""
    if mode not in UNHELD_MODES:
        raise InvalidInput(f"unheld must be refused or timeout, got {mode!r}")
    world.faults.unheld = "timeout" if mode == "timeout" else "refused"
    return world.faults


def entry(world: World, name: str) -> dict[str, Any]:
    """One faulted server as the API shows it."""
    faults = world.faults.servers.get(name, {})
    return {"server": name, "addresses": addresses_of(world, name),
            "faults": [{"kind": kind, **({"delay_ms": value} if kind == "delay" else {})}
                       for kind, value in sorted(faults.items())]}


def describe(world: World) -> dict[str, Any]:
    """The unheld mode and every faulted server, by name."""
    return {"unheld": world.faults.unheld,
            "faults": [entry(world, name) for name in sorted(world.faults.servers)]}


def _networks(world: World) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    pools = [world.network] + [a.byoip for a in world.accounts.values() if a.byoip is not None]
    return [ipaddress.ip_network(p) for pool in pools for p in (pool.prefix4, pool.prefix6)]


def pointed_at(world: World) -> set[str]:
    """Addresses in the simulated prefixes that glue or an A/AAAA record points at."""
    found: set[str] = set()
    for tld in world.tlds.values():
        for host in tld.hosts.values():
            found.update(host.ipv4)
            found.update(host.ipv6)
    record_sets: list[Sequence[Record]] = [zone.records for zone in world.zones.values()]
    record_sets += [zone.records for host in world.hosts.values() for zone in host.zones]
    for records in record_sets:
        found.update(r.content for r in records if r.type in ("A", "AAAA"))
    networks = _networks(world)
    inside = set()
    for value in found:
        address = _address(value)
        if address is not None and any(ipaddress.ip_address(address) in net for net in networks):
            inside.add(address)
    return inside


def unheld_addresses(world: World) -> set[str]:
    """Addresses glue or records point at that no simulated server holds (stale glue, a
    deleted name's A record): where ``unheld: timeout`` keeps silent."""
    taken = taken_addresses(world)
    return {address for address in pointed_at(world) if address not in taken}
