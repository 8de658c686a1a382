"""Durable state: every change on disk before it is acknowledged, replayed at start; a change
that cannot be made durable changes nothing; a damaged state file is refused in one line and
left as it was; /sim reads and writes files only in the state directory."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import httpx
import pytest
from cloudflare import APIStatusError, Cloudflare
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from test_incremental import OPS, Op
from test_serve_cmd import _free_port, _prefix, serving

from acns_dns.lab.testing import RunningWorld, running_world
from acns_dns.world import scenario, snapshot, state
from acns_dns.world.cloudflare_ops import stable_id
from acns_dns.world.errors import AcnsError, NotDurable
from acns_dns.world.models import World
from acns_dns.world.registry import Registry

ACNS = [sys.executable, "-m", "acns_dns"]
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"  # Example Corp in the default scenario


@contextmanager
def kept_world(path: Path, source: str = "default") -> Iterator[tuple[state.State, RunningWorld]]:
    """A world served with its state kept at ``path``, and the API."""
    kept, world = state.open_state(path, lambda: scenario.load(source))
    registry = Registry(world)
    kept.attach(registry)
    try:
        with running_world(registry, api=True) as served:
            yield kept, served
    finally:
        kept.close()


def sdk(served: RunningWorld) -> Cloudflare:
    return Cloudflare(api_token="demo-token", base_url=f"{served.api_url}/client/v4", max_retries=0)


def test_changes_survive_a_restart_through_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    with kept_world(path) as (kept, served):
        before = path.read_bytes()
        client = sdk(served)
        client.custom_nameservers.create(account_id=ACCOUNT, ns_name="ns3.example.com", ns_set=2)
        client.custom_nameservers.create(account_id=ACCOUNT, ns_name="ns4.example.com", ns_set=2)
        with httpx.Client(base_url=served.api_url, headers={"Authorization": "Bearer test-admin"}) as sim:
            ticket = sim.post("/sim/tickets", json={"domain": "example.net", "action": "set_ns",
                                                    "nameservers": ["ns3.example.com", "ns4.example.com"]})
            assert sim.post(f"/sim/tickets/{ticket.json()['result']['id']}/resolve").status_code == 200
        live = served.registry.world.model_dump()
        assert kept.seq == 4
    assert path.read_bytes() == before  # the snapshot is left; the journal has the changes
    lines = state.journal_path(path).read_text().splitlines()
    assert json.loads(lines[0])["journal"] == state.JOURNAL_FORMAT
    assert [json.loads(line)["op"] for line in lines[1:]] == [
        "cloudflare_ops.add_nameserver", "cloudflare_ops.add_nameserver", "registrar_ops.open_ticket",
        "registrar_ops.resolve_ticket"]
    assert state.read_state(path).world.model_dump() == live


def test_a_change_that_cannot_be_made_durable_changes_nothing(tmp_path: Path) -> None:
    """The measured case: the state's folder removed while serving, then a new name."""
    folder = tmp_path / "state"
    folder.mkdir()
    with kept_world(folder / "world.json") as (_, served):
        client = sdk(served)
        shutil.rmtree(folder)
        version, before = served.registry.version, served.registry.world.model_dump()
        with pytest.raises(APIStatusError) as refused:
            client.custom_nameservers.create(account_id=ACCOUNT, ns_name="ns3.example.com", ns_set=2)
        assert refused.value.status_code == 503
        assert "world.json.journal" in str(refused.value) and "1202" in str(refused.value)
        assert served.registry.world.model_dump() == before and served.registry.version == version
        names = {ns.ns_name for ns in client.custom_nameservers.get(account_id=ACCOUNT)}
        assert "ns3.example.com" not in names
        answer = served.query("ns3.example.com", "A", at="edge")
        assert answer.rcode() == dns.rcode.NXDOMAIN  # DNS agrees with memory
        assert not folder.exists()  # and with the disk


