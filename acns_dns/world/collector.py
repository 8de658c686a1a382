"""Python's cyclic garbage collector, kept out of the way of a world being built.

Building or loading a world makes millions of long-lived objects and no garbage cycles; the
collector, run by the count of new objects, would walk all of them again and again (a world of
100,000 zones: about a third of its start). ``pause()`` holds it off while a world is built;
once built, ``settle()`` moves everything then alive out of its sight (``gc.freeze``) and lets
it run again, so later collections only walk what changes make. What was hidden stays hidden
while that world is served; ``thaw_once_replaced`` gives it back to the collector once another
world replaces it (a scenario load, a reset, a restore), since a world's parts refer to each
other and, hidden, would never be freed. Imports: nothing.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable


def pause() -> None:
    """No collection from now until ``settle``."""
    gc.disable()


def settle() -> None:
    """Collect what building left behind, then keep what is alive out of the collector's
    sight, and let it run again."""
    gc.collect()
    gc.freeze()
    gc.enable()


def thaw_once_replaced(start: object) -> Callable[[object, object], None]:
    """A registry listener that gives what ``settle`` hid back to the collector as soon as a
    world other than ``start`` is published (then ``start`` can be freed)."""
    served = weakref.ref(start)  # the listener must not keep it alive itself

    def listener(world: object, change: object) -> None:
        if world is not served():
            gc.unfreeze()  # cheap: the hidden objects join the oldest generation

    return listener
