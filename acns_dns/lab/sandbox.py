"""The shell's own corner of the machine: a PID namespace, its /proc, and files laid over /etc.

Runs inside the user + network + mount namespace ``netns.exec_inside`` made, as its root.
``enter_pid_namespace`` forks the first process (PID 1) of a new PID namespace and keeps the
caller as its supervisor. When PID 1 ends, the kernel ends every process left in the namespace
(the resolver, a job the user left running in the background): leaving the shell cannot leave
anything behind. When the supervisor is killed, PID 1 is killed with it (PR_SET_PDEATHSIG).
``bind_file`` lays a file over another (``/etc/resolv.conf``) in this mount namespace only;
``hide_directory`` lays an empty one over a directory (nscd's socket, which would answer
lookups from the host's network). Linux only, through libc (``unshare(2)``, ``prctl(2)``).
Imports: nothing from the package.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import signal
import subprocess
from collections.abc import Iterable
from pathlib import Path
from types import FrameType
from typing import NoReturn

CLONE_NEWPID = 0x20000000  # <linux/sched.h>
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
MOUNT_TIMEOUT = 10.0


class SandboxError(RuntimeError):
    """A namespace or a mount could not be made; the message says which and why."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        code = errno.errorcode.get(number, str(number))
        raise SandboxError(f"{what} failed: {os.strerror(number)} ({code})")


def enter_pid_namespace(close_in_supervisor: Iterable[int] = ()) -> None:
    """Return as PID 1 of a new PID namespace; the calling process stays outside as its
    supervisor, which passes SIGTERM and SIGHUP on, closes ``close_in_supervisor`` (a socket
    PID 1 serves) and exits with PID 1's status: it never returns.

    Call it while the process has one thread only (``unshare(2)`` requires it).
    """
    libc = _libc()
    _check(libc.unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)")
    # the supervisor holds the write end until it exits: PID 1 (whose parent pid reads 0, the
    # parent being outside its namespace) sees end-of-file once the supervisor is gone
    alive_read, alive_write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(alive_write)
        _check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")
        if select.select([alive_read], [], [], 0)[0]:  # gone before prctl took effect
            os._exit(1)
        os.close(alive_read)
        return
    os.close(alive_read)
    for fd in close_in_supervisor:
        os.close(fd)
    _supervise(child)


def _supervise(child: int) -> NoReturn:
    """Wait for PID 1 and exit as it did; Ctrl-C and Ctrl-\\ belong to the job it runs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGQUIT, signal.SIG_IGN)

    def pass_on(signum: int, frame: FrameType | None) -> None:
        os.kill(child, signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, pass_on)
    _, status = os.waitpid(child, 0)  # PEP 475: retried after each handler ran
    os._exit(exit_status(status))


def exit_status(wait_status: int) -> int:
    """A shell's exit status for a wait status: the code, or 128 + the signal that ended it."""
    code = os.waitstatus_to_exitcode(wait_status)
    return code if code >= 0 else 128 - code


def _mount(argv: list[str]) -> None:
    done = subprocess.run(["mount", *argv], capture_output=True, text=True, timeout=MOUNT_TIMEOUT)
    if done.returncode != 0:
        raise SandboxError(f"mount {' '.join(argv)} failed: {done.stderr.strip() or done.returncode}")


def mount_proc() -> bool:
    """A /proc of this PID namespace (``ps`` then lists the shell's processes only); False
    when the machine does not allow it, which changes nothing else."""
    try:
        _mount(["-t", "proc", "proc", "/proc"])
    except SandboxError:
        return False
    return True


def bind_file(source: Path, target: Path) -> None:
    """Lay ``source`` over the file ``target`` (followed when a symbolic link) in this mount
    namespace only."""
    real = target.resolve()
    if not real.is_file():
        raise SandboxError(f"cannot replace {target}: {real} is not a file")
    _mount(["--bind", str(source), str(real)])


def hide_directory(target: Path) -> bool:
    """Lay an empty directory over ``target`` when it exists; True when it did."""
    if not target.is_dir():
        return False
    _mount(["-t", "tmpfs", "-o", "size=64k,mode=755", "tmpfs", str(target)])
    return True