def test_a_replaced_world_is_written_before_it_is_served(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    path = folder / "world.json"
    with kept_world(path) as (kept, served):
        served.registry.replace(scenario.load("missing-glue", served.registry.world.network))
        assert kept.seq == 0
        assert "glue" in snapshot.load(path).description
        assert state.read_state(path).world == served.registry.world
        shutil.rmtree(folder)  # nothing can be written there now
        current, version = served.registry.world, served.registry.version
        with pytest.raises(NotDurable):
            served.registry.replace(scenario.load("stale-glue", current.network))
        assert served.registry.world is current and served.registry.version == version


def test_a_replaced_world_whose_journal_cannot_be_made_yet_is_served_as_written(tmp_path: Path) -> None:
    """The new snapshot is on disk but its journal cannot be made: the world on disk is the
    new one, so memory and DNS follow it; changes wait for the journal."""
    path = tmp_path / "world.json"
    with kept_world(path) as (kept, served):
        journal = state.journal_path(path)
        journal.unlink()
        journal.mkdir()  # no journal file can be written there
        served.registry.replace(scenario.load("missing-glue", served.registry.world.network))
        assert snapshot.load(path) == served.registry.world  # memory and disk agree
        version, before = served.registry.version, served.registry.world.model_dump()
        with pytest.raises(NotDurable):
            served.registry.add_nameserver(ACCOUNT, "ns3.example.com", 2)
        assert served.registry.world.model_dump() == before and served.registry.version == version
        journal.rmdir()
        served.registry.add_nameserver(ACCOUNT, "ns3.example.com", 2)  # the journal is made now
        assert kept.seq == 1
        live = served.registry.world.model_dump()
    assert state.read_state(path).world.model_dump() == live


def test_the_journal_is_folded_into_a_new_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state, "COMPACT_BYTES", 1)
    path = tmp_path / "world.json"
    with kept_world(path) as (kept, served):
        snapshot_bytes = path.stat().st_size
        monkeypatch.setattr(kept, "_snapshot_bytes", 1)  # fold at once
        served.registry.add_nameserver(ACCOUNT, "ns3.example.com", 2)
        assert kept.seq == 0 and path.stat().st_size > snapshot_bytes
        assert len(state.journal_path(path).read_text().splitlines()) == 1
        live = served.registry.world.model_dump()
    assert state.read_state(path).world.model_dump() == live


def test_a_journal_of_an_older_snapshot_is_not_replayed(tmp_path: Path) -> None:
    """A crash between writing the new snapshot and the new journal leaves the old journal:
    its changes are in the snapshot already."""
    path = tmp_path / "world.json"
    with kept_world(path) as (_, served):
        served.registry.add_nameserver(ACCOUNT, "ns3.example.com", 2)
        old_journal = state.journal_path(path).read_bytes()
        snapshot.save(served.registry.world, path)  # the new snapshot, not yet its journal
        live = served.registry.world.model_dump()
    state.journal_path(path).write_bytes(old_journal)
    assert state.read_state(path).world.model_dump() == live  # not applied twice (that would fail: 1003)


def test_changes_after_a_crash_between_snapshot_and_journal_survive_the_next_restart(tmp_path: Path) -> None:
    """Restarted beside the old journal (or none), the state starts a journal of its own
    snapshot: changes made then are replayed at the next start, not dropped with the old one."""
    path = tmp_path / "world.json"
    with kept_world(path) as (_, served):
        served.registry.add_nameserver(ACCOUNT, "ns3.example.com", 2)
        snapshot.save(served.registry.world, path)  # the crash: the new snapshot, the old journal
    with kept_world(path) as (_, served):
        served.registry.add_nameserver(ACCOUNT, "ns4.example.com", 2)
        live = served.registry.world.model_dump()
    assert state.read_state(path).world.model_dump() == live
    state.journal_path(path).unlink()  # no journal at all
    with kept_world(path) as (kept, served):
        served.registry.add_nameserver(ACCOUNT, "ns5.example.com", 2)
        assert kept.seq == 1
        live = served.registry.world.model_dump()
    assert state.read_state(path).world.model_dump() == live


