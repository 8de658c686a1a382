"""Asking one simulated server one question, as an outside tool would (dnspython, sockets).

Owns the outcome of a single query: the response, or why there was none — nothing listens at
the address (the ICMP port-unreachable is heard at once: ``IP_RECVERR``), silence until the
timeout, a reply from another address than the one asked (ignored, as a resolver must: RFC 5452
§9.1), or a reply that could not be parsed — and how long it took. Retries over TCP when the
UDP answer is truncated (RFC 7766 §5), and says so. ``asking_from`` makes the queries of a
block (in one thread) leave from a chosen local address, so whoever reads the query journal can
tell them apart. Used by ``trace`` and ``check``. Imports: nothing from the package.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset

EDNS_PAYLOAD = 1232  # DNS Flag Day 2020 default
IP_RECVERR, IPV6_RECVERR = 11, 25  # Linux: ICMP errors reach an unconnected UDP socket too
MAX_DATAGRAMS = 16  # replies from other addresses read while waiting for the one asked
_SOURCE: contextvars.ContextVar[str | None] = contextvars.ContextVar("probe_source", default=None)


@contextlib.contextmanager
def asking_from(source: str | None) -> Iterator[None]:
    """IPv4 queries sent in this block (in this thread or task) leave from ``source``."""
    token = _SOURCE.set(source)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def _source_for(address: str) -> str | None:
    source = _SOURCE.get()
    return source if source is not None and ":" not in address else None


@dataclass(frozen=True)
class Reply:
    """What one server said, or why it said nothing (``response`` is None then).

    ``problem`` names why: ``unreachable`` (nothing listens: refused at once), ``timeout``
    (silence), ``other-source`` (silence from the address asked, but a reply came from
    another, ``stranger``), ``unparseable``, ``tcp``; ``truncated`` says the UDP answer had TC=1
    and this one came over TCP; ``seconds`` is how long the whole question took.
    """

    address: str
    response: dns.message.Message | None
    failure: str = ""
    transport: str = "udp"
    problem: str = ""
    seconds: float = 0.0
    truncated: bool = False
    stranger: str = ""

    @property
    def rcode(self) -> str:
        """The rcode mnemonic, or ``"-"`` without a response."""
        return dns.rcode.to_text(self.response.rcode()) if self.response is not None else "-"

    @property
    def authoritative(self) -> bool:
        """AA set in the response."""
        return self.response is not None and bool(self.response.flags & dns.flags.AA)


def ask(address: str, port: int, qname: str, qtype: str, *, timeout: float = 1.0,
        tcp: bool = False) -> Reply:
    """Send one non-recursive query (RD=0) to ``address:port``; never raises for network errors."""
    query = dns.message.make_query(qname, qtype, use_edns=0, payload=EDNS_PAYLOAD)
    query.flags &= ~dns.flags.RD
    started = time.monotonic()
    if tcp:
        found = _ask_tcp(address, port, query, timeout)
    else:
        found = _ask_udp(address, port, query, timeout)
        if found.response is not None and found.response.flags & dns.flags.TC:
            found = replace(_ask_tcp(address, port, query, timeout), truncated=True)
    return replace(found, seconds=round(time.monotonic() - started, 3))


def _ask_udp(address: str, port: int, query: dns.message.Message, timeout: float) -> Reply:
    """One question over UDP from an unconnected socket, so a reply from another address is
    seen (and ignored) rather than filtered out by the kernel."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    deadline = time.monotonic() + timeout
    strangers: list[str] = []
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        with contextlib.suppress(OSError):  # Linux only; elsewhere an unreachable port is a timeout
            sock.setsockopt(*((socket.IPPROTO_IPV6, IPV6_RECVERR) if family == socket.AF_INET6
                              else (socket.IPPROTO_IP, IP_RECVERR)), 1)
        try:
            source = _source_for(address)
            if source is not None:
                sock.bind((source, 0))
            sock.sendto(query.to_wire(), (address, port))
            wire = b""
            for _ in range(MAX_DATAGRAMS):
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                data, peer = sock.recvfrom(65535)
                if _same(str(peer[0]), address) and peer[1] == port:
                    wire = data
                    break
                strangers.append(str(peer[0]))  # RFC 5452 §9.1: not from the address asked
            else:
                raise TimeoutError
        except ConnectionRefusedError:
            return Reply(address, None, f"nothing listens at {address} port {port} (port unreachable)",
                         problem="unreachable")
        except TimeoutError:
            if strangers:
                return Reply(address, None, f"no answer from {address} within {timeout:g} s; a reply came "
                             f"from {strangers[0]} instead, and a resolver ignores a reply from an address "
                             "it did not ask (RFC 5452 §9.1)", problem="other-source", stranger=strangers[0])
            return Reply(address, None, f"no answer from {address} within {timeout:g} s", problem="timeout")
        except OSError as exc:
            return Reply(address, None, f"cannot reach {address}: {exc.strerror or exc}",
                         problem="unreachable")
    try:
        response = dns.message.from_wire(wire, question_only=False)
    except dns.exception.DNSException as exc:
        return Reply(address, None, f"unparseable reply from {address}: {exc}", problem="unparseable")
    return Reply(address, response)


def _same(one: str, other: str) -> bool:
    try:
        return ipaddress.ip_address(one) == ipaddress.ip_address(other)
    except ValueError:
        return one == other


def wait_answering(address: str, port: int, qname: str = ".", qtype: str = "SOA", *, within: float,
                   alive: Callable[[], bool] = lambda: True) -> bool:
    """Poll until the server at ``address:port`` answers at all (any rcode); False when
    ``within`` seconds pass first, or as soon as ``alive()`` says the server has exited."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and alive():
        if ask(address, port, qname, qtype, timeout=0.2).response is not None:
            return True
        time.sleep(0.05)
    return False


def _ask_tcp(address: str, port: int, query: dns.message.Message, timeout: float) -> Reply:
    try:
        response = dns.query.tcp(query, address, port=port, timeout=timeout, source=_source_for(address))
    except ConnectionRefusedError:
        return Reply(address, None, f"nothing listens at {address} port {port} over TCP", "tcp",
                     "unreachable")
    except (TimeoutError, dns.exception.Timeout):
        return Reply(address, None, f"no answer from {address} over TCP within {timeout:g} s", "tcp",
                     "timeout")
    except (OSError, dns.exception.DNSException) as exc:
        return Reply(address, None, f"TCP query to {address} failed: {exc}", "tcp", "tcp")
    return Reply(address, response, transport="tcp")


def rrsets(section: list[dns.rrset.RRset], rdtype: str, name: str | None = None) -> list[dns.rrset.RRset]:
    """The RRsets of one type (and owner, when given) in a message section."""
    wanted = dns.rdatatype.from_text(rdtype)
    return [rrset for rrset in section if rrset.rdtype == wanted
            and (name is None or rrset.name.to_text(omit_final_dot=True).lower() == name)]


def ns_names(section: list[dns.rrset.RRset]) -> list[str]:
    """The name server names of the NS RRsets in a section, lower case, in order."""
    return [rdata.target.to_text(omit_final_dot=True).lower()
            for rrset in rrsets(section, "NS") for rdata in rrset]


def addresses(message: dns.message.Message, name: str) -> list[str]:
    """A and AAAA addresses for ``name`` in the additional section (the glue)."""
    found: list[str] = []
    for rdtype in ("A", "AAAA"):
        for rrset in rrsets(message.additional, rdtype, name):
            found.extend(rdata.to_text() for rdata in rrset)
    return found
