"""The faulted path: the sockets of misbehaving and silent addresses.

A faulted address's UDP socket is watched with ``udp_ready`` and its TCP connections are
answered by ``tcp_answer`` (with the delay, if any, held by ``tcp.TcpPool``) instead of the
server's own callbacks: the server chooses the callback when it watches a socket, so the
common path makes no check of any kind and no fault set costs nothing (``server._watch``).
Here a query gets what ``faults.misbehave`` says; a delayed reply is sent later by the loop
(``call_later``, never a sleep), at most ``MAX_HELD`` at once; an ``other-source`` reply
leaves through another simulated address's socket, so the client sees a reply from an
address it did not ask (RFC 5452 §9.1: it must drop it). Silent addresses (``unheld:
timeout``) get a UDP socket that reads and forgets, and a TCP socket that listens but never
accepts: the SYNs beyond its one-slot backlog go unanswered, so a client times out instead of
being refused. Every query that reaches this path is journaled (DROPPED, SILENT or the rcode).
Imports: faults, transfer, wire, journal, tcp.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from acns_dns.dns import faults, transfer, wire
from acns_dns.dns.faults import EMPTY, FaultTable, Misbehaviour
from acns_dns.dns.journal import QueryJournal
from acns_dns.dns.tcp import TcpPool

log = logging.getLogger(__name__)

MAX_HELD = 4096  # UDP replies held back by delay faults at once (then lost, as in a full queue)
UDP_BATCH = 64  # datagrams read per wake-up, as the common path
UDP_READ = 65535

Client = tuple[str | object, ...]


class Listening(Protocol):
    """The server's two listening sockets of one address."""

    udp: socket.socket
    tcp: socket.socket
    closed: bool


