"""Benchmark acns-dns against NSD (and dnslib's stock zone server) on the same zone data.

Run through ``scripts/bench``. Method (spec/benchmarking.md): one simulated server address
(an ACNS address of the Cloudflare edge), a query file mixing A, AAAA, NS, SOA, MX, TXT,
NXDOMAIN (~20 %), NODATA and referrals (a sub-delegation inside a Cloudflare zone); every
distinct query is asked of each server and the answers compared before any timing; the server
runs on core 0 (``taskset -c 0``) and dnsperf on core 1; several runs per server, interleaved;
the report gives median and range of QPS, server CPU microseconds per completed query
(``/proc/<pid>/stat`` utime+stime of the server's process tree), and the acns-dns/NSD ratios.
Loopback only; every wait is bounded; every server is stopped on exit, error or signal.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import FrameType

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import yaml

from acns_dns.dns import export
from acns_dns.dns.view import Role, compile_view
from acns_dns.lab import probe
from acns_dns.lab.resolver import stop_process
from acns_dns.lab.testing import PORT_RANGE
from acns_dns.world import scenario
from acns_dns.world.addressing import network_for

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
TARGET = "ns1.example.com"  # an ACNS address: the Cloudflare edge answers there
STARTUP_SECONDS = 20.0
CLK_TCK = os.sysconf("SC_CLK_TCK")

# A sub-delegation inside example.com, so the edge also gives referrals (with glue).
EXTRA_RECORDS = [
    {"name": "dev", "type": "NS", "content": "ns1.dev.example.com."},
    {"name": "dev", "type": "NS", "content": "ns2.dev.example.com."},
    {"name": "ns1.dev", "type": "A", "content": "192.0.2.53"},
    {"name": "ns2.dev", "type": "A", "content": "192.0.2.54"},
    {"name": "ns1.dev", "type": "AAAA", "content": "2001:db8::53"},
]

QUERIES = """\
www.example.com A
mail.example.com A
www.example.net A
ns1.example.com A
ns2.example.com A
www.example.org A
ada.ns.cloudflare.com A
shop.example.com A
www.example.com AAAA
www.example.net AAAA
ns1.example.com AAAA
ns2.example.com AAAA
www.example.org AAAA
example.com NS
example.net NS
example.org NS
cloudflare.com NS
example.com SOA
example.net SOA
example.org SOA
cloudflare.com SOA
example.com MX
example.com TXT
nope.example.com A
missing.example.net A
x.www.example.com A
a.b.example.org AAAA
nothere.cloudflare.com A
zz.example.com MX
no.example.net AAAA
old.example.org A
www.example.com MX
example.net MX
mail.example.com AAAA
www.example.org TXT
example.com DS
ns1.example.com TXT
www.dev.example.com A
dev.example.com NS
api.dev.example.com AAAA
ns1.dev.example.com A
"""


@dataclass
class Server:
    """A server under test: how to start it, where it answers, what it measured."""

    name: str
    command: list[str]
    address: str
    port: int
    qps: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)
    lost: list[float] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None


# --- the world, the export and the query file -----------------------------------------------

def bench_world(work: Path) -> Path:
    """The default scenario plus a sub-delegation in example.com, as a scenario file."""
    spec = yaml.safe_load(scenario.resolve("default").read_text())
    for account in spec["accounts"]:
        for zone in account.get("zones", []):
            if zone["name"] == "example.com":
                zone["records"] += EXTRA_RECORDS
    path = work / "bench-world.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def prepare(work: Path, prefix: str, ports: list[int], with_dnslib: bool) -> list[Server]:
    """Export the world for NSD, write the dnslib zone file; the servers, not yet started."""
    source = bench_world(work)
    world = scenario.load(str(source), network=network_for(prefix))
    view = compile_view(world)
    result = export.export(view, work / "nsd", port=ports[1], ipv6=False)
    edge = next(group for group in result.groups if group.role is Role.CLOUDFLARE)
    address = next(server.ipv4 for server in view.listing if server.name == TARGET)
    acns = [str(VENV_BIN / "acns-dns"), "serve", "--scenario", str(source), "--listen-prefix", prefix,
            "--port", str(ports[0]), "--no-api"]
    servers = [Server("acns-dns", acns, address, ports[0]),
               Server("NSD", [_tool("nsd"), "-d", "-c", str(result.conf(edge))], address, ports[1])]
    if with_dnslib:
        zonefile = work / "dnslib.zone"
        zonefile.write_text("".join(export.zone_text(zone) for zone in edge.zones.values()))
        servers.append(Server("dnslib zoneresolver", [
            str(VENV_BIN / "python"), "-m", "dnslib.zoneresolver", "--zone", str(zonefile),
            "--address", address, "--port", str(ports[2]), "--log=-request,-reply,-truncated,+error"],
            address, ports[2]))
    (work / "queries.txt").write_text(QUERIES)
    return servers


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(f"/usr/sbin/{name}")
    if found is None:
        sys.exit(f"bench: {name} is not installed (apt-get install -y nsd dnsperf)")
    return found


# --- running servers ---------------------------------------------------------------------------

@contextmanager
def started(server: Server, log: Path) -> Iterator[Server]:
    """Start ``server`` on core 0; wait (bounded) until it answers; always stop it."""
    with open(log, "wb") as output:
        server.process = subprocess.Popen(["taskset", "-c", "0", *server.command],
                                          stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_answering(server, log)
            yield server
        finally:
            stop_process(server.process, 10)
            server.process = None



def _wait_answering(server: Server, log: Path) -> None:
    process = server.process
    assert process is not None
    if not probe.wait_answering(server.address, server.port, "example.com.", within=STARTUP_SECONDS,
                                alive=lambda: process.poll() is None):
        raise SystemExit(f"bench: {server.name} did not answer within {STARTUP_SECONDS:.0f} s:\n"
                         f"{log.read_text(errors='replace')[-2000:]}")


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


# --- checking answers ----------------------------------------------------------------------

def outline(message: dns.message.Message) -> dict[str, object]:
    """rcode, AA, TC and each section as a set of records (order and ID do not matter)."""
    def records(section: list[dns.rrset.RRset]) -> set[str]:
        return {line.lower() for rrset in section for line in rrset.to_text().splitlines()}

    return {"rcode": dns.rcode.to_text(message.rcode()), "aa": bool(message.flags & dns.flags.AA),
            "tc": bool(message.flags & dns.flags.TC), "answer": records(message.answer),
            "authority": records(message.authority), "additional": records(message.additional)}


def ask(server: Server, name: str, rtype: str) -> dict[str, object]:
    query = dns.message.make_query(name, dns.rdatatype.from_text(rtype))
    query.flags &= ~dns.flags.RD  # dnsperf sends RD=1; every server here ignores it alike
    try:
        return outline(dns.query.udp(query, server.address, port=server.port, timeout=2))
    except dns.exception.Timeout:
        return {"rcode": "timeout"}


def check_answers(reference: Server, other: Server) -> None:
    """Record in ``other.mismatches`` every query whose answer differs from ``reference``'s."""
    for line in QUERIES.splitlines():
        name, rtype = line.split()
        ours, theirs = ask(reference, name, rtype), ask(other, name, rtype)
        differing = [part for part in ours if ours.get(part) != theirs.get(part)]
        if differing:
            other.mismatches.append(f"{line}: {', '.join(differing)}")