def test_a_torn_last_line_is_dropped_and_temporary_files_go(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    with kept_world(path) as (_, served):
        served.registry.add_nameserver(ACCOUNT, "ns3.example.com", 2)
        live = served.registry.world.model_dump()
    journal = state.journal_path(path)
    whole = journal.read_bytes()
    journal.write_bytes(whole + b'{"seq":2,"op":"cloudflare_ops.add_nam')  # the crash mid-write
    (tmp_path / ".world.json.abc123.tmp").write_text("{")
    kept, world = state.open_state(path, lambda: pytest.fail("the state exists"))
    kept.close()
    assert world.model_dump() == live
    assert journal.read_bytes() == whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["world.json", "world.json.journal"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=1, max_size=12))
def test_replaying_the_journal_gives_the_world_back(tmp_path: Path, ops: list[Op]) -> None:
    note(repr(ops))
    from acns_world import build
    path = tmp_path / f"w{len(list(tmp_path.iterdir()))}.json"
    registry, _ = build()
    kept, world = state.open_state(path, lambda: registry.world)
    registry = Registry(world)
    kept.attach(registry)
    for op in ops:
        try:
            op(registry)
        except AcnsError:
            continue
    kept.close()
    assert state.read_state(path).world == registry.world


# --- damaged files, as `serve` meets them -------------------------------------------------------

def _world_json() -> dict[str, object]:
    return json.loads(snapshot.dumps(scenario.load("default")))


def _damaged() -> list[tuple[str, str, str]]:
    """(name, file text, what the one-line error says) of each damaged state."""
    cases = [("format only", json.dumps({"format": "acns-dns/world/1"}), "root server has no address"),
             ("deep nesting", "[" * 100_000, "not a snapshot"),
             ("truncated", snapshot.dumps(scenario.load("default"))[:5000], "damaged JSON")]
    data = _world_json()
    first, second = data["custom_ns"][:2]  # type: ignore[index]
    second["ipv4"] = first["ipv4"]
    cases.append(("shared address", json.dumps(data), "two servers cannot share an address"))
    data = _world_json()
    zone = next(iter(data["zones"].values()))  # type: ignore[attr-defined]
    zone["account_id"] = "f" * 32
    cases.append(("missing account", json.dumps(data), f"no account '{'f' * 32}'"))
    data = _world_json()
    zone = next(iter(data["zones"].values()))  # type: ignore[attr-defined]
    next(r for r in zone["records"] if r["type"] == "A")["content"] = "not-an-ip"
    cases.append(("bad record", json.dumps(data), "'not-an-ip'"))
    return cases


def _serve(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ACNS, "serve", "--state", str(path), "--no-api", "--port", str(_free_port()),
                           "--listen-prefix", _prefix()], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("name", "text", "says"), _damaged(), ids=[case[0] for case in _damaged()])
