"""An incremental view equals a view compiled from scratch, after any sequence of operations.

Each operation says what it touched (the ``Change`` the registry reports, and one written here
from the operation's meaning); the view built by ``update_view`` from the previous
one must equal ``compile_view`` of the same world, and a long-lived ``Responder`` advanced with
the touched cache tags must give, byte for byte, the answers a fresh one gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dns.message
import dns.rdatatype
import pytest
from acns_world import ACME, EXTERNAL, build
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from acns_dns.dns import wire
from acns_dns.dns.incremental import update_view
from acns_dns.dns.layered import Layered, LayeredSet
from acns_dns.dns.view import View, ZoneData, compile_view
from acns_dns.world import cloudflare_ops, infrastructure, names
from acns_dns.world.changes import Change
from acns_dns.world.errors import AcnsError
from acns_dns.world.models import World
from acns_dns.world.registry import Registry

EDGE = "127.0.0.1"
ZONES = ["example.com", "sub.example.com", "deep.sub.example.com", "other.example.com", "vanity.net"]
OWNERS = ["@", "www", "ns1", "a.b", "b"]
QNAMES = ["example.com", "www.example.com", "sub.example.com", "www.sub.example.com",
          "deep.sub.example.com", "ns1.example.com", "ns1.sub.example.com", "other.example.com",
          "vanity.net", "ns1.vanity.net", "b.other.example.com", "a.b.example.com", "nowhere.test"]
QTYPES = ["A", "NS", "SOA", "DS"]

class Op:
    """One operation and what it touches, named for hypothesis' reports."""

    def __init__(self, label: str, run: Callable[[Registry], Change]) -> None:
        self.label, self.run = label, run

    def __call__(self, registry: Registry) -> Change:
        return self.run(registry)

    def __repr__(self) -> str:
        return self.label


def _zone(world: World, name: str) -> str:
    zone = cloudflare_ops.zone_by_name(world, name)
    if zone is None:
        raise AcnsError(f"no zone {name}")
    return zone.id


def _account_zones(world: World) -> frozenset[str]:
    return frozenset(z.name for z in world.zones.values() if z.account_id == ACME)


def _add_record(zone: str, owner: str, rtype: str, content: str) -> Op:
    def run(registry: Registry) -> Change:
        registry.add_record(_zone(registry.world, zone), owner, rtype, content)
        return Change(zones=frozenset({zone}))
    return Op(f"add_record{(zone, owner, rtype, content,)!r}", run)


def _delete_record(zone: str) -> Op:
    def run(registry: Registry) -> Change:
        zone_id = _zone(registry.world, zone)
        records = registry.world.zones[zone_id].records
        if not records:
            raise AcnsError("no record")
        registry.delete_record(zone_id, records[0].id)
        return Change(zones=frozenset({zone}))
    return Op(f"delete_record{(zone,)!r}", run)


def _with_providers(world: World, zone: str) -> Change:
    """A zone that comes or goes, and the account's zones above it: the A/AAAA of custom
    nameserver names below it move between them (the closest zone above a name holds them)."""
    above = {z.name for z in world.zones.values()
             if z.account_id == ACME and names.is_subdomain(zone, z.name)}
    return Change(zones=frozenset({zone} | above))


def _create_zone(zone: str) -> Op:
    def run(registry: Registry) -> Change:
        registry.create_zone(ACME, zone)
        return _with_providers(registry.world, zone)
    return Op(f"create_zone{(zone,)!r}", run)


def _delete_zone(zone: str) -> Op:
    def run(registry: Registry) -> Change:
        registry.delete_zone(_zone(registry.world, zone))
        return _with_providers(registry.world, zone)
    return Op(f"delete_zone{(zone,)!r}", run)


def _nameserver(name: str, ns_set: int, delete: bool) -> Op:
    def run(registry: Registry) -> Change:
        if delete:
            registry.delete_nameserver(ACME, name)
        else:
            registry.add_nameserver(ACME, name, ns_set)
        return Change(zones=_account_zones(registry.world), servers=True)  # their NS, managed A/AAAA
    return Op(f"nameserver{(name, ns_set, delete,)!r}", run)


