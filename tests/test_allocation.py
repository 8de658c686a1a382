"""Address allocation for ACNS names (spec-acns §1.4, §6.1; DESIGN "Allocation")."""

from __future__ import annotations

import ipaddress

import pytest
from acns_world import ACME, build, fails, server_addresses
from hypothesis import given
from hypothesis import strategies as st

from acns_dns.world import addressing, cloudflare_ops, infrastructure
from acns_dns.world.errors import InvalidInput
from acns_dns.world.models import AddressPool, Network, World
from acns_dns.world.registry import Registry

NETWORK = Network()
TINY = range(0x8000, 0x8004)  # four pairs: 127.53.128.0 - 127.53.128.3


def _allocate(name: str, taken: set[str], released: dict[str, str], offsets: range = TINY) -> tuple[str, str]:
    return addressing.allocate(name, NETWORK, offsets, taken, released)


def test_one_ipv4_and_one_ipv6_at_the_same_offset() -> None:
    v4, v6 = _allocate("ns1.example.com", set(), {}, addressing.ACNS_OFFSETS)
    offset4 = int(ipaddress.IPv4Address(v4)) - int(ipaddress.IPv4Address("127.53.0.0"))
    offset6 = int(ipaddress.IPv6Address(v6)) - int(ipaddress.IPv6Address("fd53:53:53::"))
    assert offset4 == offset6
    assert offset4 in addressing.ACNS_OFFSETS


def test_same_inputs_give_the_same_pair() -> None:
    assert _allocate("ns1.example.com", set(), {}) == _allocate("ns1.example.com", set(), {})


def test_taken_addresses_are_skipped_until_the_pool_is_exhausted() -> None:
    taken: set[str] = set()
    handed: list[str] = []
    for index in range(len(TINY)):
        v4, v6 = _allocate(f"ns{index}.example.com", taken, {})
        taken.update((v4, v6))
        handed.append(v4)
    assert sorted(handed) == [f"127.53.128.{i}" for i in range(4)]
    with pytest.raises(addressing.PoolExhausted):
        _allocate("one-too-many.example.com", taken, {})


def test_a_taken_ipv6_address_blocks_its_pair() -> None:
    first = _allocate("ns1.example.com", set(), {})
    second = _allocate("ns1.example.com", {first[1]}, {})
    assert second != first
    assert second[0] != first[0]


def test_a_freed_address_waits_while_a_never_used_one_is_left() -> None:
    taken: set[str] = set()
    pairs = {}
    for name in ("a.example.com", "b.example.com", "c.example.com"):
        pairs[name] = _allocate(name, taken, {})
        taken.update(pairs[name])
    freed = pairs.pop("b.example.com")
    taken.difference_update(freed)
    released = {freed[0]: "b.example.com"}
    fresh = _allocate("d.example.com", taken, released)
    assert fresh != freed
    assert fresh[0] not in {p[0] for p in pairs.values()}
    taken.update(fresh)
    # The pool now holds only the freed pair: it is handed out again, not refused.
    assert _allocate("e.example.com", taken, released) == freed


def test_the_oldest_released_address_is_reused_first() -> None:
    everything = [addressing.pair(NETWORK, offset) for offset in TINY]
    taken = {address for pair in everything[2:] for address in pair}
    released = {everything[1][0]: "old.example.com", everything[0][0]: "newer.example.com"}
    assert _allocate("x.example.com", taken, released) == everything[1]


def test_a_recreated_name_gets_its_old_address_back() -> None:
    taken: set[str] = set()
    first = _allocate("a.example.com", taken, {})
    other = _allocate("b.example.com", set(first), {})
    released = {first[0]: "a.example.com"}
    again = _allocate("a.example.com", set(other), released)
    assert again == first


def test_an_empty_pool_is_exhausted_not_a_crash() -> None:
    pool = AddressPool(prefix4="10.9.9.9/32", prefix6="fd00:9::9/128")
    with pytest.raises(addressing.PoolExhausted):
        addressing.allocate("ns1.example.com", pool, addressing.pool_offsets(pool), set(), {})