# --- timing ----------------------------------------------------------------------------------

def dnsperf(server: Server, work: Path, args: argparse.Namespace) -> None:
    """One dnsperf run on core 1 against ``server``; appends QPS, CPU µs per query, loss."""
    assert server.process is not None
    before = cpu_ticks(server.process.pid)
    done = subprocess.run(
        ["taskset", "-c", "1", _tool("dnsperf"), "-s", server.address, "-p", str(server.port),
         "-d", str(work / "queries.txt"), "-c", str(args.clients), "-q", str(args.outstanding),
         "-l", str(args.duration), "-t", "2"],
        capture_output=True, text=True, timeout=args.duration + 30, check=False)
    used = cpu_ticks(server.process.pid) - before
    completed = re.search(r"Queries completed:\s+(\d+)", done.stdout)
    qps = re.search(r"Queries per second:\s+([\d.]+)", done.stdout)
    lost = re.search(r"Queries lost:\s+\d+ \(([\d.]+)%\)", done.stdout)
    if done.returncode != 0 or not (completed and qps and lost) or int(completed.group(1)) == 0:
        raise SystemExit(f"bench: dnsperf against {server.name} failed:\n{done.stdout}{done.stderr}")
    server.qps.append(float(qps.group(1)))
    server.cpu_us.append(used / CLK_TCK * 1e6 / int(completed.group(1)))
    server.lost.append(float(lost.group(1)))


