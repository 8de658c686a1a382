"""How acns-dns's cost grows with the world: start, memory, writes, and answers at 1k-100k zones.

Run through ``scripts/bench-scale``. For each size (``--sizes``, default 1k, 10k and 100k
zones; ``bench_scale_world``: 50 zones and two ACNS names per account, every domain at an
external registrar with glue), in one sitting:
- ``acns-dns serve`` is started on the world file and timed to its first answer (the edge
  asked for a zone's SOA every 10 ms); resident memory (VmRSS) then and at its peak (VmHWM);
- ``--writes`` consecutive API writes (a record added, that record deleted, glue changed at
  the registrar, a zone switched between its ACNS set and its branded pair, in turn, each on
  another account): the call's time, and the time from its return until DNS answers the new
  way (change → visible); the server's CPU per write; meanwhile a UDP probe asks the edge
  every 5 ms and reports the longest gap between two answers, and any lost;
- server CPU per query (``/proc``: the process's utime+stime ÷ queries, asked one at a time
  on a raw socket): a repeated question (answer cache hit), a new question in a zone already
  built (a cache miss), the first question to a zone never asked (the zone is built), and a
  new referral at the .com registry;
- the same writes with ``--state`` (the journal flushed to disk before each call returns).
Then the Python heap per zone and per ACNS name (tracemalloc, world and view, in this process).
The figures go to stdout and, with ``--write-docs``, into docs/benchmarks.md between markers,
with docs/bench-scale.svg (cost against world size). Loopback only; every wait is bounded;
every server is stopped on exit, error or signal.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import dns.message
import dns.rcode
import dns.rdatatype
import httpx
import yaml
from bench_peers import CLK_TCK, cpu_ticks
from bench_scale_report import chart, report
from bench_scale_world import REGISTRAR, account_domain, scale_world, token, write, yaml_text, zone_name

from acns_dns.dns.view import compile_view
from acns_dns.lab.resolver import stop_process
from acns_dns.world import scenario
from acns_dns.world.cloudflare_ops import stable_id
from acns_dns.world.scenario_spec import ScenarioSpec

ROOT = Path(__file__).resolve().parent.parent
ACNS = ROOT / ".venv" / "bin" / "acns-dns"
EDGE = "127.0.0.1"
START_LIMIT = 180.0  # seconds a world may take to answer before the run is abandoned
PROBE_EVERY = 0.005
ADMIN = "bench-scale-admin"


@dataclass
class Figures:
    """What one size measured (times in ms unless named otherwise)."""

    zones: int
    names: int
    first_answer_s: float = 0.0
    rss_mb: float = 0.0
    peak_mb: float = 0.0
    write_ms: list[float] = field(default_factory=list)
    visible_ms: list[float] = field(default_factory=list)
    write_cpu_us: float = 0.0
    gap_ms: float = 0.0
    probe_lost: int = 0
    state_write_ms: list[float] = field(default_factory=list)
    state_visible_ms: list[float] = field(default_factory=list)
    cpu_us: dict[str, float] = field(default_factory=dict)  # per query kind
    yaml_s: float = 0.0


def p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


# --- the server -------------------------------------------------------------------------------

def free_port() -> int:
    """A free TCP and UDP port below the ephemeral range."""
    for _ in range(50):
        port = random.randint(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
            try:
                udp.bind((EDGE, port))
                tcp.bind((EDGE, port))
            except OSError:
                continue
        return port
    raise SystemExit("bench-scale: no free port found")


Serving = tuple[subprocess.Popen[bytes], int, str, float]


@contextmanager
def serving(world: Path, prefix: str, state: Path | None, log: Path) -> Iterator[Serving]:
    """``acns-dns serve`` on ``world``; yields the process, the DNS port, the API URL and the
    seconds until its first answer."""
    port, api = free_port(), free_port()
    command = [str(ACNS), "serve", "--scenario", str(world), "--port", str(port), "--listen-prefix", prefix,
               "--api", f"{EDGE}:{api}", "--admin-token", ADMIN]
    if state is not None:
        command += ["--state", str(state)]
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        query = dns.message.make_query(account_domain(0), "SOA").to_wire()
        first = _first_answer(process, query, port, started, log)
        yield process, port, f"http://{EDGE}:{api}", first
    finally:
        stop_process(process)


def _first_answer(process: subprocess.Popen[bytes], query: bytes, port: int, started: float,
                  log: Path) -> float:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.01)
        while time.monotonic() - started < START_LIMIT:
            if process.poll() is not None:
                raise SystemExit(f"bench-scale: serve exited ({process.returncode}):\n"
                                 f"{log.read_text()[-3000:]}")
            sock.sendto(query, (EDGE, port))
            try:
                sock.recv(4096)
                return time.monotonic() - started
            except (TimeoutError, ConnectionRefusedError):
                continue
    raise SystemExit(f"bench-scale: no answer within {START_LIMIT:.0f} s:\n{log.read_text()[-3000:]}")


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MiB."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in status if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def wait_api(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/sim/", timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise SystemExit("bench-scale: the API did not answer within 60 s")


# --- asking ---------------------------------------------------------------------------------

def ask(sock: socket.socket, address: str, port: int, qname: str, qtype: str) -> dns.message.Message:
    """One question over UDP, RD=0, answered within a second."""
    message = dns.message.make_query(qname, dns.rdatatype.from_text(qtype))
    message.flags = 0
    sock.sendto(message.to_wire(), (address, port))
    sock.settimeout(1.0)
    return dns.message.from_wire(sock.recv(65535))


def cpu_per_query(pid: int, port: int, address: str, wires: list[bytes]) -> float:
    """Server CPU µs per question, the questions asked one at a time."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1.0)
        before = cpu_ticks(pid)
        for wire in wires:
            sock.sendto(wire, (address, port))
            sock.recv(65535)
        return (cpu_ticks(pid) - before) / CLK_TCK * 1e6 / len(wires)


