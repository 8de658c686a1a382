"""The inside of ``acns-dns shell``: the world on port 53, a recursive resolver, and a shell.

``python -m acns_dns.lab.shell_world`` runs in the user + network + mount namespace that
``acns_dns.lab.shell.open_shell`` made, and becomes PID 1 of a PID namespace of its own
(``sandbox``). There it serves the world on port 53 of every simulated address (IPv4 and
IPv6), starts unbound on ``RESOLVER`` with the simulated root as its only root, lays a
resolv.conf naming it over the host's (``shell_files``), serves the page and the API on the
socket bound outside (so a browser on the host reaches it) and on the same address inside,
and runs the user's shell with a prompt naming the world (``job``). When the shell exits, the
resolver, the API and the world stop, and the kernel ends whatever else is left.
Imports: netns, sandbox, job, shell_files, resolver, unbound, inspect, testing, http_server,
server (BindError), shell (the token's variable), registry, scenario, state, names, models,
errors.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from acns_dns.api.http_server import ApiServer, listening_socket, load_app
from acns_dns.dns.server import BindError
from acns_dns.lab import inspect, job, netns, sandbox, shell_files
from acns_dns.lab.resolver import ResolverError
from acns_dns.lab.shell import TOKEN_VARIABLE
from acns_dns.lab.testing import RunningWorld, running_world
from acns_dns.lab.unbound import UnboundResolver
from acns_dns.world import names, scenario, state
from acns_dns.world.errors import AcnsError
from acns_dns.world.models import Network, World
from acns_dns.world.registry import Registry

RESOLVER = "127.0.0.53"  # where resolv.conf points (the address systemd-resolved's stub uses)
DNS_PORT = 53  # resolvers and dig +trace ask name servers on port 53 only
EDGE = "127.0.0.1"  # answers as the Cloudflare edge, as with `serve` (the namespace is the world's own)
# unbound's retransmit ceiling as the lab records it (``UnboundResolver``): an unreachable name
# server costs about a second and a half, as in the recorded matrix, not minutes
MAX_RTT_MS = UnboundResolver.DEFAULT_MAX_RTT_MS
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(Exception):
    """Ctrl-C, SIGTERM or SIGHUP arrived before the shell started."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m acns_dns.lab.shell_world")
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--state", default=None)
    parser.add_argument("--api-fd", type=int, default=None, help="a listening TCP socket, bound outside")
    parser.add_argument("--command", default=None, help="run this command, not an interactive shell")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    args.admin_token = os.environ.pop(TOKEN_VARIABLE, "")
    try:
        sandbox.enter_pid_namespace([args.api_fd] if args.api_fd is not None else [])
    except sandbox.SandboxError as exc:
        print(f"acns-dns shell: {exc}", file=sys.stderr)
        return 2
    # Until the shell runs, Ctrl-C, SIGTERM and SIGHUP stop everything. Then the terminal
    # (Ctrl-C, Ctrl-\) belongs to the shell's job alone, and job.run handles SIGTERM and
    # SIGHUP. Handlers, unlike an ignored signal, are not inherited: every program started
    # from here gets Ctrl-C's default action. (PID 1 never gets a signal it has no handler for.)
    for sig in STOP_SIGNALS:
        signal.signal(sig, _stop)
    sandbox.mount_proc()
    try:
        return run(args)
    except Stopped as stopped:
        return 128 + stopped.signum
    except (AcnsError, ValueError, OSError, ResolverError, sandbox.SandboxError) as exc:
        print(f"acns-dns shell: {exc}", file=sys.stderr)
        return 2


def _stop(signum: int, frame: FrameType | None) -> None:
    _ignore_stop_signals()
    raise Stopped(signum)


def _ignore_stop_signals() -> None:
    """Once stopping, a second signal must not cut the clean-up short (the world, unbound,
    the temporary folder); every wait in it is bounded."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def load(args: argparse.Namespace) -> tuple[state.State | None, World]:
    """The durable state of ``--state`` (opened, or made from the scenario) and its world, or the
    scenario's world; on the default addresses (the namespace is private: nobody else uses them)."""
    def from_scenario() -> World:
        return scenario.load(args.scenario, network=Network())

    if not args.state:
        return None, from_scenario()
    return state.open_state(Path(args.state), from_scenario)


def local_prefixes(world: World) -> tuple[str, ...]:
    """Prefixes to make local to loopback: the world's IPv6 prefix and accounts' own (BYOIP)."""
    pools = [world.network, *(a.byoip for a in world.accounts.values() if a.byoip is not None)]
    found = [pool.prefix6 for pool in pools]
    found += [pool.prefix4 for pool in pools if not pool.prefix4.startswith("127.")]
    return tuple(found)


def run(args: argparse.Namespace) -> int:
    """Serve, resolve, run the shell; everything stops when it exits."""
    kept, world = load(args)
    netns.prepare(local_prefixes(world))
    registry = Registry(world)
    if kept is not None:
        kept.attach(registry)
    try:
        with tempfile.TemporaryDirectory(prefix="acns-shell-") as folder, \
                running_world(registry, port=DNS_PORT, edge_aliases=(EDGE,)) as served, \
                _api(served, args) as api_url, \
                _resolver(served.root, Path(folder) / "unbound") as resolver:
            shell_files.install(Path(folder), RESOLVER, args.scenario, resolver.workdir / "unbound.conf")
            env = environment(args, world, api_url, resolver.workdir / "unbound.log")
            print(banner(args, world, served, api_url, resolver), file=sys.stderr, flush=True)
            try:
                return job.run(shell_argv(args, Path(folder)), env)
            finally:
                _ignore_stop_signals()
    finally:  # after the API stopped: every change it accepted is in the journal
        if kept is not None:
            kept.close()


