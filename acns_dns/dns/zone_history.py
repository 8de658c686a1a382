"""SOA serials that move with every change to a zone, and the bounded history IXFR serves.

``ZoneHistory.stamp(view)`` takes a freshly compiled view and returns it with every zone's
SOA serial set: a zone whose served content (records, delegations, glue) is the same as last
time keeps its serial; one that changed gets the next serial (RFC 1982 §3.1 addition, so it
is "greater" for every secondary holding the old one) and a ``Delta`` - the records removed
and added, in zone-file form - is kept for IXFR (RFC 1995 §4). The history of each zone is
bounded in entries and in records; a secondary asking from older serials gets the whole zone.

A zone is known by (role, host, apex): the Cloudflare edge serves the same zones on every
branded and ACNS address, so one serial per zone there; another host's zones are its own.
Serials start from the compiled SOA (what a zone file export of the same world holds) and
live as long as the process: a restarted acns-dns starts again from the compiled serials.
Only the zones a change compiled anew are looked at (``stamp(view, compiled)``), so stamping
costs what the change touched, and so does a delta (``zone_delta``). Imports: view, zonedata,
layered, lazyzones, zone_delta, export (the zone-file form).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from acns_dns.dns import export, zone_delta
from acns_dns.dns.layered import Layered
from acns_dns.dns.lazyzones import LazyZones
from acns_dns.dns.view import RR, Role, Server, ServerTable, View, ZoneData, replace_zones
from acns_dns.dns.zonedata import _negative_or_none

Key = tuple[str, str, str]  # (role, host name for other hosts else "", apex)
SERIAL_SPACE = 1 << 32  # RFC 1982 §2: SERIAL_BITS = 32
HISTORY_ENTRIES = 64  # deltas kept per zone
HISTORY_RECORDS = 200_000  # records kept in the deltas of one zone, at most
NOTHING: frozenset[str] = frozenset()  # what is served alongside, when no delta needs to know


def serial_of(soa: RR) -> int:
    """The SERIAL field of an SOA record's rdata (RFC 1035 §3.3.13)."""
    return int(soa.rdata.split()[2])


def next_serial(serial: int) -> int:
    """``serial`` + 1 in serial number arithmetic (RFC 1982 §3.1); 0 is skipped, as BIND does."""
    following = (serial + 1) % SERIAL_SPACE
    return following or 1


def serial_lt(a: int, b: int) -> bool:
    """``a`` < ``b`` in serial number arithmetic (RFC 1982 §3.2)."""
    return a != b and ((a < b and b - a < 1 << 31) or (a > b and a - b > 1 << 31))


def key_for(server: Server, apex: str) -> Key:
    """Which zone ``apex`` served by ``server`` is, across servers and views."""
    return (server.role.value, server.label if server.role is Role.HOST else "", apex)


@dataclass(frozen=True)
class Delta:
    """One change of a zone: from ``old_soa`` to ``new_soa``, what went and what came."""

    old_soa: RR
    new_soa: RR
    removed: tuple[RR, ...]
    added: tuple[RR, ...]


@dataclass
class _Tracked:
    source: ZoneData  # as compiled, with the compiled serial
    stamped: ZoneData  # as served, with our serial
    alongside: frozenset[str]
    deltas: deque[Delta]


def _with_serial(zone: ZoneData, serial: int) -> ZoneData:
    fields = zone.soa.rdata.split()
    if int(fields[2]) == serial:
        return zone
    fields[2] = str(serial)
    soa = RR(zone.soa.name, "SOA", zone.soa.ttl, " ".join(fields))
    soa.encoded()
    rrsets = dict(zone.rrsets)
    rrsets[(zone.apex, "SOA")] = (soa,)
    return dataclasses.replace(zone, rrsets=MappingProxyType(rrsets), soa=soa,
                               negative=_negative_or_none(soa))


def transferable(zone: ZoneData, alongside: frozenset[str] | Mapping[str, object]) -> list[RR]:
    """What a secondary gets for ``zone``: its zone-file records, SOA first."""
    return export.zone_records(zone, alongside)


