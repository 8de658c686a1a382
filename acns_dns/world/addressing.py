"""Where every simulated server lives, and how ACNS names get their two addresses.

The IPv4 prefix is a /16 (127.53.0.0/16 by default, so every address can be bound on this
machine) and the IPv6 prefix a ULA /48; a server's IPv6 address carries the same 16-bit offset
as its IPv4 address, so 127.53.128.7 pairs with fd53:53:53::80:7. The plan inside a /16:

    0.1          the root (a.root-servers.net); 0.2-0.4 the other letters (b, c, d)
    0.5          the Cloudflare edge's alias in a test world (``serve`` uses 127.0.0.1 instead)
    0.10-0.250   the first server of each TLD registry, in the order the TLDs were added
    1.1-1.250    Cloudflare's branded name servers (x.ns.cloudflare.com)
    2.1-126.x    name servers of other DNS hosts
    127.10-127.250  the second server of each TLD registry (its first server's offset + 127.0)
    128.0-255.254  account custom nameservers (unless the account brings its own prefixes)

Allocation is pure: it reads ``taken`` and ``released`` and never the world. A name hashes to
a starting offset and probes upward, so the same scenario always gets the same addresses. A
released address is reused only when no never-used address is left (no glue left pointing at
a stranger's nameserver), except that a name re-created gets its own old address back.
Imports: models only.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import socket
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet

from acns_dns.world.models import AddressPool, Network

ROOT_OFFSET = 0x0001
OTHER_ROOT_OFFSETS = range(0x0002, 0x0005)  # b, c, d.root-servers.net
EDGE_ALIAS_OFFSET = 0x0005  # a test world's own edge alias: concurrent worlds never share one
TLD_OFFSETS = range(0x000A, 0x00FB)
EDGE_OFFSETS = range(0x0101, 0x01FB)
HOST_OFFSETS = range(0x0201, 0x7F00)
TLD_SECOND_SHIFT = 0x7F00  # a TLD's second server: its first server's offset + this
ACNS_OFFSETS = range(0x8000, 0xFFFF)


class PoolExhausted(Exception):
    """No address is left in the pool."""


def network_for(prefix4: str) -> Network:
    """The network for an IPv4 /16 such as 127.54.0.0/16, with its own ULA /48 to match
    (fd53:53:36::/48 for 127.54/16), so two worlds side by side never share an address.

    Raises:
        ValueError: ``prefix4`` is not an IPv4 /16.
    """
    net4 = ipaddress.IPv4Network(prefix4)
    network = Network(prefix4=str(net4), prefix6=f"fd53:53:{net4.network_address.packed[1]:x}::/48")
    check_network(network)
    return network


def check_network(network: Network) -> None:
    """Raise ValueError unless the prefixes have the sizes the address plan needs."""
    net4 = ipaddress.IPv4Network(network.prefix4)
    net6 = ipaddress.IPv6Network(network.prefix6)
    if net4.prefixlen != 16:
        raise ValueError(f"IPv4 prefix {network.prefix4} must be a /16 (e.g. 127.53.0.0/16)")
    if net6.prefixlen > 112:
        raise ValueError(f"IPv6 prefix {network.prefix6} must be /112 or larger")


def pair(network: Network | AddressPool, offset: int) -> tuple[str, str]:
    """The IPv4 and IPv6 address at ``offset`` in the two prefixes."""
    net4 = ipaddress.IPv4Network(network.prefix4)
    net6 = ipaddress.IPv6Network(network.prefix6)
    return str(net4.network_address + offset), str(net6.network_address + offset)


def pool_offsets(pool: AddressPool | None) -> range:
    """Usable offsets of an account's own pool, or of the shared ACNS range."""
    if pool is None:
        return ACNS_OFFSETS
    size4 = ipaddress.IPv4Network(pool.prefix4).num_addresses
    size6 = ipaddress.IPv6Network(pool.prefix6).num_addresses
    return range(1, min(size4, size6) - 1)


def lowest_free(network: Network, offsets: range, taken: Iterable[str]) -> tuple[str, str]:
    """The first pair in ``offsets`` whose IPv4 address is not taken."""
    used = taken if isinstance(taken, AbstractSet) else set(taken)
    for offset in offsets:
        v4, v6 = pair(network, offset)
        if v4 not in used:
            return v4, v6
    raise PoolExhausted(f"no free address in {network.prefix4} offsets {offsets}")


