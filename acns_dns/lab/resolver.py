"""Real recursive resolvers pointed at a simulated root: the common part.

A ``Resolver`` is one resolver process: it writes a generated, minimal configuration into a
private folder (a root hints file naming only the simulated root, iteration only, no DNSSEC
validation, loopback allowed as a query target), runs the daemon in the foreground with its
log in that folder, answers recursive queries on its own address, flushes its cache through
the resolver's own control tool, and reads back the log line that explains a failure. The
modules ``bind``, ``knot``, ``pdns`` and ``unbound`` hold one resolver kind each.

Resolvers send iterative queries to port 53 only, so the world must serve on port 53: as
root, or inside a user and network namespace (``unshare -rn``, see ``netns``), where any
user may bind port 53 on 127.0.0.0/8. Tests start them with ``resolver_harness``.
Imports: probe.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import dns.exception
import dns.message
import dns.query
import dns.rcode

from acns_dns.lab import probe

MAX_LOG_LINES = 400  # of one question's log kept in an outcome (kresd's debug log is long)
CONTROL_TIMEOUT = 10.0  # a control command (flush) that takes longer is reported, not waited for


class ResolverError(RuntimeError):
    """A resolver is missing, did not start, or its control tool failed; the message says which."""


def root_hints(root_ipv4: str, root_name: str = "a.root-servers.net") -> str:
    """A root hints file naming one simulated root server."""
    return (f".                        3600000 NS {root_name}.\n"
            f"{root_name}.       3600000 A  {root_ipv4}\n")


def stop_process(process: subprocess.Popen[Any], grace: float = 5.0) -> None:
    """Terminate a child server; kill it when it has not exited within ``grace`` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


@dataclass
class Outcome:
    """What one resolver answered to one question, how long it took, and why (its own log)."""

    kind: str
    label: str
    installed: bool = True
    version: str = ""
    rcode: str = ""
    answer: list[str] = field(default_factory=list)
    seconds: float = 0.0
    reason: str = ""
    log: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {"kind": self.kind, "label": self.label, "installed": self.installed,
                "version": self.version, "rcode": self.rcode, "answer": self.answer,
                "seconds": self.seconds, "reason": self.reason, "log": self.log}


