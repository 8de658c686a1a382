"""Durable state: a snapshot, and an append-only journal of the operations made since.

``serve --state FILE`` keeps the world in two files: FILE, a snapshot (``snapshot.save``), and
FILE.journal, whose first line names the snapshot it follows (the SHA-256 of its text) and
whose every further line is one committed operation: its number, its name and its arguments,
as JSON. The registry's commit hook (``record``) writes the line and flushes it to disk
(fsync) before the operation is published or its caller told: a change that cannot be made
durable is refused (``NotDurable``, 503) and changes nothing, in memory, in DNS or on disk.

Now and then (when the journal has outgrown the snapshot, and at least ``COMPACT_BYTES``) the
world is written as a new snapshot and a new journal starts after it. A journal that names
another snapshot is one a crash left between those two steps: everything in it is in the
snapshot already, and it is not replayed; the state then starts a new journal, naming this
snapshot, before the first change (as it does when there is no journal). A whole new world
(a scenario load, a reset, a restore) is written as the snapshot at once, before it is served.

``open_state`` loads the snapshot (checked whole: ``snapshot.loads``, ``integrity``) and
replays the journal through the same operations a live change ran; only the world's own
operations can be named, so a journal cannot run anything else. A last line cut short (a
crash while it was written: never acknowledged) is dropped. A bad file is refused with one
line naming the file, where in it and what is wrong, and is left as it was: nothing is
written until the world has loaded cleanly. Temporary files a crash left are removed then.
Imports: errors, models, registry, snapshot, integrity (through snapshot), the operations
modules (by name, to replay them).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acns_dns.world import snapshot
from acns_dns.world.errors import AcnsError, NotDurable, SnapshotError
from acns_dns.world.models import World
from acns_dns.world.registry import Registry

log = logging.getLogger(__name__)

JOURNAL_FORMAT = "acns-dns/journal/1"
COMPACT_BYTES = 4 << 20  # the journal is folded into a new snapshot only past this size
OPERATION_MODULES = ("cloudflare_ops", "compound_ops", "custom_ns_ops", "fault_ops", "infrastructure",
                     "record_ops", "registrar_ops", "settings_ops", "tenant_ops", "zone_ops")


def journal_path(path: Path) -> Path:
    """Where the journal of the snapshot ``path`` lives."""
    return path.with_name(path.name + ".journal")


def operation_name(operation: Callable[..., Any]) -> str:
    """How the journal names an operation: ``<module>.<function>``."""
    return f"{operation.__module__.rsplit('.', 1)[-1]}.{operation.__name__}"


def resolve_operation(name: str) -> Callable[..., Any]:
    """The world operation a journal line names.

    Raises:
        ValueError: the name is not one of the world's operations.
    """
    module_name, _, function = name.partition(".")
    if module_name not in OPERATION_MODULES or not function or function.startswith("_"):
        raise ValueError(f"{name!r} is not an operation of the world")
    module = importlib.import_module(f"acns_dns.world.{module_name}")
    found = getattr(module, function, None)
    if not callable(found) or getattr(found, "__module__", "") != module.__name__:
        raise ValueError(f"{name!r} is not an operation of the world")
    return found  # type: ignore[no-any-return]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _header(digest: str) -> str:
    return json.dumps({"journal": JOURNAL_FORMAT, "snapshot": digest}) + "\n"


class State:
    """The snapshot and journal of one running world (see the module docstring)."""

    def __init__(self, path: Path, digest: str, snapshot_bytes: int, journal_due: bool = False) -> None:
        self.path = path
        self.journal = journal_path(path)
        self._digest = digest
        self._snapshot_bytes = snapshot_bytes
        self._registry: Registry | None = None
        self._handle: int | None = None
        self._journal_due = journal_due  # the snapshot is on disk, a journal naming it not yet
        self._size = 0
        self.seq = 0  # operations in the journal now

    # --- attaching ----------------------------------------------------------------------

    def attach(self, registry: Registry) -> None:
        """Journal every change ``registry`` commits, and snapshot every world it is given."""
        self._registry = registry
        try:  # from now on, the journal this process writes is the one on disk (_check_in_place)
            self._open_journal()
        except NotDurable as exc:
            log.warning("%s (every change will be refused until it can be written)", exc)
        registry.set_commit_hook(self.record)
        registry.set_replace_hook(self.replaced)

    def close(self) -> None:
        """Stop journaling (the files stay as they are)."""
        if self._registry is not None:
            self._registry.set_commit_hook(None)
            self._registry.set_replace_hook(None)
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None

    # --- writing ------------------------------------------------------------------------

    def record(self, operation: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Commit hook: append the operation and flush it to disk, or refuse it."""
        name = operation_name(operation)
        try:
            resolve_operation(name)
            line = json.dumps({"seq": self.seq + 1, "op": name, "args": list(args), "kwargs": kwargs},
                              separators=(",", ":"), allow_nan=False) + "\n"
        except (TypeError, ValueError) as exc:
            raise NotDurable(f"{name} cannot be written to the journal: {exc}") from exc
        self._append(line.encode())
        self.seq += 1
        if self._size > max(COMPACT_BYTES, self._snapshot_bytes) and self._registry is not None:
            try:
                self._new_snapshot(self._registry.world)
            except (OSError, AcnsError) as exc:  # the change is durable in the journal already
                log.warning("could not fold the journal into a new snapshot (it keeps growing): %s", exc)

    def _append(self, data: bytes) -> None:
        """Write ``data`` at the journal's end and flush it to disk; on failure cut it back."""
        handle = self._open_journal()
        try:
            self._check_in_place(handle)
            written = os.write(handle, data)
            if written != len(data):
                raise OSError(f"only {written} of {len(data)} bytes written")
            os.fsync(handle)
        except OSError as exc:
            try:
                os.ftruncate(handle, self._size)
            except OSError:
                self._drop_handle()  # the next change starts a checked journal, or fails the same way
            raise NotDurable(f"the change was not made: cannot write {self.journal}: "
                             f"{getattr(exc, 'strerror', None) or exc}") from exc
        self._size += len(data)

    def _open_journal(self) -> int:
        """The journal, opened for appending (made now when a new snapshot still needs it)."""
        if self._handle is not None:
            return self._handle
        try:
            if self._journal_due:
                snapshot.save_text(_header(self._digest), self.journal)
                self._journal_due = False
            handle = os.open(self.journal, os.O_WRONLY | os.O_APPEND)
        except (OSError, AcnsError) as exc:
            raise NotDurable(f"the change was not made: cannot open {self.journal}: "
                             f"{getattr(exc, 'strerror', None) or exc}") from exc
        self._handle, self._size = handle, os.fstat(handle).st_size
        return handle

    def _check_in_place(self, handle: int) -> None:
        """The journal still is the file this process writes: not removed, not replaced (a
        write to a removed file would succeed and be lost)."""
        try:
            on_disk = os.stat(self.journal)
        except OSError as exc:
            raise OSError(f"{self.journal} is gone ({exc.strerror})") from exc
        mine = os.fstat(handle)
        if (on_disk.st_dev, on_disk.st_ino) != (mine.st_dev, mine.st_ino):
            raise OSError(f"{self.journal} was replaced by another file")

    def _drop_handle(self) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None

    def replaced(self, world: World) -> None:
        """Replace hook: write ``world`` as the snapshot before it is served, or refuse it."""
        try:
            self._new_snapshot(world)
        except (OSError, AcnsError) as exc:
            raise NotDurable(f"the world was not replaced: cannot write {self.path}: "
                             f"{getattr(exc, 'strerror', None) or exc}") from exc

    def _new_snapshot(self, world: World) -> None:
        """``world`` as the snapshot, and an empty journal after it."""
        text = snapshot.dumps(world)
        snapshot.save_text(text, self.path)
        # from here on the snapshot holds everything: an old journal names the old snapshot
        self._digest, self._snapshot_bytes, self.seq = _digest(text), len(text.encode()), 0
        self._drop_handle()
        self._journal_due = True
        try:  # the snapshot is written: what it holds stands, whether its journal comes now or later
            self._open_journal()
        except NotDurable as exc:  # the next change makes the journal, or is refused
            log.warning("%s (every change will be refused until it can be written)", exc)


