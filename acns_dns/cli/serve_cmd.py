"""``acns-dns serve`` and ``acns-dns servers``: run a world, or list who serves what.

``serve`` loads a scenario (or a snapshot with ``--state``), starts the DNS listeners and the
HTTP API in one event loop, prints each role's address with a ready-to-paste ``dig`` line,
and stops cleanly on Ctrl-C or SIGTERM. A bind failure names the address, the port and why,
suggests a fix and exits non-zero. An ``--api`` address other machines can reach is refused
unless ``--allow-remote-api`` says it is meant, and then a warning names what it exposes.
Imports: models, registry, addressing, scenario, state, collector, view, server, transfer,
http_server, inspect (the page's checks).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import secrets
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from acns_dns.api.http_server import ApiServer, ApiUnavailable, api_address, load_app
from acns_dns.dns import transfer
from acns_dns.dns.journal import QueryJournal
from acns_dns.dns.server import BindError, DnsServer, capacity, new_event_loop, raise_descriptor_limit
from acns_dns.dns.view import Role, View, compile_view, describe
from acns_dns.lab import inspect
from acns_dns.world import addressing, collector, scenario, state
from acns_dns.world.errors import AcnsError
from acns_dns.world.models import Network, World
from acns_dns.world.registry import Registry

EDGE = "127.0.0.1"
EXIT_BIND = 3
CUSTOM_SHOWN = 12  # custom nameservers listed one by one in the banner; a large world's are counted


def add_parser(subparsers: Any) -> None:
    """Register ``serve`` and ``servers``."""
    serve = subparsers.add_parser("serve", help="serve a world over DNS (and the HTTP API)",
                                  description="Serve a simulated world over DNS and the HTTP API.")
    _world_options(serve)
    serve.add_argument("--port", type=int, default=5300, help="DNS port on every address (default 5300)")
    serve.add_argument("--api", default="127.0.0.1:8053", metavar="HOST:PORT",
                       help="where the HTTP API listens (default 127.0.0.1:8053)")
    serve.add_argument("--allow-remote-api", action="store_true",
                       help="let --api listen on an address other machines can reach (not loopback); "
                            "it exposes the tokens, the /sim admin routes and the query journal")
    serve.add_argument("--no-api", action="store_true", help="serve DNS only")
    serve.add_argument("--state-dir", default=None, metavar="DIR",
                       help="the folder /sim/snapshot and /sim/scenario may read and write files in "
                            "(default: the folder of --state; without either: none)")
    serve.add_argument("--admin-token", default=None, metavar="TOKEN",
                       help="token for the /sim admin routes (default: a random one, printed)")
    serve.add_argument("--allow-transfer", action="append", default=[], metavar="PREFIX",
                       help="clients that may AXFR/IXFR every zone (repeatable; default: nobody)")
    serve.add_argument("--notify-port", action="append", type=int, default=[], metavar="PORT",
                       help="secondaries made by `acns-dns export` listen on the simulated "
                            "addresses at PORT: NOTIFY them of every change (repeatable)")
    serve.add_argument("--notify", action="append", default=[], metavar="ADDRESS@PORT",
                       help="another secondary to NOTIFY of every change to any zone (repeatable)")
    serve.set_defaults(run=run)
    servers = subparsers.add_parser(
        "servers", help="list the simulated name servers",
        description="List every simulated name server: role, name, addresses, zones.")
    _world_options(servers)
    servers.add_argument("--json", action="store_true", help="print JSON")
    servers.set_defaults(run=run_servers)


def _world_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", default="default", metavar="NAME|FILE",
                        help="packaged scenario name or YAML file (default: default)")
    parser.add_argument("--state", default=None, metavar="FILE",
                        help="keep the world in FILE (a snapshot) and FILE.journal (every change, "
                             "on disk before it is acknowledged): loaded if it exists")
    parser.add_argument("--listen-prefix", default=None, metavar="PREFIX",
                        help="IPv4 /16 for the simulated servers (default 127.53.0.0/16)")


def scenario_world(args: argparse.Namespace) -> World:
    """The world of ``--scenario`` on ``--listen-prefix``."""
    network = Network()
    if args.listen_prefix:
        network = addressing.network_for(args.listen_prefix)
    return scenario.load(args.scenario, network=network)


def load_world(args: argparse.Namespace) -> World:
    """The world kept in ``--state`` if it exists (read, nothing written), else the scenario."""
    if args.state and Path(args.state).exists():
        return state.read_state(Path(args.state)).world
    return scenario_world(args)


def world_or_report(args: argparse.Namespace, command: str) -> World | None:
    """``load_world``, or None after saying on stderr what was wrong with the input."""
    try:
        return load_world(args)
    except (AcnsError, ValueError) as exc:
        print(f"acns-dns {command}: {exc}", file=sys.stderr)
        return None


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback one (only this machine reaches it)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos]
    return bool(addresses) and all(_loopback(address) for address in addresses)


def _loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def remote_api_check(args: argparse.Namespace) -> str | None:
    """Why ``--api`` is refused (a one-line error), or None; warns on stderr when it is allowed."""
    if args.no_api:
        return None
    host, port = api_address(args.api)
    if is_loopback(host):
        return None
    if not args.allow_remote_api:
        return (f"--api {args.api} is not a loopback address, so other machines could reach the API "
                "(its tokens, the /sim admin routes, the query journal); to mean it, add "
                "--allow-remote-api, else listen on 127.0.0.1:PORT")
    print(f"acns-dns serve: warning: the HTTP API on {host} port {port} is reachable from other "
          "machines, over plain HTTP. Exposed there: the account tokens and the admin token printed "
          "below (whoever sees one acts with it); with the admin token, every account, the /sim "
          "admin routes (registrars, glue, faults, snapshots) and the whole DNS query journal "
          "(clients' addresses and questions); the page at / to anyone",
          file=sys.stderr, flush=True)
    return None


def run(args: argparse.Namespace) -> int:
    """``acns-dns serve``."""
    try:
        refused = remote_api_check(args)
    except ValueError as exc:
        refused = str(exc)
    if refused is not None:
        print(f"acns-dns serve: {refused}", file=sys.stderr)
        return 2
    collector.pause()  # until the world is built and served (_serve settles it)
    try:
        args.transfers = transfer.Settings.parse(args.allow_transfer, args.notify_port, args.notify)
        args.state_dir = state_folder(args)
        kept, world = open_world(args)
    except (AcnsError, ValueError) as exc:
        print(f"acns-dns serve: {exc}", file=sys.stderr)
        return 2
    registry = Registry(world)
    registry.subscribe(collector.thaw_once_replaced(world))  # settle() hides this world alone
    if kept is not None:
        kept.attach(registry)
    args.descriptors = raise_descriptor_limit()  # one UDP and one TCP socket per address
    try:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            return runner.run(_serve_until_signalled(args, registry))
    finally:
        if kept is not None:
            kept.close()


def open_world(args: argparse.Namespace) -> tuple[state.State | None, World]:
    """The durable state of ``--state`` (opened, or made from the scenario) and its world; or
    no state and the scenario's world."""
    if not args.state:
        return None, scenario_world(args)
    return state.open_state(Path(args.state), lambda: scenario_world(args))


