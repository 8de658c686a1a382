"""A private user + network namespace for the lab (no root needed).

Resolvers send iterative queries to port 53 only, so the world must serve port 53; inside a
fresh ``unshare -rn`` namespace any user may bind it on loopback, and nothing there can reach
or disturb the host's network. ``prepare()`` brings loopback up, routes the simulated IPv6
prefix to it and allows binding addresses not yet on an interface. ``run_inside`` re-runs a
Python module in such a namespace and hands back its output; ``enter`` moves the calling
process itself into one (what ``pytest --acns-netns`` does before its workers start, so they
share it); ``exec_inside`` turns the calling process into one (with a mount namespace too),
taking its open inheritable descriptors along. Imports: nothing from the package.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import threading
from typing import NoReturn

MARK = "ACNS_DNS_NETNS"  # set inside a namespace this module made
# every world's ULA /48 (fd53:53:53::/48 by default, fd53:53:XX::/48 for 127.XX.0.0/16)
IPV6_PREFIX = "fd53:53::/32"
CLONE_NEWUSER = 0x10000000  # <linux/sched.h>
CLONE_NEWNET = 0x40000000
SBIN = "/usr/sbin:/sbin"  # ip and sysctl live here on Debian, off a user's PATH


class NamespaceError(RuntimeError):
    """User + network namespaces are not available here; the message says why."""


def inside() -> bool:
    """True in a namespace made by ``run_inside`` (and prepared)."""
    return os.environ.get(MARK) == "1"


def available(flags: str = "-rn") -> str:
    """Empty when ``unshare FLAGS`` works here (``-rnm``: with a mount namespace too), else
    the reason it does not."""
    if shutil.which("unshare") is None:
        return "unshare is not installed (Debian package util-linux)"
    if shutil.which("ip") is None and shutil.which("ip", path="/usr/sbin:/sbin") is None:
        return "ip is not installed (Debian package iproute2)"
    done = subprocess.run(["unshare", flags, "true"], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        return f"unshare {flags} failed (user namespaces disabled?): {done.stderr.strip()}"
    return ""


def prepare(local_prefixes: tuple[str, ...] = (IPV6_PREFIX,)) -> None:
    """Loopback up, the simulated prefixes routed to it (all of 127.0.0.0/8 already is; IPv6
    and other IPv4 prefixes, BYOIP, are made local here), non-local binds allowed."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
    for prefix in dict.fromkeys(local_prefixes):
        family = "-6" if ":" in prefix else "-4"
        subprocess.run(["ip", family, "route", "add", "local", prefix, "dev", "lo"], check=False,
                       capture_output=True, timeout=10)
    subprocess.run(["sysctl", "-qw", "net.ipv6.ip_nonlocal_bind=1"], check=False, capture_output=True,
                   timeout=10)


def enter() -> None:
    """Move this process into a new user + network namespace, as ``unshare -rn`` would, and
    prepare it; children started afterwards (resolvers, pytest-xdist workers) share it.

    Raises:
        NamespaceError: the process has other threads (unshare(2) then refuses a new user
            namespace: call this first), or user namespaces are not available here.
    """
    if threading.active_count() > 1:
        raise NamespaceError("cannot enter a user namespace: this process already runs "
                             f"{threading.active_count()} threads")
    if shutil.which("ip", path=os.environ.get("PATH", "") + ":" + SBIN) is None:
        raise NamespaceError("ip is not installed (Debian package iproute2)")
    uid, gid = os.getuid(), os.getgid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise NamespaceError(f"unshare(CLONE_NEWUSER | CLONE_NEWNET) failed: {os.strerror(code)}")
    # map our own user and group to root inside (user_namespaces(7): setgroups first)
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
        with open(f"/proc/self/{name}", "w") as control:
            control.write(text)
    os.environ[MARK] = "1"
    os.environ["PATH"] = os.environ.get("PATH", "") + ":" + SBIN
    prepare()


def add_address(address: str) -> None:
    """Put ``address`` on loopback (BIND listens only on addresses an interface holds)."""
    prefix = "128" if ":" in address else "32"
    subprocess.run(["ip", "addr", "add", f"{address}/{prefix}", "dev", "lo"], check=False,
                   capture_output=True, timeout=10)


def _environment() -> dict[str, str]:
    # the namespace's tools (ip, sysctl, the resolvers) live in /usr/sbin on Debian
    return {**os.environ, MARK: "1", "PATH": os.environ.get("PATH", "") + ":" + SBIN}


def run_inside(module: str, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``python -m module args`` in a fresh namespace; its stdout and stderr come back."""
    reason = available()
    if reason:
        raise NamespaceError(reason)
    return subprocess.run(["unshare", "-rn", sys.executable, "-m", module, *args], capture_output=True,
                          text=True, timeout=timeout, env=_environment())


def exec_inside(module: str, args: list[str]) -> NoReturn:
    """Become ``python -m module args`` in a fresh user + network + mount namespace.

    The process is replaced (same process id, same terminal, no parent left waiting), and
    its inheritable descriptors go with it: a socket bound out here keeps serving the host's
    network from inside. The mount namespace is private (``unshare`` makes it so), so files
    laid over /etc in it are seen by nobody else.
    """
    reason = available("-rnm")
    if reason:
        raise NamespaceError(reason)
    argv = ["unshare", "-rnm", "--", sys.executable, "-m", module, *args]
    os.execvpe("unshare", argv, _environment())
