"""DNS records edited and deleted through the SDK, and what the edge answers right after.

Each change goes through ``dns.records.update`` (PUT), ``edit`` (PATCH) or ``delete`` against
a live API, and the next query over a real socket to the Cloudflare edge already shows it.
The A/AAAA Cloudflare keeps for ACNS names are read-only (spec-acns §1.4, §6.13).
"""

from __future__ import annotations

from collections.abc import Iterator

import cloudflare
import dns.rcode
import dns.rdatatype
import pytest
from api_support import TOKEN, unchanged
from cloudflare import Cloudflare

from acns_dns.lab.testing import RunningWorld, running_world
from acns_dns.world import scenario

ZONE = "example.com"


@pytest.fixture(scope="module")
def served() -> Iterator[RunningWorld]:
    with running_world("default", api=True) as world:
        yield world


@pytest.fixture
def world(served: RunningWorld) -> RunningWorld:
    served.registry.replace(scenario.load("default", served.registry.world.network))
    return served


@pytest.fixture
def sdk(served: RunningWorld) -> Iterator[Cloudflare]:
    client = Cloudflare(api_token=TOKEN, base_url=f"{served.api_url}/client/v4", max_retries=0)
    yield client
    client.close()


def _zone_id(world: RunningWorld) -> str:
    return next(z.id for z in world.registry.world.zones.values() if z.name == ZONE)


def _record_id(sdk: Cloudflare, zone_id: str, name: str, rtype: str) -> str:
    found = list(sdk.dns.records.list(zone_id=zone_id, name={"exact": name}, type=rtype))  # type: ignore[arg-type]
    assert len(found) == 1, found
    assert found[0].id is not None
    return found[0].id


def _answer(world: RunningWorld, qname: str, qtype: str) -> tuple[str, list[str]]:
    reply = world.query(qname, qtype)
    rows = sorted(rr.to_text() for rrset in reply.answer if rrset.rdtype == dns.rdatatype.from_text(qtype)
                  for rr in rrset)
    return dns.rcode.to_text(reply.rcode()), rows


def _ttl(world: RunningWorld, qname: str, qtype: str) -> int:
    reply = world.query(qname, qtype)
    return reply.answer[0].ttl


def test_update_replaces_the_record_and_the_edge_answers_it(world: RunningWorld, sdk: Cloudflare) -> None:
    zone = _zone_id(world)
    record_id = _record_id(sdk, zone, "www.example.com", "A")
    assert _answer(world, "www.example.com", "A") == ("NOERROR", ["192.0.2.10"])
    updated = sdk.dns.records.update(record_id, zone_id=zone, name="www", type="A", content="192.0.2.77",
                                     ttl=600)
    assert updated is not None
    assert (updated.id, updated.content, updated.ttl) == (record_id, "192.0.2.77", 600)
    assert _answer(world, "www.example.com", "A") == ("NOERROR", ["192.0.2.77"])
    assert _ttl(world, "www.example.com", "A") == 600
    moved = sdk.dns.records.update(record_id, zone_id=zone, name="web.example.com", type="A",
                                   content="192.0.2.78", ttl=1)
    assert moved is not None and (moved.name, moved.ttl) == ("web.example.com", 300)
    assert _answer(world, "web.example.com", "A") == ("NOERROR", ["192.0.2.78"])
    assert _answer(world, "www.example.com", "A")[1] == []  # www keeps only its AAAA now


def test_edit_changes_only_the_parts_sent(world: RunningWorld, sdk: Cloudflare) -> None:
    zone = _zone_id(world)
    record_id = _record_id(sdk, zone, "mail.example.com", "A")
    edited = sdk.dns.records.edit(record_id, zone_id=zone, name="mail", type="A", ttl=1, content="192.0.2.26")
    assert edited is not None and (edited.name, edited.type, edited.ttl) == ("mail.example.com", "A", 300)
    assert _answer(world, "mail.example.com", "A") == ("NOERROR", ["192.0.2.26"])
    # The SDK's edit() insists on name, type and ttl; the API takes any subset (a real PATCH).
    sdk.patch(f"/zones/{zone}/dns_records/{record_id}", cast_to=object, body={"ttl": 120})
    assert _ttl(world, "mail.example.com", "A") == 120
    assert sdk.dns.records.get(dns_record_id=record_id, zone_id=zone).content == "192.0.2.26"  # type: ignore[union-attr]


