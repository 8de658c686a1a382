"""``acns-dns diagram DOMAIN``: write the delegation drawing to a file. Imports: diagram."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import httpx

from acns_dns.lab import diagram
from acns_dns.world.errors import AcnsError


def add_parser(subparsers: Any) -> None:
    """Register ``diagram``."""
    parser = subparsers.add_parser(
        "diagram", help="draw a domain's delegation and glue as SVG (and PNG)",
        description="Draw root -> TLD -> DOMAIN -> name servers with their glue, as the page does: "
        "from a scenario served for the occasion, or from a running serve with --api.")
    parser.add_argument("domain", metavar="DOMAIN")
    parser.add_argument("--scenario", default="default", metavar="NAME|FILE",
                        help="packaged scenario name or YAML file (default: default)")
    parser.add_argument("--api", default=None, metavar="URL",
                        help="draw what a running serve holds, e.g. http://127.0.0.1:8053")
    parser.add_argument("--token", default="demo-token", help="API token for --api (default demo-token)")
    parser.add_argument("-o", "--output", default=None, metavar="FILE.svg",
                        help="where to write (default DOMAIN.svg); a PNG goes beside it")
    parser.add_argument("--no-png", action="store_true", help="write the SVG only")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """``acns-dns diagram``."""
    try:
        svg = (diagram.from_api(args.domain, args.api, args.token) if args.api
               else diagram.from_scenario(args.domain, args.scenario))
    except KeyError:
        print(f"acns-dns diagram: {args.domain} is not a registered domain of scenario {args.scenario}",
              file=sys.stderr)
        return 2
    except (AcnsError, ValueError, httpx.HTTPError) as exc:
        print(f"acns-dns diagram: {exc}", file=sys.stderr)
        return 2
    target = Path(args.output or f"{args.domain.rstrip('.').lower()}.svg")
    try:
        target.write_text(svg, encoding="utf-8")
    except OSError as exc:
        print(f"acns-dns diagram: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {target}")
    if not args.no_png:
        png = target.with_suffix(".png")
        converter = diagram.to_png(target, png)
        print(f"wrote {png} (with {converter})" if converter else "no SVG converter found: SVG only")
    return 0
