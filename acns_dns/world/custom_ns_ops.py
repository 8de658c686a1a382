"""Custom nameservers of every kind through one path: account (ACNS), tenant (TCNS), zone (ZCNS).

Owns what the three kinds share (spec-acns §1.1, §1.5: "the same conditions, with tenant
owners in place of account owners"): who owns a name, the 2-5 names of a usable set, a name in
one set only, address assignment and release (one ``addressing.allocate`` for all kinds, so an
address is never handed out twice whoever asks), the zone that holds a name's read-only A/AAAA
records, which names a zone serves, and the parent/child hierarchy rule. Every function takes
a draft ``World``; refusals raise before anything changes.
Imports: names, errors, models, addressing, infrastructure, indexes.
"""

from __future__ import annotations

from collections.abc import Iterator

from acns_dns.world import addressing, indexes, names
from acns_dns.world.errors import (
    InvalidInput,
    InvalidName,
    NameserverExists,
    NotFound,
    SetFull,
    SetNotFound,
)
from acns_dns.world.infrastructure import taken_addresses
from acns_dns.world.models import AddressPool, CustomNameserver, NsKind, World, Zone

MAX_SET_SIZE = 5
MIN_SET_SIZE = 2
KIND_OF_TYPE: dict[str, NsKind] = {"custom.account": "account", "custom.tenant": "tenant",
                                   "custom.zone": "zone"}
WHAT = {"account": "account", "tenant": "tenant", "zone": "zone"}


def owner_of(ns: CustomNameserver) -> str:
    """The id of whoever owns the name: the account, the tenant or the zone."""
    if ns.kind == "tenant":
        return ns.tenant_id or ""
    if ns.kind == "zone":
        return ns.zone_id or ""
    return ns.account_id


def owned(world: World, kind: NsKind, owner: str, ns_set: int | None = None) -> list[CustomNameserver]:
    """The names ``owner`` holds (of one set when ``ns_set`` is given), in creation order."""
    held = indexes.of(world).owned(kind, owner)
    return [ns for ns in held if ns_set is None or ns.ns_set == ns_set]


def release_owner(kind: NsKind, owner: str, ns_name: str) -> str:
    """Who held a released address: only the same name of the same owner gets it back."""
    return f"{owner}/{ns_name}" if kind == "account" else f"{kind}:{owner}/{ns_name}"


def tenant_accounts(world: World, tenant_id: str) -> set[str]:
    """The ids of the accounts the tenant owns."""
    return {a.id for a in world.accounts.values() if a.tenant_id == tenant_id}


def _accounts_of(world: World, ns: CustomNameserver) -> set[str]:
    """The accounts whose zones may use the name (and may hold its A/AAAA records)."""
    if ns.kind == "tenant":
        return tenant_accounts(world, ns.tenant_id or "")
    return {ns.account_id}


def provider_zone(world: World, ns: CustomNameserver) -> Zone | None:
    """The zone holding the name's A/AAAA (spec-acns §1.4): for ZCNS the zone itself, else the
    closest zone above the name in an account that may use it (None: published elsewhere)."""
    if ns.kind == "zone":
        return world.zones.get(ns.zone_id or "")
    return indexes.of(world).enclosing(ns.ns_name, _accounts_of(world, ns))


def provided_by(world: World, zone: Zone) -> Iterator[CustomNameserver]:
    """The names whose A/AAAA records Cloudflare keeps in ``zone``."""
    for ns in list(indexes.of(world).ns_below.get(zone.name, {}).values()):
        if provider_zone(world, ns) is zone:
            yield ns


def names_near(world: World, account_id: str) -> set[str]:
    """Every custom nameserver name whose records the account's zones may hold: its ACNS, its
    tenant's TCNS, its zones' ZCNS. Users may not make one of these an alias or re-address it."""
    account = world.accounts.get(account_id)
    tenant = account.tenant_id if account is not None else None
    index = indexes.of(world)
    near = {ns.ns_name for ns in index.ns_by_account.get(account_id, ())}
    if tenant is not None:
        near.update(ns.ns_name for ns in index.ns_by_tenant.get(tenant, ()))
    return near


def normalized(ns_name: str) -> str:
    """The name in canonical form, or InvalidName (spec-acns §6.4)."""
    try:
        return names.normalize(ns_name, min_labels=2)
    except names.NameError_ as exc:
        raise InvalidName(f"invalid ns_name: {exc}") from exc


