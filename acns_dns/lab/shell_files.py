"""The files the shell's namespace sees instead of the host's, and the prompt.

``/etc/resolv.conf`` names the world's recursive resolver, so ``dig``, ``host``, ``getent`` and
any program's ``getaddrinfo`` ask it; ``/etc/nsswitch.conf`` looks host names up in files and
DNS only (nss-resolve, mDNS or nscd would ask daemons that live on the host's network, not in
the world); unbound's default configuration is the shell's own, so ``unbound-control flush_zone
example.com`` works as on a machine running unbound. Each file is laid over the host's in the
shell's private mount namespace (``sandbox.bind_file``); the host never sees them.
Imports: sandbox, scenario (what names a file).
"""

from __future__ import annotations

import re
from pathlib import Path

from acns_dns.lab import sandbox
from acns_dns.world import scenario

RESOLV_CONF = Path("/etc/resolv.conf")
NSSWITCH_CONF = Path("/etc/nsswitch.conf")
UNBOUND_CONF = Path("/etc/unbound/unbound.conf")
NSCD_SOCKET_DIRS = (Path("/run/nscd"), Path("/var/run/nscd"))


def resolv_conf(resolver: str, world: str) -> str:
    """A resolv.conf naming one resolver (RFC 1035's stub view: no search list)."""
    return (f"# acns-dns shell, world {world}: unbound, whose only root is the simulated one\n"
            f"nameserver {resolver}\n"
            "options edns0\n")


def nsswitch_conf(original: str) -> str:
    """``original`` with host names looked up in /etc/hosts, then DNS; other lines kept."""
    hosts = "hosts:          files dns"
    lines = [hosts if re.match(r"\s*hosts\s*:", line) else line for line in original.splitlines()]
    if hosts not in lines:
        lines.append(hosts)
    return "\n".join(lines) + "\n"


def prompt(world: str) -> str:
    """The prompt that names the world, e.g. ``[acns-dns missing-glue] $ ``."""
    return f"[acns-dns {safe_name(world)}] $ "


def safe_name(world: str) -> str:
    """A world name fit for a prompt: a scenario file's stem, letters, digits and ``.-_``."""
    stem = Path(world).stem if scenario.is_path(world) else world
    return re.sub(r"[^A-Za-z0-9._-]", "-", stem) or "world"


def bash_rc(world: str) -> str:
    """bash's start-up file: the user's own first, then the prompt naming the world."""
    return ("[ -f /etc/bash.bashrc ] && . /etc/bash.bashrc\n"
            "[ -f \"$HOME/.bashrc\" ] && . \"$HOME/.bashrc\"\n"
            f"PS1='{prompt(world)}'\n")


def install(folder: Path, resolver: str, world: str, unbound_conf: Path | None = None) -> None:
    """Write the files into ``folder`` and lay them over the host's."""
    written = folder / "resolv.conf"
    written.write_text(resolv_conf(resolver, world))
    sandbox.bind_file(written, RESOLV_CONF)
    if NSSWITCH_CONF.is_file():
        switch = folder / "nsswitch.conf"
        switch.write_text(nsswitch_conf(NSSWITCH_CONF.read_text(errors="replace")))
        sandbox.bind_file(switch, NSSWITCH_CONF)
    for directory in NSCD_SOCKET_DIRS:
        if sandbox.hide_directory(directory):
            break
    if unbound_conf is not None and UNBOUND_CONF.is_file():
        sandbox.bind_file(unbound_conf, UNBOUND_CONF)
