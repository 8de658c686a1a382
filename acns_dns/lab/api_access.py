"""Where a test reaches a running world's HTTP API, and with which token.

``ApiAccess.of(world)`` gives the base URL the official ``cloudflare`` SDK takes
(``.../client/v4``), a token of the scenario's first account (the admin token when the
scenario has none), the admin token for the simulator's own ``/sim`` routes, and ready
clients: ``sdk()`` (the SDK is imported only then, so it stays optional) and ``sim()``
(httpx). Imports: models, testing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from acns_dns.lab.testing import RunningWorld
from acns_dns.world.models import World


@dataclass(frozen=True)
class ApiAccess:
    """A running world's API: URLs and tokens, and clients made from them."""

    url: str  # http://127.0.0.1:PORT: /sim/... lies below it
    base_url: str  # url + /client/v4: the Cloudflare SDK's base_url
    token: str  # a token of the scenario's first account (the admin token if it has none)
    admin_token: str  # acts on every account, and on /sim

    @classmethod
    def of(cls, world: RunningWorld, admin_token: str) -> ApiAccess:
        """The access to ``world``'s API (it must have been started with ``api=True``)."""
        if world.api_url is None:
            raise ValueError("this world serves no API: start it with running_world(..., api=True)")
        token = first_token(world.registry.world, admin_token)
        return cls(world.api_url, f"{world.api_url}/client/v4", token, admin_token)

    def sdk(self, token: str | None = None) -> Any:
        """A ``cloudflare.Cloudflare`` client on this API (no retries: a refusal shows at once).

        Raises:
            ImportError: the ``cloudflare`` package is not installed.
        """
        from cloudflare import Cloudflare  # optional: only tests that use the SDK need it

        return Cloudflare(api_token=token or self.token, base_url=self.base_url, max_retries=0)

    def sim(self, token: str | None = None) -> httpx.Client:
        """An httpx client on the API's root with the admin token (``/sim/...`` routes)."""
        headers = {"Authorization": f"Bearer {token or self.admin_token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


def first_token(world: World, fallback: str) -> str:
    """The first account-scoped token the world knows, else ``fallback``."""
    for credential in world.credentials:
        usable = credential.scope == "account" and not credential.admin and credential.accounts
        if credential.token and usable:
            return credential.token
    return fallback
