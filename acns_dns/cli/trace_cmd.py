"""``acns-dns trace NAME [TYPE]`` and ``acns-dns check DOMAIN`` against a running world."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from typing import Any

from acns_dns.lab import check, trace
from acns_dns.world import names

DEFAULT_ROOT = "127.53.0.1"
DEFAULT_PORT = 5300


def add_parser(sub: Any) -> None:
    """Register ``trace`` and ``check``."""
    tracing = sub.add_parser("trace", help="resolve a name from the simulated root, hop by hop, explained")
    tracing.add_argument("name")
    tracing.add_argument("type", nargs="?", default="A")
    _common(tracing)
    tracing.set_defaults(run=run_trace)
    checking = sub.add_parser("check", help="delegation checks for a domain: glue, lameness, agreement")
    checking.add_argument("domain")
    _common(checking)
    checking.set_defaults(run=run_check)


def _common(parser: argparse.ArgumentParser) -> None:
    # `acns-dns shell` sets ACNS_DNS_ROOT and ACNS_DNS_PORT (53), so no option is needed in it
    root = os.environ.get("ACNS_DNS_ROOT") or DEFAULT_ROOT
    port = os.environ.get("ACNS_DNS_PORT", "")
    parser.add_argument("--root", default=root,
                        help=f"the simulated root's address ($ACNS_DNS_ROOT, else {DEFAULT_ROOT})")
    parser.add_argument("--port", type=int, default=int(port) if port.isdigit() else DEFAULT_PORT,
                        help=f"the port every simulated server uses ($ACNS_DNS_PORT, else {DEFAULT_PORT})")
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for each answer (1.0)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run_trace(args: argparse.Namespace) -> int:
    """Print the walk; exit 0 when the name resolved (or provably does not exist)."""
    try:
        result = trace.Tracer(args.root, args.port, args.timeout).trace(args.name, args.type)
    except names.NameError_ as exc:
        print(f"acns-dns trace: {exc}", file=sys.stderr)
        return 2
    if args.json:
        hops = [{k: v for k, v in asdict(hop).items() if k != "reply"} for hop in result.hops]
        print(json.dumps({"qname": result.qname, "qtype": result.qtype, "status": result.status,
                          "verdict": result.verdict, "answer": result.answer, "hops": hops,
                          "situation": result.situation, "resolvers": result.resolvers}, indent=1))
    else:
        print(trace.render(result))
    return 0 if result.status != "fail" else 1


def run_check(args: argparse.Namespace) -> int:
    """Print the findings; exit 1 when any check failed."""
    try:
        findings = check.check(args.domain, args.root, args.port, args.timeout)
    except names.NameError_ as exc:
        print(f"acns-dns check: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([asdict(f) for f in findings], indent=1))
    else:
        print(check.render(args.domain, findings))
    return 1 if any(f.level == "FAIL" for f in findings) else 0
