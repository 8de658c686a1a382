"""The DNS listeners: one UDP and one TCP socket per simulated address, all on one port.

Owns sockets only; every answer comes from ``wire.Responder`` over the current view. Each
address is bound explicitly, so a reply leaves from the address that was asked (RFC 2181
§4.1); an address nobody holds (a released ACNS address) has no socket at all. A socket is
watched by the loop (``add_reader``) the moment it is bound, on the loop thread, so every
address ``start`` reports answers. A UDP wake-up answers every datagram waiting (bounded),
one callback per burst instead of one per packet. TCP connections, their limits and idle
timeouts are ``tcp.TcpPool``'s (RFC 7766). The registry's listener builds the new view from
the last one and the change (``incremental``) on the caller's thread (the API's), then hands
it to the loop (``call_soon_threadsafe``), which swaps it in with one assignment, drops the
cached answers the change touched and, only when servers came or went, fixes the sockets;
the listener waits for that, so the change is visible when the operation returns. Zone
transfers (AXFR/IXFR over TCP) are ``transfer``'s, serials ``zone_history``'s, NOTIFY
``notify``'s; this module only dispatches to them. Faults (``faults``, ``fault_path``): a
faulted address's sockets are watched with the fault path's callbacks instead of this
module's, chosen when the socket is watched and again when its faults change, so the common
path never checks for one; silent sockets (``unheld: timeout``) are the fault path's too.
Imports: view, incremental, wire, tcp, journal, registry, transfer, zone_history, notify,
faults, fault_path."""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import logging
import resource
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from acns_dns.dns import tcp, transfer, wire
from acns_dns.dns.fault_path import FaultPath
from acns_dns.dns.faults import FaultTable, compile_faults
from acns_dns.dns.incremental import update_view
from acns_dns.dns.journal import QueryJournal
from acns_dns.dns.notify import Notifier
from acns_dns.dns.view import View, compile_view
from acns_dns.dns.zone_history import Key, ZoneHistory
from acns_dns.world.changes import Change
from acns_dns.world.models import World
from acns_dns.world.registry import Registry

log = logging.getLogger(__name__)

RCVBUF = 4 * 1024 * 1024  # bursts of queries are lost with the kernel default (spec benchmarking)
LISTEN_BACKLOG = 1024  # a burst of connections waits in the kernel, not refused
UDP_BATCH = 64  # datagrams answered per wake-up of a socket: one callback serves a burst
API_CONNECTIONS = 128  # the HTTP API's open connections, at most (api.connection_guard)
API_BACKLOG = 64  # connections the API's loop may accept at once, before it closes those over the cap
RESERVED_DESCRIPTORS = 64 + API_CONNECTIONS + API_BACKLOG  # stdio, the loops, logs, files; the API
UDP_READ = 65535  # the largest datagram (a shorter buffer would cut a query silently)


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


def _moves_faults(change: Change, world: World) -> bool:
    """Whether ``change`` can move where faults act: a faulted server's addresses change only
    with the servers; the addresses nobody holds (``unheld: timeout``) also with glue and records."""
    faults = world.faults
    if change.servers and (faults.servers or faults.unheld == "timeout"):
        return True
    pointed = change.tld_entries or change.zones or change.hosts or change.tlds  # glue, records
    return faults.unheld == "timeout" and bool(pointed)


def raise_descriptor_limit() -> tuple[int, int]:
    """Raise this process's open-file limit to its hard limit; (before, now)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            return soft, soft
        return soft, wanted
    return soft, soft


@dataclass(frozen=True)
class Capacity:
    """How many addresses the descriptor limit leaves room for: two sockets each, after the
    TCP connections' share and a reserve for the rest (API, logs, the loop itself)."""

    limit: int
    tcp_connections: int
    addresses: int


