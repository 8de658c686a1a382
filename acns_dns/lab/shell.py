"""``acns-dns shell``, the outside half: check, bind the API's socket here, enter the namespace.

The page and the API must stay reachable from the host (a browser on the projector), but a
fresh network namespace has a loopback of its own. A socket keeps the namespace it was made
in, so the API's listening socket is bound here, before the process enters the user + network
+ mount namespace, and is passed in (``shell_world`` serves it). ``open_shell`` then replaces
this process with ``python -m acns_dns.lab.shell_world`` under ``unshare -rnm``: no process
stays behind out here. Imports: http_server (the API's socket), server (BindError), netns,
unbound.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import NoReturn

from acns_dns.api.http_server import api_address, listening_socket
from acns_dns.dns.server import BindError
from acns_dns.lab import netns
from acns_dns.lab.unbound import UnboundResolver

TOKEN_VARIABLE = "ACNS_DNS_SHELL_ADMIN_TOKEN"  # how the admin token reaches the inside


class ShellUnavailable(RuntimeError):
    """The shell cannot run here; the message says why and what to install or enable."""


class ApiBindError(RuntimeError):
    """The API's address cannot be bound; the message names it and the reason."""


@dataclass(frozen=True)
class ShellOptions:
    """What ``acns-dns shell`` was asked for."""

    scenario: str = "default"
    state: str | None = None
    api: str | None = "127.0.0.1:8053"  # HOST:PORT, or None for no API
    admin_token: str = ""
    command: str | None = None


def unavailable() -> str:
    """Empty when the shell can run here, else why not."""
    reason = netns.available("-rnm")
    if reason:
        return reason
    if not UnboundResolver.installed():
        return "unbound is not installed (Debian package 'unbound')"
    return ""


def api_socket(where: str) -> socket.socket:
    """A listening TCP socket on ``HOST:PORT`` (port 0: a free one), inheritable."""
    try:
        host, port = api_address(where)
        sock = listening_socket(host, port)
    except ValueError as exc:
        raise ApiBindError(str(exc)) from None
    except BindError as exc:
        raise ApiBindError(f"{exc}; choose another with --api HOST:PORT or use --no-api") from exc
    sock.set_inheritable(True)
    return sock


def open_shell(options: ShellOptions) -> NoReturn:
    """Bind the API's socket and become the shell's namespace (this process is replaced).

    Raises:
        ShellUnavailable: user namespaces or unbound are missing.
        ApiBindError: the API's address cannot be bound.
    """
    reason = unavailable()
    if reason:
        raise ShellUnavailable(reason)
    os.environ[TOKEN_VARIABLE] = options.admin_token  # not on the command line, which ps shows
    args = ["--scenario", options.scenario]
    if options.state:
        args += ["--state", options.state]
    if options.command is not None:
        args += ["--command", options.command]
    if options.api is not None:
        args += ["--api-fd", str(api_socket(options.api).detach())]
    netns.exec_inside("acns_dns.lab.shell_world", args)
