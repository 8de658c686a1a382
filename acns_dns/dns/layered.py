"""Immutable mappings and sets that a change copies in time proportional to the change.

A ``Layered`` mapping is a shared base dict plus a small overlay of what changed since (a
removed key is a tombstone). ``with_changes`` returns a new mapping and leaves the old one as
it was, so a view built on it stays whole while a newer one is read. When the overlay grows
past ``COMPACT_AT`` entries it is folded into a fresh base: a full copy, once per that many
changes. ``LayeredSet`` is the same for sets of names; ``changed_keys`` tells two versions of
one mapping apart by their overlays. Imports: nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Set
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")
COMPACT_AT = 1024
_GONE: object = object()


class Layered(Mapping[K, V], Generic[K, V]):
    """A read-only mapping: ``base`` with ``overlay`` on top (never mutated once built)."""

    __slots__ = ("_base", "_overlay", "_len", "keys_token")

    def __init__(self, base: Mapping[K, V] | None = None) -> None:
        self._base: dict[K, V] = dict(base or {})
        self._overlay: dict[K, object] = {}
        self._len = len(self._base)
        self.keys_token = object()  # the same object while the set of keys stays the same

    def __getitem__(self, key: K) -> V:
        found = self._overlay.get(key, self)
        if found is self:
            return self._base[key]
        if found is _GONE:
            raise KeyError(key)
        return found  # type: ignore[return-value]

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        found = self._overlay.get(key, self)
        if found is self:
            return self._base.get(key, default)
        return default if found is _GONE else found  # type: ignore[return-value]

    def __contains__(self, key: object) -> bool:
        found = self._overlay.get(key, self)  # type: ignore[arg-type]
        if found is self:
            return key in self._base
        return found is not _GONE

    def __iter__(self) -> Iterator[K]:
        overlay = self._overlay
        for key in self._base:
            if overlay.get(key, self) is not _GONE:
                yield key
        for key, value in overlay.items():
            if value is not _GONE and key not in self._base:
                yield key

    def __len__(self) -> int:
        return self._len

    def with_changes(self, put: Mapping[K, V], drop: Iterable[K] = ()) -> Layered[K, V]:
        """A new mapping with ``put`` set and ``drop`` removed; this one is left unchanged."""
        overlay = dict(self._overlay)
        size = self._len
        same_keys = True
        for key in drop:
            if key in self and key not in put:
                overlay[key] = _GONE
                size -= 1
                same_keys = False
        for key, value in put.items():
            if key not in self:
                size += 1
                same_keys = False
            overlay[key] = value
        new: Layered[K, V] = Layered.__new__(Layered)
        if len(overlay) > COMPACT_AT:
            base = dict(self._base)
            for key, item in overlay.items():
                if item is _GONE:
                    base.pop(key, None)
                else:
                    base[key] = item  # type: ignore[assignment]
            new._base, new._overlay = base, {}
        else:
            new._base, new._overlay = self._base, overlay
        new._len = size
        new.keys_token = self.keys_token if same_keys else object()
        return new


def changed_keys(old: Mapping[K, V], new: Mapping[K, V]) -> set[K] | None:
    """The keys whose value (or presence) differs between ``old`` and ``new``, found from their
    overlays when one was made from the other by ``with_changes`` (same base); None otherwise.
    """
    if not (isinstance(old, Layered) and isinstance(new, Layered)) or old._base is not new._base:
        return None
    changed = set()
    for key in old._overlay.keys() | new._overlay.keys():
        there, here = key in old, key in new
        if there != here or (here and old[key] != new[key]):
            changed.add(key)
    return changed


class LayeredSet(Set[K], Generic[K]):
    """A read-only set built the same way (the names of a zone)."""

    __slots__ = ("_map",)

    def __init__(self, items: Iterable[K] = ()) -> None:
        self._map: Layered[K, bool] = Layered(dict.fromkeys(items, True))

    def __contains__(self, key: object) -> bool:
        return key in self._map

    def __iter__(self) -> Iterator[K]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def with_changes(self, add: Iterable[K], remove: Iterable[K] = ()) -> LayeredSet[K]:
        """A new set with ``add`` in and ``remove`` out; this one is left unchanged."""
        new: LayeredSet[K] = LayeredSet.__new__(LayeredSet)
        new._map = self._map.with_changes(dict.fromkeys(add, True), remove)
        return new
