"""``acns_dns.testing``: the public entry point for resolver tests, and the pytest plugin.

Installed with acns-dns, pytest loads this module as a plugin (entry point ``pytest11``):
the fixtures ``acns_world``, ``acns_resolver``, ``acns_resolvers``, ``acns_api`` and
``acns_journal``, the markers ``acns_scenario`` and ``acns_resolver``, and the option
``--acns-netns`` (see ``acns_dns.lab.pytest_plugin``). Outside pytest, the context managers
``running_world``, ``running_resolver`` and ``running_resolvers`` do the same. The helpers
live in the lab layer; they are imported when first named, so that loading the plugin costs
pytest sessions that never use it almost nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from acns_dns.lab.api_access import ApiAccess
    from acns_dns.lab.glue import Assigned
    from acns_dns.lab.resolver import Outcome, Resolver, ResolverError
    from acns_dns.lab.resolver_harness import NotInstalled, running_resolver, running_resolvers
    from acns_dns.lab.testing import PORT_RANGE, RunningWorld, random_network, running_world

_HOMES = {
    "ApiAccess": "acns_dns.lab.api_access",
    "Assigned": "acns_dns.lab.glue",
    "NotInstalled": "acns_dns.lab.resolver_harness",
    "Outcome": "acns_dns.lab.resolver",
    "PORT_RANGE": "acns_dns.lab.testing",
    "Resolver": "acns_dns.lab.resolver",
    "ResolverError": "acns_dns.lab.resolver",
    "RunningWorld": "acns_dns.lab.testing",
    "random_network": "acns_dns.lab.testing",
    "running_resolver": "acns_dns.lab.resolver_harness",
    "running_resolvers": "acns_dns.lab.resolver_harness",
    "running_world": "acns_dns.lab.testing",
}

__all__ = ["PORT_RANGE", "ApiAccess", "Assigned", "NotInstalled", "Outcome", "Resolver", "ResolverError",
           "RunningWorld", "random_network", "running_resolver", "running_resolvers", "running_world"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


try:
    import pytest  # noqa: F401  (the plugin is pytest's; the helpers above work without it)
except ImportError:
    pass
else:
    from acns_dns.lab.pytest_plugin import (  # noqa: F401  (pytest finds hooks and fixtures here)
        acns_api,
        acns_journal,
        acns_resolver,
        acns_resolvers,
        acns_world,
        pytest_addoption,
        pytest_configure,
        pytest_report_header,
    )
