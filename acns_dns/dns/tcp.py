"""DNS over TCP (RFC 7766): accepting, framing, connection limits and idle timeouts.

Owns every accepted connection. Sockets are read straight from the event loop's reader
callbacks (no stream objects, no task per connection): each wake-up reads what is there,
answers every complete message in order (pipelining, RFC 7766 §6.2.1.1) and writes all the
replies of that read in one call, each with its 2-octet length prefix (RFC 7766 §8).

Limits (RFC 7766 §6.2.3, "servers MAY close idle connections under pressure"): connections
are counted per client address, per simulated address and in total. A client at its limit
has the new connection closed at once (it is the one holding the others); at the limit of an
address or of the whole server, the connection idle longest there is closed to make room, so
a newcomer is always served. A connection is idle from its last complete message, so a
client trickling bytes (slowloris) is as idle as a silent one. The idle timeout shrinks as
connections fill the limits. A listener may give its connections their own answerer and a
delay (a faulted address, ``fault_path``): each connection carries its answerer and its way
of sending, so the common path makes no check for faults. Held replies are bounded
(``MAX_HELD``). Imports: nothing from the package (answers come through ``TcpPool.answer``).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

IDLE_TIMEOUT = 10.0  # seconds a connection may sit idle (RFC 7766 §6.2.3: seconds, not minutes)
MIN_IDLE_TIMEOUT = 0.5  # the floor the timeout shrinks to under pressure
MAX_PER_CLIENT = 32  # connections one client address may hold (RFC 7766 §6.2.2: clients reuse one)
MAX_PER_ADDRESS = 256  # connections to one simulated address
MAX_CONNECTIONS = 4096  # in total (lowered to fit the descriptor limit, see server)
ACCEPT_BATCH = 64  # connections accepted per wake-up of a listening socket
READ_SIZE = 65536
PAUSE_OUTPUT = 256 * 1024  # stop reading a client that does not read its replies
MAX_HELD = 4096  # replies held back by a delay fault at once, over all connections (then lost)

# One reply list per message: AXFR and IXFR answers are several messages (RFC 5936 §2.2).
Answerer = Callable[[bytes, str, tuple[str, int]], list[bytes]]


class _Conn:
    """One accepted connection."""

    __slots__ = ("sock", "fd", "address", "client", "peer", "inbuf", "outbuf", "last", "reading", "closed",
                 "answer", "deliver", "hold")

    def __init__(self, sock: socket.socket, address: str, peer: tuple[str, int], answer: Answerer,
                 deliver: Callable[[_Conn, bytes], None], hold: float = 0.0) -> None:
        self.sock, self.fd, self.address, self.peer = sock, sock.fileno(), address, peer
        self.answer, self.deliver, self.hold = answer, deliver, hold  # the listener's (faults)
        self.client = peer[0]
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.last = time.monotonic()
        self.reading = True
        self.closed = False


class TcpPool:
    """Every TCP connection of one DNS server, with its limits.

    Args:
        loop: the event loop the server runs on.
        answer: (message, simulated address, client) -> reply messages, in order.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, answer: Answerer, idle_timeout: float = IDLE_TIMEOUT,
                 max_connections: int = MAX_CONNECTIONS, max_per_address: int = MAX_PER_ADDRESS,
                 max_per_client: int = MAX_PER_CLIENT) -> None:
        self.loop, self.answer = loop, answer
        self.idle_timeout, self.max_connections = idle_timeout, max_connections
        self.max_per_address, self.max_per_client = max_per_address, max_per_client
        self.closed_idle = self.refused = self.evicted = 0  # counters, for tests and the curious
        self.held = self.lost = 0  # replies held back by a delay fault now, and lost past MAX_HELD
        self._conns: dict[int, _Conn] = {}
        self._by_address: dict[str, set[_Conn]] = {}
        self._by_client: dict[str, int] = {}
        self._sweeper: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return len(self._conns)

    # --- accepting --------------------------------------------------------------------------

    def accept_ready(self, listener: socket.socket, address: str, answer: Answerer | None = None,
                     hold: float = 0.0) -> None:
        """Reader callback of a listening socket: accept what is waiting (bounded). Its
        connections are answered by ``answer`` (default: the pool's) and, with ``hold``
        seconds, their replies leave that much later."""
        for _ in range(ACCEPT_BATCH):
            try:
                sock, peer = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # EMFILE and friends: the backlog keeps them for later
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    log.warning("tcp %s: cannot accept: %s", address, exc)
                return
            self._admit(sock, address, (str(peer[0]), int(peer[1])), answer, hold)

    def _admit(self, sock: socket.socket, address: str, peer: tuple[str, int], answer: Answerer | None = None,
               hold: float = 0.0) -> None:
        if self._by_client.get(peer[0], 0) >= self.max_per_client:
            self.refused += 1
            sock.close()
            return
        here = self._by_address.setdefault(address, set())
        if len(here) >= self.max_per_address:
            self._evict(here)
        if len(self._conns) >= self.max_connections:
            self._evict(self._conns.values())
        sock.setblocking(False)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # replies leave at once
        except OSError:
            pass
        conn = _Conn(sock, address, peer, answer or self.answer, self._hold if hold > 0 else self._send, hold)
        try:
            self.loop.add_reader(conn.fd, self._readable, conn)
        except OSError as exc:
            log.warning("tcp %s: cannot watch a connection: %s", address, exc)
            sock.close()
            return
        self._conns[conn.fd] = conn
        here.add(conn)
        self._by_client[conn.client] = self._by_client.get(conn.client, 0) + 1
        self._schedule_sweep()

    def _evict(self, candidates: object) -> None:
        """Close the connection idle longest among ``candidates`` (RFC 7766 §6.2.3)."""
        idlest = min(candidates, key=lambda c: c.last, default=None)  # type: ignore[call-overload]
        if idlest is not None:
            self.evicted += 1
            self._drop(idlest)

    # --- reading and writing ----------------------------------------------------------------

    def _readable(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(conn)
            return
        if not data:
            self._drop(conn)
            return
        buf = conn.inbuf
        buf += data
        replies: list[bytes] = []
        pos, size = 0, len(buf)
        while size - pos >= 2:
            length = (buf[pos] << 8) | buf[pos + 1]
            end = pos + 2 + length
            if end > size:
                break
            for reply in conn.answer(bytes(buf[pos + 2:end]), conn.address, conn.peer):
                replies.append(len(reply).to_bytes(2, "big"))
                replies.append(reply)
            pos = end
        if pos:
            del buf[:pos]
            conn.last = time.monotonic()  # activity is a complete message, not a byte
        if replies:
            conn.deliver(conn, b"".join(replies))

    def _hold(self, conn: _Conn, data: bytes) -> None:
        """Send ``data`` ``conn.hold`` seconds from now (a delay fault), without blocking."""
        if self.held >= MAX_HELD:
            self.lost += 1  # a flood of delayed queries cannot hold memory without bound
            return
        self.held += 1
        self.loop.call_later(conn.hold, self._release, conn, data)

    def _release(self, conn: _Conn, data: bytes) -> None:
        self.held -= 1
        self._send(conn, data)

    def _send(self, conn: _Conn, data: bytes) -> None:
        if conn.closed:
            return
        if conn.outbuf:
            conn.outbuf += data
        else:
            try:
                sent = conn.sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._drop(conn)
                return
            if sent == len(data):
                return
            conn.outbuf += data[sent:]
            self.loop.add_writer(conn.fd, self._writable, conn)
        if len(conn.outbuf) > PAUSE_OUTPUT and conn.reading:
            self.loop.remove_reader(conn.fd)  # the client is not reading: stop answering it
            conn.reading = False

    def _writable(self, conn: _Conn) -> None:
        try:
            sent = conn.sock.send(conn.outbuf)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(conn)
            return
        del conn.outbuf[:sent]
        if conn.outbuf:
            return
        self.loop.remove_writer(conn.fd)
        if not conn.reading and not conn.closed:
            conn.reading = True
            self.loop.add_reader(conn.fd, self._readable, conn)

    # --- closing ----------------------------------------------------------------------------

    def _drop(self, conn: _Conn) -> None:
        if conn.closed:
            return
        conn.closed = True
        if conn.reading:
            self.loop.remove_reader(conn.fd)
        if conn.outbuf:
            self.loop.remove_writer(conn.fd)
        self._conns.pop(conn.fd, None)
        here = self._by_address.get(conn.address)
        if here is not None:
            here.discard(conn)
            if not here:
                del self._by_address[conn.address]
        left = self._by_client.get(conn.client, 1) - 1
        if left > 0:
            self._by_client[conn.client] = left
        else:
            self._by_client.pop(conn.client, None)
        conn.sock.close()

    def close_address(self, address: str) -> None:
        """Close every connection to ``address`` (it is no longer served)."""
        for conn in list(self._by_address.get(address, ())):
            self._drop(conn)

    def close_all(self) -> None:
        """Close every connection and stop sweeping."""
        for conn in list(self._conns.values()):
            self._drop(conn)
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    # --- idle timeouts ----------------------------------------------------------------------

    def timeout_for(self, address: str) -> float:
        """The idle timeout now: full up to half of a limit, then shrinking to the floor."""
        load = max(len(self._by_address.get(address, ())) / max(1, self.max_per_address),
                   len(self._conns) / max(1, self.max_connections))
        if load <= 0.5:
            return self.idle_timeout
        return min(self.idle_timeout, max(MIN_IDLE_TIMEOUT, self.idle_timeout * 2 * (1 - load)))

    def _schedule_sweep(self) -> None:
        if self._sweeper is None and self._conns:
            interval = min(1.0, max(0.05, self.idle_timeout / 4))
            self._sweeper = self.loop.call_later(interval, self._sweep)

    def _sweep(self) -> None:
        self._sweeper = None
        now = time.monotonic()
        timeouts: dict[str, float] = {}
        for conn in list(self._conns.values()):
            limit = timeouts.get(conn.address)
            if limit is None:
                limit = timeouts[conn.address] = self.timeout_for(conn.address)
            if now - conn.last > limit:
                self.closed_idle += 1
                self._drop(conn)
        self._schedule_sweep()
