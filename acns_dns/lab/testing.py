"""A running world for tests: the DNS server (and optionally the API) in a background thread.

``running_world(source)`` serves a World, a Registry or a scenario (name or path) on a free
port and, for scenarios, on a private 127.x.0.0/16 prefix, so concurrent test runs never
collide; the Cloudflare edge answers on an alias in that prefix too (127.x.0.5), never on a
shared 127.0.0.1. It yields a ``RunningWorld`` with the registry, the journal, addresses by
role or name (IPv4 and IPv6), the addresses assigned to a custom nameserver, glue fixed or
broken at its registrar, and a ``query()`` helper (dnspython, like any outside client), and
stops cleanly. Resolver tests of other projects point a resolver at ``world.root`` on
``world.port`` (53 inside a namespace). Imports: models, registry, scenario, addressing,
journal, server, transfer, view, zonedata, http_server, glue, resolvers.
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
from acns_dns.dns.zonedata import Server
from acns_dns.lab import glue, resolvers
from acns_dns.lab.glue import Assigned
from acns_dns.world import addressing, scenario
from acns_dns.world.models import HostObject, Network, World
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
    scenario: str | None = None  # the scenario it was loaded from, if any

    @property
    def view(self) -> View:
        """The view answers are read from now."""
        return self.server.view

    @property
    def root(self) -> str:
        """The root server's IPv4 address (point a resolver's root hints here)."""
        return self.registry.world.root_ipv4

    @property
    def root6(self) -> str:
        """The root server's IPv6 address."""
        return self.registry.world.root_ipv6

    @property
    def ipv6(self) -> bool:
        """True when the IPv6 addresses are served too (inside a namespace, or on a host that
        has the simulated ULA prefix on loopback)."""
        return any(":" in address for address, _ in self.server.bound)

    def _server(self, role_or_name: str) -> Server:
        """The first server with that role (root, edge, a TLD) or that name."""
        wanted = role_or_name.lower().rstrip(".")
        for server in self.view.listing:
            if _plays(server, wanted):
                return server
        for server in self.view.listing:
            if server.name == wanted:
                return server
        raise KeyError(f"no simulated server called {role_or_name!r}")

    def address(self, role_or_name: str) -> str:
        """IPv4 of ``root``, ``edge``, a TLD (``com`` or ``tld:com``) or a server name."""
        if role_or_name.lower() == "root":
            return self.root
        if role_or_name.lower() == "edge":
            return self.server.edge_aliases[0]
        return self._server(role_or_name).ipv4

    def address6(self, role_or_name: str) -> str:
        """IPv6 of ``root``, ``edge``, a TLD or a server name (answered when ``ipv6``)."""
        server = self._server(role_or_name)
        if not server.ipv6:
            raise KeyError(f"{role_or_name!r} has no IPv6 address")
        return server.ipv6

    def assigned(self, ns_name: str) -> Assigned:
        """The IPv4 and IPv6 address Cloudflare assigned to a custom nameserver name."""
        return glue.assigned(self.registry.world, ns_name)

    def set_glue(self, host: str, ipv4: list[str], ipv6: list[str] | None = None) -> HostObject | None:
        """Publish glue for ``host`` at its sponsoring registrar (no addresses: delete it)."""
        return glue.set_glue(self.registry, host, ipv4, ipv6 or [])

    def fix_glue(self, *hosts: str) -> list[HostObject]:
        """Publish the assigned addresses as glue for ``hosts`` (none given: for every custom
        nameserver name below a registered domain)."""
        return glue.fix_glue(self.registry, hosts)

    def break_glue(self, *hosts: str, stale: bool = False) -> None:
        """Delete the glue of ``hosts`` or, with ``stale``, point it at addresses nobody serves."""
        glue.break_glue(self.registry, hosts, stale=stale, taken=self.server.edge_aliases)

    def spare_address(self, index: int = 0) -> str:
        """A loopback address beside this world, for a resolver of your own to listen on;
        unique to this world's prefix, so concurrent worlds never share it."""
        return resolvers.spare_address(self.registry.world.network, index)

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


def _plays(server: Server, role: str) -> bool:
    """True when ``server`` plays ``role``: root, edge, or a TLD (``com`` or ``tld:com``)."""
    if role == "root":
        return server.role is Role.ROOT
    if role == "edge":
        return server.role is Role.CLOUDFLARE and server.group == "edge"
    tld = role.removeprefix("tld:")
    return server.role is Role.TLD and tld in server.zones and "." not in tld


def edge_alias(network: Network) -> str:
    """The address a test world's Cloudflare edge answers on, in its own prefix."""
    return addressing.pair(network, addressing.EDGE_ALIAS_OFFSET)[0]


def _registry(source: World | Registry | str, network: Network | None) -> Registry:
    if isinstance(source, Registry):
        return source
    if isinstance(source, World):
        return Registry(source)
    return Registry(scenario.load(source, network=network or random_network()))


@contextmanager
def running_world(source: World | Registry | str = "default", *, port: int | None = None,
                  api: bool = False, admin_token: str = "test-admin", prefix: str | None = None,
                  edge_aliases: tuple[str, ...] | None = None,
                  transfers: Settings | None = None) -> Iterator[RunningWorld]:
    """Serve ``source`` until the block ends.

    Args:
        source: a World, a Registry, or a packaged scenario name / scenario file path.
        port: the DNS port; by default a random free one in 20000-60000.
        api: also serve the HTTP API on a free 127.0.0.1 port (``world.api_url``).
        admin_token: the API's admin token.
        prefix: the IPv4 /16 for scenarios (default: a random 127.x.0.0/16); a World or a
            Registry is served on the addresses it already has.
        edge_aliases: addresses that answer as the Cloudflare edge (default: the world's own
            alias, 127.x.0.5 in its prefix; ``serve`` keeps 127.0.0.1).
        transfers: who may AXFR/IXFR, and which secondaries get NOTIFY (default: nobody).
    """
    network = None
    if prefix is not None:
        network = addressing.network_for(prefix)
    registry = _registry(source, network)
    aliases = edge_aliases if edge_aliases is not None else (edge_alias(registry.world.network),)
    journal = QueryJournal()
    loop = new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="acns-dns-loop", daemon=True)
    thread.start()
    api_server: ApiServer | None = None
    server: DnsServer | None = None
    try:
        server = _start_dns(registry, journal, loop, port, aliases, transfers)
        named = source if isinstance(source, str) else None
        world = RunningWorld(registry, server, server.port, journal, loop, scenario=named)
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