@contextmanager
def _api(served: RunningWorld, args: argparse.Namespace) -> Iterator[str]:
    """The page and the API on the socket bound outside, and on the same address in here."""
    if args.api_fd is None:
        yield ""
        return
    outside = socket.socket(fileno=args.api_fd)
    outside.setblocking(False)
    host, port = outside.getsockname()[:2]
    sockets = [outside, *_inside_socket(host, port)]
    own = [Path(args.state), state.journal_path(Path(args.state))] if args.state else []
    app = load_app(served.registry, served.journal, args.admin_token,
                   inspector=inspect.inspector(DNS_PORT), inspector_source=inspect.SOURCE,
                   state_dir=Path(args.state).resolve().parent if args.state else None, state_files=own)
    api = ApiServer(app, sockets=sockets)
    served.call(api.start())
    try:
        yield api.url
    finally:
        served.call(api.stop())


def _inside_socket(host: str, port: int) -> list[socket.socket]:
    """A listening socket on ``host:port`` of the namespace's own loopback, so the URL printed
    works in the shell too; none when ``host`` is no address of this namespace."""
    try:
        return [listening_socket(host, port)]
    except BindError:
        return []


@contextmanager
def _resolver(root: str, workdir: Path) -> Iterator[UnboundResolver]:
    if not UnboundResolver.installed():
        raise ResolverError("unbound is not installed (Debian package 'unbound')")
    netns.add_address(RESOLVER)
    resolver = UnboundResolver(root, RESOLVER, workdir, port=DNS_PORT, max_rtt_ms=MAX_RTT_MS)
    resolver.start()
    try:
        yield resolver
    finally:
        resolver.stop()


def environment(args: argparse.Namespace, world: World, api_url: str, resolver_log: Path) -> dict[str, str]:
    """The shell's environment: ``acns-dns`` (this installation's) and /usr/sbin on PATH, and
    the defaults the project's commands read, so ``acns-dns trace NAME`` and ``acns-dns
    registrar ...`` need no options in here."""
    here = Path(sys.executable).parent
    path = os.environ.get("PATH", "")
    if (here / "acns-dns").exists():
        path = f"{here}:{path}"
    env = {**os.environ, "PATH": path, "ACNS_DNS_WORLD": shell_files.safe_name(args.scenario),
           "ACNS_DNS_PORT": str(DNS_PORT), "ACNS_DNS_ROOT": world.root_ipv4,
           "ACNS_DNS_RESOLVER": RESOLVER, "ACNS_DNS_RESOLVER_LOG": str(resolver_log),
           "PS1": shell_files.prompt(args.scenario)}
    if api_url:
        env.update(ACNS_DNS_API=api_url, ACNS_DNS_ADMIN_TOKEN=args.admin_token)
    env.pop(netns.MARK, None)  # a lab started from this shell makes namespaces of its own
    return env


def user_shell() -> str:
    """The user's $SHELL, else bash, else sh."""
    return os.environ.get("SHELL") or shutil.which("bash") or "/bin/sh"


def shell_argv(args: argparse.Namespace, folder: Path) -> list[str]:
    """``SHELL -c COMMAND``, or an interactive shell whose prompt names the world."""
    shell = user_shell()
    if args.command is not None:
        return [shell, "-c", args.command]
    if Path(shell).name == "bash":
        rc = folder / "bashrc"
        rc.write_text(shell_files.bash_rc(args.scenario))
        return [shell, "--rcfile", str(rc), "-i"]
    return [shell, "-i"]


def example_name(world: World) -> str:
    """A name worth asking: www. under the first registered domain not Cloudflare's own."""
    for tld in world.tlds.values():
        for domain in tld.domains.values():
            if domain.nameservers and domain.name != world.cloudflare.zone:
                return f"www.{names.normalize(domain.name)}"
    return "www.example.com"


def banner(args: argparse.Namespace, world: World, served: RunningWorld, api_url: str,
           resolver: UnboundResolver) -> str:
    """What the shell prints (on stderr) before the prompt; one line before ``-c COMMAND``."""
    name = shell_files.safe_name(args.scenario)
    page = f"{api_url}/#token={args.admin_token}" if api_url else ""
    if args.command is not None:
        return f"acns-dns shell: world {name}" + (f"; page {page}" if page else "")
    missing = len(served.server.unbound)
    example = example_name(world)
    lines = [f"acns-dns shell: the world {name!r} serves on port 53 of its addresses, IPv4 and IPv6"
             + (f" ({missing} address(es) could not be bound)" if missing else ""),
             f"  /etc/resolv.conf -> unbound at {RESOLVER}, whose only root is a.root-servers.net "
             f"({world.root_ipv4}); its log: {resolver.workdir / 'unbound.log'}",
             f"  try: dig +trace {example}    dig {example}    host {example}    getent hosts {example}",
             f"       acns-dns trace {example}    unbound-control flush_zone {example.split('.', 1)[1]}"]
    if page:
        lines.append(f"  Page: {page}   (from the host too; API {api_url}/client/v4)")
    lines.append("  exit (or Ctrl-D) stops the world and the resolver.")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
