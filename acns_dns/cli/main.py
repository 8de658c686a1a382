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
    "fault_cmd",  # acns-dns fault list|set|clear|unheld (fault injection through the HTTP API)
    "trace_cmd",  # acns-dns trace, acns-dns check (over real DNS)
    "export_cmd",  # acns-dns export (zone files and NSD configuration)
    "lab_cmd",  # acns-dns lab (the real resolvers on a scenario)
    "diagram_cmd",  # acns-dns diagram (the delegation drawn as SVG and PNG)
    "shell_cmd",  # acns-dns shell (a shell inside the simulated Internet)
)

# command -> its module, so that running one command imports only its own module (a client
# command starts in a quarter of a second instead of loading the server and the API); a
# command missing here still works, through the full parser
MODULE_OF = {
    "scenarios": "scenario_cmd", "check-scenario": "scenario_cmd",
    "serve": "serve_cmd", "servers": "serve_cmd",
    "ns": "client_cmd", "zone": "client_cmd", "registrar": "client_cmd", "ticket": "client_cmd",
    "fault": "fault_cmd",
    "trace": "trace_cmd", "check": "trace_cmd",
    "export": "export_cmd", "lab": "lab_cmd", "diagram": "diagram_cmd", "shell": "shell_cmd",
}


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The argument parser with the commands of ``modules`` (by default every command)."""
    parser = argparse.ArgumentParser(
        prog="acns-dns",
        description="Simulate Cloudflare account custom nameservers and the DNS around them.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in modules:
        importlib.import_module(f"acns_dns.cli.{module_name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    module = MODULE_OF.get(words[0]) if words else None
    parser = build_parser((module,) if module else COMMAND_MODULES)
    args = parser.parse_args(words)
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
