"""Shared test configuration."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from acns_dns.lab.testing import RunningWorld, running_world

# Hypothesis: "ci" (HYPOTHESIS_PROFILE=ci) runs more examples, derandomized so every CI run
# explores the same cases; the default profile keeps local runs quick.
settings.register_profile("default", max_examples=50, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True, database=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture()
def dns_world() -> Iterator[RunningWorld]:
    """The default scenario served over DNS on a free port and a private 127.x.0.0/16."""
    with running_world("default") as world:
        yield world