def query_costs(pid: int, port: int, tld: str, zones: int, count: int) -> dict[str, float]:
    """CPU per query of each kind (see the module docstring)."""
    rng = random.Random(7)
    accounts = zones // 50

    def wire(qname: str, qtype: str = "A") -> bytes:
        message = dns.message.make_query(qname, dns.rdatatype.from_text(qtype))
        message.flags = 0
        return message.to_wire()

    warm = [zone_name(a, i) for a in range(min(accounts, 5)) for i in range(50)]
    cpu_per_query(pid, port, EDGE, [wire(z, "SOA") for z in warm])  # these zones are built now
    costs = {"hit": cpu_per_query(pid, port, EDGE, [wire(warm[0], "SOA")] * count),
             "miss": cpu_per_query(pid, port, EDGE, [wire(f"m{i}.{rng.choice(warm)}") for i in range(count)])}
    cold = [zone_name(a, i) for a in range(min(accounts, 5), accounts) for i in range(50)]
    rng.shuffle(cold)
    costs["first in a zone"] = cpu_per_query(pid, port, EDGE, [wire(z, "SOA") for z in cold[:count]])
    domains = [zone_name(rng.randrange(accounts), rng.randrange(50)) for _ in range(count)]
    costs["referral"] = cpu_per_query(pid, port, tld, [wire(f"q{i}.{d}") for i, d in enumerate(domains)])
    return costs


# --- the probe ------------------------------------------------------------------------------

