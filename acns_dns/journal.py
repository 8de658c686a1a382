"""The query journal: what each simulated server was asked and what it answered.

Bounded (a ring of the newest entries), readable from the library, the API and tests
(pebble's DNS request history, per server). Appending is O(1) and takes no lock: the journal
is written from the event loop only. Imports: nothing from the package.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
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


class QueryJournal:
    """The newest ``capacity`` entries across all servers."""

    def __init__(self, capacity: int = 10000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)

    def record(self, server: str, client: str, transport: str, qname: str, qtype: str,
               rcode: str, flags: str, size: int) -> None:
        """Append one entry (the oldest falls out when full)."""
        self._entries.append(JournalEntry(time.time(), server, client, transport, qname, qtype,
                                          rcode, flags, size))

    def entries(self, server: str | None = None, qname: str | None = None,
                limit: int | None = None) -> list[JournalEntry]:
        """Entries, oldest first, filtered by server address and/or qname (case-insensitive)."""
        wanted = qname.lower().rstrip(".") if qname else None
        found = [e for e in self._iter() if (server is None or e.server == server)
                 and (wanted is None or e.qname.lower().rstrip(".") == wanted)]
        return found[-limit:] if limit else found

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def _iter(self) -> Iterator[JournalEntry]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)
