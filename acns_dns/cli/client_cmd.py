"""``acns-dns ns|zone|registrar|ticket``: the seed's steps as commands, clients of the HTTP API.

Each command sends one or two requests to a running ``acns-dns serve`` (``--api``, default
http://127.0.0.1:8053) with ``--token`` (default: $ACNS_DNS_TOKEN, else ``demo-token``) and
prints a short human answer, or the API's ``result`` with ``--json``. A refusal is one line on
stderr (the API's message and code) and exit status 1.
Imports: httpx only (it speaks to the server like any other client).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import httpx

DEFAULT_API = "http://127.0.0.1:8053"
DEFAULT_TOKEN = "demo-token"
TIMEOUT = 10.0
CF = "/client/v4"
Action = Callable[["Client", argparse.Namespace], tuple[Any, list[str]]]


class ApiError(Exception):
    """The API refused, or could not be reached; the message is one line."""


class Client:
    """A thin JSON client of the simulator's API."""

    def __init__(self, api: str, token: str) -> None:
        self.api = api.rstrip("/")
        self.http = httpx.Client(
            base_url=self.api, timeout=TIMEOUT, headers={"Authorization": f"Bearer {token}"}
        )

    def call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """The ``result`` of one request, or ApiError."""
        try:
            response = self.http.request(method, path, json=body, params=params)
        except httpx.HTTPError as exc:
            raise ApiError(
                f"cannot reach the API at {self.api}: {exc} (is `acns-dns serve` running?)"
            ) from exc
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict):
            raise ApiError(f"{method} {path}: HTTP {response.status_code}, not a Cloudflare v4 answer")
        if not response.is_success or not envelope.get("success"):
            errors = envelope.get("errors") or [{"code": 0, "message": response.reason_phrase}]
            text = "; ".join(f"{e.get('message')} (code {e.get('code')})" for e in errors)
            raise ApiError(f"{text} [HTTP {response.status_code}]")
        return envelope.get("result")

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()


# --- lookups shared by the commands -------------------------------------------------------


def _account(client: Client, args: argparse.Namespace) -> str:
    if args.account:
        return str(args.account)
    accounts = client.call("GET", f"{CF}/accounts", params={"per_page": 50})
    if len(accounts) != 1:
        raise ApiError(f"the token may act on {len(accounts)} accounts: choose one with --account")
    return str(accounts[0]["id"])


def _zone(client: Client, name_or_id: str) -> dict[str, Any]:
    """A zone by name (``example.com``) or by id."""
    found = client.call("GET", f"{CF}/zones", params={"name": name_or_id})
    if found:
        return dict(found[0])
    if "." in name_or_id:
        raise ApiError(f"no zone called {name_or_id} that this token may see")
    return dict(client.call("GET", f"{CF}/zones/{name_or_id}"))


def _assigned(client: Client, args: argparse.Namespace, host: str) -> tuple[list[str], list[str]]:
    """The addresses Cloudflare assigned to ACNS name ``host`` (for glue)."""
    for ns in client.call("GET", f"{CF}/accounts/{_account(client, args)}/custom_ns"):
        if ns["ns_name"] == host.lower().rstrip("."):
            records = ns["dns_records"]
            return (
                [r["value"] for r in records if r["type"] == "A"],
                [r["value"] for r in records if r["type"] == "AAAA"],
            )
    raise ApiError(f"{host} is not an account custom nameserver of this account")


def _glue_addresses(client: Client, args: argparse.Namespace, host: str) -> tuple[list[str], list[str]]:
    if args.assigned:
        return _assigned(client, args, host)
    if not args.ipv4 and not args.ipv6:
        raise ApiError("give --ipv4/--ipv6 addresses, or --assigned to copy Cloudflare's")
    return list(args.ipv4), list(args.ipv6)


def _sponsor(client: Client, domain: str) -> str:
    return str(client.call("GET", f"/sim/domains/{domain}")["registrar"])


def _registered(host: str) -> str:
    return ".".join(host.lower().rstrip(".").split(".")[-2:])


def _ns_line(ns: dict[str, Any]) -> str:
    addresses = " ".join(r["value"] for r in ns["dns_records"])
    return f"{ns['ns_name']:<28} set {ns['ns_set']}  {addresses}  {ns['status']}"


# --- the actions --------------------------------------------------------------------------


