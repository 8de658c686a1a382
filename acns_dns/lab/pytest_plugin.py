"""The pytest plugin that ``acns_dns.testing`` registers (entry point ``pytest11``).

Fixtures: ``acns_world`` (a scenario served over DNS and the API; the scenario from the
``acns_scenario`` marker or an indirect parameter), ``acns_resolver`` (one real resolver
over it: unbound, or the kind an ``acns_resolver`` marker or parameter names),
``acns_resolvers`` (every installed one), ``acns_api`` (base URL and tokens for the
Cloudflare SDK) and ``acns_journal`` (every query the world answered).

Resolvers query port 53 only. ``--acns-netns`` (or ``acns_netns = true`` in the ini file)
moves the pytest process into its own user + network namespace when the session starts,
before pytest-xdist starts its workers, so every worker shares it: there worlds serve port
53 and IPv6, with no root. Without it, worlds serve a free port and the resolver fixtures
skip, saying why. Under pytest-xdist each worker takes its own slice of 127.1.0.0/16 to
127.52.0.0/16 (from its worker id), so worlds, their edge aliases and their resolvers never
share an address. Imports: netns; the rest when a fixture first runs, so that loading the
plugin stays cheap for sessions that never use it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import TYPE_CHECKING, Any

import pytest

from acns_dns.lab import netns

if TYPE_CHECKING:
    from acns_dns.dns.journal import QueryJournal
    from acns_dns.lab.api_access import ApiAccess
    from acns_dns.lab.resolver import Resolver
    from acns_dns.lab.testing import RunningWorld

ADMIN_TOKEN = "acns-admin"
DEFAULT_RESOLVER = "unbound"  # the quickest to start
PLUGIN_OCTETS = range(1, 53)  # 127.1-52.0.0/16; serve uses 127.53, random_network 127.60-250


@dataclass
class SessionState:
    """Whether this process is in a namespace (or why not), and its next world prefix."""

    netns: bool = False
    reason: str = ""
    serial: count[int] = field(default_factory=count)


STATE = pytest.StashKey[SessionState]()


def world_prefix(worker: str, workers: int, serial: int) -> str:
    """The /16 of a process's ``serial``-th world: pytest-xdist worker ``gwN`` of ``workers``
    cycles through octets no other worker takes (unless there are more than 52 workers)."""
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    workers = max(1, workers)
    slots = max(1, len(PLUGIN_OCTETS) // workers)
    octet = PLUGIN_OCTETS[(index + workers * (serial % slots)) % len(PLUGIN_OCTETS)]
    return f"127.{octet}.0.0/16"


# --- hooks ---------------------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("acns-dns")
    group.addoption("--acns-netns", action="store_true", default=False,
                    help="run the session in its own user + network namespace (no root needed), "
                         "so acns-dns worlds serve port 53 and IPv6 and real resolvers can query them")
    parser.addini("acns_netns", type="bool", default=False,
                  help="as --acns-netns: run the session in its own user + network namespace")


@pytest.hookimpl(tryfirst=True)  # before any plugin starts a thread: unshare(2) needs one
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "acns_scenario(name): the scenario acns_world serves "
                                       "(a packaged scenario name or a scenario file)")
    config.addinivalue_line("markers", "acns_resolver(kind): the resolver acns_resolver runs "
                                       "(bind, knot, pdns or unbound)")
    state = SessionState()
    if config.getoption("acns_netns") or config.getini("acns_netns"):
        if not netns.inside():  # a pytest-xdist worker inherits its controller's namespace
            try:
                netns.enter()
            except (netns.NamespaceError, OSError) as exc:
                state.reason = str(exc)
        state.netns = not state.reason
    config.stash[STATE] = state


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash.get(STATE, None)
    if state is None or not (state.netns or state.reason):
        return None
    if state.reason:
        return f"acns-dns: no user + network namespace ({state.reason}); resolver tests skip"
    return "acns-dns: in its own user + network namespace (worlds on port 53, IPv6 on fd53:53::/32)"


# --- fixtures ------------------------------------------------------------------------------

def _choice(request: pytest.FixtureRequest, marker: str, default: Any) -> Any:
    """An indirect parameter, else the closest marker's argument, else ``default``."""
    if hasattr(request, "param"):
        return request.param
    found = request.node.get_closest_marker(marker)
    if found is not None and found.args:
        return found.args[0]
    return default


