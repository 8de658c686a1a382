"""unbound (NLnet Labs) as a lab resolver.

Settings that matter here: ``do-not-query-localhost: no`` (unbound refuses loopback targets
by default, and every simulated server is on loopback), ``module-config: "iterator"`` (no
validator: the simulated zones are unsigned), ``log-servfail: yes`` (the reason of each
SERVFAIL is logged), and ``infra-cache-max-rtt`` high enough that a busy machine does not
make unbound mark the root itself unusable (at 300 ms it did, with a log line that reads like
a glue failure). Remote control on a Unix socket without certificates serves the cache flush.
Imports: resolver.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import ClassVar

from acns_dns.lab.resolver import Resolver

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
    infra-keep-probing: yes
remote-control:
    control-enable: yes
    control-interface: "{workdir}/unbound.ctl"
    control-use-cert: no
"""


class UnboundResolver(Resolver):
    """unbound -d with a generated unbound.conf."""

    kind: ClassVar[str] = "unbound"
    label: ClassVar[str] = "unbound"
    binary: ClassVar[str] = "unbound"
    log_name: ClassVar[str] = "unbound.log"
    reasons: ClassVar[tuple[str, ...]] = ("error: SERVFAIL", "error: ")
    DEFAULT_MAX_RTT_MS: ClassVar[int] = 500  # what the recorded matrix was measured with

    def __init__(self, root: str, listen: str, workdir: Path, port: int = 53, *,
                 harden_glue: bool = True, verbosity: int = 1, max_rtt_ms: int = DEFAULT_MAX_RTT_MS) -> None:
        super().__init__(root, listen, workdir, port)
        self.harden_glue, self.verbosity, self.max_rtt_ms = harden_glue, verbosity, max_rtt_ms

    def files(self) -> dict[str, str]:
        return {"unbound.conf": CONFIG.format(
            listen=self.listen, port=self.port, workdir=self.workdir, verbosity=self.verbosity,
            max_rtt=self.max_rtt_ms, harden_glue="yes" if self.harden_glue else "no")}

    def argv(self) -> list[str]:
        return [self.path() or self.binary, "-d", "-c", str(self.workdir / "unbound.conf")]

    def flush_commands(self) -> list[list[str]]:
        control = [self.tool("unbound-control"), "-c", str(self.workdir / "unbound.conf")]
        return [[*control, "flush_zone", "."], [*control, "flush_infra", "all"],
                [*control, "flush_requestlist"]]

    @classmethod
    def version(cls) -> str:
        done = subprocess.run([cls.path() or cls.binary, "-V"], capture_output=True, text=True, timeout=10)
        return done.stdout.splitlines()[0].removeprefix("Version ").strip() if done.stdout else ""
