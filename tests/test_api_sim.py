"""The simulator's own routes: registrars, glue, tickets, servers, journal, scenarios, snapshots."""

from __future__ import annotations

import json

import httpx
import pytest
from api_support import ACCOUNT, ADMIN, TOKEN, Api, api, api_server, serve_api, unchanged

from acns_dns.dns.journal import QueryJournal
from acns_dns.world import scenario
from acns_dns.world.registry import Registry

__all__ = ["api", "api_server"]


def test_registrars_list_their_domains(api: Api) -> None:
    body = api.http().get("/sim/registrars").json()
    by_id = {r["id"]: r for r in body["result"]}
    assert by_id["cloudflare"]["kind"] == "cloudflare" and "example.net" in by_id["cloudflare"]["domains"]
    assert by_id["example-registrar"]["domains"] == ["example.com", "example.org"]


def test_domain_shows_delegation_and_glue(api: Api) -> None:
    result = api.http().get("/sim/domains/example.com").json()["result"]
    assert result["registrar"] == "example-registrar"
    assert result["nameservers"] == ["ns1.example.com", "ns2.example.com"]
    assert [g["name"] for g in result["glue"]] == ["ns1.example.com", "ns2.example.com"]
    assert api.http().get("/sim/domains/nowhere.example").status_code == 404


def test_external_registrar_sets_ns_and_glue_directly(api: Api) -> None:
    client = api.http()
    answer = client.put(
        "/sim/registrars/example-registrar/domains/example.com/nameservers",
        json={"nameservers": ["dina.ns.cloudflare.com", "finn.ns.cloudflare.com"]},
    )
    assert answer.status_code == 200 and answer.json()["result"]["nameservers"][0] == "dina.ns.cloudflare.com"
    assert client.delete("/sim/registrars/example-registrar/glue/ns2.example.com").status_code == 200
    glue = client.get("/sim/domains/example.com").json()["result"]["glue"]
    assert [g["name"] for g in glue] == ["ns1.example.com"]


def test_registrar_refusals_change_nothing(api: Api) -> None:
    client = api.http()
    with unchanged(api.registry):
        direct = client.put(
            "/sim/registrars/cloudflare/domains/example.net/nameservers",
            json={"nameservers": ["ns1.example.com", "ns2.example.com"]},
        )
        assert direct.status_code == 400 and direct.json()["errors"][0]["code"] == 1101
        foreign = client.put(
            "/sim/registrars/example-registrar/domains/example.net/nameservers",
            json={"nameservers": ["ns1.example.com"]},
        )
        assert foreign.json()["errors"][0]["code"] == 1102
        bad_ip = client.put(
            "/sim/registrars/example-registrar/glue/ns1.example.com", json={"ipv4": ["1.2.3"]}
        )
        assert bad_ip.status_code == 400
        assert client.put("/sim/registrars/nobody/glue/ns1.example.com", json={}).status_code == 404


def test_tickets_change_the_registry_only_when_resolved(api: Api) -> None:
    client = api.http()
    opened = client.post(
        "/sim/tickets",
        json={
            "domain": "example.net",
            "action": "set_ns",
            "nameservers": ["ns1.example.com", "ns2.example.com", "ns3.example.com"],
        },
    )
    assert opened.status_code == 200, opened.text
    ticket = opened.json()["result"]
    assert ticket["status"] == "open"
    assert len(client.get("/sim/domains/example.net").json()["result"]["nameservers"]) == 2
    assert [t["id"] for t in client.get("/sim/tickets", params={"status": "open"}).json()["result"]] == [
        ticket["id"]
    ]
    resolved = client.post(f"/sim/tickets/{ticket['id']}/resolve").json()["result"]
    assert resolved["status"] == "resolved"
    assert len(client.get("/sim/domains/example.net").json()["result"]["nameservers"]) == 3
    with unchanged(api.registry):
        again = client.post(f"/sim/tickets/{ticket['id']}/resolve")
        assert again.status_code == 400 and again.json()["errors"][0]["code"] == 1103
        assert client.get("/sim/tickets/T9999").status_code == 404
        external = client.post(
            "/sim/tickets",
            json={"domain": "example.com", "action": "set_ns", "nameservers": ["a.example.org"]},
        )
        assert external.json()["errors"][0]["code"] == 1100
        assert client.post("/sim/tickets", json={"domain": "example.net", "action": "fly"}).status_code == 400


def test_servers_describe_the_world(api: Api) -> None:
    rows = api.http().get("/sim/servers").json()["result"]
    roles = {row["role"] for row in rows}
    assert {"root", "tld", "cloudflare"} <= roles
    acns = [row for row in rows if row["name"] == "ns1.example.com"]
    assert acns and "example.com." in acns[0]["zones"]