def allocate(
    ns_name: str,
    pool: Network | AddressPool,
    offsets: range,
    taken: Iterable[str],
    released: Mapping[str, str],
    owner: str | None = None,
) -> tuple[str, str]:
    """Assign one IPv4 and one IPv6 address to ``ns_name``.

    Args:
        ns_name: the normalised ACNS name; its hash picks where probing starts.
        pool: the prefixes to draw from.
        offsets: the offsets of the pool that may be handed out.
        taken: addresses (IPv4 and IPv6) in use anywhere in the world; a pair is free only
            when neither of its addresses is taken.
        released: freed IPv4 address -> who held it, oldest first.
        owner: who asks, as ``released`` names holders (default: ``ns_name``); a holder gets
            its own freed address back.

    Raises:
        PoolExhausted: every address is taken.
    """
    used = taken if isinstance(taken, AbstractSet) else set(taken)
    owner = ns_name if owner is None else owner
    if len(offsets) == 0:
        raise PoolExhausted(f"no address can be handed out from {pool.prefix4} (offsets {offsets})")
    digest = hashlib.sha256(ns_name.encode()).digest()
    start = int.from_bytes(digest[:8], "big") % len(offsets)
    for step in range(len(offsets)):
        v4, v6 = pair(pool, offsets[(start + step) % len(offsets)])
        if v4 in used or v6 in used:
            continue
        if v4 in released and released[v4] != owner:
            continue
        return v4, v6
    net4 = ipaddress.IPv4Network(pool.prefix4)
    for v4 in released:  # oldest released first: nothing never-used is left
        address = ipaddress.IPv4Address(v4)
        offset = int(address) - int(net4.network_address)
        if address in net4 and offset in offsets:
            v4, v6 = pair(pool, offset)
            if v4 not in used and v6 not in used:
                return v4, v6
    raise PoolExhausted(f"no free address left for {ns_name} in {pool.prefix4}")


def rebase(address: str, source: Network, target: Network) -> str:
    """Move an address inside ``source``'s prefixes to the same offset inside ``target``'s.

    Scenario files are written for the default prefixes; this lets the same file run on
    127.54.0.0/16 beside another world. Addresses outside ``source`` are kept as they are.
    """
    if _canonical(address):  # the common case, without building ipaddress objects
        moved = _moved(address, source, target)
        return address if moved is None else moved
    ip = ipaddress.ip_address(address)
    for old, new in ((source.prefix4, target.prefix4), (source.prefix6, target.prefix6)):
        old_net = _network(old)
        if ip.version == old_net.version and ip in old_net:
            offset = int(ip) - int(old_net.network_address)
            return str(_network(new).network_address + offset)
    return str(ip)


def _canonical(address: str) -> bool:
    """True when ``address`` is an IP address written as ``str(ip_address(address))`` writes it."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    if family == socket.AF_INET6 and "." in address:  # ipaddress writes ::ffff:1.2.3.4 in hex
        return False
    try:
        return socket.inet_ntop(family, socket.inet_pton(family, address)) == address
    except (OSError, ValueError):
        return False


def _moved(address: str, source: Network, target: Network) -> str | None:
    """A canonical ``address`` moved into ``target`` when it lies in ``source``'s prefix of its
    family (and the two differ), else None."""
    six = ":" in address
    old, new = (source.prefix6, target.prefix6) if six else (source.prefix4, target.prefix4)
    if old == new:
        return None
    base, mask = _bounds(old)
    value = int.from_bytes(socket.inet_pton(socket.AF_INET6 if six else socket.AF_INET, address), "big")
    if value & mask != base:
        return None
    return str(_network(new).network_address + (value - base))


@functools.lru_cache(maxsize=64)
def _network(prefix: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(prefix)


@functools.lru_cache(maxsize=64)
def _bounds(prefix: str) -> tuple[int, int]:
    """The prefix's network address and mask, as integers."""
    network = _network(prefix)
    return int(network.network_address), int(network.netmask)
