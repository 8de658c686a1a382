"""Building a world: the root, TLD registries, Cloudflare's edge, registrars, other DNS hosts.

Owns the parts of the world that a scenario declares rather than a user changes through the
Cloudflare API: every function here takes a draft ``World`` and changes it in place (the
registry applies it as one transaction). Imports: names, errors, models, addressing, indexes, zonefile.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from collections.abc import Set as AbstractSet

from acns_dns.world import addressing, indexes, names
from acns_dns.world.errors import InvalidInput, InvalidName, NotFound
from acns_dns.world.models import (
    CloudflareEdge,
    DnsHost,
    Domain,
    HostedZone,
    HostNameserver,
    HostObject,
    Network,
    Registrar,
    Tld,
    World,
)

CLOUDFLARE_REGISTRAR = "cloudflare"
# Cloudflare's branded names look like these (zone-setups/reference/nameserver-assignment.mdx).
EDGE_NAMES = ("ada", "bob", "cruz", "dina", "elle", "finn", "gina", "hugh",
              "isla", "jack", "kara", "leo", "maya", "noah", "olga", "pete")
ROOT_SERVER = "a.root-servers.net"
OTHER_ROOT_LETTERS = ("b", "c", "d")  # the root is served by several letters, as on the Internet


def new_world(network: Network | None = None, description: str = "") -> World:
    """An empty Internet: the root, the ``com`` registry, Cloudflare's edge and registrar."""
    network = network or Network()
    addressing.check_network(network)
    world = World(network=network, description=description)
    world.root_ipv4, world.root_ipv6 = addressing.pair(network, addressing.ROOT_OFFSET)
    for letter, offset in zip(OTHER_ROOT_LETTERS, addressing.OTHER_ROOT_OFFSETS, strict=True):
        v4, v6 = addressing.pair(network, offset)
        world.other_root_servers.append(HostNameserver(name=f"{letter}.root-servers.net", ipv4=v4, ipv6=v6))
    world.registrars[CLOUDFLARE_REGISTRAR] = Registrar(
        id=CLOUDFLARE_REGISTRAR, name="Cloudflare Registrar", kind="cloudflare")
    edge = CloudflareEdge()
    for index, label in enumerate(EDGE_NAMES):
        v4, v6 = addressing.pair(network, addressing.EDGE_OFFSETS[index])
        edge.nameservers.append(HostNameserver(name=f"{label}.ns.{edge.zone}", ipv4=v4, ipv6=v6))
    world.cloudflare = edge
    add_tld(world, names.parent(edge.zone) or edge.zone)
    _delegate_edge_zone(world)
    return world


def _delegate_edge_zone(world: World) -> None:
    """cloudflare.com is registered at Cloudflare Registrar and served by its own edge."""
    edge = world.cloudflare
    tld = world.tlds[names.parent(edge.zone)]
    serving = edge.nameservers[:2]
    register_domain(world, CLOUDFLARE_REGISTRAR, edge.zone, [ns.name for ns in serving])
    for ns in serving:
        tld.hosts[ns.name] = HostObject(name=ns.name, ipv4=[ns.ipv4], ipv6=[ns.ipv6])


def servers(world: World) -> list[tuple[str, str, str]]:
    """(name, IPv4, IPv6) of every simulated server but the custom nameservers (those are
    many, and indexed: ``indexes``): the root letters, the TLD registries' servers,
    Cloudflare's branded names and the other DNS hosts' name servers."""
    found = [(ROOT_SERVER, world.root_ipv4, world.root_ipv6)]
    found += [(ns.name, ns.ipv4, ns.ipv6) for ns in world.other_root_servers]
    for tld in world.tlds.values():
        found.append((tld.server_name, tld.ipv4, tld.ipv6))
        found += [(ns.name, ns.ipv4, ns.ipv6) for ns in tld.extra_servers]
    found += [(ns.name, ns.ipv4, ns.ipv6) for ns in world.cloudflare.nameservers]
    found += [(ns.name, ns.ipv4, ns.ipv6) for host in world.hosts.values() for ns in host.nameservers]
    return found


class Taken(AbstractSet[str]):
    """The addresses some simulated server holds: the infrastructure's (few, listed now), the
    custom nameservers' (many, from the world's index) and any ``add``-ed since."""

    def __init__(self, world: World) -> None:
        self._own = {address for _, v4, v6 in servers(world) for address in (v4, v6) if address}
        self._custom = indexes.of(world).ns_addresses

    def __contains__(self, address: object) -> bool:
        return address in self._own or address in self._custom

    def __iter__(self) -> Iterator[str]:
        yield from self._own
        yield from (address for address in self._custom if address not in self._own)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def add(self, address: str) -> None:
        """Count ``address`` as taken from now on (in this object only)."""
        self._own.add(address)


def taken_addresses(world: World) -> Taken:
    """Every IPv4 and IPv6 address some simulated server holds (BYOIP prefixes may overlap)."""
    return Taken(world)


