"""Benchmark acns-dns against NSD, Knot and dnslib's stock zone server on the same zone data.

Run through ``scripts/bench``. Method (spec/benchmarking.md), all in one sitting:
- one world (the default scenario plus a sub-delegation in example.com and 24 more .com
  domains with glue), exported as zone files for NSD, Knot and dnslib's ``zoneresolver``;
- three loads: the edge mix over UDP (an ACNS address of the Cloudflare edge: answers,
  CNAME, NXDOMAIN ~20 %, NODATA, referrals into a sub-delegation), the TLD mix over UDP (the
  .com registry: referrals with in-domain and sibling glue, NXDOMAIN, apex data) and the
  edge mix over TCP (dnslib: edge UDP only, a baseline);
- every distinct query is asked of each server and compared with NSD's answer (rcode, AA,
  TC, each section as a set) before any timing; acns-dns must match exactly;
- every server runs on core 0 (``taskset``) inside a cgroup capped at ``--cap`` of a core,
  dnsperf on core 1; server CPU µs per completed query from ``/proc/<pid>/stat`` (the whole
  process tree) and capacity per core = 1e6 / that; ``--rounds`` rounds, servers interleaved;
- latency: the edge mix at a fixed rate of half NSD's capped QPS, p50 and p99 per server.
The report is a Markdown table per load, the ratios against the targets, and a chart.
Loopback only; every wait is bounded; every server is stopped on exit, error or signal.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import yaml
from bench_peers import Cap, Run, capped, dnsperf, knot_conf, tool
from bench_report import median, report

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
TLD_DOMAINS = 24  # extra .com delegations, so the TLD mix is referrals with glue

# A sub-delegation inside example.com, so the edge also gives referrals (with glue).
EXTRA_RECORDS = [
    {"name": "dev", "type": "NS", "content": "ns1.dev.example.com."},
    {"name": "dev", "type": "NS", "content": "ns2.dev.example.com."},
    {"name": "ns1.dev", "type": "A", "content": "192.0.2.53"},
    {"name": "ns2.dev", "type": "A", "content": "192.0.2.54"},
    {"name": "ns1.dev", "type": "AAAA", "content": "2001:db8::53"},
]

EDGE_QUERIES = """\
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


def tld_queries() -> str:
    """Referrals (in-domain glue, sibling glue, glue names), NXDOMAIN and apex data at .com."""
    lines = []
    for i in range(TLD_DOMAINS):
        domain = f"d{i}.com"
        lines += [f"www.{domain} A", f"{domain} NS", f"ns1.{domain} A"]
        if i % 4 == 0:
            lines += [f"{domain} SOA", f"mail.{domain} AAAA"]
    lines += ["www.example.com A", "example.com NS", "ns1.example.com AAAA", "www.cloudflare.com A",
              "com SOA", "com NS", "com MX", "ns1.nic.com A", "nope.com A", "missing.com AAAA",
              "x.y.nothere.com A", "gone.com NS"]
    return "\n".join(lines) + "\n"


@dataclass
class Server:
    """A server under test: how to start it, where each load goes, what it measured."""

    name: str
    command: list[str]
    port: int
    targets: dict[str, str]  # load ("edge-udp", ...) -> the address it goes to
    runs: dict[str, list[Run]] = field(default_factory=dict)
    mismatches: dict[str, list[str]] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    cap: Cap | None = None


LOADS = {"edge-udp": ("edge", False), "tld-udp": ("tld", False), "edge-tcp": ("edge", True)}


# --- the world, the exports and the query files ---------------------------------------------

