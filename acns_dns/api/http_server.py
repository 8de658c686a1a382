"""Running the HTTP API next to the DNS server (one process, one world).

Owns the API's address (``api_address``, ``listening_socket``) and starting and stopping
uvicorn on a socket we bind ourselves, so a busy port is reported like a DNS bind failure and
port 0 gives a free port. uvicorn runs on its own thread and event loop: an API call's
validation, compilation of the new view and persistence happen there, so the DNS event loop
keeps answering from the previous view meanwhile and never waits for the API. Signals stay
with the caller (the ``serve`` command handles Ctrl-C itself). The app comes from
``acns_dns.api.create_app``, imported only when the API is asked for. Connections are
``connection_guard``'s: capped (``server.API_CONNECTIONS``, which the DNS server keeps
descriptors for), and closed when a request's headers or body do not arrive in time.
Imports: registry, journal, server (BindError, new_event_loop, API_BACKLOG), connection_guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import threading
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

from acns_dns.dns.journal import QueryJournal
from acns_dns.dns.server import API_BACKLOG, BindError, new_event_loop
from acns_dns.world.registry import Registry

if TYPE_CHECKING:
    from acns_dns.api.connection_guard import ConnectionLimits


class ApiUnavailable(RuntimeError):
    """The HTTP API package cannot be imported."""


def load_app(registry: Registry, journal: QueryJournal, admin_token: str | None, **options: Any) -> Any:
    """``acns_dns.api.create_app(...)`` (``options`` go to it: the page's inspector); raises
    ApiUnavailable naming the import problem."""
    try:
        from acns_dns.api import create_app
    except ImportError as exc:
        raise ApiUnavailable(f"cannot import acns_dns.api.create_app: {exc}") from exc
    return create_app(registry, journal=journal, admin_token=admin_token, **options)


def api_address(where: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as (host, port); raises ValueError naming what
    is wrong."""
    host, _, port_text = where.rpartition(":")
    if not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError(f"--api {where!r}: expected HOST:PORT with a port of 0-65535, "
                         "e.g. 127.0.0.1:8053 or [::1]:8053")
    return host.strip("[]") or "127.0.0.1", int(port_text)


def listening_socket(host: str, port: int) -> socket.socket:
    """A non-blocking TCP socket listening on ``host:port`` for the API, with the backlog the
    DNS server keeps descriptors for (``API_BACKLOG``); raises BindError naming the address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(API_BACKLOG)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise BindError(host, port, "http", exc) from exc
    return sock


class ApiServer:
    """uvicorn serving ``app`` on ``host:port`` on a thread of its own, under ``limits``
    (default: ``connection_guard``'s documented ones); or, given ``sockets``, on those listening
    sockets (the first names the URL), e.g. one bound in another network namespace before this
    process left it (a socket keeps the namespace it was made in)."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 8053,
                 limits: ConnectionLimits | None = None, *, sockets: Sequence[socket.socket] = ()) -> None:
        import uvicorn

        from acns_dns.api.connection_guard import MAX_HEADER_BYTES, ConnectionLimits, guarded_protocol

        class _Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Generator[None, None, None]:
                yield  # the caller owns SIGINT/SIGTERM

        self._sockets = list(sockets) or [listening_socket(host, port)]
        self._sock = self._sockets[0]
        self.host: str = self._sock.getsockname()[0]
        self.port: int = self._sock.getsockname()[1]
        self.limits = limits or ConnectionLimits()
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,
                                http=guarded_protocol(self.limits), ws="none", backlog=API_BACKLOG,
                                h11_max_incomplete_event_size=MAX_HEADER_BYTES,
                                # the guard's header timeout is the keep-alive idle time; uvicorn's
                                # own timer (cancelled by any byte) never fires before it
                                timeout_keep_alive=math.ceil(self.limits.header_timeout) + 1)
        self._server = _Server(config)
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8053``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        loop = new_event_loop()
        try:
            loop.run_until_complete(self._server.serve(sockets=self._sockets))
        except BaseException as exc:  # handed to start(), which raises it
            self._failure = exc
        finally:
            loop.close()

    async def start(self, timeout: float = 10.0) -> None:
        """Start serving; returns once uvicorn accepts connections."""
        self._thread = threading.Thread(target=self._run, name="acns-dns-api", daemon=True)
        self._thread.start()
        for _ in range(int(timeout / 0.01)):
            if self._server.started or not self._thread.is_alive():
                break
            await asyncio.sleep(0.01)
        if not self._server.started:
            self._server.should_exit = True
            if self._failure is not None:
                raise RuntimeError(f"the HTTP API did not start: {self._failure}") from self._failure
            raise RuntimeError("the HTTP API stopped during start")

    async def stop(self) -> None:
        """Stop serving and close the socket (waits for calls in flight, at most 5 s)."""
        self._server.should_exit = True
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)
        for sock in self._sockets:
            sock.close()
