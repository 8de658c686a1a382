"""``acns_dns.testing``: the public entry point for resolver tests.

The helpers live in the lab layer (``acns_dns.lab.testing`` and ``acns_dns.lab.resolver``);
this module names the ones a resolver project imports, so that their home can move freely.
"""

from acns_dns.lab.resolver import ResolverError, Unbound, running_unbound
from acns_dns.lab.testing import PORT_RANGE, RunningWorld, random_network, running_world

__all__ = ["PORT_RANGE", "ResolverError", "RunningWorld", "Unbound", "random_network", "running_unbound",
           "running_world"]
