"""How many API connections may be open, and how long a client may take over a request.

uvicorn accepts every connection and then waits for its headers for ever: its keep-alive
timeout starts only after a response and any byte cancels it, and ``limit_concurrency``
answers 503 only to a request whose headers are complete. Connections that send nothing, or a
header a byte at a time (slowloris), therefore pile up until the process has no descriptor
left, and new DNS TCP connections fail with the API's. ``GuardedH11Protocol`` is uvicorn's h11
protocol with three additions:

- at most ``max_connections`` are open. A connection over the cap closes the one that has
  waited longest on its client (for headers or for a body), so a newcomer is always served;
  when every other connection holds a request the app is working on, the newcomer is closed;
- a request's headers must be complete within ``header_timeout`` of the connection opening
  or of the previous response (so this is also how long an idle keep-alive connection lasts);
- its body must be complete within ``body_timeout`` of the headers. A body the app answered
  without reading (``body_guard``'s 401 and 413) is read and dropped, at most ``max_discard``
  bytes, so a client busy sending it still reads the answer; past that the connection closes.

The phase of a connection is read from h11's state after every event, so pipelining and
keep-alive need no parsing of our own. Imports: server (the descriptor budget), uvicorn, h11.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from acns_dns.dns.server import API_CONNECTIONS

log = logging.getLogger(__name__)

MAX_CONNECTIONS = API_CONNECTIONS  # the DNS server keeps descriptors for these (server.capacity)
HEADER_TIMEOUT = 5.0  # seconds from connect (or the last response) to complete request headers
BODY_TIMEOUT = 30.0  # seconds from the headers to the end of the body (at most 1 MiB, body_guard)
MAX_DISCARD = 1024 * 1024  # bytes of an unwanted body read and dropped, then the connection closes
MAX_HEADER_BYTES = 16 * 1024  # a longer request line and headers get 400 (h11's own default)


@dataclass(frozen=True)
class ConnectionLimits:
    """The limits one API server applies (tests shorten the timeouts)."""

    max_connections: int = MAX_CONNECTIONS
    header_timeout: float = HEADER_TIMEOUT
    body_timeout: float = BODY_TIMEOUT
    max_discard: int = MAX_DISCARD


class Phase(enum.Enum):
    """Whose turn it is on a connection."""

    HEADERS = "waiting for request headers"
    BODY = "waiting for the request body"
    DISCARD = "dropping a body the app answered without reading"
    BUSY = "the app is answering"


def phase_of(conn: h11.Connection) -> Phase:
    """The phase h11's state says a server connection is in."""
    theirs, ours = conn.their_state, conn.our_state
    if theirs is h11.IDLE:
        return Phase.HEADERS
    if theirs is h11.SEND_BODY:
        return Phase.DISCARD if ours in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED) else Phase.BODY
    return Phase.BUSY


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol under ``limits`` (see the module docstring)."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.phase = Phase.BUSY
        self.waiting_since: float | None = None  # when the client's turn began; None while BUSY
        self.discarded = 0
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._follow()
        if sum(not c.transport.is_closing() for c in self.connections) > self.limits.max_connections:
            self._make_room()

    def data_received(self, data: bytes) -> None:
        if self.phase is Phase.DISCARD:
            self.discarded += len(data)
            if self.discarded > self.limits.max_discard:
                self._close("dropped too much of an unwanted body")
                return
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.waiting_since = None
        super().connection_lost(exc)

    # --- phases and their deadlines ------------------------------------------------------

    def _follow(self) -> None:
        """Re-read the phase; on a change, start the new phase's deadline (or none)."""
        if self.transport is None or self.transport.is_closing():
            return
        phase = phase_of(self.conn)
        if phase is self.phase:
            return
        self.phase = phase
        self._disarm()
        if phase is Phase.BUSY:
            self.waiting_since = None
            return
        self.discarded = 0
        self.waiting_since = time.monotonic()
        timeout = self.limits.header_timeout if phase is Phase.HEADERS else self.limits.body_timeout
        self._deadline = self.loop.call_later(timeout, self._close, f"timed out {phase.value}")

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _close(self, why: str) -> None:
        self._deadline = None
        if self.transport is not None and not self.transport.is_closing():
            log.debug("closing API connection from %s: %s", self.client, why)
            self.transport.close()

    def _make_room(self) -> None:
        """Over the cap: close the connection waiting longest on its client, or this one."""
        waiting = [c for c in self.connections
                   if isinstance(c, GuardedH11Protocol) and c.waiting_since is not None
                   and not c.transport.is_closing()]
        victim = min(waiting, key=lambda c: c.waiting_since or 0.0, default=self)
        victim._close("over the connection cap, waiting longest")


def guarded_protocol(limits: ConnectionLimits) -> type[GuardedH11Protocol]:
    """A protocol class bound to ``limits`` (uvicorn builds one instance per connection)."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})
