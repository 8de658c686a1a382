"""``acns-dns export --format nsd|knot|bind DIR``: zone files and server configurations.

Loads the world as ``serve`` does (scenario, snapshot, prefix), compiles the same view
(``127.0.0.1`` answers as the Cloudflare edge) and hands it to ``export``; prints one line
per server group and how to start the servers. With ``--primary-port`` every instance is a
secondary of an ``acns-dns serve`` of the same world on that port. Imports: serve_cmd (world
loading), view, export, server_conf.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from acns_dns.cli.serve_cmd import EDGE, world_or_report
from acns_dns.dns import export, server_conf
from acns_dns.dns.view import compile_view


def add_parser(sub: Any) -> None:
    """Register ``export``."""
    parser = sub.add_parser(
        "export", help="write the world as zone files and NSD, Knot or BIND configurations",
        description="Write the world as RFC 1035 zone files and one server configuration per "
                    "server group (root, each TLD, the Cloudflare edge, each other host), so NSD, "
                    "Knot or BIND serve the same answers on the same addresses - from the zone "
                    "files, or as secondaries of a running acns-dns (--primary-port).")
    parser.add_argument("directory", metavar="DIR", help="where to write (created if needed)")
    parser.add_argument("--scenario", default="default", metavar="NAME|FILE",
                        help="packaged scenario name or YAML file (default: default)")
    parser.add_argument("--state", default=None, metavar="FILE", help="export this snapshot instead")
    parser.add_argument("--listen-prefix", default=None, metavar="PREFIX",
                        help="IPv4 /16 for the simulated servers (default 127.53.0.0/16)")
    parser.add_argument("--format", default="nsd", choices=server_conf.FORMATS, dest="fmt",
                        help="which server the configurations are for (default nsd)")
    parser.add_argument("--port", type=int, default=5300, help="DNS port of every group (default 5300)")
    parser.add_argument("--primary-port", type=int, default=None, metavar="PORT",
                        help="make every instance a secondary of `acns-dns serve --port PORT "
                             "--allow-transfer 127.0.0.0/8 --notify-port <--port>` serving this world")
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
    if args.primary_port is not None and args.primary_port == args.port:
        print(f"acns-dns export: --port {args.port} is the primary's port too: the secondaries "
              "would listen where acns-dns does; choose another --port", file=sys.stderr)
        return 2
    view = compile_view(world, edge_aliases=() if args.no_edge else (EDGE,))
    try:
        result = export.export(view, args.directory, port=args.port, ipv6=not args.no_ipv6, fmt=args.fmt,
                               primary_port=args.primary_port)
    except OSError as exc:
        print(f"acns-dns export: cannot write {args.directory}: {exc}", file=sys.stderr)
        return 2
    zones = sum(len(group.zones) for group in result.groups)
    how = f"secondaries of acns-dns on port {args.primary_port}"
    if args.primary_port is None:
        how = "zone files"
    print(f"wrote {zones} zone files and {len(result.groups)} {args.fmt} configurations ({how}) "
          f"to {result.directory}")
    for line in export.summary(result):
        print(f"  {line}")
    print(f"start every group:  {result.launcher}")
    command = server_conf.COMMANDS[args.fmt][1].split('"')[2].strip()  # -d -c / -c / -g -c
    binary = {"nsd": "nsd", "knot": "knotd", "bind": "named"}[args.fmt]
    print(f"or one:             {binary} {command} {result.conf(result.groups[0])}")
    return 0
