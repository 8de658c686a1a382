"""The four lab resolvers, each on its own loopback address inside the lab namespace.

A world on 127.X.0.0/16 has its resolvers on 127.0.X.1-4 (bind, knot, pdns, unbound): outside
every simulated prefix, apart from the edge, and different for every world, so worlds that
run side by side in one namespace (pytest-xdist workers) never share a resolver's address.
Imports: models, resolver, bind, knot, pdns, unbound.
"""

from __future__ import annotations

import ipaddress

from acns_dns.lab.bind import BindResolver
from acns_dns.lab.knot import KnotResolver
from acns_dns.lab.pdns import PdnsResolver
from acns_dns.lab.resolver import Resolver
from acns_dns.lab.unbound import UnboundResolver
from acns_dns.world.models import Network

KINDS: dict[str, type[Resolver]] = {cls.kind: cls for cls in
                                    (BindResolver, KnotResolver, PdnsResolver, UnboundResolver)}
FIRST_SPARE = 20  # 127.0.X.20 and up: free for resolvers of the user's own beside a world


def client_block(network: Network) -> str:
    """The /24 beside a world: 127.0.X.0/24 for the world on 127.X.0.0/16."""
    second = ipaddress.IPv4Network(network.prefix4).network_address.packed[1]
    return f"127.0.{second}.0/24"


def addresses_for(network: Network) -> dict[str, str]:
    """Where each lab resolver listens beside the world on ``network``."""
    block = ipaddress.IPv4Network(client_block(network))
    return {kind: str(block.network_address + i) for i, kind in enumerate(KINDS, start=1)}


def spare_address(network: Network, index: int = 0) -> str:
    """An address beside the world for a resolver of your own (``index`` 0-200)."""
    if not 0 <= index <= 200:
        raise ValueError(f"spare address index {index}: expected 0 to 200")
    return str(ipaddress.IPv4Network(client_block(network)).network_address + FIRST_SPARE + index)


# the lab's own world is on the default network: 127.0.53.1-4
ADDRESSES = addresses_for(Network())