def state_folder(args: argparse.Namespace) -> Path | None:
    """Where ``/sim`` may read and write files: ``--state-dir``, else the folder of ``--state``."""
    if args.state_dir is not None:
        folder = Path(args.state_dir)
        if not folder.is_dir():
            raise ValueError(f"--state-dir {args.state_dir}: no such directory")
        return folder
    return Path(args.state).resolve().parent if args.state else None


async def _serve_until_signalled(args: argparse.Namespace, registry: Registry) -> int:
    """Ctrl-C and SIGTERM are caught from the start, so a stop never kills a half-started server."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        return await _serve(args, registry, stop)
    finally:
        _keep_stopping(loop)


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _keep_stopping(loop: asyncio.AbstractEventLoop) -> None:
    """Hand the stop signals from the loop to a handler that ignores them, for good.

    Closing the loop would reset them to the default action, so a second SIGTERM (coreutils
    ``timeout``, a supervisor) arriving while the loop closes would kill an already clean stop
    with status 143. The signals are blocked while the handlers change hands, so none falls
    between the two; once the first one arrived, the process only has to finish stopping.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
            signal.signal(sig, _already_stopping)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _already_stopping(signum: int, frame: object) -> None:
    """A stop signal after the first: the stop is under way."""


async def _serve(args: argparse.Namespace, registry: Registry, stop: asyncio.Event) -> int:
    journal = QueryJournal()
    dns = DnsServer(registry, port=args.port, edge_aliases=(EDGE,), journal=journal,
                    transfers=getattr(args, "transfers", None))
    try:
        await dns.start()
    except BindError as exc:
        print(f"acns-dns serve: {exc}", file=sys.stderr)
        return EXIT_BIND
    api: ApiServer | None = None
    admin_token = args.admin_token or secrets.token_hex(12)
    api_note = "HTTP API: off (--no-api)"
    if not args.no_api:
        api, api_note = await _start_api(args, registry, journal, admin_token)
        if api is None and api_note.startswith("cannot"):
            await dns.stop()
            print(f"acns-dns serve: {api_note}", file=sys.stderr)
            return EXIT_BIND
    if dns.transfers.settings.allow or dns.transfers.settings.notify_ports or dns.transfers.settings.notify:
        print(transfer_line(dns.transfers.settings), flush=True)
    limits = descriptor_line(args.descriptors, len(dns.view.servers))
    print(banner(dns.view, args.port, dns.unbound, registry.world, api, admin_token, api_note, limits),
          flush=True)
    # The world and the view built so far live as long as the process: moved out of the cyclic
    # collector's sight, a full collection never walks them (over a large world it would stop
    # every thread, the DNS loop included, for as long as the walk takes).
    collector.settle()
    await stop.wait()
    print("acns-dns serve: stopping", file=sys.stderr)
    if api is not None:
        await api.stop()
    await dns.stop()
    return 0