def test_journal_filters() -> None:
    journal = QueryJournal()
    journal.record("127.53.0.1", "127.0.0.1:5000", "udp", "example.com.", "NS", "NOERROR", "qr", 80)
    journal.record("127.53.0.10", "127.0.0.1:5000", "udp", "www.example.com", "A", "NOERROR", "qr aa", 90)
    with serve_api(Registry(scenario.load("default")), journal=journal) as url:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            assert len(client.get("/sim/journal").json()["result"]) == 2
            only = client.get("/sim/journal", params={"qname": "EXAMPLE.COM"}).json()["result"]
            assert [e["server"] for e in only] == ["127.53.0.1"]
            assert (
                len(client.get("/sim/journal", params={"server": "127.53.0.10", "limit": 1}).json()["result"])
                == 1
            )
            assert client.delete("/sim/journal").status_code == 403
            admin = {"Authorization": f"Bearer {ADMIN}"}
            assert client.delete("/sim/journal", headers=admin).status_code == 200
            assert client.get("/sim/journal").json()["result"] == []


def test_journal_without_a_dns_server_is_empty(api: Api) -> None:
    assert api.http().get("/sim/journal").json()["result"] == []


def test_world_writes_need_the_admin_token(api: Api) -> None:
    client = api.http()
    with unchanged(api.registry):
        for path, body in (
            ("/sim/scenario", {"source": "missing-glue"}),
            ("/sim/reset", None),
            ("/sim/snapshot", {}),
            ("/sim/accounts", {"name": "x"}),
        ):
            answer = client.post(path, json=body)
            assert answer.status_code == 403, path


def test_scenario_load_and_reset(api: Api) -> None:
    admin = api.http(ADMIN)
    names = [s["name"] for s in admin.get("/sim/scenarios").json()["result"]]
    assert names[0] == "default" and "missing-glue" in names
    api.sdk().custom_nameservers.create(account_id=ACCOUNT, ns_name="ns3.example.com", ns_set=2)
    loaded = admin.post("/sim/scenario", json={"source": "missing-glue"})
    assert loaded.status_code == 200, loaded.text
    assert api.registry.world.description == loaded.json()["result"]["description"]
    admin.post("/sim/scenario", json={"source": "default"})
    assert "ns3.example.com" not in [n.ns_name for n in api.registry.world.custom_ns]
    api.sdk().custom_nameservers.create(account_id=ACCOUNT, ns_name="ns3.example.com", ns_set=2)
    assert admin.post("/sim/reset").status_code == 200
    assert "ns3.example.com" not in [n.ns_name for n in api.registry.world.custom_ns]
    with unchanged(api.registry):
        bad = admin.post("/sim/scenario", json={"source": "no-such-scenario"})
        assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == 1200


def test_snapshot_save_return_and_restore(api: Api) -> None:
    admin = api.http(ADMIN)
    inline = admin.post("/sim/snapshot", json={}).json()["result"]
    assert inline["path"] is None and inline["world"]["format"] == "acns-dns/world/1"
    assert api.state_dir is not None
    tmp_path = api.state_dir
    target = tmp_path / "world.json"
    saved = admin.post("/sim/snapshot", json={"path": str(target)}).json()["result"]
    assert saved["path"] == str(target) and json.loads(target.read_text())["accounts"]
    before = api.registry.world.model_dump()
    api.sdk().custom_nameservers.create(account_id=ACCOUNT, ns_name="ns3.example.com", ns_set=2)
    assert admin.post("/sim/snapshot/restore", json={"path": str(target)}).status_code == 200
    assert api.registry.world.model_dump() == before
    with unchanged(api.registry):
        assert (
            admin.post("/sim/snapshot", json={"path": str(tmp_path / "no" / "dir.json")}).status_code == 400
        )
        assert admin.post("/sim/snapshot", json={"path": str(tmp_path)}).status_code == 400
        assert (
            admin.post("/sim/snapshot/restore", json={"path": str(tmp_path / "none.json")}).status_code == 400
        )


def test_sim_accounts_create_with_a_scoped_token(api: Api) -> None:
    admin = api.http(ADMIN)
    made = admin.post("/sim/accounts", json={"name": "New Corp", "id": "c" * 32, "token": "new-token"})
    assert made.status_code == 200, made.text
    assert [a.id for a in api.sdk("new-token").accounts.list()] == ["c" * 32]
    with unchanged(api.registry):
        assert admin.post("/sim/accounts", json={"name": "Again", "id": "c" * 32}).status_code == 400
        assert admin.post("/sim/accounts", json={"name": "Other", "token": "demo-token"}).status_code == 400


@pytest.mark.parametrize("path", ["/sim/registrars", "/sim/servers", "/sim/tickets", "/sim/journal"])
def test_sim_reads_need_credentials(api: Api, path: str) -> None:
    assert api.http(None).get(path).status_code == 401
