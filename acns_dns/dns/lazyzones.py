"""Zones built when first asked for: what lets a world of many zones start and stay small.

The edge serves every Cloudflare zone, a hundred thousand in a large world. Compiling one
means indexing its RRsets and encoding each record to wire form; doing that for every zone at
start would cost seconds and gigabytes for zones nobody may ask about. So a view holds, per
edge zone, only a ``ZoneSource``: the records read from the world at one moment, never changed
afterwards. ``LazyZones`` maps apexes to zones like any other mapping of a view, and builds a
zone from its source (``zonedata.build_zone``) the first time it is read. Built zones are kept
in one ``BuiltZones`` cache, least recently used out first and bounded in zones, keyed by the
source itself: a change makes a new source, so a cached zone is never stale, and building
needs no lock on the world (the source is all it reads). A zone given as ``ZoneData`` (one a
change stamped with a new serial) is served as it is.

``LazyZones`` is immutable like ``layered.Layered``, whose overlay it uses: ``with_changes``
costs what it changes. Imports: layered, zonedata.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from acns_dns.dns.layered import Layered
from acns_dns.dns.zonedata import RR, ZoneData, build_zone

BUILT_ZONES = 20_000  # zones kept built across the process (about 5 kB each): a cache, not the world


@dataclass(frozen=True, eq=False)
class ZoneSource:
    """What one zone is built from: its apex and records, never changed once made (compared
    by identity: a change to the zone makes a new source)."""

    apex: str
    records: tuple[RR, ...]

    def build(self) -> ZoneData:
        """The zone (indexed and encoded) these records make."""
        return build_zone(self.apex, self.records)


class BuiltZones:
    """Zones built from their sources, the least recently used dropped beyond ``limit``.

    Safe from any thread: the lock is held only to look up or insert, never while building;
    two threads building one zone at once build equal zones and one of them is kept.
    """

    def __init__(self, limit: int = BUILT_ZONES) -> None:
        self.limit = limit
        self._zones: OrderedDict[ZoneSource, ZoneData] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0  # how many zones were built (a measure for tests and benchmarks)

    def get(self, source: ZoneSource) -> ZoneData:
        """The zone ``source`` makes, built now unless it is cached."""
        with self._lock:
            zone = self._zones.get(source)
            if zone is not None:
                self._zones.move_to_end(source)
                return zone
        zone = source.build()
        with self._lock:
            self.builds += 1
            self._zones[source] = zone
            while len(self._zones) > self.limit:
                self._zones.popitem(last=False)
        return zone

    def __len__(self) -> int:
        return len(self._zones)


BUILT = BuiltZones()  # one cache for every view of the process (keyed by source: no mix-ups)

Entry = ZoneData | ZoneSource


class LazyZones(Mapping[str, ZoneData]):
    """Zones by apex, each built from its source when first read (see the module docstring)."""

    __slots__ = ("_entries", "_built")

    def __init__(self, entries: Mapping[str, Entry] | Layered[str, Entry] | None = None,
                 built: BuiltZones = BUILT) -> None:
        self._entries: Layered[str, Entry] = entries if isinstance(entries, Layered) else Layered(entries)
        self._built = built

    def _zone(self, entry: Entry) -> ZoneData:
        return entry if isinstance(entry, ZoneData) else self._built.get(entry)

    def __getitem__(self, apex: str) -> ZoneData:
        return self._zone(self._entries[apex])

    def get(self, apex: str, default: ZoneData | None = None) -> ZoneData | None:  # type: ignore[override]
        entry = self._entries.get(apex)
        return default if entry is None else self._zone(entry)

    def __contains__(self, apex: object) -> bool:
        return apex in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def keys_token(self) -> object:
        """The same object while the set of apexes stays the same (``Layered.keys_token``)."""
        return self._entries.keys_token

    def entry(self, apex: str) -> Entry | None:
        """The zone as held: built, or its source (nothing is built)."""
        return self._entries.get(apex)

    def is_built(self, apex: str) -> bool:
        """True when the zone is held built (a stamped zone), not as a source."""
        return isinstance(self._entries.get(apex), ZoneData)

    def same_as(self, apex: str, other: LazyZones) -> bool:
        """True when ``other`` holds the same zone at ``apex``: the same entry, or sources with
        the same records (told without building either)."""
        mine, theirs = self._entries.get(apex), other._entries.get(apex)
        if mine is theirs:
            return True
        return (isinstance(mine, ZoneSource) and isinstance(theirs, ZoneSource)
                and mine.apex == theirs.apex and mine.records == theirs.records)

    def with_changes(self, put: Mapping[str, Entry], drop: Iterable[str] = ()) -> LazyZones:
        """A new mapping with ``put`` set and ``drop`` removed; this one is left unchanged."""
        return LazyZones(self._entries.with_changes(put, drop), self._built)