def add_tld(world: World, name: str, glue_policy: str = "sibling") -> Tld:
    """Create the registry for a top-level domain: ns1.nic.<tld> on the next TLD address and
    ns2.nic.<tld> on its own address (RFC 1034 §4.1: every zone has at least two servers)."""
    tld_name = _name(name, "TLD")
    if "." in tld_name:
        raise InvalidName(f"TLD {name!r} must be a single label")
    if tld_name in world.tlds:
        return world.tlds[tld_name]
    if glue_policy not in ("in-domain", "sibling"):
        raise InvalidInput(f"glue_policy {glue_policy!r} must be 'in-domain' or 'sibling'")
    v4, v6 = addressing.lowest_free(world.network, addressing.TLD_OFFSETS, taken_addresses(world))
    base = ipaddress.IPv4Network(world.network.prefix4).network_address
    offset = int(ipaddress.IPv4Address(v4)) - int(base)
    v4b, v6b = addressing.pair(world.network, offset + addressing.TLD_SECOND_SHIFT)
    tld = Tld(name=tld_name, server_name=f"ns1.nic.{tld_name}", ipv4=v4, ipv6=v6,
              extra_servers=[HostNameserver(name=f"ns2.nic.{tld_name}", ipv4=v4b, ipv6=v6b)],
              glue_policy=glue_policy)
    world.tlds[tld_name] = tld
    return tld


def add_registrar(world: World, registrar_id: str, name: str, kind: str = "external") -> Registrar:
    """Create a registrar (``cloudflare`` kind changes NS and glue only by support ticket)."""
    if not registrar_id or registrar_id in world.registrars:
        raise InvalidInput(f"registrar id {registrar_id!r} is empty or already used")
    if kind not in ("cloudflare", "external"):
        raise InvalidInput(f"registrar kind {kind!r} must be 'cloudflare' or 'external'")
    registrar = Registrar(id=registrar_id, name=name, kind=kind)
    world.registrars[registrar_id] = registrar
    return registrar


def tld_of(world: World, name: str) -> Tld:
    """The registry responsible for ``name``.

    Raises:
        NotFound: the world has no registry for the name's TLD.
    """
    label = name.rsplit(".", 1)[-1]
    if label not in world.tlds:
        raise NotFound(f"no registry for TLD {label!r} (of {name!r}) in this world")
    return world.tlds[label]


def register_domain(world: World, registrar_id: str, domain: str, nameservers: list[str],
                    registrant: str | None = None) -> None:
    """Register ``domain`` (one label below a TLD) with ``registrar_id`` as its sponsor, held by
    the account ``registrant`` (None: only the admin may change it)."""
    if registrant is not None and registrant not in world.accounts:
        raise NotFound(f"registrant account {registrant!r} does not exist")
    domain = _name(domain, "domain", min_labels=2)
    if registrar_id not in world.registrars:
        raise NotFound(f"registrar {registrar_id!r} does not exist")
    tld = tld_of(world, domain)
    if names.parent(domain) != tld.name:
        raise InvalidName(f"{domain!r} is not directly below the TLD {tld.name!r}")
    if domain in tld.domains:
        raise InvalidInput(f"{domain!r} is already registered (with {tld.domains[domain].registrar})")
    tld.domains[domain] = Domain(name=domain, registrar=registrar_id, registrant=registrant,
                                 nameservers=[_name(ns, "nameserver", 2) for ns in nameservers])


def add_host(world: World, host_id: str, name: str, nameservers: list[dict[str, str]],
             zones: list[HostedZone]) -> DnsHost:
    """Create another DNS provider; name servers without addresses get the next free pair."""
    if not host_id or host_id in world.hosts:
        raise InvalidInput(f"DNS host id {host_id!r} is empty or already used")
    servers: list[HostNameserver] = []
    taken = taken_addresses(world)
    for entry in nameservers:
        ns_name = _name(entry.get("name", ""), "nameserver", 2)
        if entry.get("ipv4"):
            v4, v6 = _explicit_pair(world.network, ns_name, entry)
            if v4 in taken:
                raise InvalidInput(f"address {v4} of {ns_name} is already used by another server")
        else:
            v4, v6 = addressing.lowest_free(world.network, addressing.HOST_OFFSETS, taken)
        taken.add(v4)
        servers.append(HostNameserver(name=ns_name, ipv4=v4, ipv6=v6))
    if not servers:
        raise InvalidInput(f"DNS host {host_id!r} needs at least one name server")
    world.hosts[host_id] = DnsHost(id=host_id, name=name, nameservers=servers, zones=zones)
    return world.hosts[host_id]


def _explicit_pair(network: Network, ns_name: str, entry: dict[str, str]) -> tuple[str, str]:
    """Addresses given in a scenario; IPv6 defaults to the pair of an in-prefix IPv4."""
    try:
        v4 = ipaddress.IPv4Address(entry["ipv4"])
        if entry.get("ipv6"):
            return str(v4), str(ipaddress.IPv6Address(entry["ipv6"]))
    except ValueError as exc:
        raise InvalidInput(f"address of {ns_name}: {exc}") from exc
    net4 = ipaddress.IPv4Network(network.prefix4)
    if v4 not in net4:
        raise InvalidInput(f"{ns_name}: ipv4 {v4} lies outside {net4}; give its ipv6 too")
    return addressing.pair(network, int(v4) - int(net4.network_address))


def _name(value: str, what: str, min_labels: int = 1) -> str:
    try:
        return names.normalize(value, min_labels=min_labels)
    except names.NameError_ as exc:
        raise InvalidName(f"invalid {what} name: {exc}") from exc