async def _start_api(args: argparse.Namespace, registry: Registry, journal: QueryJournal,
                     admin_token: str) -> tuple[ApiServer | None, str]:
    host, port = api_address(args.api)
    own_files = [Path(args.state), state.journal_path(Path(args.state))] if args.state else []
    try:
        # a reset serves the scenario again, read only then (a kept state: a packed copy of now)
        baseline = None if args.state else (lambda: scenario_world(args))
        app = load_app(registry, journal, admin_token, inspector=inspect.inspector(args.port),
                       inspector_source=inspect.SOURCE, state_dir=args.state_dir, state_files=own_files,
                       baseline=baseline)
    except ApiUnavailable as exc:
        return None, f"HTTP API: unavailable ({exc})"
    try:
        api = ApiServer(app, host, port)
        await api.start()
    except BindError as exc:
        return None, f"{exc}; choose another with --api HOST:PORT or use --no-api"
    return api, ""


# --- what is printed ----------------------------------------------------------------------

def descriptor_line(limits: tuple[int, int], addresses: int) -> str:
    """How many addresses this process can serve under its open-file limit."""
    before, now = limits
    room = capacity(now)
    raised = f" (raised from {before})" if now > before else ""
    return (f"open-file limit {now}{raised}: room for {room.addresses:,} addresses "
            f"and {room.tcp_connections:,} TCP connections; this world has {addresses}")


def dig_line(address: str, port: int, qname: str, qtype: str, norec: bool = True) -> str:
    """A ready-to-paste dig command."""
    return f"dig @{address} -p {port} {qname} {qtype}" + (" +norec" if norec else "")


def _first_domain(world: World, tld: str | None = None) -> str | None:
    for tld_obj in world.tlds.values():
        if tld is None or tld_obj.name == tld:
            for domain in tld_obj.domains.values():
                if domain.nameservers and domain.name != world.cloudflare.zone:
                    return domain.name
    return None


def role_lines(view: View, port: int, world: World) -> list[str]:
    """One line per server worth showing (branded Cloudflare names folded into one; custom
    nameservers beyond the first ``CUSTOM_SHOWN`` counted, not listed)."""
    lines: list[str] = []
    branded = [s for s in view.listing if s.role is Role.CLOUDFLARE and s.label == "Cloudflare (branded)"]
    example = _first_domain(world)
    edge_question = _edge_question(view, world)  # the same for every edge server: found once
    custom = 0
    for server in view.listing:
        if server in branded:
            continue
        if server.role is Role.CLOUDFLARE and server.name != "edge":
            custom += 1
            if custom > CUSTOM_SHOWN:
                continue
        probe = edge_question if server.role is Role.CLOUDFLARE else _probe(
            server.role, server.zones, server.name, world, example)
        where = f"{server.ipv4:<16}" + (f" {server.ipv6}" if server.ipv6 else "")
        dig = dig_line(server.ipv4, port, *probe, norec=server.name != "edge") if probe else ""
        lines.append(f"  {server.label:<26} {server.name:<24} {where}\n      {dig}".rstrip())
    if custom > CUSTOM_SHOWN:
        lines.append(f"  ... and {custom - CUSTOM_SHOWN:,} more custom nameservers (`acns-dns servers` "
                     "lists every server)")
    if branded:
        lines.append(f"  {'Cloudflare (branded)':<26} {len(branded)} names, "
                     f"{branded[0].ipv4} .. {branded[-1].ipv4}")
    return lines


