"""The DNS listeners: one UDP and one TCP socket per simulated address, all on one port.

Owns sockets and framing only; every answer comes from ``wire.Responder`` over the current
view. Each address is bound explicitly, so a reply leaves from the address that was asked
(RFC 2181 §4.1); an address nobody holds (a released ACNS address) has no socket at all. The
registry's listener compiles a new view and swaps it in with one assignment, so the very next
query sees the change; socket changes run on the loop thread (``call_soon_threadsafe``).
TCP follows RFC 7766: 2-octet length prefix, many queries per connection, idle timeout, a
cap on connections. Imports: view, wire, journal, registry, models.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import logging
import socket
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from acns_dns.dns import wire
from acns_dns.dns.journal import QueryJournal
from acns_dns.dns.view import View, compile_view
from acns_dns.world.changes import Change
from acns_dns.world.models import World
from acns_dns.world.registry import Registry

log = logging.getLogger(__name__)

RCVBUF = 4 * 1024 * 1024  # bursts of queries are lost with the kernel default (spec benchmarking)
IDLE_TIMEOUT = 10.0  # seconds a TCP connection may sit idle (RFC 7766 §6.2.3: seconds, not minutes)
MAX_CONNECTIONS = 256
LISTEN_BACKLOG = 128


class BindError(OSError):
    """A listening socket could not be opened; the message names address, port and why."""

    def __init__(self, address: str, port: int, transport: str, cause: OSError) -> None:
        self.address, self.port, self.transport = address, port, transport
        message = f"cannot listen on {address} port {port} ({transport}): {explain(cause, address, port)}"
        super().__init__(cause.errno, message)

    def __str__(self) -> str:
        return str(self.strerror)


def explain(cause: OSError, address: str, port: int) -> str:
    """Why a bind failed, and what to do about it."""
    if cause.errno == errno.EADDRINUSE:
        return "the port is already in use (another acns-dns or DNS server?); choose another port"
    if cause.errno == errno.EACCES:
        return (f"port {port} needs privileges; use a port above 1023, or run inside an "
                "unprivileged namespace: `unshare -rn` then `ip link set lo up`")
    if cause.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
        if ":" in address:
            return (f"IPv6 address not configured on this machine; add it with "
                    f"`ip -6 addr add {address}/128 dev lo` (inside `unshare -rn` no root is needed)")
        return "address not available on this machine"
    return cause.strerror or str(cause)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop loop when uvloop is installed (about 4x cheaper per packet), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


@dataclass
class _Listener:
    """The two sockets of one address and what asyncio built on them."""

    udp_sock: socket.socket
    tcp_sock: socket.socket
    udp: asyncio.DatagramTransport | None = None
    tcp: asyncio.AbstractServer | None = None
    connections: set[asyncio.StreamWriter] = field(default_factory=set)
    closed: bool = False


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer, address: str) -> None:
        self.server, self.address = server, address
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        reply = self.server.answer(data, self.address, "udp", addr)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("udp %s: %s", self.address, exc)  # ICMP errors from earlier replies


class DnsServer:
    """Serves a registry's world over DNS on every simulated address.

    Args:
        registry: the world; every change is picked up at once.
        port: the one port all addresses listen on.
        edge_aliases: extra addresses that answer as the Cloudflare edge.
        journal: where every query is recorded (a new one by default).
    """

    def __init__(self, registry: Registry, port: int = 5300, edge_aliases: Iterable[str] = ("127.0.0.1",),
                 journal: QueryJournal | None = None, idle_timeout: float = IDLE_TIMEOUT,
                 max_connections: int = MAX_CONNECTIONS) -> None:
        self.registry, self.port = registry, port
        self.edge_aliases = tuple(edge_aliases)
        self.journal = journal if journal is not None else QueryJournal()
        self.idle_timeout, self.max_connections = idle_timeout, max_connections
        self.unbound: dict[str, str] = {}
        self._listeners: dict[str, _Listener] = {}
        self._responder = wire.Responder(self._compile(registry.world))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._connections = 0

    # --- state ------------------------------------------------------------------------------

    @property
    def view(self) -> View:
        """The view answers are read from now."""
        return self._responder.view

    @property
    def bound(self) -> list[tuple[str, str]]:
        """(address, transport) of every open listening socket."""
        return [(address, transport) for address, item in self._listeners.items() if not item.closed
                for transport in ("udp", "tcp")]

    def _compile(self, world: World) -> View:
        return compile_view(world, self.registry.version, self.edge_aliases)

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind every address of the current view, then follow the registry.

        Raises:
            BindError: an IPv4 address (or the port) cannot be bound; nothing stays open.
        """
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._responder = wire.Responder(self._compile(self.registry.world))
        try:
            self._reconcile(self.view, strict=True)
        except BindError:
            await self.stop()
            raise
        await asyncio.sleep(0)  # let the attach tasks run
        self.registry.subscribe(self._on_world)

    async def stop(self) -> None:
        """Stop following the registry and close every socket and connection."""
        self.registry.unsubscribe(self._on_world)
        for address in list(self._listeners):
            self._close(address)
        await asyncio.sleep(0)

    # --- following the world ----------------------------------------------------------------

    def _on_world(self, world: World, change: Change) -> None:
        """Registry listener (any thread): swap the view now, fix sockets on the loop."""
        try:
            view = self._compile(world)
        except Exception:
            log.exception("compiling the new view failed; still serving version %d", self.view.version)
            return
        self._responder = wire.Responder(view)  # one assignment: the next query sees it
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            self._reconcile(view, strict=False)
            return
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def on_loop() -> None:
            try:
                self._reconcile(self.view, strict=False)
            finally:
                done.set_result(None)

        loop.call_soon_threadsafe(on_loop)
        try:  # wait, so a new address answers as soon as the operation returns
            done.result(timeout=2.0)
        except concurrent.futures.TimeoutError:
            log.warning("socket update for view %d is still pending", view.version)

    def _reconcile(self, view: View, strict: bool) -> None:
        """Open sockets for new addresses, close those of addresses nobody holds any more."""
        wanted = set(view.servers)
        for address in [a for a in self._listeners if a not in wanted]:
            self._close(address)
        for address in sorted(wanted - set(self._listeners), key=lambda a: (":" in a, a)):
            try:
                self._open(address)
            except BindError as exc:
                if strict and _fatal(address, exc):
                    raise
                self.unbound[address] = str(exc)
            else:
                self.unbound.pop(address, None)
        for address in [a for a in self.unbound if a not in wanted]:
            del self.unbound[address]

    def _open(self, address: str) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        udp = _bound(family, socket.SOCK_DGRAM, address, self.port)
        try:
            tcp = _bound(family, socket.SOCK_STREAM, address, self.port)
        except BindError:
            udp.close()
            raise
        listener = _Listener(udp, tcp)
        self._listeners[address] = listener
        assert self._loop is not None
        self._loop.create_task(self._attach(address, listener))

    async def _attach(self, address: str, listener: _Listener) -> None:
        """Hand bound sockets to asyncio; queries that came meanwhile wait in the kernel."""
        assert self._loop is not None
        if listener.closed:
            return
        try:
            udp, _ = await self._loop.create_datagram_endpoint(lambda: _UdpProtocol(self, address),
                                                               sock=listener.udp_sock)
            listener.udp = udp
            listener.tcp = await asyncio.start_server(
                lambda r, w: self._serve_tcp(address, listener, r, w), sock=listener.tcp_sock)
        except OSError as exc:
            log.error("cannot serve %s: %s", address, exc)
            self.unbound[address] = f"cannot serve {address}: {exc}"
            return
        if listener.closed:  # released while attaching
            udp.close()
            listener.tcp.close()

    def _close(self, address: str) -> None:
        listener = self._listeners.pop(address)
        listener.closed = True
        if listener.udp is not None:
            listener.udp.close()
        else:
            listener.udp_sock.close()
        if listener.tcp is not None:
            listener.tcp.close()
        else:
            listener.tcp_sock.close()
        for writer in list(listener.connections):
            writer.close()

    # --- answering --------------------------------------------------------------------------

    def answer(self, data: bytes, address: str, transport: str,
               client: tuple[str | object, ...]) -> bytes | None:
        """Answer one message and journal it; None means no reply (a dropped packet)."""
        try:
            reply = self._responder.respond(data, address, tcp=transport == "tcp")
        except Exception:  # wire already turns failures into SERVFAIL; this is the last guard
            log.exception("query to %s failed", address)
            fallback = wire.servfail_for(data)
            self.journal.record(address, client, transport, "", "", "SERVFAIL", "", len(fallback or b""))
            return fallback
        if reply is None:
            self.journal.record(address, client, transport, "", "", "DROPPED", "", 0)
            return None
        self.journal.record_reply(address, client, transport, reply.qname, reply.qtype,
                                  wire.rcode_name(reply.rcode), reply.data)
        return reply.data

    async def _serve_tcp(self, address: str, listener: _Listener, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        """Queries on one connection, answered in order (RFC 7766 §6.2.1, §7, §8)."""
        if self._connections >= self.max_connections or listener.closed:
            writer.close()
            return
        self._connections += 1
        listener.connections.add(writer)
        peer = writer.get_extra_info("peername") or ("?", 0)
        try:
            while True:
                prefix = await asyncio.wait_for(reader.readexactly(2), self.idle_timeout)
                length = struct.unpack("!H", prefix)[0]
                data = await asyncio.wait_for(reader.readexactly(length), self.idle_timeout)
                reply = self.answer(data, address, "tcp", peer)
                if reply is not None:  # prefix and message in one write (RFC 7766 §8)
                    writer.write(struct.pack("!H", len(reply)) + reply)
                    await asyncio.wait_for(writer.drain(), self.idle_timeout)
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError, OSError):
            pass
        finally:
            self._connections -= 1
            listener.connections.discard(writer)
            writer.close()


def _bound(family: socket.AddressFamily, kind: socket.SocketKind, address: str, port: int) -> socket.socket:
    """A socket bound to exactly ``address`` (never the wildcard: RFC 2181 §4.1)."""
    transport = "udp" if kind == socket.SOCK_DGRAM else "tcp"
    sock = socket.socket(family, kind)
    try:
        if kind == socket.SOCK_DGRAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        else:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address, port))
        if kind == socket.SOCK_STREAM:
            sock.listen(LISTEN_BACKLOG)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise BindError(address, port, transport, exc) from exc
    return sock


def _fatal(address: str, exc: BindError) -> bool:
    """IPv4 failures and a busy port stop the start; a missing IPv6 address is only noted."""
    return ":" not in address or exc.errno not in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT)