# --- opening ----------------------------------------------------------------------------------

def open_state(path: Path, fallback: Callable[[], World]) -> tuple[State, World]:
    """The world kept at ``path`` (its snapshot and journal replayed), or, when there is none,
    ``fallback()`` written there as the first snapshot; the state, ready to ``attach``.

    Raises:
        SnapshotError: one line naming the file, where in it and what is wrong; the files are
            left as they were.
    """
    if not path.exists():
        world = fallback()
        text = snapshot.dumps(world)
        try:
            snapshot.save_text(text, path)
            snapshot.save_text(_header(_digest(text)), journal_path(path))
        except OSError as exc:
            raise SnapshotError(f"{path}: cannot write the state there: {exc.strerror or exc}") from exc
        return State(path, _digest(text), len(text.encode())), world
    loaded = read_state(path)
    _tidy(path, loaded.torn)
    # a journal that does not follow this snapshot (none, or one a crash left naming the one
    # before) is replaced by a new one when attached: appended to, it would be skipped whole
    state = State(path, loaded.digest, loaded.snapshot_bytes, journal_due=not loaded.journal_follows)
    state.seq = loaded.seq
    return state, loaded.world


@dataclass(frozen=True)
class Loaded:
    """A state read from disk: the world, what its snapshot is, how much of the journal it took."""

    world: World
    digest: str
    snapshot_bytes: int
    seq: int
    torn: int | None  # where a torn last journal line starts (None: none)
    journal_follows: bool  # the journal names this snapshot (False: none, or an older one's)