class FaultPath:
    """Watches the server's sockets, answers for faulted addresses, keeps silent ones silent.

    Args:
        loop: the server's event loop (every method runs on it).
        pool: the server's TCP connections.
        port: the port every address listens on.
        listeners: the server's listening sockets by address (read, never changed here).
        udp_ready: the common path's UDP reader callback.
        transfer: the server's TCP answerer, for zone transfers.
        responder: the server's current ``wire.Responder``.
        journal: where each query is recorded.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, pool: TcpPool, port: int,
                 listeners: Mapping[str, Listening], udp_ready: Callable[[socket.socket, str], None],
                 transfer: Callable[[bytes, str, tuple[str, int]], list[bytes]],
                 responder: Callable[[], wire.Responder], journal: QueryJournal) -> None:
        self.loop, self.pool, self.port, self.listeners = loop, pool, port, listeners
        self.common_udp, self.transfer = udp_ready, transfer
        self.responder, self.journal = responder, journal
        self.table: FaultTable = EMPTY
        self.held = self.lost = 0  # UDP replies held by a delay now; lost past MAX_HELD
        self._sources: dict[str, str] = {}  # faulted address -> the address other-source replies from
        self._silent: dict[str, tuple[socket.socket, socket.socket]] = {}

    # --- which path a socket takes ------------------------------------------------------------

    def watch(self, address: str, udp: socket.socket, stream: socket.socket) -> None:
        """Watch both sockets of ``address``: with this path's callbacks when it has a fault,
        else with the common path's, which thus never checks for one."""
        loop, pool = self.loop, self.pool
        fault = self.table.by_address.get(address)
        if fault is None:
            loop.add_reader(udp.fileno(), self.common_udp, udp, address)
            loop.add_reader(stream.fileno(), pool.accept_ready, stream, address)
        else:
            loop.add_reader(udp.fileno(), self.udp_ready, udp, address)
            loop.add_reader(stream.fileno(), pool.accept_ready, stream, address, self.tcp_answer, fault.delay)

    def switch(self, table: FaultTable) -> None:
        """Use ``table``: watch anew the addresses whose faults changed and close their TCP
        connections (every later reply follows the new faults); open the silent sockets."""
        old, self.table = self.table, table
        self._sources.clear()
        for address in set(old.by_address) | set(table.by_address):
            listener = self.listeners.get(address)
            if listener is not None and not listener.closed and \
                    old.by_address.get(address) != table.by_address.get(address):
                self.watch(address, listener.udp, listener.tcp)
                self.pool.close_address(address)
        self.keep_silent(table.silent)

    # --- UDP and TCP of faulted addresses --------------------------------------------------

    def udp_ready(self, sock: socket.socket, address: str) -> None:
        """Reader callback of a faulted address's UDP socket (bounded per wake-up)."""
        fault = self.table.by_address.get(address)
        for _ in range(UDP_BATCH):
            try:
                data, client = sock.recvfrom(UDP_READ)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("udp %s: %s", address, exc)
                return
            reply = self._reply(data, address, "udp", client, fault)
            if reply is not None and fault is not None:
                self._send_udp(sock, address, reply, client, fault)
            elif reply is not None:
                self._sendto(sock, reply, client)

    def tcp_answer(self, data: bytes, address: str, client: tuple[str, int]) -> list[bytes]:
        """The replies to one TCP message at a faulted address (the pool holds a delay)."""
        fault = self.table.by_address.get(address)
        if fault is not None and "drop" not in fault.kinds and \
                transfer.question_type(data) in transfer.TRANSFER_TYPES:
            return self.transfer(data, address, client)  # zone transfers go their usual way
        reply = self._reply(data, address, "tcp", client, fault)
        return [] if reply is None else [reply]

    def _reply(self, data: bytes, address: str, transport: str, client: Client,
               fault: Misbehaviour | None) -> bytes | None:
        responder = self.responder()
        try:
            tcp = transport == "tcp"
            found = (faults.misbehave(responder, data, address, tcp, fault) if fault is not None
                     else responder.respond(data, address, tcp))
        except Exception as exc:  # the last guard, as on the common path
            wire.log_failure_once(f"faulted query to {address}", exc)
            return wire.servfail_for(data)
        if found is None:
            qname, qtype = faults.question_of(data)
            self.journal.record(address, client, transport, qname, qtype, "DROPPED", "", 0)
            return None
        self.journal.record_reply(address, client, transport, found.qname, found.qtype,
                                  wire.rcode_name(found.rcode), found.data)
        return found.data

    def _send_udp(self, sock: socket.socket, address: str, reply: bytes, client: Client,
                  fault: Misbehaviour) -> None:
        if "other-source" in fault.kinds:
            other = self.listeners.get(self.source_for(address))
            sock = other.udp if other is not None and not other.closed else sock
        if fault.delay <= 0:
            self._sendto(sock, reply, client)
        elif self.held >= MAX_HELD:
            self.lost += 1  # a flood of delayed queries cannot hold memory without bound
        else:
            self.held += 1
            self.loop.call_later(fault.delay, self._release, sock, reply, client)

    def _release(self, sock: socket.socket, reply: bytes, client: Client) -> None:
        self.held -= 1
        self._sendto(sock, reply, client)

    @staticmethod
    def _sendto(sock: socket.socket, reply: bytes, client: Client) -> None:
        try:
            sock.sendto(reply, client)
        except OSError as exc:  # closed since (the address went away) or a full buffer
            log.debug("udp reply to %s not sent: %s", client, exc)

    def source_for(self, address: str) -> str:
        """The address ``other-source`` replies of ``address`` leave from: the first address
        bound (in binding order, so the root's first) in the same simulated prefix that is not
        the same server's (another of the same family, or ``address`` itself, if none is)."""
        found = self._sources.get(address)
        if found is None:
            fault = self.table.by_address.get(address)
            own = {a for a, f in self.table.by_address.items() if fault is not None and f == fault}
            six = ":" in address
            mine = own | {address}
            here = ipaddress.ip_network(f"{address}/{48 if six else 16}", strict=False)  # the world's prefix
            candidates = [a for a in self.listeners if (":" in a) == six and a not in mine]
            found = next((a for a in candidates if ipaddress.ip_address(a) in here),
                         candidates[0] if candidates else address)
            self._sources[address] = found
        return found

    def forget_sources(self) -> None:
        """Listeners came or went: choose other-source addresses again."""
        self._sources.clear()

    # --- silent addresses (unheld: timeout) ------------------------------------------------

    def keep_silent(self, wanted: Iterable[str]) -> None:
        """Silent sockets on exactly ``wanted`` (addresses nobody holds): close the others first,
        so an address a server now holds is free for its listener."""
        wanted = set(wanted)
        for address in [a for a in self._silent if a not in wanted]:
            self._unsilence(address)
        for address in sorted(wanted - set(self._silent)):
            bound: list[socket.socket] = []
            try:
                bound.append(_bind(socket.SOCK_DGRAM, address, self.port))
                bound.append(_bind(socket.SOCK_STREAM, address, self.port))
                self.loop.add_reader(bound[0].fileno(), self.silent_ready, bound[0], address)
            except (OSError, ValueError) as exc:
                log.debug("no silent socket on %s: %s", address, exc)
                for sock in bound:  # neither socket outlives a failure
                    sock.close()
                continue
            self._silent[address] = (bound[0], bound[1])

    @property
    def silent(self) -> list[str]:
        """Addresses kept silent now."""
        return sorted(self._silent)

    def silent_ready(self, sock: socket.socket, address: str) -> None:
        """Reader callback of a silent address: read (bounded), journal, never answer."""
        for _ in range(UDP_BATCH):
            try:
                data, client = sock.recvfrom(UDP_READ)
            except OSError:
                return
            qname, qtype = faults.question_of(data)
            self.journal.record(address, client, "udp", qname, qtype, "SILENT", "", 0)

    def _unsilence(self, address: str) -> None:
        udp, stream = self._silent.pop(address)
        if not self.loop.is_closed() and udp.fileno() >= 0:
            self.loop.remove_reader(udp.fileno())
        udp.close()
        stream.close()

    def close(self) -> None:
        """Close every silent socket."""
        for address in list(self._silent):
            self._unsilence(address)

    def install(self, table: FaultTable) -> None:
        """Use ``table`` from now on (before any socket is watched)."""
        self.table = table
        self._sources.clear()


def _bind(kind: socket.SocketKind, address: str, port: int) -> socket.socket:
    """A socket bound to exactly ``address``; a stream one listens with a backlog of one slot
    and is never accepted from, so later SYNs go unanswered (a timeout, not a reset)."""
    sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, kind)
    try:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if ":" in address:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address, port))
        if kind == socket.SOCK_STREAM:
            sock.listen(0)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