def capacity(limit: int | None = None) -> Capacity:
    """The address capacity under ``limit`` (default: the current soft limit)."""
    if limit is None:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        limit = soft if soft != resource.RLIM_INFINITY else 1 << 20
    connections = max(16, min(tcp.MAX_CONNECTIONS, limit // 8))
    return Capacity(limit, connections, max(0, (limit - RESERVED_DESCRIPTORS - connections) // 2))


class TooManyAddresses(BindError):
    """The world has more addresses than the descriptor limit allows sockets for."""

    def __init__(self, wanted: int, room: Capacity) -> None:
        OSError.__init__(self, errno.EMFILE, (
            f"this world has {wanted} addresses to serve, but with a limit of {room.limit} open "
            f"files one process can serve {room.addresses} (2 sockets each, {room.tcp_connections} "
            "kept for TCP connections); raise the hard limit (`ulimit -Hn`, LimitNOFILE= in a "
            "systemd unit) or serve the world from NSD or Knot (`acns-dns export`)"))
        self.address, self.port, self.transport = "", 0, "udp"


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
    """The two sockets of one address, watched by the loop from the moment they are bound."""

    udp: socket.socket
    tcp: socket.socket
    closed: bool = False


class DnsServer:
    """Serves a registry's world over DNS on every simulated address.

    Args:
        registry: the world; every change is picked up at once.
        port: the one port all addresses listen on.
        edge_aliases: extra addresses that answer as the Cloudflare edge.
        journal: where every query is recorded (a new one by default).
        transfers: who may AXFR/IXFR and which secondaries get NOTIFY (default: nobody).
    """

    def __init__(self, registry: Registry, port: int = 5300, edge_aliases: Iterable[str] = ("127.0.0.1",),
                 journal: QueryJournal | None = None, idle_timeout: float = tcp.IDLE_TIMEOUT,
                 max_connections: int = tcp.MAX_CONNECTIONS, max_per_address: int = tcp.MAX_PER_ADDRESS,
                 max_per_client: int = tcp.MAX_PER_CLIENT,
                 transfers: transfer.Settings | None = None) -> None:
        self.registry, self.port = registry, port
        settings = transfers if transfers is not None else transfer.Settings()
        self.history = ZoneHistory(settings.history_entries, keep_deltas=bool(settings.allow))
        self.transfers = transfer.Transfers(settings, self.history)
        self.notifier: Notifier | None = None
        self.edge_aliases = tuple(edge_aliases)
        self.journal = journal if journal is not None else QueryJournal()
        self._limits = (idle_timeout, max_connections, max_per_address, max_per_client)
        self.unbound: dict[str, str] = {}
        self._listeners: dict[str, _Listener] = {}
        self._responder = wire.Responder(self._compile(registry.world))
        self._latest = self._responder.view  # the newest view built (maybe not yet swapped in)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._tcp: tcp.TcpPool | None = None
        self._faults: FaultPath | None = None
        self._now = time.time()  # when the current wake-up began (journal time stamps)

    # --- state ------------------------------------------------------------------------------

    @property
    def view(self) -> View:
        """The view answers are read from now."""
        return self._responder.view

    @property
    def tcp_pool(self) -> tcp.TcpPool:
        """The TCP connections and their limits (``idle_timeout``, ``max_per_client``, ...)."""
        if self._tcp is None:
            raise RuntimeError("the server has not been started")
        return self._tcp

    @property
    def bound(self) -> list[tuple[str, str]]:
        """(address, transport) of every open listening socket."""
        return [(address, transport) for address, item in self._listeners.items() if not item.closed
                for transport in ("udp", "tcp")]

    def _compile(self, world: World) -> View:
        return self._build(world)[0]

    def _build(self, world: World) -> tuple[View, list[Key]]:
        """The view of ``world`` with its SOA serials, and the zones whose serial moved."""
        return self.history.stamp(compile_view(world, self.registry.version, self.edge_aliases))

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind every address of the current view, then follow the registry.

        Raises:
            BindError: an IPv4 address (or the port) cannot be bound; nothing stays open.
        """
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        idle, total, per_address, per_client = self._limits
        room = capacity()
        total = min(total, room.tcp_connections)  # connections never take the listeners' descriptors
        self._tcp = tcp.TcpPool(self._loop, self.answer_tcp, idle, total, per_address, per_client)
        self.notifier = Notifier(self._loop)
        if self._responder.view.version != self.registry.version:  # changed since it was compiled
            self._responder = wire.Responder(self._compile(self.registry.world))
        self._faults = FaultPath(self._loop, self._tcp, self.port, self._listeners, self._udp_ready,
                                 self.answer_tcp, lambda: self._responder, self.journal)
        self._faults.install(compile_faults(self.registry.world, self.view))
        if len(self.view.servers) > room.addresses:
            raise TooManyAddresses(len(self.view.servers), room)
        self._latest = self._responder.view
        try:  # sockets are watched as they are bound: every address listed here answers now
            self._reconcile(self.view, strict=True)
        except BindError:
            await self.stop()
            raise
        self._faults.keep_silent(self._faults.table.silent)  # unheld: timeout, from the start
        self.registry.subscribe(self._on_world)

    async def stop(self) -> None:
        """Stop following the registry and close every socket and connection."""
        self.registry.unsubscribe(self._on_world)
        for address in list(self._listeners):
            self._close(address)
        if self._tcp is not None:
            self._tcp.close_all()
        if self.notifier is not None:
            self.notifier.close()
        if self._faults is not None:
            self._faults.close()
        await asyncio.sleep(0)

    # --- following the world ----------------------------------------------------------------

    def _on_world(self, world: World, change: Change) -> None:
        """Registry listener (any thread; one call at a time): build the new view here, swap
        it in on the loop, and wait for that (bounded)."""
        if change.everything and self._latest.version == self.registry.version:
            return  # subscribe()'s first call: the view was compiled from this very world
        try:
            update = update_view(self._latest, world, change, self.registry.version)
            view, changed = self.history.stamp(update.view, update.compiled, previous=self._latest)
            faults = None  # unchanged: no fault is set, or this change cannot move one
            if change.everything or change.faults or _moves_faults(change, world):
                faults = compile_faults(world, view)
        except Exception:
            log.exception("compiling the new view failed; still serving version %d", self.view.version)
            return
        self._latest = view
        loop = self._loop
        here = threading.get_ident() == self._loop_thread
        if loop is None or loop.is_closed() or not loop.is_running() or here:
            self._install(view, update.touched, changed, faults)
            return
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def on_loop() -> None:
            try:
                self._install(view, update.touched, changed, faults)
            finally:
                done.set_result(None)

        loop.call_soon_threadsafe(on_loop)
        try:  # wait, so the change answers (and a new address listens) once the operation returns
            done.result(timeout=2.0)
        except concurrent.futures.TimeoutError:
            log.warning("installing view %d is still pending", view.version)

    def _install(self, view: View, touched: frozenset[str] | None, changed: list[Key],
                 faults: FaultTable | None = None) -> None:
        """Swap ``view`` in (the next query sees it), fix sockets if servers came or went,
        switch the addresses whose faults changed, and NOTIFY the secondaries of the zones
        whose serial moved."""
        before = self._responder.view
        self._responder.advance(view, touched)
        path = self._faults
        if self._loop is None or path is None:
            return
        if faults is not None:  # silent sockets of addresses now held go before their listeners come
            path.keep_silent(path.table.silent & faults.silent)
        if not view.same_servers(before):
            self._reconcile(view, strict=False)
            path.forget_sources()
        if faults is not None:
            path.switch(faults)
        self._announce(view, changed)

    def _announce(self, view: View, changed: list[Key]) -> None:
        """NOTIFY the secondaries of every zone whose serial moved (RFC 1996 §3.5; loop thread)."""
        notifier, settings = self.notifier, self.transfers.settings
        if notifier is None or not changed or not (settings.notify_ports or settings.notify):
            return
        for key, soa, addresses in transfer.notify_plan(view, changed):
            targets = [(address, port) for address in addresses for port in settings.notify_ports]
            notifier.notify(key[2], soa, targets + list(settings.notify))

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
        """Bind both sockets of ``address`` and watch them, in one step on the loop thread:
        no socket is ever handed over later, so none can be closed while being attached."""
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        udp = _bound(family, socket.SOCK_DGRAM, address, self.port)
        try:
            stream = _bound(family, socket.SOCK_STREAM, address, self.port)
        except BindError:
            udp.close()
            raise
        loop = self._loop
        assert loop is not None and self._faults is not None
        try:
            self._faults.watch(address, udp, stream)
        except (OSError, ValueError) as exc:
            _unwatch(loop, udp, stream)
            udp.close()
            stream.close()
            cause = exc if isinstance(exc, OSError) else OSError(errno.EBADF, str(exc))
            raise BindError(address, self.port, "udp", cause) from exc
        self._listeners[address] = _Listener(udp, stream)

    def _close(self, address: str) -> None:
        listener = self._listeners.pop(address)
        listener.closed = True
        if self._loop is not None and not self._loop.is_closed():
            _unwatch(self._loop, listener.udp, listener.tcp)
        listener.udp.close()
        listener.tcp.close()
        if self._tcp is not None:
            self._tcp.close_address(address)

    def _udp_ready(self, sock: socket.socket, address: str) -> None:
        """Reader callback: answer every datagram waiting on ``sock`` (bounded per wake-up).

        The replies of one wake-up leave together after the reads, back to back, so the
        client is woken once per burst rather than once per reply."""
        self._now = now = time.time()  # one clock reading per wake-up stamps its journal entries
        answer = self.answer
        recvfrom = sock.recvfrom
        hits = self._responder.hits(address, "udp")
        journal = self.journal.appender()
        replies: list[bytes] = []
        clients: list[tuple[str, int]] = []
        for _ in range(UDP_BATCH):
            try:
                data, client = recvfrom(UDP_READ)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # ICMP errors from earlier replies
                log.debug("udp %s: %s", address, exc)
                break
            seen = hits.get(data[2:])
            if seen is not None:  # a repeated query (answer()'s first branch, written in line:
                replies.append(data[:2] + seen[0])  # the path a busy server's queries take)
                clients.append(client)
                journal((now, address, client, "udp", seen[1], seen))
                continue
            reply = answer(data, address, "udp", client)
            if reply is not None:
                replies.append(reply)
                clients.append(client)
        sendto = sock.sendto
        for reply, client in zip(replies, clients):  # noqa: B905 - appended in pairs
            try:
                sendto(reply, client)
            except OSError as exc:  # a full send buffer drops the reply, as the network would
                log.debug("udp %s: reply to %s not sent: %s", address, client, exc)

    # --- answering --------------------------------------------------------------------------

    def answer(self, data: bytes, address: str, transport: str,
               client: tuple[str | object, ...]) -> bytes | None:
        """Answer one message and journal it; None means no reply (a dropped packet)."""
        responder = self._responder
        seen = responder.hits(address, transport).get(data[2:])
        if seen is not None:  # a repeated query: one lookup, one concatenation, one append
            self.journal.add(self._now, address, client, transport, seen[1], seen)
            return data[:2] + seen[0]
        try:
            found = responder.respond(data, address, tcp=transport == "tcp")
        except Exception as exc:  # wire already turns failures into SERVFAIL; this is the last guard
            wire.log_failure_once(f"query to {address}", exc)
            fallback = wire.servfail_for(data)
            self.journal.record(address, client, transport, "", "", "SERVFAIL", "", len(fallback or b""))
            return fallback
        if found is None:
            self.journal.record(address, client, transport, "", "", "DROPPED", "", 0)
            return None
        self.journal.record_reply(address, client, transport, found.qname, found.qtype,
                                  wire.rcode_name(found.rcode), found.data)
        return found.data

    def answer_tcp(self, data: bytes, address: str, client: tuple[str, int]) -> list[bytes]:
        """The replies to one message received over TCP, in order.

        One message gets one reply, except a zone transfer (AXFR/IXFR: several messages,
        RFC 5936 §2.2), which ``transfer`` answers.
        """
        self._now = time.time()
        if transfer.question_type(data) in transfer.TRANSFER_TYPES:
            try:
                messages, qname, rcode = self.transfers.respond(self.view, data, address, client[0])
            except Exception as exc:  # the last guard: a transfer never takes the server down
                wire.log_failure_once(f"transfer at {address}", exc)
                fallback = wire.servfail_for(data)
                return [fallback] if fallback is not None else []
            qtype = "IXFR" if transfer.question_type(data) == transfer.TYPE_IXFR else "AXFR"
            self.journal.record(address, client, "tcp", qname, qtype, wire.rcode_name(rcode), "",
                                sum(len(m) for m in messages))
            return messages
        reply = self.answer(data, address, "tcp", client)
        return [] if reply is None else [reply]


def _unwatch(loop: asyncio.AbstractEventLoop, *socks: socket.socket) -> None:
    for sock in socks:
        if sock.fileno() >= 0:
            loop.remove_reader(sock.fileno())


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

