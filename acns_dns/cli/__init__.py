"""The command line: the parser and one module per command group. May import every layer."""

from acns_dns.cli.main import main

__all__ = ["main"]
