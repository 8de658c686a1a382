"""The four lab resolvers, each on its own loopback address inside the lab namespace.

Imports: resolver, bind, knot, pdns, unbound.
"""

from __future__ import annotations

from acns_dns.lab.bind import BindResolver
from acns_dns.lab.knot import KnotResolver
from acns_dns.lab.pdns import PdnsResolver
from acns_dns.lab.resolver import Resolver
from acns_dns.lab.unbound import UnboundResolver

KINDS: dict[str, type[Resolver]] = {cls.kind: cls for cls in
                                    (BindResolver, KnotResolver, PdnsResolver, UnboundResolver)}
# outside the simulated prefixes (127.53.0.0/16 by default) and apart from the edge (127.0.0.1)
ADDRESSES = {"bind": "127.0.53.1", "knot": "127.0.53.2", "pdns": "127.0.53.3", "unbound": "127.0.53.4"}
