"""Python's cyclic garbage collector, kept out of the way of a world being built.

Building or loading a world makes millions of long-lived objects and no garbage cycles; the
collector, run by the count of new objects, would walk all of them again and again (a world of
100,000 zones: about a third of its start). ``pause()`` (or the block ``paused()``) holds it off
while a world is built; once built, ``settle()`` moves everything then alive out of its sight
for good (``gc.freeze``) and lets it run again, so later collections only walk what changes
make. Imports: nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def pause() -> None:
    """No collection from now until ``settle`` (or ``resume``)."""
    gc.disable()


def settle() -> None:
    """Collect what building left behind, then keep what is alive out of the collector's sight
    for good (it lives as long as the process), and let it run again."""
    gc.collect()
    gc.freeze()
    gc.enable()


@contextmanager
def paused() -> Iterator[None]:
    """No collection while the block runs (the collector's state is restored after)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
