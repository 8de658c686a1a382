"""Cloudflare's side of the world: accounts, zones, account custom nameservers, records.

Every operation takes a draft ``World``, checks Cloudflare's conditions (spec-acns §1.1-1.4)
before it changes anything, and raises an ``AcnsError`` naming the offending value. The
registry runs each one on a copy and keeps the copy only on success, so a refused operation
changes nothing. Imports: names, errors, models, addressing, infrastructure, zonefile.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator

from acns_dns.world import addressing, custom_ns_ops, indexes, names, zonefile
from acns_dns.world.errors import (
    HierarchyConflict,
    InvalidInput,
    InvalidName,
    InvalidNsSet,
    NotEntitled,
    NotFound,
    NotFullSetup,
    PlanRequired,
    Unsupported,
)
from acns_dns.world.models import (
    STANDARD_NAMESERVERS,
    Account,
    Credential,
    CustomNameserver,
    DnsRecord,
    NameserverSetting,
    Record,
    World,
    Zone,
    shared,
)

MAX_SET_SIZE = custom_ns_ops.MAX_SET_SIZE
MIN_SET_SIZE = custom_ns_ops.MIN_SET_SIZE
SET_NUMBERS = range(1, 6)
NS_TYPES = ("cloudflare.standard", "custom.account", "custom.tenant", "custom.zone")
# Types Cloudflare offers that the simulator does not (spec-acns §3.10, §6.18).
OTHER_NS_TYPES = ("cloudflare.advanced", "cloudflare.standard.random", "custom")


def stable_id(*parts: str) -> str:
    """A 32-hex identifier derived from ``parts``, so a scenario gets the same ids every run."""
    return hashlib.md5("/".join(parts).encode()).hexdigest()  # noqa: S324 - an id, not a secret


# --- accounts -----------------------------------------------------------------------------

def add_account(world: World, name: str, account_id: str | None = None,
                acns_entitled: bool = True) -> Account:
    """Create an account (scenario and /sim only: Cloudflare's API cannot create accounts)."""
    account_id = account_id or stable_id("account", name)
    if account_id in world.accounts:
        raise InvalidInput(f"account id {account_id!r} is already used")
    account = Account(id=account_id, name=name, acns_entitled=acns_entitled)
    world.accounts[account_id] = account
    return account


def update_account(world: World, account_id: str, name: str | None,
                   default_nameservers: str | None, account_type: str | None = None) -> Account:
    """Rename the account, choose the nameservers its new zones start with and/or record its
    ``type`` as sent (PUT /accounts, spec-acns §3.9)."""
    account = find_account(world, account_id)
    if account_type is not None:
        if account_type not in ("standard", "enterprise"):
            raise InvalidInput(f"type {account_type!r} must be 'standard' or 'enterprise'")
        account.type = account_type  # type: ignore[assignment]
    if default_nameservers is not None:
        set_default_nameservers(world, account_id, default_nameservers)
    if name is not None:
        if not name.strip():
            raise InvalidInput("name must not be empty")
        account.name = name
    return account


def add_credential(world: World, account_id: str, *, token: str | None = None,
                   email: str | None = None, key: str | None = None,
                   scope: str = "account") -> Credential:
    """Let an API token, or an e-mail with a global key, act on one account (``scope``
    "registrant": only on the registrations the account holds)."""
    find_account(world, account_id)
    if (token is None) == (email is None or key is None):
        raise InvalidInput("a credential is either a token or an e-mail with a key")
    index = indexes.of(world)
    if token is not None and index.credential(token, None) is not None:
        raise InvalidInput("token is already used by another credential; choose another")
    if email is not None and index.credential(None, email) is not None:
        raise InvalidInput(f"e-mail {email!r} already has a key")
    if scope not in ("account", "registrant"):
        raise InvalidInput(f"credential scope {scope!r} must be 'account' or 'registrant'")
    credential = Credential(token=token, email=email, key=key, accounts=[account_id],
                            scope=scope)
    world.credentials.append(credential)
    return credential


def find_account(world: World, account_id: str) -> Account:
    """The account, or NotFound."""
    account = world.accounts.get(account_id)
    if account is None:
        raise NotFound(f"account {account_id!r} not found")
    return account


def _entitled(world: World, account_id: str) -> Account:
    account = find_account(world, account_id)
    if not account.acns_entitled:
        # spec-acns §3.12: every custom_ns call fails this way, list included.
        raise NotEntitled("This feature is not enabled for your account.")
    return account


def set_default_nameservers(world: World, account_id: str, ns_type: str) -> Account:
    """Choose what new zones of the account start with (seed: "make these ACNS the default")."""
    account = find_account(world, account_id)
    _check_type(ns_type, "default_nameservers")
    if ns_type == "custom.zone":  # spec-acns §3.11: zone defaults have no custom.zone
        raise InvalidInput("default_nameservers type 'custom.zone' is not valid: a zone's own "
                           "names exist only once the zone does (use custom.account or custom.tenant)")
    if ns_type == "custom.account":
        _entitled(world, account_id)
    if ns_type == "custom.tenant" and account.tenant_id is None:
        raise InvalidInput(f"default_nameservers type 'custom.tenant' needs a tenant: account "
                           f"{account_id} belongs to none")
    account.default_nameservers = ns_type  # type: ignore[assignment]
    return account


def _check_type(ns_type: str, field: str) -> None:
    if ns_type in NS_TYPES:
        return
    if ns_type in OTHER_NS_TYPES:
        raise Unsupported(f"{field} type {ns_type!r} is not offered by this simulator "
                          f"(use one of {', '.join(NS_TYPES)})")
    raise InvalidInput(f"{field} type {ns_type!r} is not valid (use one of {', '.join(NS_TYPES)})")


# --- account custom nameservers -----------------------------------------------------------

def check_ns_set(value: object) -> int:
    """``ns_set`` as an int in 1..5; the SDK sends floats such as 2.0 (spec-acns §6.19)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidNsSet(f"ns_set must be a number from 1 to 5, got {value!r}")
    if not math.isfinite(value) or value != int(value) or int(value) not in SET_NUMBERS:
        raise InvalidNsSet(f"ns_set must be a whole number from 1 to 5, got {value!r}")
    return int(value)


def nameservers(world: World, account_id: str, ns_set: int | None = None) -> list[CustomNameserver]:
    """The account's ACNS names (of one set when ``ns_set`` is given), in creation order."""
    return custom_ns_ops.owned(world, "account", account_id, ns_set)


def list_nameservers(world: World, account_id: str) -> list[CustomNameserver]:
    """The account's ACNS names; 1002 when the account is not entitled."""
    _entitled(world, account_id)
    return nameservers(world, account_id)


def add_nameserver(world: World, account_id: str, ns_name: str, ns_set: object = 1) -> CustomNameserver:
    """Create an ACNS name and assign it one IPv4 and one IPv6 address (seed step 1)."""
    account = _entitled(world, account_id)
    number = check_ns_set(1 if ns_set is None else ns_set)
    return custom_ns_ops.create(world, "account", account_id, ns_name, number, account_id=account_id,
                                pool=account.byoip, offsets=addressing.pool_offsets(account.byoip))


def release_owner(account_id: str, ns_name: str) -> str:
    """Who held a released address: only the same name of the same account gets it back."""
    return custom_ns_ops.release_owner("account", account_id, ns_name)


def delete_nameserver(world: World, account_id: str, ns_name: str) -> CustomNameserver:
    """Delete an ACNS name; its addresses are released (spec-acns §6.5: zones keep their set)."""
    _entitled(world, account_id)
    return custom_ns_ops.delete(world, "account", account_id, ns_name)


def usable_set(world: World, account_id: str, ns_set: int) -> list[CustomNameserver]:
    """The set's names when it has at least two (spec-acns §1.1.2), else SetNotFound (1001)."""
    return custom_ns_ops.usable(world, "account", account_id, ns_set)


# --- zones --------------------------------------------------------------------------------

def find_zone(world: World, zone_id: str) -> Zone:
    """The zone, or NotFound."""
    zone = world.zones.get(zone_id)
    if zone is None:
        raise NotFound(f"zone {zone_id!r} not found")
    return zone


def zone_by_name(world: World, name: str) -> Zone | None:
    """The Cloudflare zone called ``name``, if any."""
    return indexes.of(world).zone_named(name)


def create_zone(world: World, account_id: str, name: str, zone_id: str | None = None,
                zone_type: str = "full") -> Zone:
    """Add a zone to an account; a full zone picks up the account's default nameservers
    (spec-acns §1.4), a partial (CNAME) one keeps the branded pair (§1.3)."""
    account = find_account(world, account_id)
    if zone_type not in ("full", "partial"):
        raise Unsupported(f"zone type {zone_type!r} is not offered by this simulator "
                          "(use 'full' or 'partial')")
    try:
        zone_name = names.normalize(name, min_labels=2)
    except names.NameError_ as exc:
        raise InvalidName(f"invalid zone name: {exc}") from exc
    if zone_by_name(world, zone_name) is not None:
        raise InvalidInput(f"zone {zone_name} already exists")
    zone_id = zone_id or stable_id("zone", zone_name)
    if zone_id in world.zones:
        raise InvalidInput(f"zone id {zone_id!r} is already used")
    defaults = account.zone_defaults  # its values, shared: they are replaced, never changed in place
    zone = Zone(id=zone_id, account_id=account_id, name=zone_name, type=zone_type,
                branded_ns=_branded_pair(world, zone_name),
                ns_ttl=defaults.ns_ttl, soa=defaults.soa, multi_provider=defaults.multi_provider,
                secondary_overrides=defaults.secondary_overrides)
    world.zones[zone_id] = zone
    default = account.default_nameservers
    if zone.type == "full" and (default == "custom.tenant" or (default == "custom.account"
                                                               and account.acns_entitled)):
        zone.nameservers = _first_fitting_set(world, zone, default)
    return zone


def delete_zone(world: World, zone_id: str) -> Zone:
    """Remove a zone and its records; its own custom nameservers (ZCNS) go with it."""
    zone = find_zone(world, zone_id)
    for ns in custom_ns_ops.owned(world, "zone", zone.id):
        custom_ns_ops.release(world, ns)
    return world.zones.pop(zone.id)


def _branded_pair(world: World, zone_name: str) -> list[str]:
    """Two distinct branded names chosen by the zone name (assignments never change)."""
    pool = [ns.name for ns in world.cloudflare.nameservers]
    digest = hashlib.sha256(zone_name.encode()).digest()
    first = digest[0] % len(pool)
    second = (first + 1 + digest[1] % (len(pool) - 1)) % len(pool)
    return [pool[first], pool[second]]


def _first_fitting_set(world: World, zone: Zone, ns_type: str = "custom.account") -> NameserverSetting:
    """Set 1 first, then 2-5; skip sets too small or clashing; else the branded pair."""
    kind, owner = custom_ns_ops.setting_owner(world, zone, ns_type)
    for number in SET_NUMBERS:
        if len(custom_ns_ops.owned(world, kind, owner, number)) < MIN_SET_SIZE:
            continue
        if custom_ns_ops.clash(world, zone, ns_type, number) is None:
            return shared(NameserverSetting(type=ns_type, ns_set=number))
    return STANDARD_NAMESERVERS


def _clashing_zone(world: World, zone: Zone, ns_set: int) -> Zone | None:
    """A parent or child zone in the account that already uses ``ns_set`` (spec-acns §1.1.4)."""
    return custom_ns_ops.clash(world, zone, "custom.account", ns_set)


def check_custom_allowed(world: World, zone: Zone, ns_type: str) -> None:
    """Custom nameservers need a full setup (spec-acns §1.3); ZCNS also a plan the world allows."""
    if zone.type == "partial":
        raise NotFullSetup(f"zone {zone.name} is a partial (CNAME) setup: custom nameservers "
                           f"({ns_type}) need a full setup, where Cloudflare is the authoritative DNS")
    if ns_type == "custom.zone" and zone.plan not in world.zcns_plans:
        raise PlanRequired(f"zone custom nameservers are available on the {', '.join(world.zcns_plans)} "
                           f"plan(s); zone {zone.name} is on the {zone.plan} plan")


def set_zone_nameservers(world: World, zone_id: str, ns_type: str, ns_set: object = None) -> Zone:
    """Switch a zone to a custom set (account, tenant or its own names) or back to its branded
    pair (seed step 3 and removal)."""
    zone = find_zone(world, zone_id)
    _check_type(ns_type, "nameservers")
    if ns_type == "cloudflare.standard":
        zone.nameservers = STANDARD_NAMESERVERS
        return zone
    check_custom_allowed(world, zone, ns_type)
    if ns_type == "custom.account":
        _entitled(world, zone.account_id)
    number = 1 if ns_type == "custom.zone" else check_ns_set(1 if ns_set is None else ns_set)
    kind, owner = custom_ns_ops.setting_owner(world, zone, ns_type)
    custom_ns_ops.usable(world, kind, owner, number)
    clash = custom_ns_ops.clash(world, zone, ns_type, number)
    if clash is not None:
        raise HierarchyConflict(f"zone {zone.name} cannot use set {number}: the related zone "
                                f"{clash.name} already uses it")
    zone.nameservers = shared(NameserverSetting(type=ns_type, ns_set=number))
    return zone


def zone_nameserver_names(world: World, zone: Zone) -> list[str]:
    """The names a zone's apex NS RRset holds right now (spec-acns §6.5, §6.15)."""
    return custom_ns_ops.served(world, zone)


# --- records ------------------------------------------------------------------------------

def add_record(world: World, zone_id: str, name: str, rtype: str, content: str, ttl: int = 300) -> DnsRecord:
    """Add a record to a zone; the content must parse for its type."""
    zone = find_zone(world, zone_id)
    row = checked_row(world, zone, name, rtype, content, ttl)
    taken = {r.id for r in zone.records}
    serial = len(zone.records)
    record_id = stable_id("record", zone.id, str(serial), row.name, row.type, row.content)
    while record_id in taken:  # ids stay unique after deletions shortened the list
        serial += 1
        record_id = stable_id("record", zone.id, str(serial), row.name, row.type, row.content)
    # row was validated as a Record: its fields need no second look
    record = DnsRecord.model_construct(id=record_id, name=row.name, type=row.type, ttl=row.ttl,
                                       content=row.content, managed=False)
    zone.records.append(record)
    return record


def checked_row(world: World, zone: Zone, name: str, rtype: str, content: str, ttl: int,
                 ignore: str | None = None) -> Record:
    """The record in canonical form, after the checks every write of a record makes."""
    try:
        owner = names.normalize(name if name not in ("@", "") else zone.name, hostname=False)
    except names.NameError_ as exc:
        raise InvalidName(f"invalid record name: {exc}") from exc
    if not owner.endswith("." + zone.name) and owner != zone.name:
        owner = f"{owner}.{zone.name}"  # a relative name, as in the dashboard
    try:
        row = zonefile.canonical(owner, rtype, content, ttl)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    if row.type == "SOA" or (row.type == "NS" and owner == zone.name):
        raise InvalidInput(f"{row.type} at the apex of {zone.name} is managed by Cloudflare")
    _check_owner(world, zone, row.name, row.type, ignore)
    return row


def _check_owner(world: World, zone: Zone, owner: str, rtype: str, ignore: str | None = None) -> None:
    """Refuse records that would make a name server name an alias or clash with a CNAME."""
    acns_names = custom_ns_ops.names_near(world, zone.account_id)
    if rtype in ("A", "AAAA", "CNAME") and owner in acns_names:
        raise InvalidInput(f"{owner} is a custom nameserver: Cloudflare manages its A/AAAA "
                           "records, and a name server name may not be an alias (RFC 2181 §10.3)")
    present = {r.type for r in zone.records if r.name == owner and r.id != ignore}
    if present and (rtype == "CNAME" or "CNAME" in present):
        raise InvalidInput(f"{owner} cannot hold a CNAME together with other records (RFC 1034 §3.6.2)")


def provider_zone(world: World, account_id: str, ns_name: str) -> Zone | None:
    """The account's zone closest above ``ns_name``: where its A/AAAA are created (§1.4)."""
    return indexes.of(world).enclosing(ns_name, {account_id})


def managed_records(world: World, zone: Zone) -> Iterator[DnsRecord]:
    """The read-only A/AAAA records Cloudflare keeps in ``zone`` for custom nameserver names
    under it (ACNS and TCNS when the zone is the closest above them, ZCNS of the zone)."""
    for ns in custom_ns_ops.provided_by(world, zone):
        for rtype, value in (("A", ns.ipv4), ("AAAA", ns.ipv6)):
            yield DnsRecord(id=stable_id("managed", zone.id, ns.ns_name, rtype), name=ns.ns_name,
                            type=rtype, ttl=zone.ns_ttl, content=value, managed=True)


def zone_records(world: World, zone: Zone) -> list[DnsRecord]:
    """Every record of a zone as ``dns_records`` lists it: the user's and the managed ones."""
    return [*zone.records, *managed_records(world, zone)]
