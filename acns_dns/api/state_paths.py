"""Where the simulator's routes may read and write files: inside the state directory only.

``/sim/snapshot`` writes a file, ``/sim/snapshot/restore`` and ``/sim/scenario`` read one: on a
shared machine those must not reach anything else the process may touch. A path is taken
relative to the state directory ``serve`` was given (``--state-dir``, else the folder of
``--state``), symbolic links followed, and refused with 400 naming it when it ends up outside
that directory, or on the running state's own files. Without a state directory no file is
read or written (a snapshot can still come back as JSON, a scenario be loaded by its name).
Imports: errors, fastapi.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request

from acns_dns.world.errors import InvalidInput


def confined(request: Request, given: str, purpose: str) -> Path:
    """``given`` as a path inside the state directory.

    Raises:
        InvalidInput: no state directory, a path outside it, or one of the running state's files.
    """
    folder: Path | None = request.app.state.state_dir
    if folder is None:
        raise InvalidInput(f"{given!r}: {purpose} files are read and written only in a state directory: "
                           "start serve with --state-dir DIR (or --state FILE)")
    base = folder.resolve()
    try:
        target = (base / given).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a NUL byte; a loop of links (3.11: RuntimeError)
        raise InvalidInput(f"{given!r} is not a usable file name: {exc}") from None
    if not target.is_relative_to(base):
        raise InvalidInput(f"{given!r} is outside the state directory {base}: {purpose} files stay in it")
    if target in request.app.state.state_files:
        raise InvalidInput(f"{given!r} is the running world's own state file: choose another name")
    return target
