"""One allocation path for every kind of custom nameserver (ACNS, TCNS, ZCNS): addresses are
unique across the world whoever asks, never an infrastructure address, a released address is
never also in use, a refusal changes nothing, and each name's read-only A/AAAA live in exactly
one zone (spec-acns §1.4, §1.5; DESIGN "Allocation")."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from acns_dns.world import cloudflare_ops, infrastructure, scenario, tenant_ops, zone_ops
from acns_dns.world.errors import AcnsError
from acns_dns.world.models import World
from acns_dns.world.registry import Registry

TENANT = "6b1b2b0c8c9a4d1e9f0a1b2c3d4e5f60"
SHOP = "8f9e0d1c2b3a4958a6b7c8d9e0f1a2b3"
NAMES = [f"ns{i}.resellerdns.net" for i in range(1, 5)] + [f"ns{i}.shop.com" for i in range(1, 4)]
ACTIONS = ["tenant-add", "tenant-delete", "account-add", "account-delete", "zone-set"]
STEP = st.tuples(st.sampled_from(ACTIONS), st.integers(0, len(NAMES) - 1), st.integers(1, 3))


def _invariants(world: World) -> None:
    taken = [a for ns in world.custom_ns for a in (ns.ipv4, ns.ipv6)]
    assert len(taken) == len(set(taken)), "an address was handed out twice"
    infra = infrastructure.taken_addresses(world.model_copy(update={"custom_ns": []}))
    assert infra.isdisjoint(taken), "a custom nameserver got an infrastructure address"
    assert not set(world.released) & {ns.ipv4 for ns in world.custom_ns}
    managed = Counter((r.name, r.type) for zone in world.zones.values()
                      for r in cloudflare_ops.managed_records(world, zone))
    assert all(count == 1 for count in managed.values()), managed


@given(st.lists(STEP, max_size=30))
def test_random_operations_of_every_kind_keep_the_allocation_rules(steps: list[tuple[str, int, int]]) -> None:
    registry = Registry(scenario.load("tenant"))
    brand = next(z.id for z in registry.world.zones.values() if z.name == "brand.com")
    for action, index, number in steps:
        name = NAMES[index]
        before = registry.world.model_dump()
        try:
            if action == "tenant-add":
                registry.apply(tenant_ops.add_nameserver, TENANT, name, number)
            elif action == "tenant-delete":
                registry.apply(tenant_ops.delete_nameserver, TENANT, name)
            elif action == "account-add":
                registry.apply(cloudflare_ops.add_nameserver, SHOP, name, number)
            elif action == "account-delete":
                registry.apply(cloudflare_ops.delete_nameserver, SHOP, name)
            else:
                wanted = [f"ns{i}.brand.com" for i in range(1, number + 2)]
                registry.apply(zone_ops.set_vanity_names, brand, wanted)
        except AcnsError:
            assert registry.world.model_dump() == before, "a refused operation changed the world"
        _invariants(registry.world)


def test_a_name_is_one_kind_within_the_accounts_that_may_use_it() -> None:
    registry = Registry(scenario.load("tenant"))
    before = registry.world.model_dump()
    for operation, args in ((cloudflare_ops.add_nameserver, (SHOP, "ns1.resellerdns.net", 2)),
                            (tenant_ops.add_nameserver, (TENANT, "ns1.brand.com", 2))):
        try:
            registry.apply(operation, *args)
        except AcnsError as error:
            assert error.code == 1003 and "already exists" in error.message
        else:
            raise AssertionError(f"{operation.__name__}{args} was accepted")
    assert registry.world.model_dump() == before
    # another account outside the tenant may use the same name (spec-acns §6.2: unique per owner)
    other = registry.apply(cloudflare_ops.add_account, "Elsewhere Inc")
    created = registry.apply(cloudflare_ops.add_nameserver, other.id, "ns1.resellerdns.net", 1)
    tenant_ns = next(ns for ns in registry.world.custom_ns if ns.kind == "tenant")
    assert created.ipv4 != tenant_ns.ipv4
