"""NS TTL, SOA values, multi_provider and secondary_overrides through the SDK, seen over DNS.

A zone's ``dns_settings`` PATCH shows at once in the edge's NS and SOA answers (asked over a
real socket, once with dig itself) and in the zone file ``export`` writes; an account's
``zone_defaults`` are what the zones created afterwards start with (spec-acns §3.10, §3.11).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import cloudflare
import pytest
from api_support import ACCOUNT, TOKEN, unchanged
from cloudflare import Cloudflare

from acns_dns.dns import export
from acns_dns.lab.testing import RunningWorld, running_world
from acns_dns.world import scenario


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


def _zone_id(world: RunningWorld, name: str = "example.com") -> str:
    return next(z.id for z in world.registry.world.zones.values() if z.name == name)


def _soa(world: RunningWorld, zone: str) -> tuple[int, list[str]]:
    reply = world.query(zone, "SOA")
    rrset = reply.answer[0]
    return rrset.ttl, rrset[0].to_text().split()


def test_ns_ttl_shows_in_the_edges_ns_answer_at_once(world: RunningWorld, sdk: Cloudflare) -> None:
    zone = _zone_id(world)
    assert world.query("example.com", "NS").answer[0].ttl == 86400
    edited = sdk.dns.settings.zone.edit(zone_id=zone, ns_ttl=30)
    assert edited is not None and edited.ns_ttl == 30
    assert sdk.dns.settings.zone.get(zone_id=zone).ns_ttl == 30  # type: ignore[union-attr]
    assert world.query("example.com", "NS").answer[0].ttl == 30
    assert world.query("ns1.example.com", "A").answer[0].ttl == 30  # the managed A follows the NS TTL


@pytest.mark.skipif(shutil.which("dig") is None, reason="dig is not installed")
def test_dig_sees_the_new_ns_ttl(world: RunningWorld, sdk: Cloudflare) -> None:
    sdk.dns.settings.zone.edit(zone_id=_zone_id(world), ns_ttl=120)
    edge = world.address("edge")  # the world's own edge alias, in its prefix
    done = subprocess.run(["dig", f"@{edge}", "-p", str(world.port), "example.com", "NS", "+noall",
                           "+answer", "+time=1", "+tries=1"], capture_output=True, text=True, timeout=15,
                          check=False)
    ttls = {line.split()[1] for line in done.stdout.splitlines() if line.strip()}
    assert ttls == {"120"}, done.stdout


def test_soa_values_show_in_the_edges_soa_and_negative_answers(world: RunningWorld, sdk: Cloudflare) -> None:
    zone = _zone_id(world)
    soa = {"refresh": 7200, "retry": 900, "expire": 1209600, "min_ttl": 300, "ttl": 1800,
           "rname": "hostmaster.example.com", "mname": "ns2.example.com"}
    edited = sdk.dns.settings.zone.edit(zone_id=zone, soa=soa)  # type: ignore[arg-type]
    assert edited is not None and edited.soa is not None
    assert edited.soa.model_dump() == soa
    ttl, rdata = _soa(world, "example.com")
    assert ttl == 1800
    assert rdata[0:2] == ["ns2.example.com.", "hostmaster.example.com."]
    assert rdata[3:] == ["7200", "900", "1209600", "300"]
    negative = world.query("nothing-here.example.com", "A")
    assert negative.authority[0].ttl == 300  # RFC 2308 §5: min(SOA TTL, MINIMUM)
    sdk.dns.settings.zone.edit(zone_id=zone, soa={"mname": None})  # type: ignore[typeddict-item]
    assert _soa(world, "example.com")[1][0] == "ns1.example.com."  # automatic again
    assert _soa(world, "example.com")[1][3] == "7200"  # the other values stay


def test_multi_provider_and_secondary_overrides_are_stored(world: RunningWorld, sdk: Cloudflare) -> None:
    zone = _zone_id(world)
    sdk.dns.settings.zone.edit(zone_id=zone, multi_provider=True, secondary_overrides=True)
    shown = sdk.dns.settings.zone.get(zone_id=zone)
    assert shown is not None and (shown.multi_provider, shown.secondary_overrides) == (True, True)
    stored = world.registry.world.zones[zone]
    assert (stored.multi_provider, stored.secondary_overrides) == (True, True)


def test_exported_zone_files_carry_the_settings(world: RunningWorld, sdk: Cloudflare, tmp_path: Path) -> None:
    sdk.dns.settings.zone.edit(zone_id=_zone_id(world), ns_ttl=45, soa={"refresh": 3600, "ttl": 600})
    export.export(world.view, tmp_path, port=world.port)
    files = [p for p in tmp_path.rglob("example.com.zone")]
    assert files
    for path in files:
        lines = [line.split() for line in path.read_text().splitlines() if line and not line.startswith(";")]
        ns = [row for row in lines if row[0] == "example.com." and "NS" in row]
        soa = next(row for row in lines if row[0] == "example.com." and "SOA" in row)
        assert ns and {row[1] for row in ns} == {"45"}
        assert soa[1] == "600" and soa[-4] == "3600"


def test_out_of_range_values_are_refused_and_change_nothing(world: RunningWorld, sdk: Cloudflare) -> None:
    zone = _zone_id(world)
    with unchanged(world.registry):
        for body in ({"ns_ttl": 29}, {"ns_ttl": 86401}, {"soa": {"refresh": 100}}, {"soa": {"ttl": 86401}}):
            with pytest.raises(cloudflare.BadRequestError) as caught:
                sdk.dns.settings.zone.edit(zone_id=zone, extra_body=body)
            assert isinstance(caught.value.body, dict)
            message = caught.value.body["errors"][0]["message"]
            assert next(iter(body)) in message and "between" in message
    assert world.query("example.com", "NS").answer[0].ttl == 86400


def test_account_zone_defaults_apply_to_new_zones(world: RunningWorld, sdk: Cloudflare) -> None:
    edited = sdk.dns.settings.account.edit(
        account_id=ACCOUNT, zone_defaults={"ns_ttl": 600, "soa": {"retry": 1200}, "multi_provider": True})
    assert edited is not None and edited.zone_defaults is not None
    assert (edited.zone_defaults.ns_ttl, edited.zone_defaults.multi_provider) == (600, True)
    assert edited.zone_defaults.soa is not None and edited.zone_defaults.soa.retry == 1200
    assert world.query("example.com", "NS").answer[0].ttl == 86400  # existing zones keep theirs
    created = sdk.zones.create(account={"id": ACCOUNT}, name="example.info")
    settings = sdk.dns.settings.zone.get(zone_id=created.id)
    assert settings is not None and (settings.ns_ttl, settings.multi_provider) == (600, True)
    assert world.query("example.info", "NS").answer[0].ttl == 600
    assert _soa(world, "example.info")[1][4] == "1200"


def test_account_type_comes_back_as_sent(world: RunningWorld, sdk: Cloudflare) -> None:
    for kind in ("standard", "enterprise", "standard"):
        updated = sdk.accounts.update(account_id=ACCOUNT, id=ACCOUNT, name="Example Corp", type=kind)  # type: ignore[arg-type]
        assert updated is not None and updated.type == kind
        fetched = sdk.accounts.get(account_id=ACCOUNT)
        assert fetched is not None and fetched.type == kind
    with unchanged(world.registry), pytest.raises(cloudflare.BadRequestError):
        sdk.accounts.update(account_id=ACCOUNT, id=ACCOUNT, name="Example Corp", type="gold")  # type: ignore[arg-type]
