"""NOTIFY out (RFC 1996): tell secondaries that a zone changed, retrying a bounded number of times.

``Notifier.notify(apex, soa, targets)`` sends one NOTIFY (opcode 4, AA, the zone's SOA as the
question and, as a hint, in the answer section: RFC 1996 §3.7) to each target over UDP from
one socket per address family, and resends it after 1, 2, 4, ... seconds until the target
answers with a NOTIFY response of the same ID (§3.6) or the tries run out. A newer NOTIFY for
the same zone and target replaces a pending one. Everything runs on the event loop thread.
Imports: rrwire, view.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import struct
from dataclasses import dataclass

from acns_dns.dns import rrwire
from acns_dns.dns.view import RR
from acns_dns.world import names

log = logging.getLogger(__name__)

OPCODE_NOTIFY = 4
TRIES = 5  # sends per NOTIFY and target, the first included
FIRST_RETRY = 1.0  # seconds; doubled after each try (RFC 1996 §3.6 leaves the interval to us)
MAX_PENDING = 10_000  # NOTIFYs awaiting an answer; the oldest is given up beyond this
_HEADER = struct.Struct("!HHHHHH")


@dataclass
class _Pending:
    ident: int
    apex: str
    target: tuple[str, int]
    message: bytes
    tries: int = 0
    timer: asyncio.TimerHandle | None = None


def notify_message(ident: int, apex: str, soa: RR) -> bytes:
    """A NOTIFY for ``apex`` with its current SOA (RFC 1996 §3.3, §3.7)."""
    question = b"".join(step[1] for step in rrwire.name(names.fqdn(apex)).steps) + b"\x00"
    question += struct.pack("!HH", 6, 1)
    packer = rrwire.Packer(bytes(_HEADER.size), question, 65535)
    packer.add(0, [soa.encoded()])
    header = _HEADER.pack(ident, (OPCODE_NOTIFY << 11) | 0x0400, 1, packer.counts[0], 0, 0)
    return header + bytes(packer.buf[_HEADER.size:])


class Notifier:
    """Sends NOTIFYs and follows them up until answered or given up."""

    def __init__(self, loop: asyncio.AbstractEventLoop, tries: int = TRIES,
                 first_retry: float = FIRST_RETRY) -> None:
        self.loop, self.tries, self.first_retry = loop, tries, first_retry
        self.sent = self.answered = self.given_up = 0  # counters, for tests and the curious
        self._pending: dict[int, _Pending] = {}
        self._by_zone: dict[tuple[str, tuple[str, int]], int] = {}
        self._socks: dict[int, socket.socket] = {}

    def notify(self, apex: str, soa: RR, targets: list[tuple[str, int]]) -> None:
        """NOTIFY every target that ``apex`` is now at ``soa``."""
        for target in dict.fromkeys(targets):
            old = self._by_zone.pop((apex, target), None)
            if old is not None:
                self._forget(old)
            while len(self._pending) >= MAX_PENDING:
                self.given_up += 1
                self._forget(next(iter(self._pending)))
            ident = self._new_id()
            pending = _Pending(ident, apex, target, notify_message(ident, apex, soa))
            self._pending[ident] = pending
            self._by_zone[(apex, target)] = ident
            self._send(pending)

    def _new_id(self) -> int:
        for _ in range(100):
            ident = random.randrange(1 << 16)
            if ident not in self._pending:
                return ident
        raise RuntimeError("no free NOTIFY id")

    def _sock(self, target: tuple[str, int]) -> socket.socket:
        family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
        sock = self._socks.get(family)
        if sock is None:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            self.loop.add_reader(sock.fileno(), self._readable, sock)
            self._socks[family] = sock
        return sock

    def _send(self, pending: _Pending) -> None:
        if pending.tries >= self.tries:
            self.given_up += 1
            log.warning("NOTIFY of %s to %s@%d unanswered after %d tries", names.fqdn(pending.apex),
                        pending.target[0], pending.target[1], pending.tries)
            self._forget(pending.ident)
            return
        try:
            self._sock(pending.target).sendto(pending.message, pending.target)
            self.sent += 1
        except OSError as exc:
            log.debug("NOTIFY to %s: %s", pending.target, exc)
        delay = self.first_retry * (2 ** pending.tries)
        pending.tries += 1
        pending.timer = self.loop.call_later(delay, self._send, pending)

    def _readable(self, sock: socket.socket) -> None:
        for _ in range(64):
            try:
                data, peer = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if len(data) < _HEADER.size:
                continue
            ident, flags = struct.unpack_from("!HH", data)
            pending = self._pending.get(ident)
            if (pending is None or not flags & 0x8000 or (flags >> 11) & 0xF != OPCODE_NOTIFY
                    or (str(peer[0]), int(peer[1])) != pending.target):
                continue  # not the answer to one of ours (RFC 1996 §3.6: match ID and source)
            self.answered += 1
            self._forget(ident)

    def _forget(self, ident: int) -> None:
        pending = self._pending.pop(ident, None)
        if pending is None:
            return
        if pending.timer is not None:
            pending.timer.cancel()
        if self._by_zone.get((pending.apex, pending.target)) == ident:
            del self._by_zone[(pending.apex, pending.target)]

    @property
    def pending(self) -> int:
        """NOTIFYs sent and not yet answered or given up."""
        return len(self._pending)

    def close(self) -> None:
        """Give up everything pending and close the sockets."""
        for ident in list(self._pending):
            self._forget(ident)
        for sock in self._socks.values():
            if sock.fileno() >= 0:
                self.loop.remove_reader(sock.fileno())
            sock.close()
        self._socks.clear()