class Probe(threading.Thread):
    """Asks the edge one question every 5 ms; the longest time between two answers."""

    def __init__(self, port: int, qname: str) -> None:
        super().__init__(daemon=True)
        self.port, self.wire = port, dns.message.make_query(qname, "SOA").to_wire()
        self.stop = threading.Event()
        self.answers: list[float] = []
        self.sent = 0

    def run(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(PROBE_EVERY)
            next_send = time.monotonic()
            while not self.stop.is_set():
                now = time.monotonic()
                if now >= next_send:
                    sock.sendto(self.wire, (EDGE, self.port))
                    self.sent += 1
                    next_send += PROBE_EVERY
                try:
                    sock.recv(4096)
                    self.answers.append(time.monotonic())
                except TimeoutError:
                    pass

    def longest_gap_ms(self) -> float:
        return max((b - a for a, b in zip(self.answers, self.answers[1:], strict=False)), default=0.0) * 1e3


# --- the writes -----------------------------------------------------------------------------

@dataclass
class Write:
    """One API write and how to see it over DNS."""

    method: str
    path: str
    body: dict[str, object] | None
    token: str
    qname: str
    qtype: str
    at: str  # "edge" or "tld"
    expect: str  # a text the visible answer holds (or "NXDOMAIN")


def plan_writes(count: int, zones: int) -> Iterator[Write]:
    """``count`` writes of four kinds in turn, each on another account (see the docstring)."""
    rng = random.Random(11)
    accounts = list(range(zones // 50))
    rng.shuffle(accounts)
    for i in range(count):
        account = accounts[i % len(accounts)]
        zone = zone_name(account, 1 + i % 49)
        zone_id = stable_id("zone", zone)
        kind = i % 4
        if kind == 0:
            added = Write("POST", f"/client/v4/zones/{zone_id}/dns_records",
                          {"type": "A", "name": f"w{i}", "content": "192.0.2.99", "ttl": 300}, token(account),
                          f"w{i}.{zone}", "A", "edge", "192.0.2.99")
            yield added
        elif kind == 1:  # the record just added, in its zone
            yield Write("DELETE", added.path, None, added.token, added.qname, "A", "edge", "NXDOMAIN")
        elif kind == 2:
            host = f"ns1.{account_domain(account)}"
            glue = f"198.51.100.{i % 250 + 1}"
            yield Write("PUT", f"/sim/registrars/{REGISTRAR}/glue/{host}", {"ipv4": [glue], "ipv6": []},
                        token(account), account_domain(account), "NS", "tld", glue)
        else:
            yield Write("PUT", f"/client/v4/zones/{zone_id}/custom_ns", {"enabled": False}, token(account),
                        zone, "NS", "edge", ".ns.cloudflare.com.")


def run_writes(api: str, port: int, tld: str, pid: int, count: int, zones: int) -> tuple[list[float],
                                                                                          list[float], float]:
    """The writes: call times, change→visible times (ms) and server CPU µs per write."""
    calls, visible = [], []
    record_ids: dict[str, str] = {}
    cpu = 0.0
    with httpx.Client(base_url=api, timeout=30) as client, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        client.get("/sim/")  # the connection is open before the first write is timed
        for write in plan_writes(count, zones):
            path = write.path
            if write.method == "DELETE":
                path = f"{path}/{record_ids.pop(write.qname)}"
            before = cpu_ticks(pid)
            started = time.perf_counter()
            reply = client.request(write.method, path, json=write.body,
                                   headers={"Authorization": f"Bearer {write.token}"})
            returned = time.perf_counter()
            cpu += cpu_ticks(pid) - before
            if reply.status_code != 200:
                raise SystemExit(f"bench-scale: {write.method} {path} -> {reply.status_code} "
                                 f"{reply.text[:300]}")
            if write.method == "POST":
                record_ids[write.qname] = reply.json()["result"]["id"]
            calls.append((returned - started) * 1e3)
            visible.append(_until_visible(sock, write, port, tld, returned))
    return calls, visible, cpu / CLK_TCK * 1e6 / count


def _until_visible(sock: socket.socket, write: Write, port: int, tld: str, since: float) -> float:
    deadline = since + 2.0
    while time.perf_counter() < deadline:
        answer = ask(sock, EDGE if write.at == "edge" else tld, port, write.qname, write.qtype)
        text = answer.to_text()
        if (write.expect == "NXDOMAIN" and answer.rcode() == dns.rcode.NXDOMAIN) or (
                write.expect != "NXDOMAIN" and write.expect in text):
            return (time.perf_counter() - since) * 1e3
    raise SystemExit(f"bench-scale: {write.method} {write.path} not visible over DNS within 2 s")


# --- one size -------------------------------------------------------------------------------

def measure(zones: int, work: Path, args: argparse.Namespace, index: int) -> Figures:
    """Every figure of one world size."""
    data = scale_world(zones)
    world = write(work / f"scale-{zones}.json", data)
    figures = Figures(zones, sum(len(a["custom_nameservers"]) for a in data["accounts"]))
    if args.yaml:
        started = time.perf_counter()
        yaml.load(yaml_text(data), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        figures.yaml_s = time.perf_counter() - started
    del data
    prefix = f"127.{100 + index}.0.0/16"
    tld = f"127.{100 + index}.0.10"
    with serving(world, prefix, None, work / f"serve-{zones}.log") as (process, port, api, first):
        figures.first_answer_s = first
        figures.rss_mb, figures.peak_mb = memory_mb(process.pid)
        wait_api(api)
        probe = Probe(port, account_domain(0))
        probe.start()
        time.sleep(0.2)
        figures.write_ms, figures.visible_ms, figures.write_cpu_us = run_writes(
            api, port, tld, process.pid, args.writes, zones)
        probe.stop.set()
        probe.join(5)
        figures.gap_ms = probe.longest_gap_ms()
        figures.probe_lost = probe.sent - len(probe.answers)
        figures.cpu_us = query_costs(process.pid, port, tld, zones, args.queries)
    if not args.state:
        return figures
    state = work / f"state-{zones}" / "world.json"
    state.parent.mkdir()
    with serving(world, prefix, state, work / f"serve-state-{zones}.log") as (process, port, api, _):
        wait_api(api)
        figures.state_write_ms, figures.state_visible_ms, _ = run_writes(
            api, port, tld, process.pid, args.writes, zones)
    return figures


def heap_per_zone_and_name() -> tuple[float, float]:
    """Python heap bytes (world and view) per zone and per ACNS name, from three worlds."""
    def heap(zones: int, names: int) -> int:
        spec = ScenarioSpec.model_validate(scale_world(zones, names))
        gc.collect()
        tracemalloc.start()
        world = scenario.build(spec, Path("scale.json"), scenario.Network())
        view = compile_view(world)
        gc.collect()
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del world, view
        return size

    base, double, more_names = heap(5000, 2), heap(10000, 2), heap(5000, 5)
    return (double - base) / 5000, (more_names - base) / (100 * 3)


# --- main -----------------------------------------------------------------------------------

def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench-scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="zone counts, comma-separated")
    parser.add_argument("--writes", type=int, default=100, help="consecutive API writes per size")
    parser.add_argument("--queries", type=int, default=5000, help="questions per kind for CPU per query")
    parser.add_argument("--no-yaml", dest="yaml", action="store_false",
                        help="do not time reading each world written as block YAML")
    parser.add_argument("--no-state", dest="state", action="store_false",
                        help="do not time the writes again with --state")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md and the chart")
    return parser.parse_args(argv)


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(f"bench-scale: stopped by signal {signum}")


def main(argv: list[str]) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    sizes = [int(size) for size in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="acns-bench-scale-") as work:
        for index, zones in enumerate(sizes):
            print(f"bench-scale: {zones:,} zones ...", file=sys.stderr, flush=True)
            results.append(measure(zones, Path(work), args, index))
    per_zone, per_name = heap_per_zone_and_name()
    text = report(results, per_zone, per_name, args)
    print(text)
    if args.write_docs:
        docs = ROOT / "docs"
        (docs / "bench-scale.svg").write_text(chart(results))
        page = docs / "benchmarks.md"
        start, end = "<!-- bench-scale: start -->", "<!-- bench-scale: end -->"
        current = page.read_text()
        block = f"{start}\n{text}\n{end}"
        if start in current:
            head, _, rest = current.partition(start)
            current = head + block + rest.partition(end)[2]
        else:
            current = current.rstrip() + "\n\n" + block + "\n"
        page.write_text(current)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main(sys.argv[1:]))
