"""The command line: parses arguments and hands each command to the module that owns it.

Each command module exposes ``add_parser(subparsers)`` and ``run(args) -> int``; this module
only wires them (STYLE §7.10: thin shells).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# command module (inside acns_dns.cli) -> what it owns
COMMAND_MODULES = (
    "scenario_cmd",  # acns-dns scenarios
    "serve_cmd",  # acns-dns serve, acns-dns servers
    "client_cmd",  # acns-dns ns|zone|registrar|ticket (clients of the HTTP API)
    "trace_cmd",  # acns-dns trace, acns-dns check (over real DNS)
    "export_cmd",  # acns-dns export (zone files and NSD configuration)
    "lab_cmd",  # acns-dns lab (the real resolvers on a scenario)
    "diagram_cmd",  # acns-dns diagram (the delegation drawn as SVG and PNG)
    "shell_cmd",  # acns-dns shell (a shell inside the simulated Internet)
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every available command."""
    parser = argparse.ArgumentParser(
        prog="acns-dns",
        description="Simulate Cloudflare account custom nameservers and the DNS around them.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(f"acns_dns.cli.{module_name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        result: int = args.run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        return _closed_pipe()
    return result


def _closed_pipe() -> int:
    """The reader left (``acns-dns servers | head``): stop quietly, as coreutils do.

    Output still buffered would fail again when Python flushes at exit, so stdout is pointed
    at /dev/null first. The status is the shell's for a command killed by SIGPIPE (128 + 13).
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141
