"""The recorded matrix, run: four real resolvers on every packaged scenario answer as recorded.

Each case runs in its own user + network namespace (``unshare -rn``), the world on port 53 and
BIND, Knot Resolver, PowerDNS Recursor and unbound on their own addresses; the cases run
side by side. A failure must come with the *specific* log line recorded for it (naming the
zone), so a resolver that gave up on the root for another reason cannot pass for missing glue.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from acns_dns.lab import matrix, netns, report
from acns_dns.lab.resolvers import KINDS
from acns_dns.world import scenario

REASON = netns.available()
pytestmark = pytest.mark.skipif(bool(REASON), reason=f"needs user+network namespaces: {REASON}")

CASES = [(m.scenario, c) for m in matrix.all_matrices() for c in m.cases]
PARALLEL = 4  # namespaces at once; each case waits mostly (BIND's ~12 s give-up), not computes


def test_every_packaged_scenario_has_a_recorded_matrix() -> None:
    recorded = {m.scenario for m in matrix.all_matrices()}
    assert recorded == {name for name, _ in scenario.packaged()}
    for name, case in CASES:
        assert set(case.expect) == set(KINDS), f"{name}/{case.name} lacks a resolver"


@pytest.fixture(scope="module")
def runs() -> dict[str, dict[str, Any]]:
    """Every case of the matrix, run once, by case name."""
    def one(item: tuple[str, matrix.Case]) -> tuple[str, dict[str, Any]]:
        name, case = item
        return case.name, report.lab(name, case=case.name)

    with ThreadPoolExecutor(PARALLEL) as pool:
        return dict(pool.map(one, CASES))


@pytest.mark.parametrize(("case", "kind"), [(c, k) for _, c in CASES for k in KINDS],
                         ids=[f"{c.name}-{k}" for _, c in CASES for k in KINDS])
def test_resolver_does_what_the_matrix_records(runs: dict[str, dict[str, Any]], case: matrix.Case,
                                               kind: str) -> None:
    row = next(r for r in runs[case.name]["outcomes"] if r["kind"] == kind)
    if not row["installed"]:
        pytest.skip(row["reason"])
    problems = matrix.compare(case.expect[kind], row)
    log = "\n".join(row["log"][-30:])
    assert not problems, f"{case.name} / {row['label']}: {'; '.join(problems)}\n{log}"