class Resolver(ABC):
    """One resolver daemon; subclasses give its files, command line, flush and log patterns."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    binary: ClassVar[str] = ""
    log_name: ClassVar[str] = "resolver.log"
    # substrings of log lines that explain a failure, most telling first
    reasons: ClassVar[tuple[str, ...]] = ()
    # log lines to leave out of ``Outcome.log`` (start-up chatter)
    noise: ClassVar[tuple[str, ...]] = ()

    def __init__(self, root: str, listen: str, workdir: Path, port: int = 53) -> None:
        self.root, self.listen, self.workdir, self.port = root, listen, workdir, port
        self.process: subprocess.Popen[bytes] | None = None

    # -- what subclasses provide ------------------------------------------------------------
    @abstractmethod
    def files(self) -> dict[str, str]:
        """Configuration files to write into the work folder, by name."""

    @abstractmethod
    def argv(self) -> list[str]:
        """The command line that runs the daemon in the foreground."""

    @abstractmethod
    def flush_commands(self) -> list[list[str]]:
        """The control commands that empty every cache the resolver has."""

    @classmethod
    def version(cls) -> str:
        """The installed version, one short line."""
        return ""

    # -- common behaviour -------------------------------------------------------------------
    @classmethod
    def installed(cls) -> bool:
        """True when the daemon's binary is on PATH (or in /usr/sbin)."""
        return cls.path() is not None

    @classmethod
    def path(cls) -> str | None:
        """The binary's path, looking in /usr/sbin too (not on a user's PATH on Debian)."""
        return shutil.which(cls.binary) or shutil.which(cls.binary, path="/usr/sbin:/sbin")

    @classmethod
    def tool(cls, name: str) -> str:
        """A companion tool's path (rndc, rec_control, unbound-control)."""
        return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin") or name

    def start(self, timeout: float = 20.0) -> None:
        """Write the configuration, start the daemon, and wait until it answers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "root.hints").write_text(root_hints(self.root))
        for name, text in self.files().items():
            (self.workdir / name).write_text(text)
        with open(self.workdir / "output.log", "wb") as output:
            self.process = subprocess.Popen(self.argv(), stdout=output, stderr=subprocess.STDOUT,
                                            cwd=self.workdir)
        process = self.process
        if not probe.wait_answering(self.listen, self.port, "localhost.", "A", within=timeout,
                                    alive=lambda: process.poll() is None):
            status = "exited" if process.poll() is not None else "did not answer"
            self.stop()
            raise ResolverError(f"{self.label} {status} on {self.listen}:{self.port} within "
                                f"{timeout:g} s: {self.log_text()[-1500:]}")

    def stop(self) -> None:
        """Stop the daemon (SIGTERM, then SIGKILL)."""
        if self.process is not None:
            stop_process(self.process)

    def flush(self) -> None:
        """Empty the resolver's caches with its own control tool."""
        for argv in self.flush_commands():
            done = subprocess.run(argv, capture_output=True, text=True, timeout=CONTROL_TIMEOUT,
                                  cwd=self.workdir)
            if done.returncode != 0:
                raise ResolverError(f"{self.label}: {' '.join(argv)} failed: "
                                    f"{(done.stdout + done.stderr).strip()}")

    def log_text(self) -> str:
        """Everything the daemon logged so far."""
        parts = []
        for name in dict.fromkeys((self.log_name, "output.log")):
            path = self.workdir / name
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "".join(parts)

    def log_lines(self) -> list[str]:
        """The log, one line per entry."""
        return self.log_text().splitlines()

    def explain(self, lines: list[str], qname: str) -> str:
        """The most telling failure line among ``lines`` (new since the question was asked):
        the first of ``reasons`` found, in a line about ``qname`` itself if one has it."""
        about = [line for line in lines if qname.rstrip(".") in line]
        for wanted in self.reasons:
            for candidates in (about, lines):
                for line in candidates:
                    if wanted in line:
                        return line
        return ""

    def ask(self, qname: str, qtype: str = "A", timeout: float = 30.0) -> Outcome:
        """Ask one recursive question; the outcome carries the log lines it caused."""
        before = len(self.log_lines())
        query = dns.message.make_query(qname, qtype)
        started = time.monotonic()
        try:
            response = dns.query.udp(query, self.listen, port=self.port, timeout=timeout)
            rcode = dns.rcode.to_text(response.rcode())
            answer = [rdata.to_text() for rrset in response.answer for rdata in rrset]
        except dns.exception.Timeout:
            rcode, answer = "TIMEOUT", []
        seconds = round(time.monotonic() - started, 3)
        time.sleep(0.2)  # let the daemon finish writing the lines of this failure
        lines = [clean(line) for line in self.log_lines()[before:]
                 if not any(n in line for n in self.noise)]
        reason = self.explain(lines, qname) if rcode != "NOERROR" or not answer else ""
        return Outcome(self.kind, self.label, True, self.version(), rcode, answer, seconds, reason,
                       lines[-MAX_LOG_LINES:])


_STAMP = re.compile(r"^(\[\w+\]\s*)?(\d{2}-\w{3}-\d{4} [\d:.]+ |\w{3} \d{2} [\d:]+ |\[\d+\] )")
_PID = re.compile(r"^\w+\[\d+:\d+\] ")  # unbound's "unbound[PID:THREAD] " prefix
_KRES = re.compile(r"^\[(\w+ ?)\]\[[\d.]+\]\s+")  # kresd's "[group][request.uid]   " prefix


def clean(line: str) -> str:
    """A log line without its time stamp, so recorded lines compare across runs."""
    line = _STAMP.sub("", line.strip()).strip()
    return _KRES.sub(lambda m: f"[{m.group(1).strip()}] ", _PID.sub("", line))


def workdirs(prefix: str = "acns-resolver-") -> tempfile.TemporaryDirectory[str]:
    """A private folder for one lab run's resolvers."""
    return tempfile.TemporaryDirectory(prefix=prefix)
