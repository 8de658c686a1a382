"""Property-based tests of the whole HTTP API from its own OpenAPI document (schemathesis).

Each operation gets a few generated requests, valid and invalid (both generation modes), some
with random path identifiers and some aimed at the default world's real account and zone.
They are sent over a real socket with the admin token; no answer may be a 5xx, and every
answer must match the status codes, content type and schema the document declares. The world
is fresh for each operation. Routes that read or write files named in the request (scenario
load, snapshots) are left out here; test_api_sim.py covers them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from api_support import ACCOUNT, ADMIN, serve_api
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from acns_dns.api import create_app
from acns_dns.world import scenario
from acns_dns.world.registry import Registry

FILE_ROUTES = re.compile(r"^/sim/(scenario|snapshot)")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("ACNS_DNS_FUZZ_EXAMPLES", "8"))  # raise it for a longer hunt
_WORLD = scenario.load("default")
DOCUMENT: dict[str, Any] = create_app(Registry(_WORLD)).openapi()
REAL_IDS = {
    "account_id": ACCOUNT,
    "zone_id": next(z.id for z in _WORLD.zones.values() if z.name == "example.com"),
    "registrar_id": "example-registrar",
    "domain": "example.com",
    "host": "ns1.example.com",
}
OPERATIONS = [
    (path, method.upper())
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if not FILE_ROUTES.match(path)
]


@pytest.fixture(scope="module")
def fuzz_target() -> Iterator[tuple[str, Registry]]:
    registry = Registry(scenario.load("default"))
    with serve_api(registry) as url:
        yield url, registry


def _strategy(path: str, method: str, mode: GenerationMode) -> st.SearchStrategy[schemathesis.Case]:
    operation = schemathesis.openapi.from_dict(DOCUMENT)[path][method]
    pinned = {name: value for name, value in REAL_IDS.items() if "{" + name + "}" in path}
    random_ids = operation.as_strategy(generation_mode=mode)
    if not pinned or mode is GenerationMode.NEGATIVE:
        return random_ids
    return st.one_of(random_ids, operation.as_strategy(generation_mode=mode, path_parameters=pinned))


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda mode: mode.value)
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_server_errors_and_answers_match_the_document(
    fuzz_target: tuple[str, Registry], path: str, method: str, mode: GenerationMode
) -> None:
    url, registry = fuzz_target
    registry.replace(scenario.load("default"))

    @given(case=_strategy(path, method, mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=url, headers={"Authorization": f"Bearer {ADMIN}"}, checks=CHECKS, timeout=10
        )

    run()