def ns_add(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    made = client.call(
        "POST",
        f"{CF}/accounts/{_account(client, args)}/custom_ns",
        {"ns_name": args.name, "ns_set": args.set},
    )
    return made, [
        _ns_line(made),
        "next: publish these addresses as glue at the registrar of the "
        "name's domain (acns-dns registrar set-glue, or a ticket at Cloudflare Registrar)",
    ]


def ns_list(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    names = client.call("GET", f"{CF}/accounts/{_account(client, args)}/custom_ns")
    return names, [_ns_line(ns) for ns in names] or ["no account custom nameservers"]


def ns_delete(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    result = client.call("DELETE", f"{CF}/accounts/{_account(client, args)}/custom_ns/{args.name}")
    return result, [f"deleted {args.name}; its addresses are released"]


def zone_use_acns(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    zone = _zone(client, args.zone)
    body = {"nameservers": {"type": "custom.account", "ns_set": args.set}}
    settings = client.call("PATCH", f"{CF}/zones/{zone['id']}/dns_settings", body)
    return settings, [
        f"{zone['name']} now uses account custom nameserver set {args.set}",
        "next: point the zone's NS at the registrar to the set's names",
    ]


def zone_use_standard(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    zone = _zone(client, args.zone)
    settings = client.call(
        "PATCH", f"{CF}/zones/{zone['id']}/dns_settings", {"nameservers": {"type": "cloudflare.standard"}}
    )
    return settings, [f"{zone['name']} now uses {' '.join(zone['name_servers'])}"]


def registrar_set_ns(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    registrar = args.registrar or _sponsor(client, args.domain)
    domain = client.call(
        "PUT",
        f"/sim/registrars/{registrar}/domains/{args.domain}/nameservers",
        {"nameservers": args.nameservers},
    )
    return domain, [f"{domain['name']} at {registrar}: NS {' '.join(domain['nameservers'])}"]


def registrar_set_glue(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    registrar = args.registrar or _sponsor(client, _registered(args.host))
    ipv4, ipv6 = ([], []) if args.delete else _glue_addresses(client, args, args.host)
    glue = client.call("PUT", f"/sim/registrars/{registrar}/glue/{args.host}", {"ipv4": ipv4, "ipv6": ipv6})
    shown = " ".join(glue["ipv4"] + glue["ipv6"]) or "(deleted)"
    return glue, [f"glue for {glue['name']} at {registrar}: {shown}"]


def ticket_list(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    params = {"status": args.status} if args.status else None
    tickets = client.call("GET", "/sim/tickets", params=params)
    return tickets, [_ticket_line(t) for t in tickets] or ["no support tickets"]


def _ticket_line(ticket: dict[str, Any]) -> str:
    detail = (
        " ".join(ticket["nameservers"])
        if ticket["action"] == "set_ns"
        else f"{ticket['host']} {' '.join(ticket['ipv4'] + ticket['ipv6'])}".strip()
    )
    return f"{ticket['id']}  {ticket['status']:<8} {ticket['domain']:<20} {ticket['action']:<11} {detail}"


def ticket_open(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    body: dict[str, Any] = {"domain": args.domain}
    if args.set_ns:
        body.update(action="set_ns", nameservers=args.set_ns)
    elif args.set_glue:
        ipv4, ipv6 = _glue_addresses(client, args, args.set_glue)
        body.update(action="set_glue", host=args.set_glue, ipv4=ipv4, ipv6=ipv6)
    else:
        body.update(action="delete_glue", host=args.delete_glue)
    ticket = client.call("POST", "/sim/tickets", body)
    return ticket, [
        _ticket_line(ticket),
        f"nothing changes until Support resolves it (acns-dns ticket resolve {ticket['id']})",
    ]


def ticket_resolve(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    ticket = client.call("POST", f"/sim/tickets/{args.ticket}/resolve")
    return ticket, [_ticket_line(ticket)]


# --- the command line ---------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, action: Action) -> None:
    parser.add_argument(
        "--api",
        default=os.environ.get("ACNS_DNS_API", DEFAULT_API),
        help=f"the simulator's API (default {DEFAULT_API})",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("ACNS_DNS_TOKEN", DEFAULT_TOKEN),
        help="API token (default: $ACNS_DNS_TOKEN, else demo-token)",
    )
    parser.add_argument("--json", action="store_true", help="print the API's result as JSON")
    parser.set_defaults(run=run, action=action)


def _leaf(group: Any, name: str, action: Action, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = group.add_parser(name, help=help_text, description=help_text)
    _common(parser, action)
    return parser


def _account_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", help="account id (default: the token's only account)")


def _address_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ipv4", action="append", default=[], metavar="ADDR", help="glue IPv4 (repeat)")
    parser.add_argument("--ipv6", action="append", default=[], metavar="ADDR", help="glue IPv6 (repeat)")
    parser.add_argument(
        "--assigned", action="store_true", help="use the addresses Cloudflare assigned to this ACNS name"
    )
    _account_option(parser)


def _ns_parsers(subparsers: Any) -> None:
    group = subparsers.add_parser("ns", help="account custom nameservers (seed step 1)").add_subparsers(
        dest="ns_command", metavar="ACTION", required=True
    )
    add = _leaf(group, "add", ns_add, "create an ACNS name; it gets one IPv4 and one IPv6 address")
    add.add_argument("name")
    add.add_argument("--set", type=int, default=1, help="ns_set 1-5 (default 1)")
    _account_option(add)
    _account_option(_leaf(group, "list", ns_list, "list the account's ACNS names"))
    delete = _leaf(group, "delete", ns_delete, "delete an ACNS name")
    delete.add_argument("name")
    _account_option(delete)


def _zone_parsers(subparsers: Any) -> None:
    group = subparsers.add_parser("zone", help="which nameservers a zone uses (seed step 3)").add_subparsers(
        dest="zone_command", metavar="ACTION", required=True
    )
    acns = _leaf(group, "use-acns", zone_use_acns, "make a zone use an ACNS set")
    acns.add_argument("zone", help="zone name or id")
    acns.add_argument("--set", type=int, default=1, help="ns_set 1-5 (default 1)")
    standard = _leaf(group, "use-standard", zone_use_standard, "move a zone back to its Cloudflare pair")
    standard.add_argument("zone", help="zone name or id")


def _registrar_parsers(subparsers: Any) -> None:
    group = subparsers.add_parser("registrar", help="an external registrar (seed step 2)").add_subparsers(
        dest="registrar_command", metavar="ACTION", required=True
    )
    set_ns = _leaf(group, "set-ns", registrar_set_ns, "set a domain's nameservers at its registrar")
    set_ns.add_argument("domain")
    set_ns.add_argument("nameservers", nargs="+")
    set_ns.add_argument("--registrar", help="registrar id (default: the domain's sponsor)")
    glue = _leaf(group, "set-glue", registrar_set_glue, "set (or --delete) glue for a name server name")
    glue.add_argument("host")
    glue.add_argument("--delete", action="store_true", help="remove the glue")
    glue.add_argument("--registrar", help="registrar id (default: the domain's sponsor)")
    _address_options(glue)


def _ticket_parsers(subparsers: Any) -> None:
    group = subparsers.add_parser("ticket", help="support tickets at Cloudflare Registrar").add_subparsers(
        dest="ticket_command", metavar="ACTION", required=True
    )
    listing = _leaf(group, "list", ticket_list, "list support tickets")
    listing.add_argument("--status", choices=("open", "resolved"))
    opening = _leaf(group, "open", ticket_open, "ask Support to change a domain's NS or glue")
    opening.add_argument("domain")
    what = opening.add_mutually_exclusive_group(required=True)
    what.add_argument("--set-ns", nargs="+", metavar="NS", help="the nameservers to publish")
    what.add_argument("--set-glue", metavar="HOST", help="add glue for HOST")
    what.add_argument("--delete-glue", metavar="HOST", help="remove the glue of HOST")
    _address_options(opening)
    resolve = _leaf(group, "resolve", ticket_resolve, "Support carries a ticket out (the registry changes)")
    resolve.add_argument("ticket", help="ticket id, e.g. T0001")


def add_parser(subparsers: Any) -> None:
    """Register ``ns``, ``zone``, ``registrar`` and ``ticket``."""
    _ns_parsers(subparsers)
    _zone_parsers(subparsers)
    _registrar_parsers(subparsers)
    _ticket_parsers(subparsers)


def run(args: argparse.Namespace) -> int:
    """Run one client command; 0 on success, 1 with one line on stderr when refused."""
    client = Client(args.api, args.token)
    try:
        result, lines = args.action(client, args)
    except ApiError as exc:
        print(f"acns-dns: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    print(json.dumps(result, indent=2) if args.json else "\n".join(lines))
    return 0