def create(world: World, kind: NsKind, owner: str, ns_name: str, ns_set: int, *,
           account_id: str = "", pool: AddressPool | None = None, offsets: range | None = None
           ) -> CustomNameserver:
    """Create a name of ``owner`` in ``ns_set`` and assign it one IPv4 and one IPv6 address.

    Raises:
        NameserverExists: the owner already has the name (in any set), or a zone that could
            use it already holds another custom nameserver of that name.
        SetFull: the set holds five names.
        InvalidInput: the name is an alias where its zone is, or no address is left.
    """
    name = normalized(ns_name)
    for existing in owned(world, kind, owner):
        if existing.ns_name == name:
            # spec-acns §1.1.3: a name may be in one set only; §6.2: "already exist" wording.
            raise NameserverExists(f"Nameserver {name} already exists (in set {existing.ns_set})")
    if len(owned(world, kind, owner, ns_set)) >= MAX_SET_SIZE:
        raise SetFull(f"Nameserver set {ns_set} is full (max {MAX_SET_SIZE} names)")
    created = CustomNameserver(account_id=account_id, ns_name=name, ns_set=ns_set, ipv4="", ipv6="",
                               kind=kind, tenant_id=owner if kind == "tenant" else None,
                               zone_id=owner if kind == "zone" else None)
    for account in _accounts_of(world, created):
        if name in names_near(world, account):
            raise NameserverExists(f"Nameserver {name} already exists as another custom nameserver "
                                   f"that zones of account {account} use: one name, one pair of addresses")
    provider = provider_zone(world, created)
    if provider is not None and any(r.name == name and r.type == "CNAME" for r in provider.records):
        raise InvalidInput(f"{name} is an alias (CNAME) in zone {provider.name}; a name server name "
                           "must have its own address records (RFC 2181 §10.3)")
    source = pool or world.network
    try:
        v4, v6 = addressing.allocate(name, source, offsets or addressing.ACNS_OFFSETS,
                                     taken_addresses(world), world.released,
                                     owner=release_owner(kind, owner, name))
    except addressing.PoolExhausted as exc:
        raise InvalidInput(str(exc)) from exc
    world.released.pop(v4, None)
    created.ipv4, created.ipv6 = v4, v6
    world.custom_ns.append(created)
    return created


def delete(world: World, kind: NsKind, owner: str, ns_name: str) -> CustomNameserver:
    """Delete one name of ``owner``; its addresses are released (spec-acns §6.5)."""
    name = names.lenient(ns_name)
    for existing in owned(world, kind, owner):
        if existing.ns_name == name:
            release(world, existing)
            return existing
    raise NotFound(f"Nameserver {ns_name!r} not found in {WHAT[kind]} {owner}")


def release(world: World, ns: CustomNameserver) -> None:
    """Remove the name; its IPv4 address goes to the end of the released list (reused last)."""
    world.custom_ns.remove(ns)
    world.released.pop(ns.ipv4, None)
    world.released[ns.ipv4] = release_owner(ns.kind, owner_of(ns), ns.ns_name)


def setting_owner(world: World, zone: Zone, ns_type: str) -> tuple[NsKind, str]:
    """Whose names a zone with nameserver type ``ns_type`` uses: (kind, owner id)."""
    kind = KIND_OF_TYPE[ns_type]
    if kind == "zone":
        return kind, zone.id
    if kind == "tenant":
        account = world.accounts.get(zone.account_id)
        if account is None or account.tenant_id is None:
            raise SetNotFound(f"Custom Nameserver set doesn't exist: account {zone.account_id} "
                              "belongs to no tenant, so it has no tenant custom nameservers")
        return kind, account.tenant_id
    return kind, zone.account_id


def usable(world: World, kind: NsKind, owner: str, ns_set: int) -> list[CustomNameserver]:
    """The set's names when it has at least two (spec-acns §1.1.2), else SetNotFound (1001)."""
    members = owned(world, kind, owner, ns_set)
    if len(members) < MIN_SET_SIZE:
        raise SetNotFound(f"Custom Nameserver set doesn't exist: {WHAT[kind]} set {ns_set} has "
                          f"{len(members)} name(s), at least {MIN_SET_SIZE} are needed")
    return members


def clash(world: World, zone: Zone, ns_type: str, ns_set: int) -> Zone | None:
    """A parent or child zone that already uses the same set of the same owner (spec-acns
    §1.1.4): zones of the account for ACNS, of every account of the tenant for TCNS."""
    if ns_type == "custom.zone":
        return None  # a zone's own names serve that zone only
    kind, owner = setting_owner(world, zone, ns_type)
    accounts = tenant_accounts(world, owner) if kind == "tenant" else {owner}
    index = indexes.of(world)
    above = [index.zone_named(name) for name in names.parents(zone.name) if name != zone.name]
    for other in [*(z for z in above if z is not None), *index.zones_below(zone.name)]:
        if other.id == zone.id or other.account_id not in accounts:
            continue
        setting = other.nameservers
        if setting.type == ns_type and setting.ns_set == ns_set:
            return other
    return None


def served(world: World, zone: Zone) -> list[str]:
    """The names a zone's apex NS RRset holds now (spec-acns §6.5, §6.15): its custom set's
    current members, or the branded pair (also when the set was emptied by deletions)."""
    setting = zone.nameservers
    if setting.type in KIND_OF_TYPE:
        try:
            kind, owner = setting_owner(world, zone, setting.type)
        except SetNotFound:  # the account left its tenant: the branded pair serves
            return list(zone.branded_ns)
        members = owned(world, kind, owner, setting.ns_set or 1)
        if members:
            return [ns.ns_name for ns in members]
    return list(zone.branded_ns)
