"""What every world the operations can build holds true, checked for a world read from a file.

A world built through the operations (scenarios, the API) keeps these by construction; a
snapshot or a state file is only text, so loading one checks them all before anything is
served or written: the root and Cloudflare's edge exist; every server address is an IP
address and no two servers share one (nor a released one); every reference resolves (a
zone's account, a custom nameserver's owner, a credential's accounts and tenants, a domain's
registrar and registrant, a ticket's domain), and every key names its object; custom
nameserver sets hold at most five names, each name once per owner; a zone's nameserver
setting names a set 1-5, and no parent and child zone share a set; every record's content
is what its type allows, in the canonical form that is served (``zonefile.canonical``).

``problems(world)`` lists each broken rule as "<path in the file>: <what is wrong>".
Imports: names, errors, models, zonefile, custom_ns_ops.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterator, Mapping

from acns_dns.world import custom_ns_ops, names, zonefile
from acns_dns.world.errors import AcnsError
from acns_dns.world.models import Record, World

MAX_SET_SIZE = custom_ns_ops.MAX_SET_SIZE


def problems(world: World) -> list[str]:
    """Every rule ``world`` breaks, as "<path>: <problem>" (empty: the world is whole)."""
    return [*_infrastructure(world), *_addresses(world), *_keys(world), *_references(world),
            *_custom_nameservers(world), *_records(world)]


def _infrastructure(world: World) -> Iterator[str]:
    if not world.root_ipv4:
        yield "root_ipv4: the root server has no address"
    if not world.cloudflare.nameservers:
        yield "cloudflare.nameservers: Cloudflare's edge has no name servers"


def _servers(world: World) -> Iterator[tuple[str, str]]:
    """(path, address) of every address a server holds."""
    yield "root_ipv4", world.root_ipv4
    yield "root_ipv6", world.root_ipv6
    for i, ns in enumerate(world.other_root_servers):
        yield f"other_root_servers[{i}].ipv4", ns.ipv4
        yield f"other_root_servers[{i}].ipv6", ns.ipv6
    for name, tld in world.tlds.items():
        yield f"tlds.{name}.ipv4", tld.ipv4
        yield f"tlds.{name}.ipv6", tld.ipv6
        for i, ns in enumerate(tld.extra_servers):
            yield f"tlds.{name}.extra_servers[{i}].ipv4", ns.ipv4
            yield f"tlds.{name}.extra_servers[{i}].ipv6", ns.ipv6
    for i, ns in enumerate(world.cloudflare.nameservers):
        yield f"cloudflare.nameservers[{i}].ipv4", ns.ipv4
        yield f"cloudflare.nameservers[{i}].ipv6", ns.ipv6
    for host_id, host in world.hosts.items():
        for i, ns in enumerate(host.nameservers):
            yield f"hosts.{host_id}.nameservers[{i}].ipv4", ns.ipv4
            yield f"hosts.{host_id}.nameservers[{i}].ipv6", ns.ipv6
    for i, acns in enumerate(world.custom_ns):
        yield f"custom_ns[{i}].ipv4", acns.ipv4
        yield f"custom_ns[{i}].ipv6", acns.ipv6


def _addresses(world: World) -> Iterator[str]:
    held: dict[str, str] = {}
    for path, address in _servers(world):
        if not address:
            continue
        try:
            ipaddress.ip_address(address)
        except ValueError:
            yield f"{path}: {address!r} is not an IP address"
            continue
        if address in held:
            yield f"{path}: {address} is also held by {held[address]} (two servers cannot share an address)"
        held[address] = path
        if address in world.released:
            yield f"{path}: {address} is held and also listed as released"


def _keys(world: World) -> Iterator[str]:
    """Every keyed object is filed under its own name or id."""
    tables = [("accounts", {k: v.id for k, v in world.accounts.items()}),
              ("tenants", {k: v.id for k, v in world.tenants.items()}),
              ("zones", {k: v.id for k, v in world.zones.items()}),
              ("registrars", {k: v.id for k, v in world.registrars.items()}),
              ("tlds", {k: v.name for k, v in world.tlds.items()}),
              ("hosts", {k: v.id for k, v in world.hosts.items()})]
    for table, keyed in tables:
        for key, own in keyed.items():
            if key != own:
                yield f"{table}.{key}: filed under {key!r} but its own id or name is {own!r}"
    for tld_name, tld in world.tlds.items():
        for key, domain in tld.domains.items():
            if key != domain.name or domain.name == tld_name or not names.is_subdomain(domain.name, tld_name):
                yield f"tlds.{tld_name}.domains.{key}: {domain.name!r} is not a domain under {tld_name}"
        for key, host in tld.hosts.items():
            if key != host.name:
                yield f"tlds.{tld_name}.hosts.{key}: filed under {key!r} but named {host.name!r}"
    seen = Counter(zone.name for zone in world.zones.values())
    for zone_id, zone in world.zones.items():
        if seen[zone.name] > 1:
            yield f"zones.{zone_id}: another zone is also called {zone.name}"


def _references(world: World) -> Iterator[str]:
    for zone_id, zone in world.zones.items():
        if zone.account_id not in world.accounts:
            yield f"zones.{zone_id}.account_id: no account {zone.account_id!r}"
        if zone.nameservers.type != "cloudflare.standard" and zone.nameservers.ns_set not in range(1, 6):
            yield f"zones.{zone_id}.nameservers.ns_set: {zone.nameservers.ns_set!r} is not a set 1-5"
    for account_id, account in world.accounts.items():
        if account.tenant_id is not None and account.tenant_id not in world.tenants:
            yield f"accounts.{account_id}.tenant_id: no tenant {account.tenant_id!r}"
    for i, credential in enumerate(world.credentials):
        for account_id in credential.accounts:
            if account_id not in world.accounts:
                yield f"credentials[{i}].accounts: no account {account_id!r}"
        for tenant_id in credential.tenants:
            if tenant_id not in world.tenants:
                yield f"credentials[{i}].tenants: no tenant {tenant_id!r}"
    domains = set()
    for tld_name, tld in world.tlds.items():
        for key, domain in tld.domains.items():
            domains.add(key)
            if domain.registrar not in world.registrars:
                yield f"tlds.{tld_name}.domains.{key}.registrar: no registrar {domain.registrar!r}"
            if domain.registrant is not None and domain.registrant not in world.accounts:
                yield f"tlds.{tld_name}.domains.{key}.registrant: no account {domain.registrant!r}"
    for i, ticket in enumerate(world.tickets):
        if ticket.domain not in domains:
            yield f"tickets[{i}].domain: no registered domain {ticket.domain!r}"


def _custom_nameservers(world: World) -> Iterator[str]:
    sets: Counter[tuple[str, str, int]] = Counter()
    names_held: set[tuple[str, str, str]] = set()
    owners: dict[str, Mapping[str, object]] = {"account": world.accounts, "tenant": world.tenants,
                                               "zone": world.zones}
    for i, ns in enumerate(world.custom_ns):
        owner = custom_ns_ops.owner_of(ns)
        if owner not in owners[ns.kind]:
            yield f"custom_ns[{i}]: its {ns.kind} {owner!r} does not exist"
        if (ns.kind, owner, ns.ns_name) in names_held:
            yield f"custom_ns[{i}]: {ns.ns_name} is in two sets of the same {ns.kind}"
        names_held.add((ns.kind, owner, ns.ns_name))
        sets[(ns.kind, owner, ns.ns_set)] += 1
    for (kind, owner, number), size in sets.items():
        if size > MAX_SET_SIZE:
            yield f"custom_ns: set {number} of {kind} {owner} holds {size} names (at most {MAX_SET_SIZE})"
    for zone_id, zone in world.zones.items():
        setting = zone.nameservers
        if setting.type in custom_ns_ops.KIND_OF_TYPE and setting.ns_set in range(1, 6):
            try:
                other = custom_ns_ops.clash(world, zone, setting.type, setting.ns_set or 1)
            except AcnsError:  # an owner that does not exist: reported above
                continue
            if other is not None:
                yield (f"zones.{zone_id}.nameservers: {zone.name} and {other.name} (parent and child) "
                       "use one set")


def _records(world: World) -> Iterator[str]:
    for zone_id, zone in world.zones.items():
        for i, record in enumerate(zone.records):
            found = _record(record)
            if found:
                yield f"zones.{zone_id}.records[{i}]: {found}"
    for host_id, host in world.hosts.items():
        for z, hosted in enumerate(host.zones):
            for i, row in enumerate(hosted.records):
                found = _record(row)
                if found:
                    yield f"hosts.{host_id}.zones[{z}].records[{i}]: {found}"


def _record(record: Record) -> str:
    """What is wrong with one record's content, or ""."""
    try:
        stored = zonefile.canonical(record.name, record.type, record.content, record.ttl)
    except ValueError as exc:
        return str(exc)
    if stored.content != record.content:
        return (f"{record.type} content {record.content!r} is not in the form it is served in "
                f"({stored.content!r})")
    return ""