class ZoneHistory:
    """Serials and deltas of every zone one DNS server has served.

    Args:
        entries: deltas kept per zone.
        records: records kept in one zone's deltas, at most.
        keep_deltas: keep what each change removed and added, for IXFR; without it (nobody may
            transfer) serials still move, and a change costs no comparison of zone files.
    """

    def __init__(self, entries: int = HISTORY_ENTRIES, records: int = HISTORY_RECORDS,
                 keep_deltas: bool = True) -> None:
        self.entries, self.records, self.keep_deltas = entries, records, keep_deltas
        self._zones: dict[Key, _Tracked] = {}
        self._groups: dict[str, tuple[object | None, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def stamp(self, view: View, compiled: Iterable[tuple[str, str]] | None = None,
              previous: View | None = None) -> tuple[View, list[Key]]:
        """``view`` with the serial of every zone in ``compiled`` ((group, apex); None: every
        zone) set, and the zones whose serial moved. ``previous`` is the view ``compiled`` was
        compiled after: a zone seen for the first time is compared with what it served there.

        Zones a view builds only when read (``lazyzones``) are not built here unless they
        changed: one never changed keeps the serial it was compiled with, and is tracked from
        its first change on, so stamping costs what a change touched at any world size.
        """
        servers = view.servers
        if not isinstance(servers, ServerTable):
            return view, []
        with self._lock:
            wanted = self._wanted(view, compiled, previous)
            changed: list[Key] = []
            replaced: dict[tuple[str, str], ZoneData] = {}
            for group, apexes in wanted.items():
                server, zones = view.first_of.get(group), servers.groups.get(group)
                if server is None or zones is None:
                    continue
                alongside = self._alongside(group, zones) if self.keep_deltas else NOTHING
                for apex in apexes:
                    zone = zones.get(apex)
                    if zone is None:
                        continue
                    key = key_for(server, apex)
                    if key not in self._zones:
                        self._first_seen(key, group, apex, previous)
                    stamped = self._stamp_zone(key, zone, alongside, changed)
                    if stamped is not zone:
                        replaced[(group, apex)] = stamped
            return (replace_zones(view, replaced) if replaced else view), changed

    def _wanted(self, view: View, compiled: Iterable[tuple[str, str]] | None,
                previous: View | None) -> dict[str, list[str]]:
        """The zones to stamp, by group: those compiled, or (a whole new view) every zone held
        built, every zone already tracked and every zone whose records differ from what
        ``previous`` held (compared as records: nothing is built to tell)."""
        wanted: dict[str, list[str]] = {}
        if compiled is not None:
            for group, apex in compiled:
                wanted.setdefault(group, []).append(apex)
            return wanted
        tracked: dict[tuple[str, str], list[str]] = {}
        for role, host, apex in self._zones:
            tracked.setdefault((role, host), []).append(apex)
        for group, zones in view.servers.groups.items():  # type: ignore[attr-defined]
            server = view.first_of.get(group)
            if not isinstance(zones, LazyZones) or server is None:
                wanted[group] = list(zones)
                continue
            role, host, _ = key_for(server, "")
            before = _groups(previous).get(group)
            wanted[group] = [apex for apex in zones if zones.is_built(apex) or (
                isinstance(before, LazyZones) and apex in before and not zones.same_as(apex, before))]
            wanted[group] += [apex for apex in tracked.get((role, host), ()) if apex in zones]
        return wanted

    def _first_seen(self, key: Key, group: str, apex: str, previous: View | None) -> None:
        """Track ``key`` from what ``previous`` served (a zone changed for the first time)."""
        zones = _groups(previous).get(group)
        old = zones.get(apex) if zones is not None else None
        if zones is not None and old is not None:
            alongside = self._alongside(group, zones) if self.keep_deltas else NOTHING
            self._zones[key] = _Tracked(old, old, alongside, deque(maxlen=self.entries))

    def _alongside(self, group: str, zones: Mapping[str, ZoneData]) -> frozenset[str]:
        """The apexes a group serves, as the same object while they stay the same (an edge of
        many zones is not listed again unless zones came or went)."""
        token = zones.keys_token if isinstance(zones, (Layered, LazyZones)) else None
        known = self._groups.get(group)
        if known is not None and token is not None and known[0] is token:
            return known[1]
        found = frozenset(zones)
        if known is not None and known[1] == found:
            found = known[1]
        self._groups[group] = (token, found)
        return found

    def _stamp_zone(self, key: Key, zone: ZoneData, alongside: frozenset[str],
                    changed: list[Key]) -> ZoneData:
        tracked = self._zones.get(key)
        if tracked is None:
            self._zones[key] = _Tracked(zone, zone, alongside, deque(maxlen=self.entries))
            return zone
        same_alongside = alongside is tracked.alongside or alongside == tracked.alongside
        if zone is tracked.stamped or (same_alongside and self._same(tracked, zone)):
            return tracked.stamped
        old = tracked.stamped
        new = _with_serial(zone, next_serial(serial_of(old.soa)))
        if self.keep_deltas:  # from what was served to the change (the SOA is left out)
            removed, added = zone_delta.delta(old, zone, tracked.alongside, alongside)
            tracked.deltas.append(Delta(old.soa, new.soa, tuple(sorted(removed, key=_order)),
                                        tuple(sorted(added, key=_order))))
            while sum(len(d.removed) + len(d.added) for d in tracked.deltas) > self.records:
                tracked.deltas.popleft()
        tracked.source, tracked.stamped, tracked.alongside = zone, new, alongside
        changed.append(key)
        return new

    @staticmethod
    def _same(tracked: _Tracked, zone: ZoneData) -> bool:
        """Whether ``zone`` holds what was compiled last time: told from the zone served when
        ``zone`` was patched from it (a registry entry), else by comparing the records."""
        patched = zone_delta.unchanged_by_entries(tracked.stamped, zone)
        return patched if patched is not None else zone_delta.unchanged(tracked.source, zone)

    def deltas_since(self, key: Key, serial: int, current: int) -> list[Delta] | None:
        """The deltas from ``serial`` up to ``current``, or None when history does not reach."""
        with self._lock:
            tracked = self._zones.get(key)
            deltas = list(tracked.deltas) if tracked is not None else []
        for index, delta in enumerate(deltas):
            if serial_of(delta.old_soa) == serial:
                path = deltas[index:]
                return path if path and serial_of(path[-1].new_soa) == current else None
        return None

    def serial(self, key: Key) -> int | None:
        """The serial zone ``key`` is served with now (None: never seen)."""
        tracked = self._zones.get(key)
        return None if tracked is None else serial_of(tracked.stamped.soa)


def _groups(view: View | None) -> Mapping[str, Mapping[str, ZoneData]]:
    """The zones of each server group of ``view`` (none without a view)."""
    servers = view.servers if view is not None else None
    return servers.groups if isinstance(servers, ServerTable) else {}


def _order(rr: RR) -> tuple[tuple[str, ...], str, str]:
    return (tuple(reversed(rr.name.split("."))), rr.rtype, rr.rdata)
