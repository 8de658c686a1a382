"""``acns-dns shell [--scenario NAME] [-c COMMAND]``: a shell inside the simulated Internet.

Checks what it can out here (user namespaces, unbound, the scenario, the API's address), so
a mistake is one line on stderr before anything starts, then hands over to
``lab.shell.open_shell``, which replaces this process. Imports: http_server (the API's
address), serve_cmd (loading a world), shell.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

from acns_dns.api.http_server import api_address
from acns_dns.cli.serve_cmd import EXIT_BIND, world_or_report
from acns_dns.lab import shell

EXIT_UNAVAILABLE = 2


def add_parser(sub: Any) -> None:
    """Register ``shell``."""
    parser = sub.add_parser(
        "shell", help="a shell inside the simulated Internet (dig +trace, host, getent just work)",
        description="Open a shell in a private user, network and mount namespace (no root needed) "
                    "where the world serves on port 53 of its addresses and /etc/resolv.conf names "
                    "a recursive resolver (unbound) whose root is the simulated root. Leaving the "
                    "shell stops everything.")
    parser.add_argument("--scenario", default="default", metavar="NAME|FILE",
                        help="packaged scenario name or YAML file (default: default)")
    parser.add_argument("--state", default=None, metavar="FILE",
                        help="keep the world in FILE (a snapshot) and FILE.journal (every change, "
                             "on disk before it is acknowledged): loaded if it exists")
    parser.add_argument("-c", dest="command", default=None, metavar="COMMAND",
                        help="run COMMAND with the shell and exit with its status")
    parser.add_argument("--api", default="127.0.0.1:8053", metavar="HOST:PORT",
                        help="where the page and the HTTP API listen, on the host and in the shell "
                             "(default 127.0.0.1:8053; port 0: a free one)")
    parser.add_argument("--no-api", action="store_true", help="no page, no API")
    parser.add_argument("--admin-token", default=None, metavar="TOKEN",
                        help="token for the /sim admin routes (default: a random one, printed)")
    parser.add_argument("--check", action="store_true",
                        help="only say whether the shell can run here (exit 0) or why not (exit 2)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Enter the shell (this process is replaced); a status only when it cannot."""
    reason = shell.unavailable()
    if args.check or reason:
        if reason:
            print(f"acns-dns shell: cannot run here: {reason}", file=sys.stderr)
            return EXIT_UNAVAILABLE
        print("acns-dns shell: can run here")
        return 0
    if not args.no_api:
        try:
            api_address(args.api)
        except ValueError as exc:
            print(f"acns-dns shell: {exc}", file=sys.stderr)
            return 2
    args.listen_prefix = None  # the namespace is private: the default addresses are free there
    if world_or_report(args, "shell") is None:
        return 2
    options = shell.ShellOptions(scenario=args.scenario, state=args.state,
                                 api=None if args.no_api else args.api,
                                 admin_token=args.admin_token or secrets.token_hex(12),
                                 command=args.command)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        shell.open_shell(options)
    except shell.ShellUnavailable as exc:
        print(f"acns-dns shell: cannot run here: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except shell.ApiBindError as exc:
        print(f"acns-dns shell: {exc}", file=sys.stderr)
        return EXIT_BIND
