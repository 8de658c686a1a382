"""``acns-dns fault list|set|clear|unheld``: fault injection on a running world, through ``/sim``.

Each command is one request to a running ``acns-dns serve`` (``--api``, default
http://127.0.0.1:8053) with the admin token (``--token``, default $ACNS_DNS_ADMIN_TOKEN, else
$ACNS_DNS_TOKEN): make a simulated server misbehave (drop, delay --ms N, servfail, refused,
lame, tc, strip-glue, other-source), clear its faults, list them, or choose what addresses
nobody holds do (refused or timeout). A refusal is one line on stderr and exit status 1, as
for the other client commands (``client_cmd``). Imports: client_cmd (httpx only).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from acns_dns.cli.client_cmd import DEFAULT_API, Client, run

KINDS = ("drop", "delay", "servfail", "refused", "lame", "tc", "strip-glue", "other-source")


def _server_line(row: dict[str, Any]) -> str:
    faults = ", ".join(f"delay {f['delay_ms']} ms" if f["kind"] == "delay" else f["kind"]
                       for f in row["faults"])
    return f"{row['server']:<24} {' '.join(row['addresses']) or '(no such server now)':<36} {faults}"


def _state_lines(state: dict[str, Any]) -> list[str]:
    silent = f" (silent: {', '.join(state['silent'])})" if state["silent"] else ""
    lines = [f"unheld addresses: {state['unheld']}{silent}"]
    return lines + ([_server_line(row) for row in state["faults"]] or ["no server has a fault"])


def fault_list(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    state = client.call("GET", "/sim/faults")
    return state, _state_lines(state)


def fault_set(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    body = {"delay_ms": args.ms} if args.ms is not None else None
    row = client.call("PUT", f"/sim/faults/{args.server}/{args.kind}", body)
    return row, [_server_line(row)]


def fault_clear(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    path = "/sim/faults" + "".join(f"/{part}" for part in (args.server, args.kind) if part)
    removed = client.call("DELETE", path)
    return removed, [f"cleared: {_server_line(row)}" for row in removed] or ["no server had a fault"]


def fault_unheld(client: Client, args: argparse.Namespace) -> tuple[Any, list[str]]:
    state = client.call("PUT", "/sim/unheld", {"mode": args.mode})
    return state, _state_lines(state)[:1]


def _leaf(group: Any, name: str, action: Any, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = group.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--api", default=os.environ.get("ACNS_DNS_API", DEFAULT_API),
                        help=f"the simulator's API (default {DEFAULT_API})")
    parser.add_argument("--token", help="the admin token `serve` printed (default: $ACNS_DNS_ADMIN_TOKEN, "
                                        "else $ACNS_DNS_TOKEN)",
                        default=os.environ.get("ACNS_DNS_ADMIN_TOKEN", os.environ.get("ACNS_DNS_TOKEN", "")))
    parser.add_argument("--json", action="store_true", help="print the API's result as JSON")
    parser.set_defaults(run=run, action=action)
    return parser


def add_parser(subparsers: Any) -> None:
    """Register ``fault``."""
    group = subparsers.add_parser(
        "fault", help="make simulated servers misbehave (fault injection)",
        description="Make simulated servers misbehave, or choose what addresses nobody holds do.",
    ).add_subparsers(dest="fault_command", metavar="ACTION", required=True)
    _leaf(group, "list", fault_list, "list the faulted servers and the unheld mode")
    setting = _leaf(group, "set", fault_set, "add a fault to a server (by name or address)")
    setting.add_argument("server", help="a simulated server's name or one of its addresses")
    setting.add_argument("kind", choices=KINDS)
    setting.add_argument("--ms", type=int, help="delay: milliseconds, 1 to 30000")
    clearing = _leaf(group, "clear", fault_clear, "clear one fault, a server's faults, or all of them")
    clearing.add_argument("server", nargs="?", help="(default: every server)")
    clearing.add_argument("kind", nargs="?", choices=KINDS, help="(default: every fault of the server)")
    unheld = _leaf(group, "unheld", fault_unheld, "what addresses nobody holds do")
    unheld.add_argument("mode", choices=("refused", "timeout"),
                        help="refused: no socket (port unreachable); timeout: silence, as on the Internet")
