"""Registrar and ticket routes act for the registrant; the journal shows a token its own zones.

A domain's NS, glue and support tickets can be changed only with a credential of the account
holding the domain (its API token or its registrant token) or the admin token: anyone else
gets 403 and the world, and what the registry serves over DNS, stay as they were.
"""

from __future__ import annotations

import httpx
import pytest
from api_support import ADMIN, OTHER_TOKEN, TOKEN, Api, api, api_server, serve_api, unchanged

from acns_dns.dns.journal import QueryJournal
from acns_dns.lab.testing import running_world
from acns_dns.world import scenario
from acns_dns.world.registry import Registry

__all__ = ["api", "api_server"]

GLUE = "/sim/registrars/example-registrar/glue/ns1.example.com"
NS = "/sim/registrars/example-registrar/domains/example.com/nameservers"
REGISTRANT = "example-registrant"  # Example Corp's login at the registrar (default scenario)
OTHER_REGISTRANT = "other-registrant"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_other_account_cannot_change_glue_and_com_keeps_serving_the_old_glue() -> None:
    with running_world("default", api=True, admin_token=ADMIN) as world:
        assert world.api_url is not None
        before = world.query("ns1.example.com", "A", at="com")
        old = sorted(rr.to_text() for rrset in before.additional for rr in rrset)
        assert old, "com publishes glue for ns1.example.com"
        with httpx.Client(base_url=world.api_url, timeout=10.0) as client, unchanged(world.registry):
            for token in (OTHER_TOKEN, OTHER_REGISTRANT):
                answer = client.put(GLUE, json={"ipv4": ["192.0.2.66"]}, headers=_auth(token))
                assert answer.status_code == 403, answer.text
                assert "another registrant" in answer.json()["errors"][0]["message"]
                gone = client.delete(GLUE, headers=_auth(token))
                assert gone.status_code == 403
                moved = client.put(NS, json={"nameservers": ["ns.evil.example"]}, headers=_auth(token))
                assert moved.status_code == 403
        after = world.query("ns1.example.com", "A", at="com")
        assert sorted(rr.to_text() for rrset in after.additional for rr in rrset) == old
        assert "192.0.2.66" not in str(after)


@pytest.mark.parametrize("token", [TOKEN, REGISTRANT, ADMIN])
def test_holder_and_admin_change_glue(api: Api, token: str) -> None:
    answer = api.http(token).put(GLUE, json={"ipv4": ["127.53.200.1"], "ipv6": []})
    assert answer.status_code == 200, answer.text
    glue = api.http().get("/sim/domains/example.com").json()["result"]["glue"]
    assert {"name": "ns1.example.com", "ipv4": ["127.53.200.1"], "ipv6": []} in glue


def test_registrant_token_has_no_cloudflare_api(api: Api) -> None:
    zone_id = next(z.id for z in api.registry.world.zones.values() if z.name == "example.com")
    assert api.http(REGISTRANT).get(f"/client/v4/zones/{zone_id}").status_code == 403
    assert api.http(TOKEN).get(f"/client/v4/zones/{zone_id}").status_code == 200


def test_tickets_only_for_the_holder(api: Api) -> None:
    body = {"domain": "example.net", "action": "set_ns", "nameservers": ["ns1.example.com", "ns2.example.com",
                                                                          "ns3.example.com"]}
    with unchanged(api.registry):
        refused = api.http(OTHER_TOKEN).post("/sim/tickets", json=body)
        assert refused.status_code == 403, refused.text
    ticket = api.http(REGISTRANT).post("/sim/tickets", json=body).json()["result"]
    with unchanged(api.registry):
        assert api.http(OTHER_TOKEN).post(f"/sim/tickets/{ticket['id']}/resolve").status_code == 403
        assert api.http(OTHER_TOKEN).get(f"/sim/tickets/{ticket['id']}").status_code == 403
    assert api.http(OTHER_TOKEN).get("/sim/tickets").json()["result"] == []
    assert [t["id"] for t in api.http(TOKEN).get("/sim/tickets").json()["result"]] == [ticket["id"]]
    resolved = api.http(ADMIN).post(f"/sim/tickets/{ticket['id']}/resolve")
    assert resolved.status_code == 200 and resolved.json()["result"]["status"] == "resolved"
    assert len(api.http().get("/sim/domains/example.net").json()["result"]["nameservers"]) == 3


def test_domain_without_a_holder_is_for_the_admin_only(api: Api) -> None:
    path = "/sim/registrars/cloudflare/domains/cloudflare.com/nameservers"
    with unchanged(api.registry):
        assert api.http(TOKEN).put(path, json={"nameservers": ["a.example.com"]}).status_code == 403
    # the admin passes the registrant check and meets the registrar's own rule (a ticket)
    answer = api.http(ADMIN).put(path, json={"nameservers": ["a.example.com"]})
    assert answer.json()["errors"][0]["code"] == 1101


def test_journal_shows_a_token_only_its_own_zones() -> None:
    journal = QueryJournal()
    journal.record("127.53.0.1", "127.0.0.1:5000", "udp", "example.com.", "NS", "NOERROR", "qr", 80)
    journal.record("127.53.0.10", "127.0.0.9:5001", "udp", "www.Example.ORG", "A", "NOERROR", "qr aa", 90)
    journal.record("127.53.0.10", "127.0.0.9:5002", "udp", "notexample.com", "A", "NOERROR", "qr", 90)
    with serve_api(Registry(scenario.load("default")), journal=journal) as url:
        with httpx.Client(base_url=url) as client:
            def names(token: str) -> list[str]:
                answer = client.get("/sim/journal", headers=_auth(token))
                assert answer.status_code == 200, answer.text
                return [entry["qname"] for entry in answer.json()["result"]]

            assert names(TOKEN) == ["example.com."]
            assert names(OTHER_TOKEN) == ["www.Example.ORG"]
            assert names(OTHER_REGISTRANT) == ["www.Example.ORG"]
            assert names(ADMIN) == ["example.com.", "www.Example.ORG", "notexample.com"]
