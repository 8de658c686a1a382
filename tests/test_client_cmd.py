"""The ``acns-dns ns|zone|registrar|ticket`` commands against a live API."""

from __future__ import annotations

import json

import pytest
from api_support import ACCOUNT, Api, api, api_server, serve_api, unchanged

from acns_dns.cli import main
from acns_dns.world import scenario
from acns_dns.world.registry import Registry

__all__ = ["api", "api_server"]


def _run(
    api: Api, capsys: pytest.CaptureFixture[str], *argv: str, token: str = "demo-token"
) -> tuple[int, str, str]:
    status = main([*argv, "--api", api.url, "--token", token])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_ns_add_list_delete(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(api, capsys, "ns", "add", "ns3.example.com", "--set", "2")
    assert status == 0 and out.startswith("ns3.example.com") and "set 2" in out
    status, out, _ = _run(api, capsys, "ns", "list", "--json")
    assert status == 0 and [n["ns_name"] for n in json.loads(out)] == [
        "ns1.example.com",
        "ns2.example.com",
        "ns3.example.com",
    ]
    assert _run(api, capsys, "ns", "delete", "ns3.example.com")[0] == 0
    assert "ns3.example.com" not in [n.ns_name for n in api.registry.world.custom_ns]


def test_refusal_is_one_line_and_exit_1(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    with unchanged(api.registry):
        status, out, err = _run(api, capsys, "ns", "add", "ns1.example.com", "--set", "2")
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and "already exists" in err and "code 1003" in err
    status, _, err = _run(api, capsys, "ns", "list", token="wrong")
    assert status == 1 and "HTTP 401" in err


def test_unreachable_api_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with serve_api(Registry(scenario.load("default"))) as url:
        dead = url  # the server stops when the block ends
    assert main(["ns", "list", "--api", dead]) == 1
    err = capsys.readouterr().err
    assert err.startswith("acns-dns: cannot reach the API") and err.count("\n") == 1


def test_zone_use_acns_and_standard(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    zone = api.zone_id("example.com")
    status, out, _ = _run(api, capsys, "zone", "use-standard", "example.com")
    assert status == 0 and ".ns.cloudflare.com" in out
    assert api.registry.world.zones[zone].nameservers.type == "cloudflare.standard"
    assert _run(api, capsys, "zone", "use-acns", zone, "--set", "1")[0] == 0
    assert api.registry.world.zones[zone].nameservers.ns_set == 1
    status, _, err = _run(api, capsys, "zone", "use-acns", "example.com", "--set", "3")
    assert status == 1 and "code 1001" in err
    status, _, err = _run(api, capsys, "zone", "use-acns", "example.org")  # another account's zone
    assert status == 1 and "no zone called example.org" in err


def test_registrar_set_ns_and_glue(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    _run(api, capsys, "ns", "add", "ns3.example.com", "--set", "2")
    status, out, _ = _run(api, capsys, "registrar", "set-glue", "ns3.example.com", "--assigned")
    made = next(n for n in api.registry.world.custom_ns if n.ns_name == "ns3.example.com")
    assert status == 0 and made.ipv4 in out and made.ipv6 in out
    status, out, _ = _run(
        api, capsys, "registrar", "set-ns", "example.com", "ns1.example.com", "ns3.example.com"
    )
    assert status == 0 and "example-registrar" in out
    domain = api.registry.world.tlds["com"].domains["example.com"]
    assert domain.nameservers == ["ns1.example.com", "ns3.example.com"]
    assert _run(api, capsys, "registrar", "set-glue", "ns3.example.com", "--delete")[0] == 0
    assert "ns3.example.com" not in api.registry.world.tlds["com"].hosts
    status, _, err = _run(api, capsys, "registrar", "set-ns", "example.net", "ns1.example.com")
    assert status == 1 and "code 1101" in err  # Cloudflare Registrar: open a ticket


def test_ticket_open_list_resolve(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(
        api,
        capsys,
        "ticket",
        "open",
        "example.net",
        "--set-ns",
        "ns1.example.com",
        "ns2.example.com",
        "ns3.example.com",
    )
    assert status == 0 and out.startswith("T0001") and "ticket resolve T0001" in out
    assert "T0001  open" in _run(api, capsys, "ticket", "list", "--status", "open")[1]
    assert _run(api, capsys, "ticket", "resolve", "T0001")[0] == 0
    assert len(api.registry.world.tlds["net"].domains["example.net"].nameservers) == 3
    status, _, err = _run(api, capsys, "ticket", "resolve", "T0001")
    assert status == 1 and "code 1103" in err
    status, _, err = _run(api, capsys, "ticket", "open", "example.net", "--set-glue", "ns1.example.net")
    assert status == 1 and "--assigned" in err


def test_account_is_required_when_the_token_has_several(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(api, capsys, "ns", "list", token="test-admin")
    assert status == 1 and "--account" in err
    status, out, _ = _run(api, capsys, "ns", "list", "--account", ACCOUNT, token="test-admin")
    assert status == 0 and "ns1.example.com" in out
