"""zonemaster-cli's full suite on the default world: no ERROR about name server counts
(DELEGATION01, RFC 1034 §4.1) for a Cloudflare zone, a TLD or the root, and SOA RNAME mail
domains that resolve (SYNTAX06); likewise for zones on tenant and on zone custom nameservers.
Runs in a network namespace (Zonemaster asks port 53 only).
The loopback and ULA addresses of the lab remain ADDRESS01 errors by design.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LAB = Path(__file__).with_name("zonemaster_lab.py")


def _usable() -> bool:
    if shutil.which("zonemaster-cli") is None or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True, timeout=30).returncode == 0


pytestmark = pytest.mark.skipif(not _usable(), reason="needs zonemaster-cli and user+network namespaces")


@pytest.mark.parametrize(("scenario", "zones"), [
    ("default", ["example.com", "com", "."]),
    ("tenant", ["shop.com", "brand.com"]),  # a zone on tenant names, a zone on its own names
])
def test_no_name_server_count_errors_and_rnames_resolve(scenario: str, zones: list[str]) -> None:
    done = subprocess.run(["unshare", "-rn", sys.executable, str(LAB), scenario, *zones],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    found: dict[str, list[dict[str, str]]] = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(found) == set(zones)
    for zone, messages in found.items():
        assert messages, f"zonemaster-cli said nothing about {zone}"
        assert not [m for m in messages if m["level"] == "CRASH"], messages
        tags = {m["tag"] for m in messages}
        assert not {t for t in tags if t.startswith("NOT_ENOUGH")}, (zone, sorted(tags))
        assert "RNAME_MAIL_DOMAIN_INVALID" not in tags, zone
        errors = {(m["testcase"], m["tag"]) for m in messages if m["level"] in ("ERROR", "CRITICAL")}
        # what remains: the lab's addresses are loopback / unique-local by design
        assert errors <= {("ADDRESS01", "NAMESERVER_IP_PRIVATE_NETWORK")}, (zone, sorted(errors))
