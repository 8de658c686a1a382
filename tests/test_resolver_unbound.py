"""A real recursive resolver (unbound) pointed at the simulated root fails exactly where the
Internet would: missing glue, stale glue and a removal in the wrong order end in SERVFAIL,
working setups resolve. Each case runs in its own network namespace (``unshare -rn``) so the
world can serve port 53, the only port a resolver sends iterative queries to.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LAB = Path(__file__).with_name("resolver_lab.py")

def _namespaces_work() -> bool:
    if shutil.which("unbound") is None or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not _namespaces_work(),
                                reason="needs unbound, and user+network namespaces (unshare -rn)")


def resolve(*args: str) -> dict[str, object]:
    done = subprocess.run(["unshare", "-rn", sys.executable, str(LAB), *args],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(("scenario", "qname", "qtype", "answer"), [
    ("default", "www.example.com", "A", "192.0.2.10"),
    ("default", "www.example.net", "AAAA", "2001:db8::20"),  # out-of-bailiwick ACNS names
    ("out-of-bailiwick", "www.example.org", "AAAA", "2001:db8::40"),
    ("cyclic-sibling", "www.alpha.net", "A", "192.0.2.50"),  # sibling glue breaks the cycle
])
def test_working_delegations_resolve(scenario: str, qname: str, qtype: str, answer: str) -> None:
    result = resolve(scenario, qname, qtype)
    assert result["rcode"] == "NOERROR" and result["answer"] == [answer], result


@pytest.mark.parametrize(("scenario", "extra", "reason"), [
    ("missing-glue", [], "no server to query"),
    ("stale-glue", [], "nameserver addresses not usable"),
    ("wrong-removal-order", [], "nameserver addresses not usable"),
    ("cyclic-sibling", ["--in-domain-glue-only", "net"], "exceeded the maximum nameserver nxdomains"),
])
def test_broken_delegations_servfail_with_unbounds_reason(scenario: str, extra: list[str],
                                                           reason: str) -> None:
    qname = "www.alpha.net" if scenario == "cyclic-sibling" else "www.example.com"
    result = resolve(scenario, qname, "A", *extra)
    assert result["rcode"] == "SERVFAIL" and result["answer"] == [], result
    assert any(reason in line for line in result["errors"]), result  # type: ignore[union-attr]