def test_pool_offsets_skip_the_network_and_broadcast_addresses() -> None:
    pool = AddressPool(prefix4="198.51.100.0/24", prefix6="2001:db8:1::/64")
    offsets = addressing.pool_offsets(pool)
    assert offsets == range(1, 255)
    assert addressing.pool_offsets(None) == addressing.ACNS_OFFSETS


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5)), max_size=40))
def test_random_adds_and_deletes_keep_the_allocation_rules(steps: list[tuple[bool, int]]) -> None:
    live: dict[str, tuple[str, str]] = {}
    released: dict[str, str] = {}
    history: dict[str, str] = {}  # name -> the IPv4 address it held last
    for add, index in steps:
        name = f"ns{index}.example.com"
        if add and name not in live:
            taken = {address for pair in live.values() for address in pair}
            try:
                v4, v6 = _allocate(name, taken, released)
            except addressing.PoolExhausted:
                assert len(live) == len(TINY)
                continue
            never_used = [addressing.pair(NETWORK, o) for o in TINY
                          if addressing.pair(NETWORK, o)[0] not in taken | set(released)]
            if name in history and released.get(history[name]) == name:  # still its own, unused since
                assert v4 == history[name]
            elif v4 in released:
                assert not never_used, f"reused {v4} while {never_used} were never used"
            assert v4 not in taken and v6 not in taken
            released.pop(v4, None)
            live[name] = (v4, v6)
            history[name] = v4
        elif not add and name in live:
            v4, _ = live.pop(name)
            released.pop(v4, None)
            released[v4] = name


# --- through the registry ------------------------------------------------------------------

def _populate(registry: Registry) -> None:
    for set_number in (1, 2):
        for index in range(1, 4):
            registry.add_nameserver(ACME, f"ns{index}.set{set_number}.example.com", set_number)
    registry.delete_nameserver(ACME, "ns2.set1.example.com")
    registry.add_nameserver(ACME, "ns9.vanity.net", 3)


def test_addresses_are_unique_across_the_world() -> None:
    registry, _ = build()
    _populate(registry)
    addresses = server_addresses(registry.world)
    assert len(addresses) == len(set(addresses))
    for ns in registry.world.custom_ns:
        assert ipaddress.IPv4Address(ns.ipv4) in ipaddress.IPv4Network("127.53.128.0/17")
        assert ipaddress.IPv6Address(ns.ipv6) in ipaddress.IPv6Network("fd53:53:53::/48")


def test_the_same_operations_give_the_same_addresses_every_run() -> None:
    first, _ = build()
    second, _ = build()
    _populate(first)
    _populate(second)
    assert first.world.model_dump() == second.world.model_dump()


def test_an_address_is_stable_for_the_life_of_the_name() -> None:
    registry, _ = build()
    created = registry.add_nameserver(ACME, "ns1.example.com")
    _populate(registry)
    kept = next(ns for ns in registry.world.custom_ns if ns.ns_name == "ns1.example.com")
    assert (kept.ipv4, kept.ipv6) == (created.ipv4, created.ipv6)


def test_a_recreated_name_gets_its_old_address_back_through_the_registry() -> None:
    registry, _ = build()
    created = registry.add_nameserver(ACME, "ns1.example.com")
    registry.add_nameserver(ACME, "ns2.example.com")
    registry.delete_nameserver(ACME, "ns1.example.com")
    assert registry.world.released == {created.ipv4: f"{ACME}/ns1.example.com"}
    registry.add_nameserver(ACME, "ns3.example.com")
    again = registry.add_nameserver(ACME, "ns1.example.com", 2)
    assert (again.ipv4, again.ipv6) == (created.ipv4, created.ipv6)
    assert registry.world.released == {}


def test_the_same_name_in_another_account_does_not_inherit_a_freed_address() -> None:
    registry, _ = build()
    created = registry.add_nameserver(ACME, "ns1.example.com")
    registry.delete_nameserver(ACME, "ns1.example.com")
    other = registry.add_account("second", "c" * 32)
    elsewhere = registry.add_nameserver(other.id, "ns1.example.com")
    assert elsewhere.ipv4 != created.ipv4 and elsewhere.ipv6 != created.ipv6
    assert created.ipv4 in registry.world.released


