"""``acns-dns scenarios`` (list the packaged scenarios) and ``acns-dns scenario check FILE``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from acns_dns.world import scenario
from acns_dns.world.errors import ScenarioError


def add_parser(sub: Any) -> None:
    """Register the commands."""
    listing = sub.add_parser("scenarios", help="list the packaged scenarios, one line each")
    listing.set_defaults(run=run_list)
    check = sub.add_parser("check-scenario", help="load a scenario file and report the first error")
    check.add_argument("source", help="a packaged scenario name or a YAML file")
    check.set_defaults(run=run_check)


def run_list(args: argparse.Namespace) -> int:
    """Print ``name  description`` for each packaged scenario."""
    rows = scenario.packaged()
    width = max(len(name) for name, _ in rows)
    for name, description in rows:
        print(f"{name:<{width}}  {description}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Build the world a scenario declares; one line either way."""
    try:
        world = scenario.load(args.source)
    except ScenarioError as exc:
        print(f"acns-dns: {exc.message}", file=sys.stderr)
        return 1
    print(f"{args.source}: ok ({len(world.zones)} Cloudflare zones, {len(world.custom_ns)} ACNS names, "
          f"{len(world.tlds)} TLDs, {len(world.hosts)} other DNS hosts)")
    return 0