def _use_set(zone: str, ns_set: int | None) -> Op:
    def run(registry: Registry) -> Change:
        zone_id = _zone(registry.world, zone)
        if ns_set is None:
            registry.use_standard_nameservers(zone_id)
        else:
            registry.use_custom_nameservers(zone_id, ns_set)
        return Change(zones=frozenset({zone}))
    return Op(f"use_set{(zone, ns_set,)!r}", run)


def _delegate(domain: str, nameservers: list[str]) -> Op:
    def run(registry: Registry) -> Change:
        registry.set_registrar_nameservers(EXTERNAL, domain, nameservers)
        return Change(tld_entries=frozenset({domain}))
    return Op(f"delegate{(domain, nameservers,)!r}", run)


def _glue(host: str, ipv4: list[str]) -> Op:
    def run(registry: Registry) -> Change:
        registry.set_glue(EXTERNAL, host, ipv4, [])
        return Change(tld_entries=frozenset({host}))
    return Op(f"glue{(host, ipv4,)!r}", run)


def _register(domain: str) -> Op:
    def run(registry: Registry) -> Change:
        registry.apply(infrastructure.register_domain, EXTERNAL, domain, ["ns1.vanity.net", "ns2.vanity.net"])
        return Change(tld_entries=frozenset({domain}))
    return Op(f"register{(domain,)!r}", run)


NS_NAMES = st.sampled_from(["ns1.example.com", "ns2.example.com", "ns1.sub.example.com",
                            "ns2.sub.example.com", "ns1.vanity.net", "ns1.deep.sub.example.com"])
OPS: st.SearchStrategy[Op] = st.one_of(
    st.builds(_add_record, st.sampled_from(ZONES), st.sampled_from(OWNERS),
              st.sampled_from(["A", "TXT"]), st.sampled_from(["192.0.2.7", '"x"'])),
    st.builds(_add_record, st.sampled_from(ZONES), st.sampled_from(["b", "a.b"]), st.just("NS"),
              st.sampled_from(["ns1.vanity.net.", "ns9.b.example.com."])),
    st.builds(_delete_record, st.sampled_from(ZONES)),
    st.builds(_create_zone, st.sampled_from(ZONES)),
    st.builds(_delete_zone, st.sampled_from(ZONES)),
    st.builds(_nameserver, NS_NAMES, st.sampled_from([1, 2]), st.booleans()),
    st.builds(_use_set, st.sampled_from(ZONES), st.sampled_from([1, 2, None])),
    st.builds(_delegate, st.sampled_from(["vanity.net", "glued.net", "deep.vanity.net"]),
              st.sampled_from([["ns1.vanity.net", "ns2.vanity.net"], ["ns1.glued.net"], ["ns1.host.test"],
                               []])),
    st.builds(_glue, st.sampled_from(["ns1.vanity.net", "ns2.vanity.net", "ns1.glued.net"]),
              st.sampled_from([["192.0.2.1"], ["192.0.2.2", "192.0.2.3"], []])),
    st.builds(_register, st.sampled_from(["glued.net", "other.net", "deep.vanity.net"])),
)


def _plain(mapping: Any) -> Any:
    if isinstance(mapping, (Layered, dict)) or hasattr(mapping, "items"):
        return {key: _plain(value) for key, value in mapping.items()}
    if isinstance(mapping, (LayeredSet, frozenset, set)):
        return set(mapping)
    return mapping


def _zone_form(zone: ZoneData) -> tuple[object, ...]:
    return (zone.apex, _plain(zone.rrsets), _plain(zone.names), _plain(zone.cuts), _plain(zone.addresses),
            zone.soa, zone.sibling_glue, zone.negative_soa)


def _form(view: View) -> dict[str, object]:
    """Everything a view serves, as plain values."""
    found: dict[str, object] = {}
    for address, server in view.servers.items():
        zones = {apex: _zone_form(zone) for apex, zone in server.zones.items()}
        found[address] = (server.role, server.name, server.label, zones, view.group_of[address])
    found["listing"] = [(s.role, s.name, s.ipv4, s.ipv6, s.label, sorted(s.zones)) for s in view.listing]
    return found


