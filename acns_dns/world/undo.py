"""The undo log: in-place changes to the world that can be taken back, so an operation is all
or nothing without copying the world.

Every list and dict inside a world model is a ``TrackedList`` / ``TrackedDict`` (the models
convert them when they are built or assigned), and every model attribute assignment goes
through ``note_attr``. While an ``UndoLog`` is active on the current thread, each first change
of an attribute, a dict key or a list records what it was; ``rollback`` puts it back, newest
first, and restores the order of dict keys and list items exactly. The log also keeps what was
touched (``entries``) so the registry can say what changed (``touched``). A container knows the
model holding it (``owner``, ``field``), so the owner hears of each change (``_container_changed``)
and can keep its indexes current, during an operation and while it is rolled back.
Imports: nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, SupportsIndex

MISSING: Any = object()  # "the key was absent" / "the attribute was unset"
_state = threading.local()


class UndoLog:
    """What one operation changed, oldest first, and how to take it back."""

    def __init__(self) -> None:
        self.undo: list[Callable[[], None]] = []
        self.entries: list[tuple[str, Any, Any, Any]] = []  # (kind, object, key, old value)
        self._seen: set[tuple[int, Any]] = set()
        self._keep: list[Any] = []  # keeps touched objects alive, so their ids stay unique

    def first(self, obj: object, key: Any) -> bool:
        """True the first time ``(obj, key)`` is seen in this log."""
        mark = (id(obj), key)
        if mark in self._seen:
            return False
        self._seen.add(mark)
        self._keep.append(obj)
        return True

    def rollback(self) -> None:
        """Undo every change, newest first (indexes follow through the owners' hooks)."""
        previous = getattr(_state, "log", None)
        _state.log = None
        try:
            for step in reversed(self.undo):
                step()
        finally:
            _state.log = previous
            self.undo.clear()


def active() -> UndoLog | None:
    """The log of the operation running on this thread, if any."""
    return getattr(_state, "log", None)


def begin() -> UndoLog:
    """Start recording on this thread (one log at a time)."""
    if active() is not None:
        raise RuntimeError("an undo log is already active on this thread")
    log = UndoLog()
    _state.log = log
    return log


def end() -> None:
    """Stop recording on this thread."""
    _state.log = None


def _notify(container: TrackedDict | TrackedList, key: Any, old: Any, new: Any) -> None:
    owner = container.owner
    if owner is not None:
        owner._container_changed(container.field, key, old, new)


def track(value: Any, owner: Any, field: str) -> Any:
    """``value`` as a tracked container held by ``owner.field`` (other values unchanged)."""
    kind = type(value)
    if kind is list or kind is TrackedList:
        if kind is TrackedList and value.owner is owner:
            return value
        tracked: TrackedList | TrackedDict = TrackedList(value)
    elif kind is dict or kind is TrackedDict:
        if kind is TrackedDict and value.owner is owner:
            return value
        tracked = TrackedDict(value)
    else:
        return value
    tracked.owner, tracked.field = owner, field
    return tracked


def note_attr(model: Any, name: str) -> None:
    """Record ``model.name`` before it is assigned (``model`` restores it on rollback)."""
    log = active()
    if log is None or not log.first(model, ("attr", name)):
        return
    old = model.__dict__.get(name, MISSING)
    fields_set = set(model.__pydantic_fields_set__)
    log.entries.append(("attr", model, name, old))

    def restore() -> None:
        if old is MISSING:
            model.__dict__.pop(name, None)
        else:
            model.__dict__[name] = old
        object.__setattr__(model, "__pydantic_fields_set__", fields_set)
        model._attr_changed(name)

    log.undo.append(restore)


class TrackedDict(dict[Any, Any]):
    """A dict whose changes go to the active undo log and to its owner."""

    __slots__ = ("owner", "field")
    owner: Any
    field: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner, self.field = None, ""

    def __deepcopy__(self, memo: dict[int, Any]) -> TrackedDict:
        from copy import deepcopy
        copy = TrackedDict()
        memo[id(self)] = copy
        dict.update(copy, ((deepcopy(k, memo), deepcopy(v, memo)) for k, v in self.items()))
        copy.owner, copy.field = deepcopy(self.owner, memo), self.field
        return copy

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        return (dict, (dict(self),))

    def _note(self, key: Any, removing: bool) -> None:
        log = active()
        if log is None:
            return
        if removing and dict.__contains__(self, key) and log.first(self, ("order",)):
            order = list(dict.keys(self))
            log.undo.append(lambda: self._reorder(order))
        if not log.first(self, ("key", key)):
            return
        old = dict.get(self, key, MISSING)
        log.entries.append(("dict", self, key, old))

        def restore() -> None:
            current = dict.get(self, key, MISSING)
            if old is MISSING:
                dict.pop(self, key, None)
            else:
                dict.__setitem__(self, key, old)
            _notify(self, key, current, old)

        log.undo.append(restore)

    def _reorder(self, order: list[Any]) -> None:
        if list(dict.keys(self)) == order:
            return
        items = [(key, dict.__getitem__(self, key)) for key in order if dict.__contains__(self, key)]
        items += [(key, value) for key, value in dict.items(self) if key not in set(order)]
        dict.clear(self)
        dict.update(self, items)
        _notify(self, None, MISSING, MISSING)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._note(key, False)
        old = dict.get(self, key, MISSING)
        dict.__setitem__(self, key, value)
        _notify(self, key, old, value)

    def __delitem__(self, key: Any) -> None:
        self._note(key, True)
        old = dict.__getitem__(self, key)
        dict.__delitem__(self, key)
        _notify(self, key, old, MISSING)

    def pop(self, key: Any, *default: Any) -> Any:
        if not dict.__contains__(self, key):
            if default:
                return default[0]
            raise KeyError(key)
        value = dict.__getitem__(self, key)
        del self[key]
        return value

    def popitem(self) -> tuple[Any, Any]:
        key = next(reversed(dict.keys(self)))
        return key, self.pop(key)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if not dict.__contains__(self, key):
            self[key] = default
        return dict.__getitem__(self, key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __ior__(self, other: Any) -> TrackedDict:  # type: ignore[misc]
        self.update(other)
        return self

    def clear(self) -> None:
        for key in list(dict.keys(self)):
            del self[key]


class TrackedList(list[Any]):
    """A list whose changes go to the active undo log and to its owner."""

    __slots__ = ("owner", "field")
    owner: Any
    field: str

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self.owner, self.field = None, ""

    def __deepcopy__(self, memo: dict[int, Any]) -> TrackedList:
        from copy import deepcopy
        copy = TrackedList()
        memo[id(self)] = copy
        list.extend(copy, (deepcopy(item, memo) for item in self))
        copy.owner, copy.field = deepcopy(self.owner, memo), self.field
        return copy

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        return (list, (list(self),))

    def _changing(self) -> None:
        log = active()
        if log is None or not log.first(self, ("list",)):
            return
        saved = list(self)
        log.entries.append(("list", self, None, saved))

        def restore() -> None:
            list.__setitem__(self, slice(None), saved)
            _notify(self, None, MISSING, MISSING)

        log.undo.append(restore)

    def append(self, value: Any) -> None:
        self._changing()
        list.append(self, value)
        _notify(self, None, MISSING, value)

    def remove(self, value: Any) -> None:
        self._changing()
        index = list.index(self, value)
        old = list.pop(self, index)
        _notify(self, None, old, MISSING)

    def pop(self, index: SupportsIndex = -1) -> Any:
        self._changing()
        old = list.pop(self, index)
        _notify(self, None, old, MISSING)
        return old

    def _bulk(self, change: Callable[[], Any]) -> Any:
        self._changing()
        result = change()
        _notify(self, None, MISSING, MISSING)
        return result

    def extend(self, values: Iterable[Any]) -> None:
        items = list(values)
        self._bulk(lambda: list.extend(self, items))

    def insert(self, index: SupportsIndex, value: Any) -> None:
        self._bulk(lambda: list.insert(self, index, value))

    def __setitem__(self, index: Any, value: Any) -> None:
        self._bulk(lambda: list.__setitem__(self, index, value))

    def __delitem__(self, index: Any) -> None:
        self._bulk(lambda: list.__delitem__(self, index))

    def __iadd__(self, values: Iterable[Any]) -> TrackedList:  # type: ignore[misc]
        self.extend(values)
        return self

    def __imul__(self, count: SupportsIndex) -> TrackedList:
        self._bulk(lambda: list.__imul__(self, count))
        return self

    def clear(self) -> None:
        self._bulk(lambda: list.clear(self))

    def sort(self, *args: Any, **kwargs: Any) -> None:
        self._bulk(lambda: list.sort(self, *args, **kwargs))

    def reverse(self) -> None:
        self._bulk(lambda: list.reverse(self))
