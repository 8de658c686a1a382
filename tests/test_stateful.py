"""Random sequences of operations on the registry, valid and invalid, checked after every step.

The machine keeps its own model of the ACNS names (with their addresses), of the released
addresses and of which set each zone enabled, predicts which errors an operation may raise
from the rules alone, and checks the world against the model and the invariants.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable

from acns_world import ACME, CLOUDFLARE, EXTERNAL, OTHER_EXTERNAL, PLAIN, build, server_addresses
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from acns_dns.world import addressing, cloudflare_ops, names, registrar_ops
from acns_dns.world.errors import (
    AcnsError,
    HierarchyConflict,
    InvalidInput,
    InvalidName,
    InvalidNsSet,
    NameserverExists,
    NeedsSupportTicket,
    NotEntitled,
    NotFound,
    NotSponsor,
    RegistrarRefused,
    SetFull,
    SetNotFound,
    TicketState,
    Unsupported,
)
from acns_dns.world.models import AddressPool, World, Zone

BYO = "c" * 32
UNKNOWN = "f" * 32
BYO_POOL = AddressPool(prefix4="198.51.100.0/29", prefix6="2001:db8:53::/125")  # six pairs
ACCOUNTS = st.sampled_from([ACME] * 5 + [BYO] * 2 + [PLAIN, UNKNOWN])
GOOD_NAMES = ["ns1.example.com", "ns2.example.com", "ns3.example.com", "ns1.sub.example.com",
              "ns2.sub.example.com", "ns1.vanity.net", "ns2.vanity.net", "NS1.Vanity.NET.",
              "ns1.plain.org", "a.b.test", "b.b.test", "c.b.test", "d.b.test", "e.b.test", "f.b.test"]
BAD_NAMES = ["bad..example.com", "localhost", "-x.example.com", "a" * 64 + ".com"]
NS_NAMES = st.sampled_from(GOOD_NAMES * 3 + BAD_NAMES)
GOOD_SETS: list[object] = [1, 1, 2, 2, 3, 4, 5, 2.0, None]
NS_SETS = st.sampled_from(GOOD_SETS * 2 + [0, 6, 2.5, True, "1", math.nan])
ZONE_NAMES = st.sampled_from(["example.com", "example.com", "sub.example.com", "sub.example.com",
                              "deep.sub.example.com", "other.example.com", "vanity.net", "plain.org",
                              "b.test"])
NS_TYPES = st.sampled_from(["custom.account", "cloudflare.standard", "custom.tenant", "cloudflare.advanced",
                            "bogus"])
REGISTRARS = st.sampled_from([CLOUDFLARE, EXTERNAL, OTHER_EXTERNAL, "nobody"])
DOMAINS = st.sampled_from(["example.com", "example.com", "vanity.net", "plain.org", "nowhere.net"])
NS_LISTS = st.sampled_from([["ns1.vanity.net", "ns2.vanity.net"], ["ns1.example.com", "ns2.example.com"],
                            ["ns1.host.test", "NS1.host.test."], []])
GLUE_HOSTS = st.sampled_from(["ns1.vanity.net", "ns1.example.com", "ns1.plain.org", "ns1.nowhere.net",
                              "ns1.vanity.zz"])
GLUE = st.sampled_from([(["192.0.2.1"], []), ([], ["2001:db8::1"]), ([], []), (["300.1.1.1"], [])])
TICKETS = st.sampled_from([
    ("set_ns", {"nameservers": ["ns1.example.com", "ns2.example.com"]}),
    ("set_ns", {"nameservers": ["ns1.x.test", "NS1.x.test"]}),
    ("set_glue", {"host": "ns1.example.com", "ipv4": ["192.0.2.9"], "ipv6": ["2001:db8::9"]}),
    ("set_glue", {"host": "ns1.vanity.net", "ipv4": ["192.0.2.9"]}),
    ("delete_glue", {"host": "ns1.example.com"}),
])

Errors = set[type[AcnsError]]


def _normal(name: str) -> str | None:
    try:
        return names.normalize(name, min_labels=2)
    except names.NameError_:
        return None


def _set_number(value: object) -> int | None:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return int(value) if value == int(value) and 1 <= value <= 5 else None


def _related(one: str, two: str) -> bool:
    return one != two and (names.is_subdomain(one, two) or names.is_subdomain(two, one))


class WorldMachine(RuleBasedStateMachine):
    """Drives a Registry with random operations and checks it against a model."""

    def __init__(self) -> None:
        super().__init__()
        self.registry, _ = build()

        def byoip_account(world: World) -> None:
            cloudflare_ops.add_account(world, "byo", BYO).byoip = BYO_POOL

        self.registry.apply(byoip_account)
        # (account, name) -> (ns_set, ipv4, ipv6)
        self.live: dict[tuple[str, str], tuple[int, str, str]] = {}
        self.released: dict[str, str] = {}  # the world's "released" (address -> account/name), oldest first
        self.ever_used: set[str] = set()
        self.enabled_with: dict[str, int] = {}  # zone id -> set size when it took its set

    # --- helpers ----------------------------------------------------------------------------

    @property
    def world(self) -> World:
        return self.registry.world

    def attempt(self, expected: Errors, operation: Callable[..., object], *args: object,
                **kwargs: object) -> object | None:
        """Run one registry call; refused calls must be predicted and change nothing."""
        before = self.world.model_dump()
        version = self.registry.version
        try:
            result = operation(*args, **kwargs)
        except AcnsError as exc:
            assert expected, f"{operation.__name__}{args} was refused unexpectedly: {exc!r}"
            assert type(exc) in expected, f"{operation.__name__}{args}: {exc!r}, expected {expected}"
            assert exc.http_status != 409 and exc.message
            assert self.world.model_dump() == before, f"refused {operation.__name__} changed the world"
            assert self.registry.version == version
            return None
        assert not expected, f"{operation.__name__}{args} succeeded; expected one of {expected}"
        return result

    def account_errors(self, account: str, acns: bool = True) -> Errors:
        if account not in self.world.accounts:
            return {NotFound}
        if acns and not self.world.accounts[account].acns_entitled:
            return {NotEntitled}
        return set()

    def set_size(self, account: str, ns_set: int) -> int:
        return sum(1 for (acc, _), (number, _, _) in self.live.items() if acc == account and number == ns_set)

    def clash(self, zone: Zone, ns_set: int) -> bool:
        return any(other.account_id == zone.account_id and _related(other.name, zone.name)
                   and other.nameservers.type == "custom.account" and other.nameservers.ns_set == ns_set
                   for other in self.world.zones.values())

    def zone(self, name: str) -> Zone | None:
        return cloudflare_ops.zone_by_name(self.world, name)

    def pool(self, account: str) -> list[str]:
        byoip = self.world.accounts[account].byoip
        offsets = addressing.pool_offsets(byoip)
        if byoip is None:
            return []  # the shared pool is far too large ever to run out here
        return [addressing.pair(byoip, offset)[0] for offset in offsets]

    def in_pool(self, account: str, v4: str) -> bool:
        prefix = (self.world.accounts[account].byoip or self.world.network).prefix4
        return ipaddress.IPv4Address(v4) in ipaddress.IPv4Network(prefix)

    # --- account custom nameservers -----------------------------------------------------------

    @rule(account=ACCOUNTS, ns_name=NS_NAMES, ns_set=NS_SETS)
    def add_nameserver(self, account: str, ns_name: str, ns_set: object) -> None:
        expected = self.account_errors(account)
        number, name = _set_number(ns_set), _normal(ns_name)
        pool = self.pool(account) if not expected else []
        in_use = {v4 for _, v4, _ in self.live.values()}
        if not expected:
            if number is None:
                expected.add(InvalidNsSet)
            if name is None:
                expected.add(InvalidName)
            elif (account, name) in self.live:
                expected.add(NameserverExists)
            if number is not None and self.set_size(account, number) >= 5:
                expected.add(SetFull)
            if pool and all(v4 in in_use for v4 in pool):
                expected.add(InvalidInput)
        created = self.attempt(expected, self.registry.add_nameserver, account, ns_name, ns_set)
        if created is None:
            return
        assert name is not None and number is not None
        v4, v6 = self.world.custom_ns[-1].ipv4, self.world.custom_ns[-1].ipv6
        assert self.world.custom_ns[-1].ns_name == name and self.world.custom_ns[-1].ns_set == number
        holder_key = f"{account}/{name}"  # only the same name of the same account gets it back
        own_old = [a for a, holder in self.released.items()
                   if holder == holder_key and self.in_pool(account, a)]
        if own_old:
            assert v4 in own_old, f"{name} did not get its old address {own_old} back, got {v4}"
        elif v4 in self.ever_used:
            never_used = [a for a in pool if a not in self.ever_used] if pool else ["(shared pool)"]
            assert not never_used, f"{v4} reused for {name} while {never_used} were never used"
        if pool:
            assert v4 in pool and ipaddress.IPv6Address(v6) in ipaddress.IPv6Network(BYO_POOL.prefix6)
        self.released.pop(v4, None)
        self.ever_used.add(v4)
        self.live[(account, name)] = (number, v4, v6)

    @rule(account=ACCOUNTS, ns_name=NS_NAMES)
    def delete_nameserver(self, account: str, ns_name: str) -> None:
        expected = self.account_errors(account)
        name = _normal(ns_name)
        if not expected and (account, name) not in self.live:
            expected.add(NotFound)
        if self.attempt(expected, self.registry.delete_nameserver, account, ns_name) is None:
            return
        assert name is not None
        _, v4, _ = self.live.pop((account, name))
        self.released.pop(v4, None)
        self.released[v4] = f"{account}/{name}"

    @rule(account=ACCOUNTS)
    def list_nameservers(self, account: str) -> None:
        listed = self.attempt(self.account_errors(account), self.registry.list_nameservers, account)
        if isinstance(listed, list):
            assert {ns.ns_name for ns in listed} == {name for acc, name in self.live if acc == account}

    @rule(account=st.sampled_from([ACME, ACME, BYO]), ns_set=st.integers(min_value=1, max_value=5),
          count=st.integers(min_value=1, max_value=3), data=st.data())
    def add_to_set(self, account: str, ns_set: int, count: int, data: st.DataObject) -> None:
        free = sorted({str(_normal(n)) for n in GOOD_NAMES} - {n for a, n in self.live if a == account})
        for name in data.draw(st.lists(st.sampled_from(free), min_size=min(count, len(free)),
                                       max_size=count, unique=True)) if free else []:
            self.add_nameserver(account, name, ns_set)

    @precondition(lambda self: bool(self.live))
    @rule(data=st.data())
    def delete_live(self, data: st.DataObject) -> None:
        account, name = data.draw(st.sampled_from(sorted(self.live)))
        self.delete_nameserver(account, name)

    # --- zones ----------------------------------------------------------------------------------

    @rule(zone_name=ZONE_NAMES, ns_set=NS_SETS)
    def enable(self, zone_name: str, ns_set: object) -> None:
        zone = self.zone(zone_name)
        number = _set_number(ns_set)
        expected: Errors = {NotFound} if zone is None else self.account_errors(zone.account_id)
        if zone is not None and not expected:
            if number is None:
                expected.add(InvalidNsSet)
            elif self.set_size(zone.account_id, number) < 2:
                expected.add(SetNotFound)
            elif self.clash(zone, number):
                expected.add(HierarchyConflict)
        zone_id = zone.id if zone is not None else cloudflare_ops.stable_id("zone", zone_name)
        if self.attempt(expected, self.registry.use_custom_nameservers, zone_id, ns_set) is None:
            return
        assert zone is not None and number is not None
        setting = self.world.zones[zone_id].nameservers
        assert (setting.type, setting.ns_set) == ("custom.account", number)
        self.enabled_with[zone_id] = self.set_size(zone.account_id, number)

    @precondition(lambda self: bool(self.world.zones))
    @rule(data=st.data())
    def enable_existing(self, data: st.DataObject) -> None:
        zone_name = data.draw(st.sampled_from(sorted(z.name for z in self.world.zones.values())))
        account = next(z.account_id for z in self.world.zones.values() if z.name == zone_name)
        usable = [n for n in range(1, 6) if self.set_size(account, n) >= 2]
        self.enable(zone_name, data.draw(st.sampled_from(usable * 3 + [1, 2, 3, 4, 5])))

    @rule(zone_name=ZONE_NAMES)
    def disable(self, zone_name: str) -> None:
        zone = self.zone(zone_name)
        zone_id = zone.id if zone is not None else cloudflare_ops.stable_id("zone", zone_name)
        if self.attempt(set() if zone else {NotFound}, self.registry.use_standard_nameservers, zone_id):
            assert zone is not None
            restored = self.world.zones[zone_id]
            assert cloudflare_ops.zone_nameserver_names(self.world, restored) == zone.branded_ns

    @rule(account=ACCOUNTS, ns_type=NS_TYPES)
    def set_default(self, account: str, ns_type: str) -> None:
        expected = self.account_errors(account, acns=ns_type == "custom.account")
        if expected == {NotEntitled} or not expected:
            # these accounts belong to no tenant: custom.tenant has nothing to default to
            by_type: dict[str, Errors] = {"custom.tenant": {InvalidInput},
                                          "cloudflare.advanced": {Unsupported}, "bogus": {InvalidInput}}
            expected |= by_type.get(ns_type, set())
        self.attempt(expected, self.registry.set_default_nameservers, account, ns_type)

    @rule(account=ACCOUNTS, zone_name=ZONE_NAMES)
    def create_zone(self, account: str, zone_name: str) -> None:
        expected = self.account_errors(account, acns=False)
        if not expected and self.zone(zone_name) is not None:
            expected.add(InvalidInput)
        created = self.attempt(expected, self.registry.create_zone, account, zone_name)
        if not isinstance(created, Zone):
            return
        owner = self.world.accounts[account]
        want: int | None = None
        if owner.default_nameservers == "custom.account" and owner.acns_entitled:
            want = next((n for n in range(1, 6) if self.set_size(account, n) >= 2
                         and not self.clash(created, n)), None)
        assert created.nameservers.ns_set == want
        assert created.nameservers.type == ("cloudflare.standard" if want is None else "custom.account")
        if want is not None:
            self.enabled_with[created.id] = self.set_size(account, want)

    @rule(zone_name=ZONE_NAMES)
    def new_zone_by_default(self, zone_name: str) -> None:
        self.set_default(ACME, "custom.account")
        self.delete_zone(zone_name)
        self.create_zone(ACME, zone_name)

    @rule(zone_name=ZONE_NAMES)
    def delete_zone(self, zone_name: str) -> None:
        zone = self.zone(zone_name)
        zone_id = zone.id if zone is not None else cloudflare_ops.stable_id("zone", zone_name)
        if self.attempt(set() if zone else {NotFound}, self.registry.delete_zone, zone_id):
            self.enabled_with.pop(zone_id, None)

    # --- registrars -----------------------------------------------------------------------------

    def sponsor_errors(self, registrar: str, domain: str | None) -> Errors:
        if registrar not in self.world.registrars:
            return {NotFound}
        if domain is None:
            return {NotFound}
        registration = self.world.tlds[domain.rsplit(".", 1)[1]].domains.get(domain)
        if registration is None:
            return {NotFound}
        if registration.registrar != registrar:
            return {NotSponsor}
        if self.world.registrars[registrar].kind == "cloudflare":
            return {NeedsSupportTicket}
        return set()

    @rule(registrar=REGISTRARS, domain=DOMAINS, nameservers=NS_LISTS)
    def set_registrar_nameservers(self, registrar: str, domain: str, nameservers: list[str]) -> None:
        expected = self.sponsor_errors(registrar, domain)
        if not expected and len({_normal(ns) for ns in nameservers}) != len(nameservers):
            expected.add(InvalidInput)
        if self.attempt(expected, self.registry.set_registrar_nameservers, registrar, domain, nameservers):
            delegation = self.registry.read(registrar_ops.find_domain, domain).nameservers
            assert delegation == [_normal(ns) for ns in nameservers]

    @rule(at=st.sampled_from([(EXTERNAL, "vanity.net", "ns1.vanity.net"),
                              (OTHER_EXTERNAL, "plain.org", "ns1.plain.org")]),
          nameservers=NS_LISTS, glue=GLUE)
    def change_at_the_sponsor(self, at: tuple[str, str, str], nameservers: list[str],
                              glue: tuple[list[str], list[str]]) -> None:
        registrar, domain, host = at
        self.set_registrar_nameservers(registrar, domain, nameservers)
        self.set_glue(registrar, host, glue)

    @rule(registrar=REGISTRARS, host=GLUE_HOSTS, glue=GLUE)
    def set_glue(self, registrar: str, host: str, glue: tuple[list[str], list[str]]) -> None:
        ipv4, ipv6 = glue
        tld = host.rsplit(".", 1)[1]
        domain = ".".join(host.split(".")[-2:]) if tld in self.world.tlds else None
        expected = self.sponsor_errors(registrar, domain)
        if not expected and "300.1.1.1" in ipv4:
            expected.add(InvalidInput)
        if self.attempt(expected, self.registry.set_glue, registrar, host, ipv4, ipv6) is None and expected:
            return
        found = self.registry.read(registrar_ops.glue_of, host)
        got = None if found is None else (found.ipv4, found.ipv6)
        assert got == ((ipv4, ipv6) if ipv4 or ipv6 else None)

    @rule(domain=DOMAINS, ticket=TICKETS)
    def open_ticket(self, domain: str, ticket: tuple[str, dict[str, object]]) -> None:
        action, details = ticket
        registration = self.world.tlds[domain.rsplit(".", 1)[1]].domains.get(domain)
        expected: Errors = set()
        if registration is None:
            expected.add(NotFound)
        elif self.world.registrars[registration.registrar].kind != "cloudflare":
            expected.add(RegistrarRefused)
        elif "NS1.x.test" in details.get("nameservers", []):  # type: ignore[operator]
            expected.add(InvalidInput)
        elif not names.is_subdomain(str(details.get("host", domain)), domain):
            expected.add(InvalidInput)
        tlds_before = {name: tld.model_dump() for name, tld in self.world.tlds.items()}
        opened = self.attempt(expected, self.registry.open_ticket, domain, action, **details)
        if opened is not None:
            assert self.world.tickets[-1].status == "open"
            assert {name: tld.model_dump() for name, tld in self.world.tlds.items()} == tlds_before

    @rule(data=st.data())
    def resolve_ticket(self, data: st.DataObject) -> None:
        self.resolve(data.draw(st.integers(min_value=1, max_value=len(self.world.tickets) + 1)))

    @rule(ticket=TICKETS, again=st.booleans())
    def ticket_round_trip(self, ticket: tuple[str, dict[str, object]], again: bool) -> None:
        self.open_ticket("example.com", ticket)
        self.resolve(len(self.world.tickets))
        if again:
            self.resolve(len(self.world.tickets))

    def resolve(self, number: int) -> None:
        ticket_id = f"T{number:04d}"
        ticket = next((t for t in self.world.tickets if t.id == ticket_id), None)
        expected: Errors = {NotFound} if ticket is None else set()
        if ticket is not None and ticket.status == "resolved":
            expected.add(TicketState)
        if self.attempt(expected, self.registry.resolve_ticket, ticket_id) is None:
            return
        assert ticket is not None
        assert next(t for t in self.world.tickets if t.id == ticket_id).status == "resolved"
        if ticket.action == "set_ns":
            domain = self.registry.read(registrar_ops.find_domain, ticket.domain)
            assert domain.nameservers == ticket.nameservers
        else:
            found = self.registry.read(registrar_ops.glue_of, ticket.host or "")
            got = None if found is None else (found.ipv4, found.ipv6)
            assert got == (None if ticket.action == "delete_glue" else (ticket.ipv4, ticket.ipv6))

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def names_match_the_model(self) -> None:
        world = {(ns.account_id, ns.ns_name): (ns.ns_set, ns.ipv4, ns.ipv6) for ns in self.world.custom_ns}
        assert len(world) == len(self.world.custom_ns), "a name is in two sets of one account"
        assert world == self.live
        assert list(self.world.released.items()) == list(self.released.items())

    @invariant()
    def sets_have_at_most_five_names_and_there_are_at_most_five_sets(self) -> None:
        for account in self.world.accounts:
            numbers = [ns.ns_set for ns in self.world.custom_ns if ns.account_id == account]
            assert set(numbers) <= {1, 2, 3, 4, 5}
            assert all(numbers.count(n) <= 5 for n in set(numbers))

    @invariant()
    def addresses_are_unique_across_the_world(self) -> None:
        addresses = server_addresses(self.world)
        assert len(addresses) == len(set(addresses))
        assert not set(self.world.released) & set(addresses)

    @invariant()
    def zones_on_acns_serve_names_that_have_addresses(self) -> None:
        addresses = {ns.name: (ns.ipv4, ns.ipv6) for ns in self.world.cloudflare.nameservers}
        for zone in self.world.zones.values():
            setting = zone.nameservers
            if setting.type == "custom.account":
                assert setting.ns_set in range(1, 6)
                assert self.enabled_with.get(zone.id, 0) >= 2, f"{zone.name} took a set of < 2 names"
            mine = {ns.ns_name: (ns.ipv4, ns.ipv6) for ns in self.world.custom_ns
                    if ns.account_id == zone.account_id}
            served = cloudflare_ops.zone_nameserver_names(self.world, zone)
            assert served and all(name in mine or name in addresses for name in served)
            if setting.type == "cloudflare.standard":
                assert served == zone.branded_ns

    @invariant()
    def no_parent_and_child_share_a_set(self) -> None:
        acns = [z for z in self.world.zones.values() if z.nameservers.type == "custom.account"]
        for one in acns:
            for two in acns:
                if one.account_id == two.account_id and _related(one.name, two.name):
                    assert one.nameservers.ns_set != two.nameservers.ns_set, (one.name, two.name)


WorldMachine.TestCase.settings = settings(settings.default, stateful_step_count=50)
test_world_machine = WorldMachine.TestCase