def _queries(view: View) -> list[tuple[bytes, str]]:
    addresses = [EDGE] + [s.ipv4 for s in view.listing if s.role.value in ("tld", "root")]
    queries = []
    for qname in QNAMES:
        for qtype in QTYPES:
            message = dns.message.make_query(qname, dns.rdatatype.from_text(qtype), use_edns=0)
            message.id = 7
            for address in addresses:
                queries.append((message.to_wire(), address))
    return queries


@pytest.mark.parametrize("reported", [True, False], ids=["registry-change", "written-change"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=1, max_size=10))
def test_incremental_view_equals_compiled_view(reported: bool, ops: list[Op]) -> None:
    """With the Change the registry reports, and with one written here from each operation's
    meaning (what the DNS layer relies on a Change to say)."""
    note(repr(ops))
    registry, _ = build()
    view = compile_view(registry.world, registry.version, (EDGE,))
    responder = wire.Responder(view)
    seen: list[Change] = []
    registry.subscribe(lambda _world, change: seen.append(change))
    for op in ops:
        queries = _queries(view)
        for data, address in queries:  # fill the cache, so the change must drop what it touched
            responder.respond(data, address)
        seen.clear()
        try:
            written = op(registry)
        except AcnsError:
            assert not seen  # a refused operation publishes nothing
            continue
        assert len(seen) == 1
        change = seen[0] if reported else written
        assert not change.everything
        view, touched, _ = update_view(view, registry.world, change, registry.version)
        scratch = compile_view(registry.world, registry.version, (EDGE,))
        assert _form(view) == _form(scratch)
        responder.advance(view, touched)
        fresh = wire.Responder(scratch)
        for data, address in queries:
            ours, theirs = responder.respond(data, address), fresh.respond(data, address)
            assert ours is not None and theirs is not None
            assert ours.data == theirs.data, (dns.message.from_wire(data).question, address,
                                              dns.message.from_wire(ours.data).to_text(),
                                              dns.message.from_wire(theirs.data).to_text())


def test_everything_is_a_full_compile() -> None:
    registry, _ = build()
    view = compile_view(registry.world, 1, (EDGE,))
    registry.add_record(_zone(registry.world, "example.com"), "www", "A", "192.0.2.9")
    rebuilt, touched, _ = update_view(view, registry.world, Change.EVERYTHING, 2)
    assert touched is None and _form(rebuilt) == _form(compile_view(registry.world, 2, (EDGE,)))


def test_a_change_shares_untouched_zones_and_servers() -> None:
    registry, _ = build()
    view = compile_view(registry.world, 1, (EDGE,))
    registry.add_record(_zone(registry.world, "example.com"), "www", "A", "192.0.2.9")
    after, touched, _ = update_view(view, registry.world, Change(zones=frozenset({"example.com"})), 2)
    assert after.same_servers(view) and touched is not None
    edge_before, edge_after = view.servers[EDGE].zones, after.servers[EDGE].zones
    assert edge_after["sub.example.com"] is edge_before["sub.example.com"]
    assert edge_after["example.com"] is not edge_before["example.com"]
    assert ("www.example.com", "A") in edge_after["example.com"].rrsets
    assert ("www.example.com", "A") not in edge_before["example.com"].rrsets  # the old view stays whole


def test_cache_is_bounded_and_keeps_the_newest() -> None:
    registry, _ = build()
    responder = wire.Responder(compile_view(registry.world, 1, (EDGE,)), capacity=8)
    names = [f"n{i}.example.com" for i in range(20)]
    for name in names:
        message = dns.message.make_query(name, "A")
        message.id = 1
        responder.respond(message.to_wire(), EDGE)
    assert len(responder._cache) == 8 and len(responder.replies) == 2  # capacity // 4
    kept = [key[1] for key in responder._cache]
    assert all(f"n{i}".encode() in question for i, question in zip(range(12, 20), kept, strict=True))
    assert all(b"\x03n19" in key[2] or b"\x03n18" in key[2] for key in responder.replies)
