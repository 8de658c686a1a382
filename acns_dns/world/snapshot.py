"""Snapshots: the whole world saved to and loaded from one JSON file.

Writes are atomic (a temporary file in the same folder, fsync, rename, fsync of the folder),
so a crash mid-write leaves the previous snapshot intact. Loading a damaged or foreign file
raises ``SnapshotError`` naming the file, where in it and what is wrong, and builds nothing:
the JSON, the shape of each part, then every rule a world keeps (``integrity``).
Imports: errors, models, integrity.
"""

from __future__ import annotations

import json
import os
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from acns_dns.world import integrity
from acns_dns.world.errors import SnapshotError
from acns_dns.world.models import SNAPSHOT_FORMAT, World


def dumps(world: World) -> str:
    """The world as snapshot JSON text."""
    return world.model_dump_json(indent=1)


def save(world: World, path: str | os.PathLike[str]) -> Path:
    """Write ``world`` to ``path`` atomically; returns the path written."""
    return save_text(dumps(world), path)


def save_text(text: str, path: str | os.PathLike[str]) -> Path:
    """Write ``text`` to ``path`` atomically (and durably); returns the path written."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise SnapshotError(f"{target}: cannot write a snapshot there: {exc.strerror}") from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, target)
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def pack(world: World) -> bytes:
    """The world as compressed snapshot JSON: a copy to go back to, a fraction of its size and
    made in a fraction of the time a deep copy takes."""
    return zlib.compress(world.model_dump_json().encode(), 1)


def unpack(data: bytes) -> World:
    """A new world from ``pack``'s bytes."""
    return loads(zlib.decompress(data).decode(), "<packed world>")


def packed(world: World) -> Callable[[], World]:
    """A maker of copies of ``world`` as it is now (kept packed)."""
    data = pack(world)
    return lambda: unpack(data)


def loads(text: str, source: str = "<snapshot>") -> World:
    """Parse snapshot JSON text into a World.

    Raises:
        SnapshotError: naming ``source`` and what is wrong.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{source}: not a snapshot: damaged JSON at line {exc.lineno}: "
                            f"{exc.msg}") from None
    except RecursionError:
        raise SnapshotError(f"{source}: not a snapshot: nested too deeply") from None
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise SnapshotError(f"{source}: not an acns-dns snapshot (format {found!r}, "
                            f"expected {SNAPSHOT_FORMAT!r})")
    try:
        world = World.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise SnapshotError(f"{source}: damaged snapshot: {where}: {first['msg']}") from None
    except RecursionError:
        raise SnapshotError(f"{source}: not a snapshot: nested too deeply") from None
    found = integrity.problems(world)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise SnapshotError(f"{source}: damaged snapshot: {found[0]}{more}")
    return world


def load(path: str | os.PathLike[str]) -> World:
    """Read a snapshot file written by ``save``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: cannot read the snapshot: {exc}") from exc
    return loads(text, str(path))
