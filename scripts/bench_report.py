"""The report of ``scripts/bench``: Markdown tables per load, latency, ratios, a chart.

Figures are medians with their range over the rounds; capacity per core is 1e6 ÷ the
server's CPU µs per query. Imports: bench_peers (the run records).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import time
from importlib import metadata
from typing import Protocol

from bench_peers import Run, tool

LOADS = ("edge-udp", "tld-udp", "edge-tcp")


class Server(Protocol):
    name: str
    runs: dict[str, list[Run]]
    mismatches: dict[str, list[str]]


def median(runs: list[Run], attribute: str) -> float:
    return statistics.median(getattr(run, attribute) for run in runs)


def spread(runs: list[Run], attribute: str, digits: int = 0) -> str:
    """``median (min–max)``."""
    values = [getattr(run, attribute) for run in runs]
    return (f"{statistics.median(values):,.{digits}f} "
            f"({min(values):,.{digits}f}–{max(values):,.{digits}f})")


def versions() -> str:
    """Kernel, CPUs and the version of everything measured."""
    def output(command: list[str]) -> str:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
        return (done.stdout + done.stderr).strip()

    try:
        loop = f"uvloop {metadata.version('uvloop')}"
    except metadata.PackageNotFoundError:
        loop = "the default asyncio loop (uvloop not installed)"
    nsd = output([tool("nsd"), "-v"]).splitlines()[0]
    knot = output([tool("knotd"), "--version"]).splitlines()[0]
    perf = next((line for line in output([tool("dnsperf"), "-h"]).splitlines() if "Version" in line), "?")
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs; Python "
            f"{platform.python_version()}, acns-dns {metadata.version('acns-dns')} on {loop}, "
            f"dnslib {metadata.version('dnslib')}; {nsd}; {knot}; dnsperf {perf.split()[-1]}")


TARGETS = {"edge-udp": 1.3, "tld-udp": 1.3, "edge-tcp": 1.5}  # acns-dns CPU per query ÷ NSD's


def ratios(servers: list[Server]) -> dict[str, float]:
    """acns-dns CPU per query ÷ NSD's, per load."""
    acns = servers[0]
    found = {}
    for load in LOADS:
        nsd = next((s for s in servers if s.name == "NSD" and load in s.runs), None)
        if nsd is not None and load in acns.runs:
            found[load] = median(acns.runs[load], "cpu_us") / median(nsd.runs[load], "cpu_us")
    return found


def report(servers: list[Server], args: argparse.Namespace, latency: dict[str, list[Run]], rate: int) -> str:
    """The Markdown report: a table per load, latency, the ratios against the targets, a chart."""
    lines = [f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}", f"versions: {versions()}",
             f"load: dnsperf -c {args.clients} -q {args.outstanding} -l {args.duration} on core 1; every "
             f"server on core 0, capped at {args.cap:.0%} of it; {args.rounds} rounds, servers interleaved; "
             "median (range)", ""]
    for load in LOADS:
        if not any(load in server.runs for server in servers):
            continue
        lines += [f"### {load}", "",
                  "| server | QPS capped | capacity per core | CPU µs/query | lost % | answers vs NSD |",
                  "|---|---|---|---|---|---|"]
        for server in servers:
            runs = server.runs.get(load)
            if not runs:
                continue
            mix = load.split("-")[0]
            differ = server.mismatches.get(mix, [])
            answers = ("reference" if server.name == "NSD" else "same" if not differ
                       else f"{len(differ)} differ")
            capacity = 1e6 / median(runs, "cpu_us")
            lost = max(r.lost_percent for r in runs)
            lines.append(f"| {server.name} | {spread(runs, 'qps')} | {capacity:,.0f} | "
                         f"{spread(runs, 'cpu_us', 1)} | {lost:.2f} | {answers} |")
        lines.append("")
    if latency:
        lines += [f"### latency: edge-udp at {rate:,} queries/s (half of NSD's capacity per core), "
                  "uncapped", "",
                  "| server | p50 ms | p99 ms | lost % |", "|---|---|---|---|"]
    for name, runs in latency.items():
        lines.append(f"| {name} | {spread(runs, 'p50_ms', 3)} | {spread(runs, 'p99_ms', 3)} | "
                     f"{max(r.lost_percent for r in runs):.2f} |")
    lines += ["", "### acns-dns against NSD (targets)", ""]
    for load, ratio in ratios(servers).items():
        verdict = "met" if ratio <= TARGETS[load] else "NOT met"
        lines.append(f"- {load}: CPU per query {ratio:.2f}× NSD's (target ≤ {TARGETS[load]}×: {verdict})")
    acns_lat, nsd_lat = latency.get("acns-dns"), latency.get("NSD")
    if acns_lat and nsd_lat:
        p99 = median(acns_lat, "p99_ms") / median(nsd_lat, "p99_ms")
        lost = max(r.lost_percent for r in acns_lat)
        verdict = "met" if p99 <= 2 and lost == 0 else "NOT met"
        lines.append(f"- p99 at {rate:,}/s: {p99:.2f}× NSD's, {lost:.2f} % lost "
                     f"(target ≤ 2×, none lost: {verdict})")
    lines += ["", "### CPU µs per query (shorter is better)", "", "```"]
    peak = max(median(runs, "cpu_us") for s in servers for runs in s.runs.values()
               if not s.name.startswith("dnslib"))
    for load in LOADS:
        for server in servers:
            runs = server.runs.get(load)
            if runs:
                value = median(runs, "cpu_us")
                bar = "#" * max(1, round(40 * min(value, peak) / peak)) + ("…" if value > peak else "")
                lines.append(f"{load:<9} {server.name[:10]:<10} {value:7.1f} {bar}")
    lines.append("```")
    for server in servers:
        for mix, differ in server.mismatches.items():
            lines.append(f"\n{server.name} answers differently from NSD on {mix} ({len(differ)}): "
                         + "; ".join(differ[:6]))
    return "\n".join(lines)