def bench_world(work: Path) -> Path:
    """The default scenario, a sub-delegation in example.com and more .com domains with glue."""
    spec = yaml.safe_load(scenario.resolve("default").read_text())
    for account in spec["accounts"]:
        for zone in account.get("zones", []):
            if zone["name"] == "example.com":
                zone["records"] += EXTRA_RECORDS
    for i in range(TLD_DOMAINS):
        domain = f"d{i}.com"
        if i % 3 == 2:  # sibling name servers: in another .com domain, glue optional
            nameservers = [f"ns1.d{i - 1}.com", f"ns2.d{i - 1}.com"]
            glue = []
        else:
            nameservers = [f"ns1.{domain}", f"ns2.{domain}"]
            glue = [{"host": f"ns{n}.{domain}", "ipv4": [f"198.51.100.{i * 2 + n}"],
                     "ipv6": [f"2001:db8:{i}::{n}"]} for n in (1, 2)]
        spec["domains"].append({"name": domain, "registrar": "example-registrar",
                                "nameservers": nameservers, "glue": glue})
    path = work / "bench-world.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def prepare(work: Path, prefix: str, ports: list[int]) -> list[Server]:
    """Export the world for NSD, Knot and dnslib; the servers, not yet started."""
    source = bench_world(work)
    world = scenario.load(str(source), network=network_for(prefix))
    view = compile_view(world)
    result = export.export(view, work / "nsd", port=ports[1], ipv6=False)
    edge = next(group for group in result.groups if group.role is Role.CLOUDFLARE)
    tld = next(group for group in result.groups if group.role is Role.TLD and "com" in group.zones)
    targets = {"edge": next(s.ipv4 for s in view.listing if s.name == TARGET),
               "tld": next(s.ipv4 for s in view.listing if s.role is Role.TLD and "com" in s.zones)}
    acns = [str(VENV_BIN / "acns-dns"), "serve", "--scenario", str(source), "--listen-prefix", prefix,
            "--port", str(ports[0]), "--no-api"]
    loads = {mix: {load: targets[mix] for load, (at, _) in LOADS.items() if at == mix} for mix in targets}
    servers = [Server("acns-dns", acns, ports[0], {**loads["edge"], **loads["tld"]})]
    nsd = tool("nsd")
    servers.append(Server("NSD", [nsd, "-d", "-c", str(result.conf(edge))], ports[1], loads["edge"]))
    servers.append(Server("NSD", [nsd, "-d", "-c", str(result.conf(tld))], ports[1], loads["tld"]))
    knot = work / "knot"
    for group, key in ((edge, "edge"), (tld, "tld")):
        run = knot / group.name
        run.mkdir(parents=True, exist_ok=True)
        zones = {apex: result.directory / "zones" / group.zone_path(apex) for apex in group.zones}
        conf = run / "knot.conf"
        conf.write_text(knot_conf(group.name, [targets[key]], ports[2], zones, run))
        servers.append(Server("Knot", [tool("knotd"), "-c", str(conf)], ports[2], loads[key]))
    zonefile = work / "dnslib.zone"
    zonefile.write_text("".join(export.zone_text(zone) for zone in edge.zones.values()))
    servers.append(Server("dnslib zoneresolver", [
        str(VENV_BIN / "python"), "-m", "dnslib.zoneresolver", "--zone", str(zonefile),
        "--address", targets["edge"], "--port", str(ports[3]), "--log=-request,-reply,-truncated,+error"],
        ports[3], {"edge-udp": targets["edge"]}))
    (work / "edge.txt").write_text(EDGE_QUERIES)
    (work / "tld.txt").write_text(tld_queries())
    return servers


# --- running servers ---------------------------------------------------------------------------

