"""What one change to the world touched: the contract between the registry and its listeners.

An operation reports the parts of the world it changed, so the DNS layer recompiles only those
zones and servers and invalidates only their cached answers. ``Change.EVERYTHING`` (a scenario
load, a snapshot restore, an operation that cannot say) means: rebuild all.
Imports: nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Change:
    """The parts of the world one committed operation touched."""

    zones: frozenset[str] = frozenset()  # Cloudflare zone apexes whose served data changed
    tlds: frozenset[str] = frozenset()  # TLD zones whose delegations or glue changed
    hosts: frozenset[str] = frozenset()  # other DNS hosts (by id) whose zones changed
    servers: bool = False  # simulated servers or their addresses appeared or went away
    everything: bool = False  # unknown extent: recompile the whole view

    EVERYTHING: ClassVar[Change]

    def __or__(self, other: Change) -> Change:
        return Change(self.zones | other.zones, self.tlds | other.tlds, self.hosts | other.hosts,
                      self.servers or other.servers, self.everything or other.everything)

    @property
    def empty(self) -> bool:
        """True when nothing that DNS serves changed (accounts, tokens, tickets only)."""
        return not (self.zones or self.tlds or self.hosts or self.servers or self.everything)


Change.EVERYTHING = Change(everything=True)
