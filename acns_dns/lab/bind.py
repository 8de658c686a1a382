"""BIND 9 (``named``, ISC) as a lab resolver. ``named -f`` (foreground, logging as configured)
with a generated named.conf: recursion for anyone on loopback, the simulated root as the only
hint zone, no DNSSEC validation (the simulated zones are unsigned), logging of the
``resolver``, ``lame-servers`` and ``query-errors`` categories (where BIND says why a fetch
failed) to ``named.log``, down to debug level 1 (``-d 1``): only there does BIND 9.18 say that
a query timed out. BIND does not refuse loopback targets, so nothing like ``ALLOW_LOCAL`` is
needed. ``rndc flush`` empties the cache and the address database through a control channel on
the resolver's own address with a generated key.
Imports: resolver.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
from typing import ClassVar

from acns_dns.lab.resolver import Resolver

CONTROL_PORT = 953

CONFIG = """key "lab" {{ algorithm hmac-sha256; secret "{secret}"; }};
controls {{ inet {listen} port {control} allow {{ {listen}; }} keys {{ "lab"; }}; }};
options {{
    directory "{workdir}";
    pid-file "{workdir}/named.pid";
    session-keyfile "{workdir}/session.key";
    managed-keys-directory "{workdir}";
    listen-on port {port} {{ {listen}; }};
    listen-on-v6 {{ none; }};
    recursion yes;
    allow-query {{ any; }};
    allow-recursion {{ any; }};
    dnssec-validation no;
    notify no;
}};
zone "." {{ type hint; file "{workdir}/root.hints"; }};
logging {{
    channel lab {{ file "{workdir}/named.log"; severity debug 1; print-category yes; print-severity yes; }};
    category default {{ lab; }};
    category resolver {{ lab; }};
    category lame-servers {{ lab; }};
    category edns-disabled {{ lab; }};
    category query-errors {{ lab; }};
}};
"""

RNDC = """key "lab" {{ algorithm hmac-sha256; secret "{secret}"; }};
options {{ default-key "lab"; default-server {listen}; default-port {control}; }};
"""


class BindResolver(Resolver):
    """named -f with a generated named.conf; rndc for the flush."""

    kind: ClassVar[str] = "bind"
    label: ClassVar[str] = "BIND"
    binary: ClassVar[str] = "named"
    log_name: ClassVar[str] = "named.log"
    reasons: ClassVar[tuple[str, ...]] = ("loop detected", "shut down hung fetch", "lame-servers",
                                          "no valid", "SERVFAIL", "timed out", "query failed")
    noise: ClassVar[tuple[str, ...]] = ("managed-keys-zone", "automatic empty zone", "resolver priming")

    def _secret(self) -> str:
        return base64.b64encode(hashlib.sha256(str(self.workdir).encode()).digest()).decode()

    def files(self) -> dict[str, str]:
        values = {"listen": self.listen, "port": self.port, "workdir": self.workdir,
                  "control": CONTROL_PORT, "secret": self._secret()}
        return {"named.conf": CONFIG.format(**values), "rndc.conf": RNDC.format(**values)}

    def argv(self) -> list[str]:
        # -d 1 with "severity debug 1": at info BIND logs nothing when every server is silent;
        # at debug 1 it says "query failed (timed out) for NAME" (and a few "fetch:" lines)
        return [self.path() or self.binary, "-f", "-4", "-n", "1", "-d", "1", "-c",
                str(self.workdir / "named.conf")]

    def flush_commands(self) -> list[list[str]]:
        return [[self.tool("rndc"), "-c", str(self.workdir / "rndc.conf"), "flush"]]

    @classmethod
    def version(cls) -> str:
        done = subprocess.run([cls.path() or cls.binary, "-v"], capture_output=True, text=True, timeout=10)
        return done.stdout.split("(")[0].removeprefix("BIND ").strip()