def _edge_question(view: View, world: World) -> tuple[str, str]:
    """What shows the Cloudflare edge at work: the NS of the first zone it serves."""
    edge = view.parts.edge if view.parts is not None else {}
    served = min((z for z in edge if z != world.cloudflare.zone), default=world.cloudflare.zone)
    return served, "NS"


def _probe(role: Role, zones: Any, name: str, world: World, example: str | None) -> tuple[str, str] | None:
    """A question that shows what this server is for."""
    if role is Role.ROOT:
        return (f"www.{example}", "A") if example else (".", "NS")
    if role is Role.TLD:
        tld = next(iter(zones))
        domain = _first_domain(world, tld)
        return (f"www.{domain}", "A") if domain else (f"{tld}.", "SOA")
    served = sorted(zones)
    return (served[0], "SOA") if served else None


def banner(view: View, port: int, unbound: dict[str, str], world: World, api: ApiServer | None,
           admin_token: str, api_note: str, limits: str = "") -> str:
    """What ``serve`` prints once everything listens."""
    lines = [f"acns-dns: serving {len(view.listing)} name servers on port {port} (UDP and TCP)"]
    if world.description:
        lines.append(f"  {world.description}")
    lines += ["", *role_lines(view, port, world)]
    if unbound:
        lines += ["", f"  not listening on {len(unbound)} address(es), e.g. {next(iter(unbound.values()))}"]
    if limits:
        lines += ["", f"  {limits}"]
    if world.faults.servers or world.faults.unheld != "refused":
        lines += ["", f"  {fault_line(world)}   (acns-dns fault list)"]
    lines.append("")
    if api is None:
        lines.append(api_note)
        return "\n".join(lines)
    base = f"{api.url}/client/v4"
    lines.append(f"HTTP API: {base}   (simulator routes: {api.url}/sim/)")
    for credential in world.credentials:
        if credential.token:
            held = f"tenant {', '.join(credential.tenants)} and its accounts" if credential.tenants \
                else f"accounts {', '.join(credential.accounts)}"
            scope = " (registrar routes only)" if credential.scope == "registrant" else ""
            lines.append(f"  token {credential.token!r}: {held}{scope}")
    lines.append(f"  admin token {admin_token!r}: every account and /sim")
    account = next((c for c in world.credentials if c.token and c.accounts), None)
    if account is not None:
        lines.append(f"  curl -s -H 'Authorization: Bearer {account.token}' "
                     f"{base}/accounts/{account.accounts[0]}/custom_ns")
    lines.append(f"Page: {api.url}/#token={admin_token}   (the delegation, live; API docs: {api.url}/docs)")
    lines.append("Ctrl-C stops.")
    return "\n".join(lines)


def fault_line(world: World) -> str:
    """The faults a world starts with, in one line."""
    servers = [f"{name} {'+'.join(sorted(kinds))}" for name, kinds in sorted(world.faults.servers.items())]
    return (f"faults: {', '.join(servers) or 'none'}; addresses nobody holds: "
            f"{'silent (timeout)' if world.faults.unheld == 'timeout' else 'refused'}")


def transfer_line(settings: transfer.Settings) -> str:
    """Who may transfer, and who is told of changes."""
    told = [f"port {port} of every server group" for port in settings.notify_ports]
    told += [f"{address}@{port}" for address, port in settings.notify]
    allowed = ", ".join(str(network) for network in settings.allow) or "nobody"
    return f"zone transfers (AXFR/IXFR over TCP) to {allowed}; NOTIFY to {', '.join(told) or 'nobody'}"


def run_servers(args: argparse.Namespace) -> int:
    """``acns-dns servers``."""
    world = world_or_report(args, "servers")
    if world is None:
        return 2
    rows = describe(compile_view(world, 0, (EDGE,)))
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for row in rows:
        zones = ", ".join(str(z) for z in row["zones"])  # type: ignore[attr-defined]
        print(f"{row['label']!s:<26} {row['name']!s:<24} {row['ipv4']!s:<16} {row['ipv6']!s:<20} {zones}")
    return 0