def test_a_damaged_state_is_refused_in_one_line_and_left_alone(tmp_path: Path, name: str, text: str,
                                                                says: str) -> None:
    path = tmp_path / "world.json"
    path.write_text(text)
    done = _serve(path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and says in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert path.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["world.json"]  # nothing written beside it


@pytest.mark.parametrize(("line", "says"), [
    ('{"seq":1,"op":"snapshot.save","args":["/tmp/x"],"kwargs":{}}', "is not an operation of the world"),
    ('{"seq":1,"op":"cloudflare_ops.add_nameserver","args":["nobody","ns9.example.com",1],"kwargs":{}}',
     "no longer applies"),
    ("not json", "not JSON"),
])
def test_a_bad_journal_line_is_refused_naming_it(tmp_path: Path, line: str, says: str) -> None:
    path = tmp_path / "world.json"
    kept, world = state.open_state(path, lambda: scenario.load("default"))
    kept.close()
    journal = state.journal_path(path)
    journal.write_text(journal.read_text() + line + "\n")
    before = journal.read_bytes(), path.read_bytes()
    done = _serve(path)
    assert done.returncode == 2 and f"{journal}: line 2" in done.stderr and says in done.stderr, done.stderr
    assert (journal.read_bytes(), path.read_bytes()) == before


def test_a_start_does_not_rewrite_the_state(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    with serving("--port", str(_free_port()), "--no-api", "--state", str(path), "--listen-prefix", _prefix(),
                 stop=signal.SIGTERM):
        pass
    files = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    with serving("--port", str(_free_port()), "--no-api", "--state", str(path), "--listen-prefix", _prefix(),
                 stop=signal.SIGTERM):
        pass
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()} == files


# --- /sim files stay in the state directory -----------------------------------------------------

@contextmanager
def serve_api(*options: str) -> Iterator[httpx.Client]:
    api = _free_port()
    with serving("--port", str(_free_port()), "--api", f"127.0.0.1:{api}", "--admin-token", "adm",
                 "--listen-prefix", _prefix(), *options, stop=signal.SIGTERM):
        with httpx.Client(base_url=f"http://127.0.0.1:{api}", timeout=20,
                          headers={"Authorization": "Bearer adm"}) as client:
            yield client


def test_snapshot_and_scenario_paths_stay_in_the_state_directory(tmp_path: Path) -> None:
    folder, outside = tmp_path / "state", tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    victim = outside / "important.txt"
    victim.write_text("keep me")
    (folder / "link.json").symlink_to(victim)
    (folder / "loop.json").symlink_to(folder / "loop.json")
    (outside / "scenario.yaml").write_text(scenario.resolve("missing-glue").read_text())
    with serve_api("--state", str(folder / "world.json")) as client:
        written = client.post("/sim/snapshot", json={"path": "saved.json"})
        assert written.status_code == 200 and (folder / "saved.json").exists()
        assert client.post("/sim/snapshot/restore", json={"path": "saved.json"}).status_code == 200
        for route, body in [("/sim/snapshot", {"path": str(victim)}),
                            ("/sim/snapshot", {"path": "../elsewhere/important.txt"}),
                            ("/sim/snapshot", {"path": "link.json"}),
                            ("/sim/snapshot", {"path": "world.json"}),
                            ("/sim/snapshot", {"path": "world.json.journal"}),
                            ("/sim/snapshot/restore", {"path": str(victim)}),
                            ("/sim/scenario", {"source": str(outside / "scenario.yaml")}),
                            ("/sim/snapshot", {"path": "nul\x00.json"}),
                            ("/sim/snapshot", {"path": "loop.json"}),
                            ("/sim/snapshot/restore", {"path": "nul\x00.json"}),
                            ("/sim/scenario", {"source": "in/nul\x00.yaml"})]:
            refused = client.post(route, json=body)
            assert refused.status_code == 400, (route, body, refused.text)
            message = refused.json()["errors"][0]["message"]
            assert repr(next(iter(body.values()))) in message, message
        # a bare name is a packaged scenario's, never a file beside the server (it runs in the repo)
        named = client.post("/sim/scenario", json={"source": "README.md"})
        assert named.status_code == 400
        assert "no such packaged scenario" in named.json()["errors"][0]["message"]
        assert client.post("/sim/scenario", json={"source": "missing-glue"}).status_code == 200
    assert victim.read_text() == "keep me"


def test_without_a_state_directory_no_file_is_touched(tmp_path: Path) -> None:
    target = tmp_path / "snap.json"
    with serve_api() as client:
        refused = client.post("/sim/snapshot", json={"path": str(target)})
        assert refused.status_code == 400 and "--state-dir" in refused.json()["errors"][0]["message"]
        assert client.post("/sim/snapshot", json={}).json()["result"]["world"]["format"] == "acns-dns/world/1"
    assert not target.exists()
    with serve_api("--state-dir", str(tmp_path)) as client:
        assert client.post("/sim/snapshot", json={"path": "snap.json"}).status_code == 200
    assert isinstance(snapshot.load(target), World)


# --- every change the API makes can be journaled and replayed -----------------------------------

DEFAULT_ACCOUNT, TENANT_ACCOUNT = ACCOUNT, "8f9e0d1c2b3a4958a6b7c8d9e0f1a2b3"
TENANT = "6b1b2b0c8c9a4d1e9f0a1b2c3d4e5f60"


def _changes(zone_id: Callable[[str], str]) -> list[tuple[str, str, dict[str, object] | None]]:
    """One call of each route that changes the world (scenario tenant; as the admin)."""
    com, shop, brand = "example-registrar", zone_id("shop.com"), zone_id("brand.com")
    acc = f"/client/v4/accounts/{TENANT_ACCOUNT}"
    return [
        ("POST", f"{acc}/custom_ns", {"ns_name": "ns1.shop.com", "ns_set": 2}),
        ("POST", f"{acc}/custom_ns", {"ns_name": "ns2.shop.com", "ns_set": 2.0}),
        ("PUT", f"/client/v4/zones/{shop}/custom_ns", {"enabled": True, "ns_set": 2}),
        ("PATCH", f"/client/v4/zones/{shop}/dns_settings", {"ns_ttl": 300, "soa": {"refresh": 7200},
                                                           "nameservers": {"type": "custom.tenant"}}),
        ("PATCH", f"{acc}/dns_settings", {"zone_defaults": {"ns_ttl": 600, "multi_provider": True}}),
        ("PUT", acc, {"name": "Shop Ltd (renamed)", "settings": {"use_account_custom_ns_by_default": False}}),
        ("POST", "/client/v4/zones", {"name": "newzone.com", "account": {"id": TENANT_ACCOUNT}}),
        ("PATCH", f"/client/v4/zones/{brand}", {"vanity_name_servers": ["ns1.brand.com", "ns3.brand.com"]}),
        ("POST", f"/client/v4/zones/{shop}/dns_records", {"type": "TXT", "name": "t", "content": "a b"}),
        ("DELETE", f"{acc}/custom_ns/ns2.shop.com", None),
        ("POST", f"/client/v4/tenants/{TENANT}/custom_ns", {"ns_name": "ns3.resellerdns.net", "ns_set": 2}),
        ("PUT", f"/sim/registrars/{com}/glue/ns1.shop.com", {"ipv4": ["192.0.2.7"], "ipv6": []}),
        ("PUT", f"/sim/registrars/{com}/domains/shop.com/nameservers", {"nameservers": ["ns1.shop.com"]}),
        ("POST", "/sim/accounts", {"name": "Fresh Corp", "id": "c" * 32, "token": "fresh-token"}),
        ("PUT", "/sim/faults/ns1.resellerdns.net/lame", None),
        ("PUT", "/sim/faults/ns2.resellerdns.net/delay", {"delay_ms": 50}),
        ("PUT", "/sim/unheld", {"mode": "timeout"}),
        ("DELETE", "/sim/faults/ns1.resellerdns.net", None),
        ("DELETE", f"/client/v4/zones/{stable_id('zone', 'newzone.com')}", None),  # made above
    ]


def test_every_change_the_api_makes_is_journaled_and_replayed(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    with kept_world(path, "tenant") as (kept, served):
        world = served.registry.world

        def zone_id(name: str) -> str:
            return next(z.id for z in world.zones.values() if z.name == name)

        with httpx.Client(base_url=served.api_url, headers={"Authorization": "Bearer test-admin"},
                          timeout=20) as client:
            for method, route, body in _changes(zone_id):
                done = client.request(method, route, json=body)
                assert done.status_code == 200, (method, route, done.text)
            record = next(r for r in world.zones[zone_id("shop.com")].records if r.name == "t.shop.com")
            records = f"/client/v4/zones/{zone_id('shop.com')}/dns_records/{record.id}"
            for method, body in (("PUT", {"type": "TXT", "name": "t", "content": "c d"}),
                                 ("PATCH", {"content": "e f"}), ("DELETE", None)):
                assert client.request(method, records, json=body).status_code == 200, method
        assert kept.seq >= 22
        live = served.registry.world.model_dump()
    assert state.read_state(path).world.model_dump() == live
