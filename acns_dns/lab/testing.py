"""A running world for tests: the DNS server (and optionally the API) in a background thread.

``running_world(source)`` serves a World, a Registry or a scenario (name or path) on a free
port and, for scenarios, on a private 127.x.0.0/16 prefix, so concurrent test runs never
collide. It yields a ``RunningWorld`` with the registry, the journal, addresses by role or
name and a ``query()`` helper (dnspython, like any outside client), and stops cleanly.
Resolver tests of other projects can point a resolver at ``world.root`` on ``world.port``.
Imports: models, registry, scenario, journal, server, transfer, http_server.
"""

from __future__ import annotations

import asyncio
import errno
import random
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import dns.flags
import dns.message
import dns.query
import dns.rdatatype

from acns_dns.api.http_server import ApiServer, load_app
from acns_dns.dns.journal import QueryJournal
from acns_dns.dns.server import BindError, DnsServer, new_event_loop
from acns_dns.dns.transfer import Settings
from acns_dns.dns.view import Role, View
from acns_dns.world import addressing, scenario
from acns_dns.world.models import Network, World
from acns_dns.world.registry import Registry

T = TypeVar("T")
PORT_RANGE = (20000, 32000)  # below Linux's ephemeral ports (32768+): no client socket holds one
PORT_ATTEMPTS = 20


def random_network(rng: random.Random | None = None) -> Network:
    """A private simulated network: 127.<60-250>.0.0/16 and a matching ULA /48."""
    octet = (rng or random).randint(60, 250)
    return addressing.network_for(f"127.{octet}.0.0/16")


@dataclass
class RunningWorld:
    """A world being served; everything a test needs to talk to it."""

    registry: Registry
    server: DnsServer
    port: int
    journal: QueryJournal
    loop: asyncio.AbstractEventLoop
    api_url: str | None = None

    @property
    def view(self) -> View:
        """The view answers are read from now."""
        return self.server.view

    @property
    def root(self) -> str:
        """The root server's IPv4 address (point a resolver's root hints here)."""
        return self.registry.world.root_ipv4

    def address(self, role_or_name: str) -> str:
        """IPv4 of ``root``, ``edge``, a TLD (``com`` or ``tld:com``) or a server name."""
        wanted = role_or_name.lower().rstrip(".")
        if wanted == "root":
            return self.root
        if wanted == "edge":
            return self.server.edge_aliases[0]
        tld = wanted.removeprefix("tld:")
        for server in self.view.listing:
            if server.role is Role.TLD and tld in server.zones and "." not in tld:
                return server.ipv4
        for server in self.view.listing:
            if server.name == wanted:
                return server.ipv4
        raise KeyError(f"no simulated server called {role_or_name!r}")

    def query(self, qname: str, qtype: str = "A", at: str = "edge", *, tcp: bool = False,
              timeout: float = 2.0, **make_query: Any) -> dns.message.Message:
        """Ask the server at ``at`` (role, name or address) one question, RD=0 as a resolver would."""
        address = at if at[:1].isdigit() or ":" in at else self.address(at)
        message = dns.message.make_query(qname, dns.rdatatype.from_text(qtype), **make_query)
        message.flags &= ~dns.flags.RD
        if tcp:
            return dns.query.tcp(message, address, port=self.port, timeout=timeout)
        return dns.query.udp(message, address, port=self.port, timeout=timeout)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run ``coro`` on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


def _registry(source: World | Registry | str, network: Network | None) -> Registry:
    if isinstance(source, Registry):
        return source
    if isinstance(source, World):
        return Registry(source)
    return Registry(scenario.load(source, network=network or random_network()))


@contextmanager
def running_world(source: World | Registry | str = "default", *, port: int | None = None,
                  api: bool = False, admin_token: str = "test-admin", prefix: str | None = None,
                  edge_aliases: tuple[str, ...] = ("127.0.0.1",),
                  transfers: Settings | None = None) -> Iterator[RunningWorld]:
    """Serve ``source`` until the block ends.

    Args:
        source: a World, a Registry, or a packaged scenario name / scenario file path.
        port: the DNS port; by default a random free one in 20000-60000.
        api: also serve the HTTP API on a free 127.0.0.1 port (``world.api_url``).
        admin_token: the API's admin token.
        prefix: the IPv4 /16 for scenarios (default: a random 127.x.0.0/16); a World or a
            Registry is served on the addresses it already has.
        edge_aliases: addresses that answer as the Cloudflare edge.
        transfers: who may AXFR/IXFR, and which secondaries get NOTIFY (default: nobody).
    """
    network = None
    if prefix is not None:
        network = addressing.network_for(prefix)
    registry = _registry(source, network)
    journal = QueryJournal()
    loop = new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="acns-dns-loop", daemon=True)
    thread.start()
    api_server: ApiServer | None = None
    server: DnsServer | None = None
    try:
        server = _start_dns(registry, journal, loop, port, edge_aliases, transfers)
        world = RunningWorld(registry, server, server.port, journal, loop)
        if api:
            app = load_app(registry, journal, admin_token)
            api_server = ApiServer(app, "127.0.0.1", 0)
            world.call(api_server.start())
            world.api_url = api_server.url
        yield world
    finally:
        _shutdown(loop, thread, server, api_server)


def _start_dns(registry: Registry, journal: QueryJournal, loop: asyncio.AbstractEventLoop,
               port: int | None, edge_aliases: tuple[str, ...],
               transfers: Settings | None = None) -> DnsServer:
    """Start the DNS server; on a random port, retry another when the port is taken."""
    for attempt in range(PORT_ATTEMPTS):
        chosen = port if port is not None else random.randint(*PORT_RANGE)
        server = DnsServer(registry, port=chosen, edge_aliases=edge_aliases, journal=journal,
                           transfers=transfers)
        try:
            asyncio.run_coroutine_threadsafe(server.start(), loop).result(30)
            return server
        except BindError as exc:
            if port is not None or exc.errno != errno.EADDRINUSE or attempt == PORT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _shutdown(loop: asyncio.AbstractEventLoop, thread: threading.Thread, server: DnsServer | None,
              api_server: ApiServer | None) -> None:
    try:
        if api_server is not None:
            asyncio.run_coroutine_threadsafe(api_server.stop(), loop).result(10)
        if server is not None:
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        if not thread.is_alive():
            loop.close()
