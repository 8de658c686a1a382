"""Run inside a fresh network namespace: a world on port 53 and unbound pointed at its root.

Usage: resolver_lab.py SCENARIO QNAME QTYPE [--in-domain-glue-only TLD]
Prints one JSON object: the rcode and answer unbound gave, and how long it took.
Resolvers send iterative queries to port 53 only, hence the namespace (``unshare -rn``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time

import dns.exception
import dns.message
import dns.query
import dns.rcode

from acns_dns.lab.resolver import running_unbound
from acns_dns.lab.testing import running_world
from acns_dns.world import scenario
from acns_dns.world.models import Network
from acns_dns.world.registry import Registry


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario")
    parser.add_argument("qname")
    parser.add_argument("qtype")
    parser.add_argument("--in-domain-glue-only")
    args = parser.parse_args()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
    world = scenario.load(args.scenario, Network())
    if args.in_domain_glue_only:
        world.tlds[args.in_domain_glue_only].glue_policy = "in-domain"
    with running_world(Registry(world), port=53) as served, \
            running_unbound(served.root, max_rtt_ms=300) as unbound:
        query = dns.message.make_query(args.qname, args.qtype)
        started = time.monotonic()
        try:
            response = dns.query.udp(query, unbound.address, port=unbound.port, timeout=20)
            rcode = dns.rcode.to_text(response.rcode())
            answer = [rdata.to_text() for rrset in response.answer for rdata in rrset]
        except dns.exception.Timeout:
            rcode, answer = "TIMEOUT", []
        errors = [line.split("error: ", 1)[1] for line in unbound.log().splitlines() if "error: " in line]
        print(json.dumps({"rcode": rcode, "answer": answer, "errors": errors,
                          "seconds": round(time.monotonic() - started, 3)}))


if __name__ == "__main__":
    main()
