"""Edge zones built when first read: built once per source, bounded, never stale."""

from __future__ import annotations

from acns_dns.dns.lazyzones import BuiltZones, LazyZones, ZoneSource
from acns_dns.dns.zonedata import RR


def _source(apex: str, address: str = "192.0.2.1") -> ZoneSource:
    soa = RR(apex, "SOA", 3600, f"ns1.{apex}. dns.{apex}. 1 10000 2400 604800 1800")
    records = (soa, RR(apex, "NS", 86400, f"ns1.{apex}."), RR(f"www.{apex}", "A", 300, address))
    return ZoneSource(apex, records)


def test_a_zone_is_built_once_and_the_least_recently_used_goes_first() -> None:
    built = BuiltZones(limit=2)
    a, b, c = _source("a.test"), _source("b.test"), _source("c.test")
    zones = LazyZones({"a.test": a, "b.test": b, "c.test": c}, built)
    assert zones["a.test"] is zones["a.test"] and built.builds == 1
    zones["b.test"]
    zones["a.test"]  # a is now the most recently used
    zones["c.test"]  # over the limit: b goes
    assert len(built) == 2 and built.builds == 3
    zones["a.test"]
    assert built.builds == 3  # still cached
    zones["b.test"]
    assert built.builds == 4  # built again
    assert ("www.b.test", "A") in zones["b.test"].rrsets


def test_a_change_makes_a_new_source_so_no_built_zone_is_stale() -> None:
    built = BuiltZones()
    old = LazyZones({"a.test": _source("a.test")}, built)
    assert old["a.test"].rrsets[("www.a.test", "A")][0].rdata == "192.0.2.1"
    new = old.with_changes({"a.test": _source("a.test", "192.0.2.2")})
    assert new["a.test"].rrsets[("www.a.test", "A")][0].rdata == "192.0.2.2"
    assert old["a.test"].rrsets[("www.a.test", "A")][0].rdata == "192.0.2.1"  # the old view stays whole
    assert not new.same_as("a.test", old) and not new.is_built("a.test")
    assert new.same_as("a.test", new.with_changes({}))
    assert new.same_as("a.test", LazyZones({"a.test": _source("a.test", "192.0.2.2")}, built))  # same records
