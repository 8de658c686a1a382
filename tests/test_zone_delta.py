"""IXFR deltas: what a change removed and added equals the difference of the two zone files,
whether told from the registry entries a change patched or by listing both zone files."""

from __future__ import annotations

from collections.abc import Mapping

from acns_world import EXTERNAL, build
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from test_incremental import EDGE, OPS, Op

from acns_dns.dns import export, zone_delta
from acns_dns.dns.incremental import update_view
from acns_dns.dns.view import View, ZoneData, compile_view
from acns_dns.dns.zone_history import Key, ZoneHistory, key_for
from acns_dns.world.changes import Change
from acns_dns.world.errors import AcnsError


def _zone(view: View, key: Key) -> tuple[ZoneData, frozenset[str]]:
    """The zone ``key`` names in ``view``, and the apexes its servers serve."""
    groups: Mapping[str, Mapping[str, ZoneData]] = view.servers.groups  # type: ignore[attr-defined]
    for group, server in view.first_of.items():
        zones = groups[group]
        if key_for(server, key[2]) == key and key[2] in zones:
            return zones[key[2]], frozenset(zones)
    raise AssertionError(f"no zone {key}")


def _files_differ(old: ZoneData, old_with: frozenset[str], new: ZoneData,
                  new_with: frozenset[str]) -> tuple[set[object], set[object]]:
    before = zone_delta.without_soa(old, export.zone_records(old, old_with))
    after = zone_delta.without_soa(new, export.zone_records(new, new_with))
    return before - after, after - before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=1, max_size=12))
def test_every_delta_is_the_difference_of_the_zone_files(ops: list[Op]) -> None:
    note(repr(ops))
    registry, _ = build()
    history = ZoneHistory(keep_deltas=True)
    view, _ = history.stamp(compile_view(registry.world, registry.version, (EDGE,)))
    seen: list[Change] = []
    registry.subscribe(lambda _world, change: seen.append(change))
    for op in ops:
        seen.clear()
        try:
            op(registry)
        except AcnsError:
            continue
        update = update_view(view, registry.world, seen[0], registry.version)
        after, changed = history.stamp(update.view, update.compiled, previous=view)
        for key in changed:
            old, old_with = _zone(view, key)
            new, new_with = _zone(after, key)
            last = history._zones[key].deltas[-1]
            assert (set(last.removed), set(last.added)) == _files_differ(old, old_with, new, new_with), key
            assert last.old_soa == old.soa and last.new_soa == new.soa
        view = after


def test_a_glue_change_is_told_from_its_entry() -> None:
    """In a registry, changing one host object compares that entry, not the registry's zone files."""
    registry, _ = build()
    registry.set_registrar_nameservers(EXTERNAL, "vanity.net", ["ns1.vanity.net", "ns2.vanity.net"])
    registry.set_glue(EXTERNAL, "ns1.vanity.net", ["192.0.2.1"], [])
    view = compile_view(registry.world, registry.version, (EDGE,))
    seen: list[Change] = []
    registry.subscribe(lambda _world, change: seen.append(change))
    seen.clear()
    registry.set_glue(EXTERNAL, "ns1.vanity.net", ["192.0.2.2"], [])
    after = update_view(view, registry.world, seen[0], registry.version).view
    tld = next(s for s in view.listing if s.role.value == "tld" and "net" in s.zones)
    old, new = view.servers[tld.ipv4].zones["net"], after.servers[tld.ipv4].zones["net"]
    alongside = frozenset(["net"])
    told = zone_delta._by_entries(old, new, alongside, alongside)
    assert told is not None
    assert told == _files_differ(old, alongside, new, alongside)
    assert {rr.rdata for rr in told[0]} == {"192.0.2.1"} and {rr.rdata for rr in told[1]} == {"192.0.2.2"}
    assert zone_delta.unchanged_by_entries(old, new) is False
    assert zone_delta.unchanged_by_entries(new, new) is True
