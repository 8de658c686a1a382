"""The query journal: what each simulated server was asked and what it answered.

Bounded (a ring of the newest entries), readable from the library, the API and tests
(pebble's DNS request history, per server). Appending is O(1) and takes no lock: the journal
is written from the event loop only. Imports: nothing from the package.
"""

from __future__ import annotations

import struct
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class JournalEntry:
    """One query and the answer's outline."""

    time: float
    server: str  # the address the query was sent to
    client: str  # "address:port"
    transport: str  # "udp" or "tcp"
    qname: str
    qtype: str
    rcode: str
    flags: str  # e.g. "qr aa" as dig prints them
    size: int  # answer size in octets

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return asdict(self)


_FLAG_NAMES = ((0x8000, "qr"), (0x0400, "aa"), (0x0200, "tc"), (0x0100, "rd"), (0x0080, "ra"),
               (0x0020, "ad"), (0x0010, "cd"))


def flags_text(data: bytes) -> str:
    """The header flags of a DNS message as dig prints them (``qr aa rd``)."""
    flags = struct.unpack_from("!H", data, 2)[0] if len(data) >= 4 else 0
    return " ".join(name for bit, name in _FLAG_NAMES if flags & bit)


def _flags_and_size(reply: bytes | tuple[object, ...]) -> tuple[str, int]:
    """What the journal shows of a stored reply (see ``_Raw``)."""
    if isinstance(reply, bytes):
        return flags_text(reply), len(reply)
    if len(reply) == 2:
        flags, size = reply
        return str(flags), int(size)  # type: ignore[call-overload]
    tail = reply[0]  # an answer cache entry: the reply after its 2-octet ID
    assert isinstance(tail, bytes)
    return flags_text(b"\0\0" + tail), len(tail) + 2


def _peer(client: str | tuple[object, ...]) -> str:
    if isinstance(client, str):
        return client
    return f"{client[0]}:{client[1]}" if len(client) >= 2 else str(client)


def _below(name: str, apexes: tuple[str, ...]) -> bool:
    return any(name == apex or name.endswith("." + apex) for apex in apexes)


# What is stored: the raw parts of an entry, (time, server, client, transport, (qname, qtype,
# rcode), the reply), the reply as its octets, as (flags, size), or as the answer cache's entry
# of a repeated query (its octets after the ID first: shared, so a busy server allocates no copy
# of each reply to journal it). Formatting waits until someone reads the journal, so recording
# costs the server one tuple and one append per query.
Outline = tuple[str, str, str]  # qname, qtype, rcode
_Raw = tuple[float, str, "str | tuple[object, ...]", str, Outline, "bytes | tuple[object, ...]"]


class QueryJournal:
    """The newest ``capacity`` entries across all servers."""

    def __init__(self, capacity: int = 10000) -> None:
        self._entries: deque[_Raw] = deque(maxlen=capacity)

    def record(self, server: str, client: str | tuple[object, ...], transport: str, qname: str,
               qtype: str, rcode: str, flags: str, size: int) -> None:
        """Append one entry (the oldest falls out when full)."""
        self._entries.append((time.time(), server, client, transport, (qname, qtype, rcode), (flags, size)))

    def record_reply(self, server: str, client: str | tuple[object, ...], transport: str, qname: str,
                     qtype: str, rcode: str, reply: bytes) -> None:
        """Append the entry for a reply; its flags are read from the reply when asked for."""
        self._entries.append((time.time(), server, client, transport, (qname, qtype, rcode), reply))

    def add(self, when: float, server: str, client: str | tuple[object, ...], transport: str,
            outline: Outline, reply: bytes | tuple[object, ...]) -> None:
        """``record_reply`` with the time given and the outline as one tuple (the per-query path);
        ``reply`` may be the answer cache's entry of a repeated query (see ``_Raw``)."""
        self._entries.append((when, server, client, transport, outline, reply))

    def entries(self, server: str | None = None, qname: str | None = None,
                limit: int | None = None, under: Iterable[str] | None = None) -> list[JournalEntry]:
        """Entries, oldest first, filtered by server address and/or qname (case-insensitive);
        with ``under``, only questions at or below one of those names (lower case, no dot)."""
        wanted = qname.lower().rstrip(".") if qname else None
        allowed = None if under is None else tuple(set(under))
        found = [e for e in self._iter() if (server is None or e.server == server)
                 and (wanted is None or e.qname.lower().rstrip(".") == wanted)
                 and (allowed is None or _below(e.qname.lower().rstrip("."), allowed))]
        return found[-limit:] if limit else found

    def appender(self) -> Callable[[_Raw], None]:
        """Append one raw entry: (time, server, client, transport, outline, reply) - what
        ``add`` appends, for a loop that records many queries in one wake-up."""
        return self._entries.append

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def _iter(self) -> Iterator[JournalEntry]:
        for when, server, client, transport, (qname, qtype, rcode), reply in list(self._entries):
            flags, size = _flags_and_size(reply)
            yield JournalEntry(when, server, _peer(client), transport, qname, qtype, rcode, flags, size)

    def __len__(self) -> int:
        return len(self._entries)
