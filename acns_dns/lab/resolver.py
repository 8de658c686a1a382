"""A real recursive resolver (unbound) pointed at a simulated root, for integration tests.

Resolvers always send iterative queries to port 53, so the world must serve on port 53: as
root, or inside a user and network namespace (``unshare -rn``), where any user may bind port
53 on 127.53.x.y. ``running_unbound`` writes a root hints file naming the simulated root and a
minimal configuration (iterator only, no validation, loopback allowed as a target), starts
``unbound -d`` and stops it on exit. Imports: probe.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acns_dns.lab import probe

CONFIG = """server:
    verbosity: {verbosity}
    interface: {listen}@{port}
    do-ip6: no
    do-daemonize: no
    use-syslog: no
    logfile: "{workdir}/unbound.log"
    log-servfail: yes
    chroot: ""
    username: ""
    directory: "{workdir}"
    pidfile: ""
    root-hints: "{workdir}/root.hints"
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    harden-glue: {harden_glue}
    num-threads: 1
    so-reuseport: no
    outgoing-range: 64
    infra-cache-max-rtt: {max_rtt}
remote-control:
    control-enable: no
"""


@dataclass(frozen=True)
class Unbound:
    """A running unbound: where to send recursive queries, and its log."""

    address: str
    port: int
    workdir: Path

    def log(self) -> str:
        """Everything unbound logged so far (SERVFAIL reasons included: log-servfail)."""
        path = self.workdir / "unbound.log"
        return path.read_text(errors="replace") if path.exists() else ""


class ResolverError(RuntimeError):
    """unbound is missing, or did not start; the message says which and shows its log."""


def root_hints(root_ipv4: str, root_name: str = "a.root-servers.net") -> str:
    """A root hints file naming one simulated root server."""
    return (f".                        3600000 NS {root_name}.\n"
            f"{root_name}.       3600000 A  {root_ipv4}\n")


@contextmanager
def running_unbound(root_ipv4: str, *, listen: str = "127.0.0.1", port: int = 5399,
                    harden_glue: bool = True, verbosity: int = 1, max_rtt_ms: int = 120000,
                    startup_timeout: float = 10.0) -> Iterator[Unbound]:
    """Run unbound with the simulated root as its only root.

    ``max_rtt_ms`` caps unbound's retransmit timeout (``infra-cache-max-rtt``): lower it in
    tests so unreachable servers end in SERVFAIL within seconds rather than minutes.
    """
    binary = shutil.which("unbound")
    if binary is None:
        raise ResolverError("unbound is not installed (Debian package 'unbound')")
    with tempfile.TemporaryDirectory(prefix="acns-unbound-") as folder:
        workdir = Path(folder)
        (workdir / "root.hints").write_text(root_hints(root_ipv4))
        config = workdir / "unbound.conf"
        config.write_text(CONFIG.format(listen=listen, port=port, workdir=workdir, verbosity=verbosity,
                                        max_rtt=max_rtt_ms, harden_glue="yes" if harden_glue else "no"))
        process = subprocess.Popen([binary, "-d", "-c", str(config)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        try:
            _wait_ready(process, listen, port, startup_timeout, workdir)
            yield Unbound(listen, port, workdir)
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen[Any], grace: float = 5.0) -> None:
    """Terminate a child server; kill it when it has not exited within ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


def _wait_ready(process: subprocess.Popen[str], listen: str, port: int, timeout: float,
                workdir: Path) -> None:
    """Wait until unbound answers a trivial query (it answers 'localhost.' from its own data)."""
    def alive() -> bool:
        return process.poll() is None

    if probe.wait_answering(listen, port, "localhost.", "A", within=timeout, alive=alive):
        return
    if not alive():
        log = (workdir / "unbound.log").read_text() if (workdir / "unbound.log").exists() else ""
        raise ResolverError(f"unbound exited with {process.returncode}: "
                            f"{(process.stderr.read() if process.stderr else '')}{log}".strip())
    raise ResolverError(f"unbound did not answer on {listen}:{port} within {timeout} s")