@contextmanager
def started(server: Server, log: Path, share: float, index: int) -> Iterator[Server]:
    """Start ``server`` on core 0 in its capped cgroup; wait (bounded) until it answers."""
    with capped(f"acns-bench-{os.getpid()}-{index}", share) as cap, open(log, "wb") as output:
        server.cap = cap
        server.process = subprocess.Popen(cap.wrap(server.command), stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_answering(server, log)
            yield server
        finally:
            stop_process(server.process, 10)
            server.process = None


def _wait_answering(server: Server, log: Path) -> None:
    process = server.process
    assert process is not None
    load, address = next(iter(server.targets.items()))
    name = "com." if load.startswith("tld") else "example.com."
    if not probe.wait_answering(address, server.port, name, within=STARTUP_SECONDS,
                                alive=lambda: process.poll() is None):
        raise SystemExit(f"bench: {server.name} did not answer within {STARTUP_SECONDS:.0f} s:\n"
                         f"{log.read_text(errors='replace')[-2000:]}")


# --- checking answers ----------------------------------------------------------------------

def outline(message: dns.message.Message) -> dict[str, object]:
    """rcode, AA, TC and each section as a set of records (order and ID do not matter)."""
    def records(section: list[dns.rrset.RRset]) -> set[str]:
        return {line.lower() for rrset in section for line in rrset.to_text().splitlines()}

    return {"rcode": dns.rcode.to_text(message.rcode()), "aa": bool(message.flags & dns.flags.AA),
            "tc": bool(message.flags & dns.flags.TC), "answer": records(message.answer),
            "authority": records(message.authority), "additional": records(message.additional)}


def ask(address: str, port: int, name: str, rtype: str) -> dict[str, object]:
    query = dns.message.make_query(name, dns.rdatatype.from_text(rtype))
    query.flags &= ~dns.flags.RD  # dnsperf sends RD=1; every server here ignores it alike
    try:
        return outline(dns.query.udp(query, address, port=port, timeout=2))
    except dns.exception.Timeout:
        return {"rcode": "timeout"}


def check_answers(reference: list[Server], other: Server, files: dict[str, str]) -> None:
    """Record in ``other.mismatches`` every query whose answer differs from NSD's."""
    for mix, text in files.items():
        load = f"{mix}-udp"
        address = other.targets.get(load)
        nsd = next((s for s in reference if load in s.targets), None)
        if address is None or nsd is None:
            continue
        for line in text.splitlines():
            name, rtype = line.split()
            theirs = ask(nsd.targets[load], nsd.port, name, rtype)
            ours = ask(address, other.port, name, rtype)
            differing = [part for part in theirs if theirs.get(part) != ours.get(part)]
            if differing:
                other.mismatches.setdefault(mix, []).append(f"{line}: {', '.join(differing)}")


# --- main -----------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per dnsperf run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every server and load (default 3)")
    parser.add_argument("--clients", type=int, default=10, help="dnsperf -c (default 10)")
    parser.add_argument("--outstanding", type=int, default=100, help="dnsperf -q (default 100)")
    parser.add_argument("--cap", type=float, default=0.4, help="CPU share of core 0 per server (default 0.4)")
    every = ",".join([*LOADS, "latency"])
    parser.add_argument("--loads", default=every, help=f"which loads (default {every})")
    parser.add_argument("--servers", default="", help="only these servers, comma-separated (default all)")
    return parser.parse_args(argv)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def measure(servers: list[Server], work: Path, args: argparse.Namespace) -> None:
    loads = [load for load in LOADS if load in args.loads.split(",")]
    for round_ in range(args.rounds):
        for load in loads:
            mix, tcp = LOADS[load]
            for server in servers:
                address = server.targets.get(load)
                if address is None:
                    continue
                print(f"round {round_ + 1}/{args.rounds}: {load} {server.name} ...", file=sys.stderr,
                      flush=True)
                assert server.process is not None
                run = dnsperf(address, server.port, work / f"{mix}.txt", server.process.pid, tcp=tcp,
                              clients=args.clients, outstanding=args.outstanding, duration=args.duration)
                server.runs.setdefault(load, []).append(run)


def measure_latency(servers: list[Server], work: Path,
                    args: argparse.Namespace) -> tuple[dict[str, list[Run]], int]:
    nsd = next(s for s in servers if s.name == "NSD" and "edge-udp" in s.runs)
    rate = int(1e6 / median(nsd.runs["edge-udp"], "cpu_us") / 2)  # half NSD's capacity per core
    for server in servers:  # latency is measured uncapped, pinned: a quota throttles in bursts
        if server.cap is not None:
            server.cap.set_share(None)
    found: dict[str, list[Run]] = {}
    for round_ in range(args.rounds):
        for server in servers:
            address = server.targets.get("edge-udp")
            if address is None or server.name.startswith("dnslib"):
                continue
            print(f"latency {round_ + 1}/{args.rounds}: {server.name} at {rate}/s ...", file=sys.stderr,
                  flush=True)
            assert server.process is not None
            found.setdefault(server.name, []).append(dnsperf(
                address, server.port, work / "edge.txt", server.process.pid, tcp=False, clients=args.clients,
                outstanding=args.outstanding, duration=args.duration, rate=rate))
    return found, rate


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in ("nsd", "knotd", "dnsperf", "taskset"):
        tool(name)
    signal.signal(signal.SIGTERM, _raise_interrupt)  # so the servers are stopped on SIGTERM too
    prefix = f"127.{random.randint(60, 250)}.0.0/16"
    ports = random.sample(range(*PORT_RANGE), 4)  # below the ephemeral range
    with tempfile.TemporaryDirectory(prefix="acns-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        servers = [s for s in prepare(work, prefix, ports)
                   if not args.servers or s.name in ("acns-dns", *args.servers.split(","))]
        for index, server in enumerate(servers):
            log = work / f"{server.name.split()[0]}-{index}.log"
            stack.enter_context(started(server, log, args.cap, index))
        nsd = [s for s in servers if s.name == "NSD"]
        files = {"edge": EDGE_QUERIES, "tld": tld_queries()}
        for other in servers:
            if other.name != "NSD":
                check_answers(nsd, other, files)
        if servers[0].mismatches:
            print("bench: NSD and acns-dns answer differently; not timing:\n  " + "\n  ".join(
                line for lines in servers[0].mismatches.values() for line in lines), file=sys.stderr)
            return 1
        measure(servers, work, args)
        latency, rate = measure_latency(servers, work, args) if "latency" in args.loads else ({}, 0)
        print(report(servers, args, latency, rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