@pytest.fixture
def acns_world(request: pytest.FixtureRequest) -> Iterator[RunningWorld]:
    """A scenario served over DNS and the HTTP API for one test (a ``RunningWorld``).

    The scenario: ``@pytest.mark.acns_scenario("missing-glue")``, or
    ``@pytest.mark.parametrize("acns_world", ["stale-glue", ...], indirect=True)``; a packaged
    name or a scenario file; ``default`` otherwise. With ``--acns-netns`` it serves port 53
    (IPv6 too), else a free port. Its own 127.X.0.0/16 per world and per pytest-xdist worker.
    Helpers: ``root``, ``address(name)``, ``address6(name)``, ``assigned(ns_name)``,
    ``fix_glue(*hosts)``, ``break_glue(*hosts, stale=False)``, ``set_glue``, ``query``,
    ``spare_address()`` (for a resolver of your own), ``registry`` (every operation).
    """
    from acns_dns.lab.testing import running_world

    state = request.config.stash[STATE]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    prefix = world_prefix(worker, workers, next(state.serial))
    source = _choice(request, "acns_scenario", "default")
    with running_world(source, port=53 if state.netns else None, api=True, admin_token=ADMIN_TOKEN,
                       prefix=prefix) as world:
        yield world


def _skip_unless_port_53(request: pytest.FixtureRequest, world: RunningWorld) -> None:
    state = request.config.stash[STATE]
    if state.reason:
        pytest.skip(f"real resolvers need a user + network namespace, unavailable here: {state.reason}")
    if world.port != 53:
        pytest.skip("real resolvers query port 53 only: run pytest with --acns-netns (or acns_netns = "
                    "true in the ini file) so the session runs in its own user + network namespace")


@pytest.fixture
def acns_resolver(request: pytest.FixtureRequest, acns_world: RunningWorld) -> Iterator[Resolver]:
    """One real resolver over ``acns_world``, with its root as the only root (a lab ``Resolver``).

    unbound, or the kind named by ``@pytest.mark.acns_resolver("knot")`` or an indirect
    parameter: ``bind``, ``knot``, ``pdns``, ``unbound``. ``ask(qname, qtype)`` returns an
    Outcome (``rcode``, ``answer``, ``seconds``, ``reason``: the resolver's own log line for a
    failure); ``flush()`` empties its caches; ``listen`` is its address (port 53). Skips when
    the resolver is not installed or the session is not in a namespace (``--acns-netns``).
    """
    from acns_dns.lab.resolver_harness import NotInstalled, resolver_class, running_resolver

    _skip_unless_port_53(request, acns_world)
    kind = _choice(request, "acns_resolver", DEFAULT_RESOLVER)
    try:
        resolver_class(kind)
    except NotInstalled as exc:
        pytest.skip(str(exc))
    with running_resolver(kind, acns_world) as resolver:
        yield resolver


@pytest.fixture
def acns_resolvers(request: pytest.FixtureRequest, acns_world: RunningWorld) -> Iterator[dict[str, Resolver]]:
    """Every installed real resolver over ``acns_world``, started at once: a dict by kind
    (``bind``, ``knot``, ``pdns``, ``unbound``) of lab ``Resolver`` objects, as
    ``acns_resolver`` gives one. Skips when none is installed or outside a namespace."""
    from acns_dns.lab.resolver_harness import running_resolvers

    _skip_unless_port_53(request, acns_world)
    with running_resolvers(acns_world) as started:
        if not started:
            pytest.skip("no resolver is installed (Debian: bind9, knot-resolver, pdns-recursor, unbound)")
        yield started


@pytest.fixture
def acns_api(acns_world: RunningWorld) -> ApiAccess:
    """The world's HTTP API: ``base_url`` and ``token`` for the Cloudflare SDK (``sdk()`` makes
    the client), ``admin_token`` and ``sim()`` (httpx) for the simulator's ``/sim`` routes."""
    from acns_dns.lab.api_access import ApiAccess

    return ApiAccess.of(acns_world, ADMIN_TOKEN)


@pytest.fixture
def acns_journal(acns_world: RunningWorld) -> QueryJournal:
    """Every query ``acns_world`` answered, newest last: ``entries(server=..., qname=...)``
    gives time, server address, client, transport, qname, qtype, rcode and flags."""
    return acns_world.journal
