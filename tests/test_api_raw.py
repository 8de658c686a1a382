"""The legacy endpoints and the envelope, with raw HTTP requests as curl would send them."""

from __future__ import annotations

import cloudflare
import pytest
from api_support import ACCOUNT, ADMIN, OTHER_TOKEN, Api, api, api_server, unchanged

__all__ = ["api", "api_server"]
BASE = f"/client/v4/accounts/{ACCOUNT}/custom_ns"


def test_availability_lists_the_accounts_zone_names(api: Api) -> None:
    answer = api.http().get(f"{BASE}/availability")
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is True and body["errors"] == [] and body["messages"] == []
    assert body["result"] == ["example.com", "example.net"]
    assert body["result_info"]["total_count"] == 2


def test_verify_status_follows_the_registry_glue(api: Api) -> None:
    client = api.http()
    made = client.post(BASE, json={"ns_name": "ns3.example.com", "ns_set": 2}).json()["result"]
    addresses = {r["type"]: r["value"] for r in made["dns_records"]}

    def status() -> str:
        found = [
            n for n in client.post(f"{BASE}/verify").json()["result"] if n["ns_name"] == "ns3.example.com"
        ]
        return str(found[0]["status"])

    assert status() == "pending"
    glue = "/sim/registrars/example-registrar/glue/ns3.example.com"
    assert client.put(glue, json={"ipv4": [addresses["A"]], "ipv6": []}).status_code == 200
    assert status() == "pending"  # the AAAA glue is still missing
    assert client.put(glue, json={"ipv4": [addresses["A"]], "ipv6": [addresses["AAAA"]]}).status_code == 200
    assert status() == "verified"
    assert client.put(glue, json={"ipv4": ["127.53.9.9"], "ipv6": [addresses["AAAA"]]}).status_code == 200
    assert status() == "pending"  # stale glue


def test_unknown_route_is_7003_and_wrong_method_405(api: Api) -> None:
    for path in ("/client/v4/nope", "/nope", f"{BASE}/x/y"):
        answer = api.http().get(path)
        assert answer.status_code == 404
        assert answer.json() == {
            "success": False,
            "errors": [{"code": 7003, "message": "No route for the URI"}],
            "messages": [],
            "result": None,
        }
    wrong = api.http().patch(BASE, json={})
    assert wrong.status_code == 405 and wrong.json()["success"] is False


def test_delete_with_json_content_type_and_empty_body(api: Api) -> None:
    answer = api.http().request(
        "DELETE", f"{BASE}/ns2.example.com", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 200 and answer.json()["result"] == []


def test_validation_errors_are_400_and_name_the_field(api: Api) -> None:
    client = api.http()
    with unchanged(api.registry):
        cases = [
            (BASE, b"{not json", "request body"),
            (BASE, b"[1,2]", "request body"),
            (BASE, b'{"ns_name": 5}', "ns_name"),
            (BASE, b'{"ns_name": "a.b", "ns_set": true}', "ns_set"),
            (BASE, b'{"ns_name": "a.b", "ns_set": "Infinity"}', "ns_set"),
        ]
        for path, content, field in cases:
            answer = client.post(path, content=content, headers={"Content-Type": "application/json"})
            assert answer.status_code == 400, (content, answer.text)
            error = answer.json()["errors"][0]
            assert error["code"] == 1000 and field in error["message"], (content, error)
        answer = client.get("/client/v4/zones", params={"per_page": "many"})
        assert answer.status_code == 400 and "per_page" in answer.json()["errors"][0]["message"]


def test_credentials_are_needed_and_scoped(api: Api) -> None:
    with unchanged(api.registry):
        anonymous = api.http(None).get(BASE)
        assert anonymous.status_code == 401 and anonymous.json()["errors"][0]["code"] == 10000
        basic = api.http(None).get(BASE, headers={"Authorization": "Basic eDp5"})
        assert basic.status_code == 401
        assert api.http(OTHER_TOKEN).post(BASE, json={"ns_name": "ns9.example.com"}).status_code == 403
        assert api.http(ADMIN).get(BASE).status_code == 200


def test_openapi_document_is_served(api: Api) -> None:
    document = api.http(None).get("/openapi.json").json()
    assert "/client/v4/accounts/{account_id}/custom_ns" in document["paths"]
    assert all("422" not in op["responses"] for path in document["paths"].values() for op in path.values())


def test_sdk_raw_get_of_the_legacy_availability(api: Api) -> None:
    body = api.sdk().get(f"/accounts/{ACCOUNT}/custom_ns/availability", cast_to=object)
    assert isinstance(body, dict) and body["result"] == ["example.com", "example.net"]


def test_tenant_routes_need_the_tenant_owner(api: Api) -> None:
    """TCNS (spec-acns §2 #13): an account token is not a tenant owner (403, whether the tag
    exists or not); tests/test_tenant_custom_ns.py covers the rest."""
    with unchanged(api.registry), pytest.raises(cloudflare.PermissionDeniedError) as caught:
        api.sdk().tenant_custom_nameservers.create("c" * 32, ns_name="ns1.example.com", ns_set=1)
    assert isinstance(caught.value.body, dict) and caught.value.body["errors"][0]["code"] == 9109


def test_email_without_key_is_401(api: Api) -> None:
    answer = api.http(None).get(BASE, headers={"X-Auth-Email": "user@example.com"})
    assert answer.status_code == 401
