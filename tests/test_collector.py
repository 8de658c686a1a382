"""The cyclic collector held off while a world is built, and the world it then hides freed
once another replaces it (collector)."""

from __future__ import annotations

import gc
import weakref

from acns_dns.world import collector, indexes, scenario
from acns_dns.world.registry import Registry


def test_a_settled_world_is_freed_once_another_replaces_it() -> None:
    try:
        collector.pause()
        world = scenario.load("default")
        indexes.of(world)  # the index and the world refer to each other: a cycle
        registry = Registry(world)
        registry.subscribe(collector.thaw_once_replaced(world))
        collector.settle()
        assert gc.isenabled() and gc.get_freeze_count() > 0
        start = weakref.ref(world)
        del world
        registry.add_nameserver("023e105f4ecef8ad9ca31a8372d0c353", "ns3.example.com", 2)
        assert gc.get_freeze_count() > 0  # a change to the same world keeps it hidden
        registry.replace(scenario.load("missing-glue"))
        gc.collect()
        assert start() is None
    finally:
        gc.unfreeze()
        gc.enable()