def test_byoip_pools_are_used_when_set() -> None:
    registry, _ = build()
    byoip = AddressPool(prefix4="198.51.100.0/24", prefix6="2001:db8:100::/64")

    def bring_own(world: World) -> None:
        world.accounts[ACME].byoip = byoip

    registry.apply(bring_own)
    created = registry.add_nameserver(ACME, "ns1.example.com")
    assert ipaddress.IPv4Address(created.ipv4) in ipaddress.IPv4Network(byoip.prefix4)
    assert ipaddress.IPv6Address(created.ipv6) in ipaddress.IPv6Network(byoip.prefix6)


def test_byoip_accounts_sharing_an_ipv6_prefix_get_distinct_ipv6_addresses() -> None:
    registry, _ = build()
    second = cloudflare_ops.stable_id("account", "second")

    def bring_own(world: World) -> None:
        cloudflare_ops.add_account(world, "second", second)
        world.accounts[ACME].byoip = AddressPool(prefix4="198.51.100.0/24", prefix6="2001:db8:100::/64")
        world.accounts[second].byoip = AddressPool(prefix4="203.0.113.0/24", prefix6="2001:db8:100::/64")

    registry.apply(bring_own)
    mine = registry.add_nameserver(ACME, "ns1.example.com")
    theirs = registry.add_nameserver(second, "ns1.example.com")
    assert mine.ipv6 != theirs.ipv6
    assert mine.ipv4 != theirs.ipv4


def test_an_exhausted_byoip_pool_is_refused_and_changes_nothing() -> None:
    registry, _ = build()

    def bring_own(world: World) -> None:
        world.accounts[ACME].byoip = AddressPool(prefix4="198.51.100.0/30", prefix6="2001:db8:100::/126")

    registry.apply(bring_own)
    registry.add_nameserver(ACME, "ns1.example.com")
    registry.add_nameserver(ACME, "ns2.example.com")
    error = fails(registry, InvalidInput, "add_nameserver", ACME, "ns3.example.com")
    assert "ns3.example.com" in error.message


def test_worlds_with_different_prefixes_never_overlap() -> None:
    one, _ = build(Network(prefix4="127.53.0.0/16", prefix6="fd53:53:53::/48"))
    two, _ = build(Network(prefix4="127.54.0.0/16", prefix6="fd53:53:54::/48"))
    for registry in (one, two):
        _populate(registry)
        registry.apply(infrastructure.add_host, "dnshost", "Other DNS",
                       [{"name": "ns1.host.test"}, {"name": "ns2.host.test"}], [])
    first, second = server_addresses(one.world), server_addresses(two.world)
    assert not set(first) & set(second)
    assert all(ipaddress.ip_address(a) in ipaddress.ip_network("127.54.0.0/16")
               for a in second if ":" not in a)


@given(st.one_of(st.ip_addresses().map(str), st.from_regex(r"[0-9a-fA-F:.]{1,20}", fullmatch=True)))
def test_rebase_to_the_same_network_writes_addresses_as_ipaddress_does(address: str) -> None:
    """The shortcut for an unmoved network gives what ipaddress gives (or refuses the same)."""
    try:
        expected: str | None = str(ipaddress.ip_address(address))
    except ValueError:
        expected = None
    try:
        got: str | None = addressing.rebase(address, Network(), Network())
    except ValueError:
        got = None
    assert got == expected


@given(st.one_of(st.ip_addresses(v=4, network="127.53.0.0/16"),
                 st.ip_addresses(v=6, network="fd53:53:53::/48"), st.ip_addresses()))
def test_rebase_moves_addresses_of_the_default_network_to_the_same_offset(ip: object) -> None:
    """The integer shortcut gives what ipaddress arithmetic gives."""
    target = addressing.network_for("127.54.0.0/16")
    address = ipaddress.ip_address(str(ip))
    expected = str(address)
    for old, new in ((Network().prefix4, target.prefix4), (Network().prefix6, target.prefix6)):
        old_net, new_net = ipaddress.ip_network(old), ipaddress.ip_network(new)
        if address.version == old_net.version and address in old_net:
            expected = str(new_net.network_address + (int(address) - int(old_net.network_address)))
    assert addressing.rebase(str(ip), Network(), target) == expected

