"""Real resolvers beside a running world, for tests: one kind, or every installed kind at once.

``running_resolver(kind, world)`` starts the lab's resolver of that kind (its generated
configuration, settled RTT limits, log reasons and cache flush: see ``resolver`` and the
kind modules) with the world's root as its only root, on the world's own resolver address
(127.0.X.1-4 for a world on 127.X.0.0/16, see ``resolvers``), so resolvers of worlds that run
side by side never share an address. Resolvers query port 53 only, so the world must serve
port 53: inside a user + network namespace (``netns``; ``pytest --acns-netns``).
Imports: netns, resolver, resolvers, testing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

from acns_dns.lab import netns
from acns_dns.lab.resolver import Resolver, ResolverError
from acns_dns.lab.resolvers import KINDS, addresses_for
from acns_dns.lab.testing import RunningWorld

PACKAGES = {"bind": "bind9", "knot": "knot-resolver", "pdns": "pdns-recursor", "unbound": "unbound"}
DNS_PORT = 53  # resolvers send iterative queries nowhere else


class NotInstalled(ResolverError):
    """The resolver's daemon is not on this machine; the message names its Debian package."""


def resolver_class(kind: str) -> type[Resolver]:
    """The lab's resolver class for ``kind`` (bind, knot, pdns, unbound).

    Raises:
        ResolverError: an unknown kind.
        NotInstalled: the daemon is missing.
    """
    cls = KINDS.get(kind)
    if cls is None:
        raise ResolverError(f"resolver kind {kind!r}: expected one of {', '.join(KINDS)}")
    if not cls.installed():
        raise NotInstalled(f"{cls.label} is not installed ({cls.binary}: Debian package {PACKAGES[kind]})")
    return cls


def check_port(world: RunningWorld) -> None:
    """Raise ResolverError unless ``world`` serves port 53, where resolvers send queries."""
    if world.port != DNS_PORT:
        raise ResolverError(f"resolvers query port {DNS_PORT} only and this world serves port "
                            f"{world.port}: serve it inside a user + network namespace "
                            "(pytest --acns-netns)")


@contextmanager
def running_resolver(kind: str, world: RunningWorld, workdir: Path | None = None,
                     startup_timeout: float = 20.0) -> Iterator[Resolver]:
    """Run one resolver over ``world`` until the block ends; it answers on ``.listen`` port 53.

    The resolver's ``ask(qname, qtype)`` returns an Outcome (rcode, answer, seconds and the
    line its own log gave for a failure); ``flush()`` empties its caches.

    Raises:
        ResolverError: unknown kind, not installed (``NotInstalled``), the world not on port
            53, or the daemon did not start (its log is in the message).
    """
    cls = resolver_class(kind)
    check_port(world)
    listen = addresses_for(world.registry.world.network)[kind]
    with ExitStack() as stack:
        # short folders: control sockets (kresd, unbound, rec_control) need paths < 108 bytes
        folder = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="acns-")))
        if netns.inside():
            netns.add_address(listen)  # BIND listens only on an address an interface holds
        resolver = cls(world.root, listen, folder / kind, port=DNS_PORT)
        resolver.start(startup_timeout)
        try:
            yield resolver
        finally:
            resolver.stop()


@contextmanager
def running_resolvers(world: RunningWorld, kinds: list[str] | None = None,
                      workdir: Path | None = None) -> Iterator[dict[str, Resolver]]:
    """Every installed resolver (or those of ``kinds`` that are installed) over ``world``,
    started at once; by kind. Raises ResolverError as ``running_resolver`` does, except that
    a missing daemon is left out."""
    wanted = [k for k in (kinds or list(KINDS)) if _installed(k)]
    check_port(world)
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
        folder = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="acns-")))
        started = list(pool.map(lambda kind: _start(stack, kind, world, folder), wanted))
        yield dict(zip(wanted, started, strict=True))


def _installed(kind: str) -> bool:
    try:
        resolver_class(kind)
    except NotInstalled:
        return False
    return True


def _start(stack: ExitStack, kind: str, world: RunningWorld, folder: Path) -> Resolver:
    resolver = stack.enter_context(running_resolver(kind, world, folder))
    return resolver