# --- the report ------------------------------------------------------------------------------

def spread(values: list[float], digits: int = 0) -> str:
    """``median (min–max)``."""
    return (f"{statistics.median(values):,.{digits}f} "
            f"({min(values):,.{digits}f}–{max(values):,.{digits}f})")


def versions() -> str:
    """Kernel, CPUs and the version of everything measured."""
    def output(command: list[str]) -> str:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
        return done.stdout + done.stderr

    try:
        loop = f"uvloop {metadata.version('uvloop')}"
    except metadata.PackageNotFoundError:
        loop = "default asyncio loop (uvloop not installed)"
    nsd = output([_tool("nsd"), "-v"]).splitlines()[0]
    perf = re.search(r"Version ([\d.]+)", output([_tool("dnsperf"), "-h"]))
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs; Python "
            f"{platform.python_version()}, acns-dns {metadata.version('acns-dns')} on {loop}, "
            f"dnslib {metadata.version('dnslib')}; {nsd}; dnsperf {perf.group(1) if perf else '?'}")


def report(servers: list[Server], args: argparse.Namespace) -> str:
    lines = [f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}", f"versions: {versions()}",
             f"load: dnsperf -c {args.clients} -q {args.outstanding} -l {args.duration} on core 1, "
             f"{len(QUERIES.splitlines())}-line query file at {servers[0].address} ({TARGET}); "
             f"server on core 0; {args.runs} runs each, interleaved",
             "", "| server | QPS median (range) | server CPU µs/query median (range) | lost % | answers |",
             "|---|---|---|---|---|"]
    for server in servers:
        answers = ("reference" if server is servers[0] else
                   "same" if not server.mismatches else f"differ on {len(server.mismatches)} queries")
        lines.append(f"| {server.name} | {spread(server.qps)} | {spread(server.cpu_us, 1)} | "
                     f"{max(server.lost):.2f} | {answers} |")
    acns, nsd = servers[0], servers[1]
    qps_ratio = statistics.median(acns.qps) / statistics.median(nsd.qps)
    cpu_ratio = statistics.median(acns.cpu_us) / statistics.median(nsd.cpu_us)
    capacity = {server.name: 1e6 / statistics.median(server.cpu_us) for server in servers}
    lines += ["", f"acns-dns/NSD: QPS ratio {qps_ratio:.2f}; CPU-per-query ratio {cpu_ratio:.2f}",
              "capacity per core (1e6 / CPU µs per query): "
              + ", ".join(f"{name} ≈ {value:,.0f}" for name, value in capacity.items())]
    for server in servers[2:]:
        if server.mismatches:
            shown = "; ".join(server.mismatches[:5])
            lines.append(f"{server.name} answers differently (a baseline only, not a peer): {shown}")
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per dnsperf run (default 5)")
    parser.add_argument("--runs", type=int, default=3, help="runs per server (default 3)")
    parser.add_argument("--clients", type=int, default=10, help="dnsperf -c (default 10)")
    parser.add_argument("--outstanding", type=int, default=100, help="dnsperf -q (default 100)")
    parser.add_argument("--no-dnslib", action="store_true", help="leave out dnslib's zoneresolver")
    return parser.parse_args(argv)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for tool in ("nsd", "dnsperf", "taskset"):
        _tool(tool)
    signal.signal(signal.SIGTERM, _raise_interrupt)  # so the servers are stopped on SIGTERM too
    prefix = f"127.{random.randint(60, 250)}.0.0/16"
    ports = random.sample(range(*PORT_RANGE), 3)  # below the ephemeral range
    with tempfile.TemporaryDirectory(prefix="acns-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        servers = prepare(work, prefix, ports, not args.no_dnslib)
        for server in servers:
            stack.enter_context(started(server, work / f"{server.name.split()[0]}.log"))
        for other in servers[1:]:
            check_answers(servers[0], other)
        if servers[1].mismatches:
            print("bench: NSD and acns-dns answer differently; not timing:\n  " +
                  "\n  ".join(servers[1].mismatches), file=sys.stderr)
            return 1
        for run in range(args.runs):
            for server in servers:
                print(f"run {run + 1}/{args.runs}: {server.name} ...", file=sys.stderr, flush=True)
                dnsperf(server, work, args)
        print(report(servers, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
