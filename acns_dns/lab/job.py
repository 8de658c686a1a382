"""One command run as the terminal's foreground job, as a shell runs it (POSIX job control).

The command gets a process group of its own and, when standard input is a terminal, the
terminal: Ctrl-C and Ctrl-Z reach it and nothing else (not the world, not the resolver). When
it ends, the terminal comes back. SIGTERM or SIGHUP sent to this process ends the job too:
SIGHUP first (an interactive bash leaves on it, saving its history), SIGKILL after ``GRACE``
seconds. Imports: nothing from the package.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from types import FrameType

GRACE = 3.0  # seconds a job has to leave after SIGHUP before it is killed
WAKE = 0.2  # seconds between looks at whether a stop signal came while the job runs


def run(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``argv`` in the foreground until it exits; its exit status (128 + N for signal N,
    also when this process got SIGTERM or SIGHUP and ended the job)."""
    stopping: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        process = subprocess.Popen(list(argv), env=dict(env), process_group=0)
        with _terminal_given_to(process.pid):
            return _wait(process, stopping)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _wait(process: subprocess.Popen[bytes], stopping: list[int]) -> int:
    """Wait for the job; once a stop signal came, hang it up and wait at most ``GRACE`` s."""
    while not stopping:
        try:
            return _status(process.wait(timeout=WAKE))
        except subprocess.TimeoutExpired:
            continue
    _signal_group(process.pid, signal.SIGHUP)
    _signal_group(process.pid, signal.SIGCONT)  # a stopped job must run to see the hang-up
    try:
        process.wait(timeout=GRACE)
    except subprocess.TimeoutExpired:
        _signal_group(process.pid, signal.SIGKILL)
        process.wait(timeout=GRACE)
    return 128 + stopping[0]  # as if the signal this process got had ended it


def _status(code: int) -> int:
    return code if code >= 0 else 128 - code  # Popen reports signal N as -N; a shell, 128 + N


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


@contextlib.contextmanager
def _terminal_given_to(pgid: int) -> Iterator[None]:
    """Make ``pgid`` the terminal's foreground process group for the block, when standard
    input is our controlling terminal; SIGTTOU is ignored meanwhile, since taking the terminal
    back from the background raises it (POSIX tcsetpgrp)."""
    fd = sys.stdin.fileno() if sys.stdin is not None else -1
    ours = _foreground(fd)
    if ours is None:
        yield
        return
    previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        with contextlib.suppress(OSError):
            os.tcsetpgrp(fd, pgid)
        # a job that touched the terminal before it was its own stopped itself (SIGTTIN, as an
        # interactive bash does at start): let it go on now
        _signal_group(pgid, signal.SIGCONT)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.tcsetpgrp(fd, ours)
        signal.signal(signal.SIGTTOU, previous)


def _foreground(fd: int) -> int | None:
    """Our process group when it holds the terminal on ``fd``; None otherwise."""
    try:
        return os.getpgrp() if fd >= 0 and os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp() else None
    except OSError:
        return None
