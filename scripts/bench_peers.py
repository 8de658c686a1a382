"""Helpers of ``scripts/bench``: the peers' configurations, the CPU cap and dnsperf.

Knot is configured as spec/benchmarking.md says (one UDP worker, one TCP worker, no rate
limiting, which Knot has off unless configured). The CPU cap is a cgroup (v2 ``cpu.max`` or
v1 ``cpu.cfs_quota_us``) that the server joins before it starts, so every process it forks is
capped too. dnsperf runs on core 1; its summary gives QPS and loss, its verbose lines give
each answer's latency (for percentiles at a fixed rate).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
PERIOD_US = 100_000
CGROUP_V2 = Path("/sys/fs/cgroup")
CGROUP_V1 = Path("/sys/fs/cgroup/cpu")


def tool(name: str) -> str:
    """The path of a required program, or exit saying which Debian package to install."""
    found = shutil.which(name) or shutil.which(f"/usr/sbin/{name}")
    if found is None:
        sys.exit(f"bench: {name} is not installed (apt-get install -y nsd knot dnsperf)")
    return found


# --- Knot ----------------------------------------------------------------------------------

def knot_conf(name: str, addresses: list[str], port: int, zones: dict[str, Path], run: Path) -> str:
    """A knot.conf serving ``zones`` (apex -> zone file) on ``addresses``, files under ``run``."""
    listen = ", ".join(f'"{address}@{port}"' for address in addresses)
    lines = ["server:", f'    rundir: "{run}"', f"    listen: [ {listen} ]", "    udp-workers: 1",
             "    tcp-workers: 1", "    background-workers: 1", f'    pidfile: "{run}/{name}.pid"',
             "    udp-max-payload: 1232", "    answer-rotation: off",
             "log:", "  - target: stderr", "    any: error",
             "database:", f'    storage: "{run}/{name}-db"',
             "template:", "  - id: default", f'    storage: "{run}"', "    zonefile-sync: -1",
             "    journal-content: none", "    semantic-checks: off",
             "zone:"]
    for apex, path in sorted(zones.items()):
        lines += [f'  - domain: "{apex or "."}."'.replace("..", "."), f'    file: "{path}"']
    return "\n".join(lines) + "\n"


# --- the CPU cap ----------------------------------------------------------------------------

class Cap:
    """A cgroup limiting its members to ``share`` of one core; ``wrap`` joins it before exec."""

    def __init__(self, name: str, share: float) -> None:
        self.v2 = (CGROUP_V2 / "cgroup.controllers").exists()
        self.path: Path | None = None
        self.procs = ""
        try:
            path = (CGROUP_V2 if self.v2 else CGROUP_V1) / name
            path.mkdir(exist_ok=True)
            self.path = path
            self.set_share(share)
        except OSError as exc:
            print(f"bench: no CPU cap ({exc}); figures are uncapped", file=sys.stderr)
            self.path = None
            return
        self.procs = str(path / "cgroup.procs")

    def set_share(self, share: float | None) -> None:
        """Cap at ``share`` of a core from now on; None lifts the cap."""
        if self.path is None:
            return
        quota = int(PERIOD_US * share) if share is not None else None
        if self.v2:
            (self.path / "cpu.max").write_text(f"{quota if quota else 'max'} {PERIOD_US}")
        else:
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota if quota else -1))

    def wrap(self, command: list[str]) -> list[str]:
        """``command`` run inside the cgroup (if there is one) on core 0."""
        pinned = ["taskset", "-c", "0", *command]
        if self.path is None:
            return pinned
        return ["sh", "-c", f'echo $$ > "{self.procs}" && exec "$@"', "capped", *pinned]

    def remove(self) -> None:
        """Delete the cgroup (its processes must have exited)."""
        if self.path is not None:
            try:
                self.path.rmdir()
            except OSError:
                pass


@contextmanager
def capped(name: str, share: float) -> Iterator[Cap]:
    cap = Cap(name, share)
    try:
        yield cap
    finally:
        cap.remove()


# --- CPU time ---------------------------------------------------------------------------------

def cpu_ticks(pid: int) -> int:
    """utime+stime of ``pid`` and all its descendants (NSD serves from a child process)."""
    stats: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, total, frontier = {pid}, 0, [pid]
    while frontier:
        parent = frontier.pop()
        total += stats.get(parent, (0, 0))[1]
        children = [child for child, (ppid, _) in stats.items() if ppid == parent and child not in tree]
        tree.update(children)
        frontier += children
    return total


# --- dnsperf -----------------------------------------------------------------------------------

@dataclass
class Run:
    """One dnsperf run: completed queries, QPS, loss, server CPU µs per query, latencies."""

    completed: int
    qps: float
    lost_percent: float
    cpu_us: float
    p50_ms: float = 0.0
    p99_ms: float = 0.0


def dnsperf(address: str, port: int, queries: Path, pid: int, *, tcp: bool, clients: int,
            outstanding: int, duration: int, rate: int | None = None) -> Run:
    """One dnsperf run on core 1; with ``rate``, a fixed offered load and latency percentiles."""
    command = ["taskset", "-c", "1", tool("dnsperf"), "-s", address, "-p", str(port), "-d", str(queries),
               "-c", str(clients), "-q", str(outstanding), "-l", str(duration), "-t", "2"]
    if tcp:
        command += ["-m", "tcp"]
    if rate is not None:
        command += ["-Q", str(rate), "-v"]
    before = cpu_ticks(pid)
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
    used = cpu_ticks(pid) - before
    completed = re.search(r"Queries completed:\s+(\d+)", done.stdout)
    qps = re.search(r"Queries per second:\s+([\d.]+)", done.stdout)
    lost = re.search(r"Queries lost:\s+\d+ \(([\d.]+)%\)", done.stdout)
    if done.returncode != 0 or not (completed and qps and lost) or int(completed.group(1)) == 0:
        raise SystemExit(f"bench: dnsperf against {address} failed:\n"
                         f"{done.stdout[-3000:]}{done.stderr[-2000:]}")
    count = int(completed.group(1))
    run = Run(count, float(qps.group(1)), float(lost.group(1)), used / CLK_TCK * 1e6 / count)
    if rate is not None:
        # verbose lines: "> NOERROR www.example.com A 0.000123" (latency in seconds, last field)
        latencies = sorted(float(line.rsplit(None, 1)[1]) for line in done.stdout.splitlines()
                           if line.startswith(">") and re.search(r"\s\d+\.\d+$", line))
        if latencies:
            run.p50_ms = statistics.median(latencies) * 1e3
            run.p99_ms = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1e3
    return run
