"""What the page shows beside the drawing: ``check``'s findings and a resolver's walk, per domain.

``serve`` hands ``inspector(port)`` to the API, which calls it (in a worker thread, so the DNS
loop keeps answering) whenever the world changed. Each domain gets the delegation checks of
``acns-dns check`` and the walk of ``acns-dns trace`` — the same code, over the same real
sockets, so the page never says something the commands would not. Queries leave from
``SOURCE``, an address of the loopback block nobody else uses, so the page can keep its own
checks out of the live journal. Imports: check, probe, trace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from acns_dns.lab import check, probe
from acns_dns.lab.trace import Tracer

SOURCE = "127.0.0.2"  # on Linux all of 127.0.0.0/8 is local, in a fresh namespace too
TIMEOUT = 0.5

Inspector = Callable[[str, Sequence[str]], dict[str, dict[str, Any]]]


def inspector(port: int, timeout: float = TIMEOUT, source: str = SOURCE) -> Inspector:
    """A function (root address, domains) -> {domain: {"findings": [...], "resolver": {...}}}."""

    def inspect(root: str, domains: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {domain: inspect_domain(domain, root, port, timeout, source) for domain in domains}

    return inspect


def inspect_domain(domain: str, root: str, port: int, timeout: float = TIMEOUT,
                   source: str | None = SOURCE) -> dict[str, Any]:
    """The findings of ``check DOMAIN``, the verdict of ``trace DOMAIN SOA`` and, quoted from the
    recorded matrix, what the four real resolvers do in the situation the walk ended in."""
    with probe.asking_from(source):
        findings = [asdict(f) for f in check.check(domain, root, port, timeout)]
        walk = Tracer(root, port, timeout).trace(domain, "SOA")
    resolves = walk.status in ("answer", "nodata")
    return {"findings": findings, "resolver": {
        "who": "an iterative resolver (acns-dns trace)", "question": f"{domain}. SOA",
        "outcome": "resolves" if resolves else "SERVFAIL", "verdict": walk.verdict,
        "hops": [f"{hop.zone or '.'}: {hop.outcome}" for hop in walk.hops],
        "real": walk.resolvers}}  # what BIND, Knot, PowerDNS and unbound did here (recorded runs)
