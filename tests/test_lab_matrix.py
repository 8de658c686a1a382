"""The recorded matrix, run: four real resolvers on every packaged scenario answer as recorded.

Each case runs in its own user + network namespace (``unshare -rn``), the world on port 53 and
BIND, Knot Resolver, PowerDNS Recursor and unbound on their own addresses, asked at once. A
failure must come with the *specific* log lines recorded for it (naming the zone), so a
resolver that gave up on the root for another reason cannot pass for missing glue. One test
per case, so pytest-xdist spreads the cases over its workers.
"""

from __future__ import annotations

import pytest

from acns_dns.lab import matrix, netns, report
from acns_dns.lab.resolvers import KINDS
from acns_dns.world import scenario

REASON = netns.available()
CASES = [(m.scenario, c) for m in matrix.all_matrices() for c in m.cases]


def test_every_packaged_scenario_has_a_recorded_matrix() -> None:
    recorded = {m.scenario for m in matrix.all_matrices()}
    assert recorded == {name for name, _ in scenario.packaged()}
    for name, case in CASES:
        assert set(case.expect) == set(KINDS), f"{name}/{case.name} lacks a resolver"


@pytest.mark.skipif(bool(REASON), reason=f"needs user+network namespaces: {REASON}")
@pytest.mark.parametrize(("name", "case"), CASES, ids=[c.name for _, c in CASES])
def test_resolvers_do_what_the_matrix_records(name: str, case: matrix.Case) -> None:
    result = report.lab(name, case=case.name)
    problems, missing = [], []
    for row in result["outcomes"]:
        if not row["installed"]:
            missing.append(row["label"])
            continue
        found = matrix.compare(case.expect[row["kind"]], row)
        if found:
            log = "\n    ".join(row["log"][-20:])
            problems.append(f"{row['label']}: {'; '.join(found)}\n    {log}")
    assert not problems, f"{case.name}:\n" + "\n".join(problems)
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (the others match)")
