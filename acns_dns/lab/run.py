"""One lab run, inside the lab namespace: a scenario on port 53 and every resolver asked.

``python -m acns_dns.lab.run`` is what ``acns-dns lab`` runs under ``unshare -rn``: it serves
the scenario (with the API when a fix is to be applied), starts the installed resolvers in
parallel, each on its own address, asks each the question, and with ``--fix`` applies the
scenario's documented fix through the API, flushes every cache and measures each resolver's
time to recover. Prints one JSON object. Imports: netns, resolver, resolvers, matrix, testing, fault_ops.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from acns_dns.lab import matrix, netns
from acns_dns.lab.resolver import Outcome, Resolver, ResolverError
from acns_dns.lab.resolvers import ADDRESSES, KINDS
from acns_dns.lab.testing import RunningWorld, running_world
from acns_dns.world import fault_ops, scenario
from acns_dns.world.models import Network
from acns_dns.world.registry import Registry

ADMIN_TOKEN = "lab-admin"
RECOVERY_POLL = 0.5  # seconds between questions while waiting for a resolver to recover


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m acns_dns.lab.run")
    parser.add_argument("scenario")
    parser.add_argument("qname", nargs="?")
    parser.add_argument("qtype", nargs="?", default="A")
    parser.add_argument("--case", help="a case of the recorded matrix (its name)")
    parser.add_argument("--unheld", choices=("refused", "timeout"),
                        help="what addresses nobody holds do (default: as the scenario or case says)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="resolvers to run, comma-separated")
    parser.add_argument("--fix", action="store_true")
    parser.add_argument("--asks", type=int, default=1,
                        help="ask each resolver this many times before the fix, as retrying clients do")
    parser.add_argument("--no-flush", action="store_true", help="after the fix, do not flush the caches")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--recovery-limit", type=float, default=150.0)
    return parser.parse_args(argv)


def _start(cls: type[Resolver], root: str, workdir: Path) -> Resolver | Outcome:
    if not cls.installed():
        return Outcome(cls.kind, cls.label, installed=False,
                       reason=f"{cls.binary} is not installed")
    netns.add_address(ADDRESSES[cls.kind])
    resolver = cls(root, ADDRESSES[cls.kind], workdir / cls.kind)
    try:
        resolver.start()
    except (ResolverError, OSError) as exc:
        return Outcome(cls.kind, cls.label, installed=True, version=cls.version(), rcode="NOT STARTED",
                       reason=str(exc)[:500])
    return resolver


def _ask(resolver: Resolver, qname: str, qtype: str, timeout: float, times: int) -> Outcome:
    """The first outcome; the question is asked ``times`` times in all (bounded: at most 20)."""
    first = resolver.ask(qname, qtype, timeout=timeout)
    for _ in range(min(times, 20) - 1):
        resolver.ask(qname, qtype, timeout=timeout)
    return first


def _recover(resolver: Resolver, qname: str, qtype: str, limit: float, flush: bool) -> dict[str, Any]:
    """Flush (unless told not to), then ask again until an answer comes (or ``limit`` seconds pass)."""
    started = time.monotonic()
    try:
        if flush:
            resolver.flush()
    except ResolverError as exc:
        return {"recovered": False, "seconds": 0.0, "reason": str(exc), "asked": 0, "flushed": False}
    reasons: list[str] = []
    asked = 0
    while time.monotonic() - started < limit:
        asked += 1
        outcome = resolver.ask(qname, qtype, timeout=min(30.0, limit))
        if outcome.rcode == "NOERROR" and outcome.answer:
            return {"recovered": True, "seconds": round(time.monotonic() - started, 2),
                    "answer": outcome.answer, "reason": reasons[0] if reasons else "", "asked": asked,
                    "flushed": flush}
        if outcome.reason and outcome.reason not in reasons:
            reasons.append(outcome.reason)
        time.sleep(RECOVERY_POLL)
    return {"recovered": False, "seconds": round(time.monotonic() - started, 2),
            "reason": reasons[0] if reasons else "", "asked": asked, "flushed": flush}


def _apply_fix(world: RunningWorld, steps: list[matrix.FixStep]) -> list[str]:
    """The documented fix, through the HTTP API as a user would apply it."""
    done = []
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=world.api_url or "", headers=headers, timeout=10) as client:
        for step in steps:
            path, body = step.request(world.registry.world)
            response = client.put(path, json=body)
            if response.status_code >= 400:
                raise RuntimeError(f"PUT {path} {body}: {response.status_code} {response.text[:300]}")
            done.append(f"PUT {path} {json.dumps(body)}")
    return done


def run(args: argparse.Namespace) -> dict[str, Any]:
    recorded = matrix.find(args.scenario)
    case = recorded.case(args.case) if recorded is not None else None
    qname = args.qname or (case.qname if case else None)
    if qname is None:
        raise SystemExit(f"{args.scenario}: no recorded matrix, so NAME is needed")
    qtype = args.qtype if args.qname else (case.qtype if case else "A")
    world = scenario.load(args.scenario, Network())
    for tld, policy in (case.glue_policy if case else {}).items():
        if policy not in ("in-domain", "sibling"):
            raise SystemExit(f"{args.scenario}: glue_policy {policy!r} is not in-domain or sibling")
        world.tlds[tld].glue_policy = "in-domain" if policy == "in-domain" else "sibling"
    if case is not None:
        case.apply(world)
    if args.unheld:
        fault_ops.set_unheld(world, args.unheld)
    kinds = [KINDS[k] for k in args.kinds.split(",") if k]
    result: dict[str, Any] = {"scenario": args.scenario, "case": case.name if case else "",
                              "qname": qname, "qtype": qtype, **fault_ops.describe(world)}
    with tempfile.TemporaryDirectory(prefix="acns-lab-") as folder, \
            running_world(Registry(world), port=53, api=args.fix, admin_token=ADMIN_TOKEN) as served, \
            ThreadPoolExecutor(max_workers=len(kinds) or 1) as pool:
        started = list(pool.map(lambda cls: _start(cls, served.root, Path(folder)), kinds))
        running = [r for r in started if isinstance(r, Resolver)]
        try:
            asked = dict(zip([r.kind for r in running],
                             pool.map(lambda r: _ask(r, qname, qtype, args.timeout, args.asks), running),
                             strict=True))
            outcomes = [asked[r.kind] if isinstance(r, Resolver) else r for r in started]
            result["outcomes"] = [o.as_dict() for o in outcomes]
            if args.fix:
                steps = recorded.fix if recorded is not None else []
                result["fix"] = _apply_fix(served, steps)
                recovered = pool.map(
                    lambda r: _recover(r, qname, qtype, args.recovery_limit, not args.no_flush), running)
                recovery = dict(zip([r.kind for r in running], recovered, strict=True))
                for row in result["outcomes"]:
                    row["recovery"] = recovery.get(row["kind"])
        finally:
            list(pool.map(lambda r: r.stop(), running))
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    netns.prepare()
    print(json.dumps(run(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
