"""Run inside a fresh network namespace: a world on port 53 and zonemaster-cli on some zones.

Usage: zonemaster_lab.py SCENARIO ZONE...
Prints one JSON object: zone -> the messages zonemaster-cli gave at NOTICE and above, each
{"level", "module", "testcase", "tag"}. Zonemaster queries port 53 only, hence the namespace.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from acns_dns.dns.view import root_letters
from acns_dns.lab.testing import running_world
from acns_dns.world import scenario
from acns_dns.world.models import Network
from acns_dns.world.registry import Registry

TIMEOUT = 300


def main() -> None:
    source, zones = sys.argv[1], sys.argv[2:]
    for command in (["ip", "link", "set", "lo", "up"],
                    ["ip", "-6", "route", "add", "local", "fd53:53:53::/48", "dev", "lo"],
                    ["sysctl", "-qw", "net.ipv6.ip_nonlocal_bind=1"]):
        subprocess.run(command, check=True, timeout=10)
    world = scenario.load(source, Network())
    found: dict[str, list[dict[str, str]]] = {}
    with running_world(Registry(world), port=53), tempfile.TemporaryDirectory() as tmp:
        hints = Path(tmp) / "hints"
        lines = [f". 3600000 IN NS {s.name}." for s in root_letters(world)]
        for s in root_letters(world):
            lines += [f"{s.name}. 3600000 IN A {s.ipv4}", f"{s.name}. 3600000 IN AAAA {s.ipv6}"]
        hints.write_text("\n".join(lines) + "\n")
        for zone in zones:
            command = ["zonemaster-cli", "--hints", str(hints), "--json", "--raw", "--no-progress",
                       "--level", "NOTICE", zone]
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
            parsed = json.loads(done.stdout) if done.stdout.strip() else []
            results = parsed if isinstance(parsed, list) else parsed.get("results", [])
            found[zone] = [{"level": r.get("level", ""), "module": r.get("module", ""),
                            "testcase": r.get("testcase", ""), "tag": r.get("tag", "")} for r in results]
            if done.returncode != 0 and not results:
                found[zone] = [{"level": "CRASH", "module": "", "testcase": "", "tag": done.stderr[-500:]}]
    print(json.dumps(found))


if __name__ == "__main__":
    main()
