"""``acns-dns export DIR``: write the world as zone files and NSD configuration.

Loads the world as ``serve`` does (scenario, snapshot, prefix), compiles the same view
(``127.0.0.1`` answers as the Cloudflare edge) and hands it to ``export``; prints one line
per server group and how to start NSD. Imports: serve_cmd (world loading), view, export.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from acns_dns.cli.serve_cmd import EDGE, world_or_report
from acns_dns.dns import export
from acns_dns.dns.view import compile_view


def add_parser(sub: Any) -> None:
    """Register ``export``."""
    parser = sub.add_parser(
        "export", help="write the world as zone files and NSD configuration",
        description="Write the world as RFC 1035 zone files and one nsd.conf per server group "
                    "(root, each TLD, the Cloudflare edge, each other host), so NSD serves the "
                    "same answers on the same addresses.")
    parser.add_argument("directory", metavar="DIR", help="where to write (created if needed)")
    parser.add_argument("--scenario", default="default", metavar="NAME|FILE",
                        help="packaged scenario name or YAML file (default: default)")
    parser.add_argument("--state", default=None, metavar="FILE", help="export this snapshot instead")
    parser.add_argument("--listen-prefix", default=None, metavar="PREFIX",
                        help="IPv4 /16 for the simulated servers (default 127.53.0.0/16)")
    parser.add_argument("--port", type=int, default=5300, help="DNS port of every group (default 5300)")
    parser.add_argument("--no-ipv6", action="store_true",
                        help="listen on the IPv4 addresses only (for hosts without IPv6)")
    parser.add_argument("--no-edge", action="store_true",
                        help=f"do not also serve the Cloudflare edge on {EDGE}")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Export; exit 2 when the world cannot be loaded or the directory written."""
    world = world_or_report(args, "export")
    if world is None:
        return 2
    view = compile_view(world, edge_aliases=() if args.no_edge else (EDGE,))
    try:
        result = export.export(view, args.directory, port=args.port, ipv6=not args.no_ipv6)
    except OSError as exc:
        print(f"acns-dns export: cannot write {args.directory}: {exc}", file=sys.stderr)
        return 2
    zones = sum(len(group.zones) for group in result.groups)
    print(f"wrote {zones} zone files and {len(result.groups)} NSD configurations to {result.directory}")
    for line in export.summary(result):
        print(f"  {line}")
    print(f"start every group:  {result.launcher}")
    print(f"or one:             nsd -d -c {result.conf(result.groups[0])}")
    return 0
