"""DNS never waits for the API: a change in progress leaves the previous view answering.

The API runs on its own thread; a write is held inside the registry (after validation, where
the durable journal would write) while DNS is asked over real UDP: the answer comes at once,
from the state before the write. When the write returns, the next answer shows it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import dns.rcode
from cloudflare import Cloudflare

from acns_dns.lab.testing import running_world
from acns_dns.world import cloudflare_ops

ADMIN = "test-admin"


def test_a_query_mid_change_is_answered_from_the_previous_view() -> None:
    with running_world("default", api=True, admin_token=ADMIN) as world:
        assert world.api_url is not None
        entered, release = threading.Event(), threading.Event()

        def hold(operation: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            if operation is cloudflare_ops.add_record:
                entered.set()
                release.wait(10)

        world.registry.set_commit_hook(hold)
        zone = cloudflare_ops.zone_by_name(world.registry.world, "example.com")
        assert zone is not None
        results: list[object] = []
        with Cloudflare(api_token=ADMIN, base_url=f"{world.api_url}/client/v4", max_retries=0) as sdk:
            writer = threading.Thread(target=lambda: results.append(sdk.dns.records.create(
                zone_id=zone.id, type="A", name="mid", content="192.0.2.99", ttl=300)))
            writer.start()
            try:
                assert entered.wait(10), "the write never reached the registry"
                started = time.monotonic()
                during = world.query("mid.example.com", "A", timeout=1.0)
                waited = time.monotonic() - started
                www = world.query("www.example.com", "A", timeout=1.0)
            finally:
                release.set()
                writer.join(10)
        assert during.rcode() == dns.rcode.NXDOMAIN  # the previous view, not a wait
        assert waited < 1.0 and www.rcode() == dns.rcode.NOERROR and www.answer
        assert results and not writer.is_alive()
        after = world.query("mid.example.com", "A")
        assert after.rcode() == dns.rcode.NOERROR
        assert [rr.address for rr in after.answer[0]] == ["192.0.2.99"]
