"""What one change to the world touched: the contract between the registry and its listeners.

An operation reports the parts of the world it changed, so the DNS layer recompiles only those
zones and servers and invalidates only their cached answers. The registry derives the
``Change`` from the operation's undo log (``touched``), so it covers whatever the operation
did, including what follows from it:

- ``zones``: apex names of Cloudflare zones whose served data may differ: the zones whose
  own object or records changed, zones that appeared or went away (the name of a deleted zone
  is in it; look it up to see whether it is still there), every zone whose apex NS RRset
  follows a custom nameserver set that gained, lost or reordered a name, and every zone that
  holds (or held) the read-only A/AAAA of such a name (the closest zone above it in an account
  that may use it). A zone's SOA, NS TTL and settings are part of its served data.
- ``tld_entries``: names of delegations (registered domains) and host objects (glue) whose
  registry entry changed, appeared or went away, in whichever TLD holds them; only those
  entries of that TLD's zone need recompiling.
- ``tlds``: TLD zones to recompile whole (a registry that appeared, or one whose own settings
  or servers changed).
- ``hosts``: ids of other DNS hosts whose zones or name servers changed.
- ``servers``: the set of simulated server addresses may differ (a custom nameserver came or
  went, a TLD or DNS host was added): re-derive which addresses serve what and which sockets
  are needed. It says nothing by itself about which zones changed.
- ``faults``: fault injection changed (``World.faults``: a server's faults, or what unheld
  addresses do). No zone changed: cached answers stay right, since faults act on the way out;
  the DNS layer re-reads which addresses misbehave.
- ``everything``: unknown extent (a scenario load, a snapshot restore, a part of the world the
  registry cannot place): recompile the whole view.

An empty change (accounts, tokens, tickets, released addresses, zone defaults) leaves every
answer as it was. The world a listener is given is the live one, changed in place by later
operations: a view must copy what it keeps, not hold on to model objects.
Imports: nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Change:
    """The parts of the world one committed operation touched."""

    zones: frozenset[str] = frozenset()  # Cloudflare zone apexes whose served data changed
    tlds: frozenset[str] = frozenset()  # TLD zones to recompile whole
    hosts: frozenset[str] = frozenset()  # other DNS hosts (by id) whose zones changed
    servers: bool = False  # simulated servers or their addresses appeared or went away
    everything: bool = False  # unknown extent: recompile the whole view
    # domains and host objects (by name) whose registry entry changed, in whichever TLD holds
    # them: only those entries of the TLD zone are recompiled (name ``tlds`` for a whole TLD)
    tld_entries: frozenset[str] = frozenset()
    faults: bool = False  # World.faults changed: which addresses misbehave, and how

    EVERYTHING: ClassVar[Change]

    def __or__(self, other: Change) -> Change:
        return Change(self.zones | other.zones, self.tlds | other.tlds, self.hosts | other.hosts,
                      self.servers or other.servers, self.everything or other.everything,
                      self.tld_entries | other.tld_entries, self.faults or other.faults)

    @property
    def empty(self) -> bool:
        """True when nothing that DNS serves changed (accounts, tokens, tickets only)."""
        return not (self.zones or self.tlds or self.hosts or self.servers or self.everything
                    or self.tld_entries or self.faults)


Change.EVERYTHING = Change(everything=True)
