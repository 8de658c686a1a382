"""Helpers for the HTTP API tests: a live server on 127.0.0.1 and world fixtures.

``serve_api`` runs uvicorn in a background thread on a free loopback port (the socket is bound
before the server starts, so there is no port race) and stops it on exit. The ``api`` fixture
shares one server per test module and gives each test the packaged default world afresh.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cloudflare
import httpx
import pytest
import uvicorn
from cloudflare import Cloudflare

from acns_dns.api import create_app
from acns_dns.dns.journal import QueryJournal
from acns_dns.lab.testing import RunningWorld
from acns_dns.world import scenario
from acns_dns.world.registry import Registry

ADMIN = "test-admin"
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"  # Example Corp, token demo-token
OTHER_ACCOUNT = "9a7806061c88ada191ed06f989cc3dac"  # Other Corp, token other-token, not entitled
TOKEN = "demo-token"
OTHER_TOKEN = "other-token"
START_TIMEOUT = 10.0


@contextmanager
def serve_api(
    registry: Registry, *, admin_token: str | None = ADMIN, journal: QueryJournal | None = None,
    state_dir: Path | None = None,
) -> Iterator[str]:
    """Serve the API over ``registry``; yields the base URL (``http://127.0.0.1:PORT``)."""
    app = create_app(registry, journal=journal, admin_token=admin_token, state_dir=state_dir)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT)
        sock.close()


@dataclass
class Api:
    """A live API over a registry: its URL and ready clients (closed with the server)."""

    url: str
    registry: Registry
    state_dir: Path | None = None  # where /sim may read and write files
    _sdks: dict[str, Cloudflare] = field(default_factory=dict)
    _clients: dict[str | None, httpx.Client] = field(default_factory=dict)

    def sdk(self, token: str = TOKEN) -> Cloudflare:
        """The official SDK pointed at the server."""
        if token not in self._sdks:
            self._sdks[token] = Cloudflare(api_token=token, base_url=f"{self.url}/client/v4", max_retries=0)
        return self._sdks[token]

    def http(self, token: str | None = TOKEN) -> httpx.Client:
        """A raw client (curl-equivalent) with the bearer token, if any."""
        if token not in self._clients:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            self._clients[token] = httpx.Client(base_url=self.url, headers=headers, timeout=10.0)
        return self._clients[token]

    def zone_id(self, name: str) -> str:
        """The id of the zone called ``name``."""
        return next(z.id for z in self.registry.world.zones.values() if z.name == name)

    def close(self) -> None:
        """Close every client."""
        for sdk in self._sdks.values():
            sdk.close()
        for client in self._clients.values():
            client.close()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One server per test module."""
    registry = Registry(scenario.load("default"))
    folder = tmp_path_factory.mktemp("state")
    with serve_api(registry, state_dir=folder) as url:
        served = Api(url, registry, folder)
        yield served
        served.close()


@pytest.fixture
def api(api_server: Api) -> Api:
    """The module's server, holding a fresh default world."""
    api_server.registry.replace(scenario.load("default"))
    return api_server


@contextmanager
def unchanged(registry: Registry) -> Iterator[None]:
    """Assert that the block leaves the world exactly as it was."""
    before = registry.world.model_dump()
    yield
    assert registry.world.model_dump() == before, "a refused request changed the world"


@dataclass
class Served:
    """A world served over DNS and the API (``running_world(..., api=True)``), with helpers."""

    world: RunningWorld
    _sdks: dict[str, Cloudflare] = field(default_factory=dict)

    def sdk(self, token: str) -> Cloudflare:
        """The official SDK with ``token``, pointed at the world's API."""
        assert self.world.api_url is not None
        if token not in self._sdks:
            self._sdks[token] = Cloudflare(api_token=token, base_url=f"{self.world.api_url}/client/v4",
                                           max_retries=0)
        return self._sdks[token]

    def close(self) -> None:
        """Close the SDK clients."""
        for sdk in self._sdks.values():
            sdk.close()

    def zone_id(self, name: str) -> str:
        """The id of the zone called ``name``."""
        return next(z.id for z in self.world.registry.world.zones.values() if z.name == name)

    def ns_names(self, zone: str, at: str = "edge") -> set[str]:
        """The NS names ``at`` answers for ``zone``."""
        answer = self.world.query(zone, "NS", at=at)
        return {rr.target.to_text().rstrip(".") for rrset in answer.answer for rr in rrset}

    def address(self, name: str, at: str = "edge") -> list[str]:
        """The A addresses ``at`` answers for ``name``."""
        answer = self.world.query(name, "A", at=at)
        return [rr.to_text() for rrset in answer.answer for rr in rrset]


def error_code(error: cloudflare.APIStatusError) -> int:
    """The Cloudflare code of the first error in a refused SDK call."""
    body = error.body
    assert isinstance(body, dict)
    return int(body["errors"][0]["code"])
