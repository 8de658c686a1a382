"""Asking one simulated server one question, as an outside tool would (dnspython, sockets).

Owns the outcome of a single query: the response, or why there was none — nothing listens
at the address (a connected UDP socket hears the ICMP port-unreachable at once), a timeout,
or a reply that could not be parsed. Retries over TCP when the UDP answer is truncated
(RFC 7766 §5). ``asking_from`` makes the queries of a block (in one thread) leave from a
chosen local address, so whoever reads the query journal can tell them apart.
Used by ``trace`` and ``check``. Imports: nothing from the package.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset

EDNS_PAYLOAD = 1232  # DNS Flag Day 2020 default
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
    """What one server said, or why it said nothing (``response`` is None then)."""

    address: str
    response: dns.message.Message | None
    failure: str = ""
    transport: str = "udp"

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
    if tcp:
        return _ask_tcp(address, port, query, timeout)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            source = _source_for(address)
            if source is not None:
                sock.bind((source, 0))
            sock.connect((address, port))
            sock.send(query.to_wire())
            wire = sock.recv(65535)
        except ConnectionRefusedError:
            return Reply(address, None, f"nothing listens at {address} port {port} (port unreachable)")
        except TimeoutError:
            return Reply(address, None, f"no answer from {address} within {timeout:g} s")
        except OSError as exc:
            return Reply(address, None, f"cannot reach {address}: {exc.strerror or exc}")
    try:
        response = dns.message.from_wire(wire, question_only=False)
    except dns.exception.DNSException as exc:
        return Reply(address, None, f"unparseable reply from {address}: {exc}")
    if response.flags & dns.flags.TC:
        return _ask_tcp(address, port, query, timeout)
    return Reply(address, response)


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
        return Reply(address, None, f"nothing listens at {address} port {port} over TCP", "tcp")
    except (OSError, dns.exception.DNSException) as exc:
        return Reply(address, None, f"TCP query to {address} failed: {exc}", "tcp")
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