def test_delete_removes_the_record_and_the_name(world: RunningWorld, sdk: Cloudflare) -> None:
    zone = _zone_id(world)
    record_id = _record_id(sdk, zone, "shop.example.com", "CNAME")
    assert _answer(world, "shop.example.com", "CNAME")[1] == ["www.example.com."]
    deleted = sdk.dns.records.delete(record_id, zone_id=zone)
    assert deleted is not None and deleted.id == record_id
    assert _answer(world, "shop.example.com", "A") == ("NXDOMAIN", [])
    with pytest.raises(cloudflare.NotFoundError):
        sdk.dns.records.delete(record_id, zone_id=zone)
    sdk.dns.records.create(zone_id=zone, type="CNAME", name="shop", content="www.example.com", ttl=1)
    sdk.dns.records.create(zone_id=zone, type="TXT", name="extra", content='"x"', ttl=1)
    ids = [r.id for r in sdk.dns.records.list(zone_id=zone)]
    assert len(ids) == len(set(ids)), "record ids must stay unique after a delete and a create"


def test_managed_acns_records_are_read_only(world: RunningWorld, sdk: Cloudflare) -> None:
    zone = _zone_id(world)
    managed = [r for r in sdk.dns.records.list(zone_id=zone) if r.meta.read_only]  # type: ignore[attr-defined]
    assert managed
    target = managed[0]
    assert target.id is not None
    before = _answer(world, target.name, target.type)
    with unchanged(world.registry):
        with pytest.raises(cloudflare.BadRequestError) as caught:
            sdk.dns.records.update(target.id, zone_id=zone, name=target.name, type="A",
                                   content="192.0.2.66", ttl=1)
        assert isinstance(caught.value.body, dict) and caught.value.body["errors"][0]["code"] == 1009
        with pytest.raises(cloudflare.BadRequestError):
            sdk.dns.records.edit(target.id, zone_id=zone, name=target.name, type="A", ttl=1,
                                 content="192.0.2.66")
        with pytest.raises(cloudflare.BadRequestError):
            sdk.dns.records.delete(target.id, zone_id=zone)
    assert _answer(world, target.name, target.type) == before


def test_refused_edits_change_nothing(world: RunningWorld, sdk: Cloudflare) -> None:
    zone = _zone_id(world)
    www = _record_id(sdk, zone, "www.example.com", "A")
    def patch(record_id: str, body: dict[str, object]) -> object:
        return sdk.patch(f"/zones/{zone}/dns_records/{record_id}", cast_to=object, body=body)

    with unchanged(world.registry):
        with pytest.raises(cloudflare.BadRequestError):
            patch(www, {"content": "not-an-address"})
        with pytest.raises(cloudflare.BadRequestError):  # a CNAME beside www's AAAA (RFC 1034 §3.6.2)
            patch(www, {"type": "CNAME", "content": "example.net"})
        with pytest.raises(cloudflare.BadRequestError):  # ns1 is an ACNS name: its A is Cloudflare's
            patch(www, {"name": "ns1"})
        with pytest.raises(cloudflare.BadRequestError):
            patch(www, {"ttl": 0})
        with pytest.raises(cloudflare.NotFoundError):
            patch("0" * 32, {"content": "192.0.2.1"})
        with pytest.raises(cloudflare.PermissionDeniedError):
            other = Cloudflare(api_token="other-token", base_url=sdk.base_url, max_retries=0)
            try:
                other.dns.records.delete(www, zone_id=zone)
            finally:
                other.close()
    assert _answer(world, "www.example.com", "A") == ("NOERROR", ["192.0.2.10"])
