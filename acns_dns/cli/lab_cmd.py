"""``acns-dns lab SCENARIO [NAME [TYPE]]``: the real resolvers on a scenario, side by side."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from acns_dns.lab import matrix, report
from acns_dns.lab.resolvers import KINDS


def add_parser(sub: Any) -> None:
    """Register ``lab``."""
    parser = sub.add_parser("lab", help="BIND, Knot Resolver, PowerDNS Recursor and unbound on a scenario")
    parser.add_argument("scenario", help="a packaged scenario name or a scenario file")
    parser.add_argument("name", nargs="?", help="the name to ask (default: the recorded question)")
    parser.add_argument("type", nargs="?", default="A")
    parser.add_argument("--case", help="a case of the scenario's recorded matrix")
    parser.add_argument("--unheld", choices=("refused", "timeout"),
                        help="what addresses nobody holds do: refused at once, or silent as on the Internet "
                             "(default: as the scenario says)")
    parser.add_argument("--fix", action="store_true",
                        help="apply the documented fix through the API and time each resolver's recovery")
    parser.add_argument("--asks", type=int, default=1, choices=range(1, 21), metavar="N",
                        help="ask each resolver N times before the fix, as retrying clients do (1)")
    parser.add_argument("--no-flush", action="store_true", help="with --fix: leave the caches alone")
    parser.add_argument("--resolvers", default=",".join(KINDS), help=f"comma-separated ({','.join(KINDS)})")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each answer (30)")
    parser.add_argument("--recovery-limit", type=float, default=150.0,
                        help="seconds to wait for a recovery after --fix (150)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--recorded", action="store_true",
                        help="print what the resolvers did when the packaged scenario was recorded "
                             "(runs nothing)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print one row per resolver; exit 2 when the lab cannot run here."""
    if args.recorded:
        return _recorded(args.scenario)
    kinds = [k for k in args.resolvers.split(",") if k]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        print(f"acns-dns lab: unknown resolver {', '.join(unknown)} (known: {', '.join(KINDS)})",
              file=sys.stderr)
        return 2
    try:
        result = report.lab(args.scenario, args.name, args.type if args.name else None, case=args.case,
                            fix=args.fix, kinds=kinds, timeout=args.timeout,
                            recovery_limit=args.recovery_limit, asks=args.asks, flush=not args.no_flush,
                            unheld=args.unheld)
    except report.LabError as exc:
        print(f"acns-dns lab: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=1) if args.json else report.render(result))
    return 0


def _recorded(scenario: str) -> int:
    recording = matrix.find(scenario)
    if recording is None:
        known = ", ".join(m.scenario for m in matrix.all_matrices())
        print(f"acns-dns lab: no recorded matrix for {scenario!r} (recorded: {known})", file=sys.stderr)
        return 2
    print(report.recorded(recording))
    return 0