def read_state(path: Path) -> Loaded:
    """The world kept at ``path``, read and replayed without writing anything.

    Raises:
        SnapshotError: as ``open_state``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: cannot read the state: {exc}") from exc
    digest = _digest(text)
    registry = Registry(snapshot.loads(text, str(path)))
    seq, torn, follows = _replay(journal_path(path), digest, registry)
    return Loaded(registry.world, digest, len(text.encode()), seq, torn, follows)


def _replay(journal: Path, digest: str, registry: Registry) -> tuple[int, int | None, bool]:
    """Apply the journal's operations; (how many, the length to cut a torn last line back to,
    whether the journal follows this snapshot at all)."""
    try:
        data = journal.read_bytes()
    except FileNotFoundError:
        return 0, None, False
    except OSError as exc:
        raise SnapshotError(f"{journal}: cannot read the journal: {exc.strerror or exc}") from exc
    lines = data.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    if not complete:
        return 0, None, False
    try:
        header = json.loads(complete[0])
    except (ValueError, RecursionError):
        raise SnapshotError(f"{journal}: line 1: not a journal header") from None
    if not isinstance(header, dict) or header.get("journal") != JOURNAL_FORMAT:
        raise SnapshotError(f"{journal}: line 1: not an acns-dns journal (expected {JOURNAL_FORMAT!r})")
    if header.get("snapshot") != digest:
        return 0, None, False  # it follows an older snapshot: all of it is in this one already
    for number, raw in enumerate(complete[1:], start=2):
        _apply(journal, number, raw, registry)
    torn = len(data) - len(tail) if tail else None
    return len(complete) - 1, torn, True


def _apply(journal: Path, number: int, raw: bytes, registry: Registry) -> None:
    where = f"{journal}: line {number}"
    try:
        entry = json.loads(raw)
    except (ValueError, RecursionError):
        raise SnapshotError(f"{where}: not JSON") from None
    if not isinstance(entry, dict) or not isinstance(entry.get("args"), list) or \
            not isinstance(entry.get("kwargs"), dict) or not isinstance(entry.get("op"), str):
        raise SnapshotError(f"{where}: expected an object with op, args and kwargs")
    try:
        operation = resolve_operation(entry["op"])
        registry.apply(operation, *entry["args"], **entry["kwargs"])
    except (ValueError, TypeError) as exc:
        raise SnapshotError(f"{where}: {exc}") from None
    except AcnsError as exc:
        raise SnapshotError(f"{where}: {entry['op']} no longer applies: {exc.message}") from None


def _tidy(path: Path, torn: int | None) -> None:
    """After a clean load: cut a torn last journal line, remove temporary files a crash left."""
    if torn is not None:
        with open(journal_path(path), "r+b") as journal:
            journal.truncate(torn)
            os.fsync(journal.fileno())
    for name in (path.name, journal_path(path).name):
        for temp in path.parent.glob(f".{name}.*.tmp"):
            temp.unlink(missing_ok=True)
