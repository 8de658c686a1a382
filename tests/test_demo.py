"""scripts/demo, as a teacher runs it: the walk fails without glue and succeeds with it."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

from acns_dns.lab.testing import PORT_RANGE

DEMO = Path(__file__).parent.parent / "scripts" / "demo"


def test_demo_shows_the_failure_and_the_fix() -> None:
    port = random.randint(PORT_RANGE[0], PORT_RANGE[1] - 1000)
    done = subprocess.run([str(DEMO), str(port)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    failed = out.index("FAIL: com. delegates example.com. but no name server can be reached")
    fixed = out.index("OK: resolved: www.example.com. A 192.0.2.10")
    assert failed < out.index("glue for ns1.example.com at example-registrar") < fixed
    assert "example.com.: 0 failed, 0 warnings" in out
