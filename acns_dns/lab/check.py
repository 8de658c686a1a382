"""``acns-dns check DOMAIN``: delegation checks, each PASS / WARN / FAIL with the reason.

Asks the simulated servers over real sockets, as Zonemaster and DNSViz would ask real ones:
the parent's referral (is the domain delegated, is in-domain glue present), every name
server (does it answer SOA with AA over UDP and TCP), the child's own NS and address
records (do parent and child agree, does the glue match). Each finding carries the id of the
matching Zonemaster test or DNSViz error (spec dns-behaviour §3). Imports: names, probe, trace.
"""

from __future__ import annotations

from dataclasses import dataclass

from acns_dns.lab import probe
from acns_dns.lab.trace import Hop, Tracer
from acns_dns.world import names
from acns_dns.world.names import GlueKind


@dataclass(frozen=True)
class Finding:
    """One check's result."""

    level: str  # PASS, WARN or FAIL
    check: str
    text: str


def check(domain: str, root: str, port: int = 5300, timeout: float = 1.0) -> list[Finding]:
    """Run every delegation check on ``domain``; findings in the order they were made."""
    domain = names.normalize(domain, min_labels=1)
    tracer = Tracer(root, port, timeout)
    walk = tracer.trace(domain, "SOA")
    hop = next((h for h in walk.hops if _referral_to(h) == domain), None)
    if hop is None or hop.reply is None or hop.reply.response is None:
        return [Finding("FAIL", "delegated", f"no parent referral to {names.fqdn(domain)}: {walk.verdict}")]
    message = hop.reply.response
    parent_ns = sorted(set(probe.ns_names(message.authority)))
    findings = [Finding("PASS", "delegated", f"{names.fqdn(hop.zone)} delegates {names.fqdn(domain)} "
                                             f"to {', '.join(parent_ns)}")]
    # RFC 1034 §4.1: "every zone [must] be available on at least two servers"; Zonemaster
    # DELEGATION01 rates fewer an ERROR (NOT_ENOUGH_NS_DEL)
    findings.append(Finding("PASS" if len(parent_ns) >= 2 else "FAIL", "ns-count",
                            f"{len(parent_ns)} name server(s); at least 2 are required "
                            "(RFC 1034 §4.1, Zonemaster DELEGATION01)"))
    addresses: dict[str, list[str]] = {}
    for ns in parent_ns:
        findings.append(_glue_finding(ns, domain, hop.zone, probe.addresses(message, ns)))
        glue = probe.addresses(message, ns)
        addresses[ns] = glue if glue else tracer.addresses_of(ns)
    findings += _server_findings(domain, addresses, port, timeout)
    findings += _child_findings(domain, parent_ns, addresses, port, timeout)
    return findings


def _referral_to(hop: Hop) -> str | None:
    reply = hop.reply
    if reply is None or reply.response is None or reply.authoritative:
        return None
    ns = probe.rrsets(reply.response.authority, "NS")
    return ns[0].name.to_text(omit_final_dot=True).lower() if ns else None


def _glue_finding(ns: str, domain: str, parent: str, glue: list[str]) -> Finding:
    kind = names.glue_kind(ns, domain, parent)
    if kind is GlueKind.IN_DOMAIN:
        if glue:
            return Finding("PASS", "glue-present", f"{ns} (in-domain): glue {', '.join(glue)}")
        return Finding("FAIL", "glue-present", f"{ns} is in-domain but the parent publishes no glue for it: "
                       "resolvers cannot find its address (CS05_MISSING_GLUE_FOR_NS, RFC 9471 §3.1)")
    detail = f"glue {', '.join(glue)}" if glue else "no glue, looked up separately"
    return Finding("PASS", "glue-present", f"{ns} ({kind.value}): {detail}")


def _server_findings(domain: str, addresses: dict[str, list[str]], port: int,
                     timeout: float) -> list[Finding]:
    """Every name server answers SOA authoritatively over UDP and TCP (DELEGATION04)."""
    findings: list[Finding] = []
    seen: dict[str, str] = {}
    for ns, found in addresses.items():
        if not found:
            findings.append(Finding("FAIL", "reachable", f"{ns}: no address known for it"))
        for address in (a for a in found if ":" not in a):
            if address in seen:
                findings.append(Finding("FAIL", "distinct-addresses",
                                        f"{ns} and {seen[address]} share {address} (DELEGATION02)"))
            seen[address] = ns
            for tcp in (False, True):
                reply = probe.ask(address, port, domain, "SOA", timeout=timeout, tcp=tcp)
                findings.append(_authority_finding(ns, address, domain, reply, "TCP" if tcp else "UDP"))
    return findings


def _authority_finding(ns: str, address: str, domain: str, reply: probe.Reply, transport: str) -> Finding:
    where = f"{ns} ({address}) over {transport}"
    if reply.response is None:
        return Finding("FAIL", "authoritative", f"{where}: {reply.failure} — lame delegation")
    soa = probe.rrsets(reply.response.answer, "SOA", domain)
    if reply.authoritative and soa:
        return Finding("PASS", "authoritative", f"{where}: SOA with AA")
    return Finding("FAIL", "authoritative", f"{where}: {reply.rcode}, AA={int(reply.authoritative)}: "
                   f"it does not serve {names.fqdn(domain)} (lame; DELEGATION04)")


def _child_findings(domain: str, parent_ns: list[str], addresses: dict[str, list[str]],
                    port: int, timeout: float) -> list[Finding]:
    """Parent and child agree on the NS set (DELEGATION07) and the glue (CS05_ID_ADDR_MISMATCH)."""
    replies = (probe.ask(a, port, domain, "NS", timeout=timeout)
               for found in addresses.values() for a in found if ":" not in a)
    reply = next((r for r in replies if r.authoritative and r.response is not None), None)
    if reply is None or reply.response is None:
        known = any(found for found in addresses.values())
        why = "answers with authority" if known else "can be reached (no address is known for any)"
        return [Finding("FAIL", "child-reachable", f"no name server of {names.fqdn(domain)} {why}: "
                        "its own data cannot be compared")]
    server = reply.address
    child_ns = sorted(set(probe.ns_names(reply.response.answer)))
    same = child_ns == parent_ns
    findings = [Finding("PASS" if same else "WARN", "parent-child-ns",
                        f"parent lists {', '.join(parent_ns)}; child lists {', '.join(child_ns)}"
                        + ("" if same else " (DELEGATION07: they differ)"))]
    for ns in parent_ns:
        if not names.is_subdomain(ns, domain):
            continue
        published = sorted(_child_addresses(server, port, ns, timeout))
        glue = sorted(addresses.get(ns, []))
        if not published:
            findings.append(Finding("WARN", "glue-matches", f"{ns}: the child publishes no A/AAAA "
                                    "(CS05_ID_ADDR_MISSING)"))
        elif published == glue:
            findings.append(Finding("PASS", "glue-matches", f"{ns}: glue matches the child's records"))
        else:
            findings.append(Finding("FAIL", "glue-matches", f"{ns}: glue {', '.join(glue) or 'none'} but the "
                                    f"child says {', '.join(published)} (CS05_ID_ADDR_MISMATCH)"))
    return findings


def _child_addresses(server: str, port: int, host: str, timeout: float) -> list[str]:
    found: list[str] = []
    for rdtype in ("A", "AAAA"):
        reply = probe.ask(server, port, host, rdtype, timeout=timeout)
        if reply.response is not None and reply.authoritative:
            for rrset in probe.rrsets(reply.response.answer, rdtype):
                found.extend(r.to_text() for r in rrset)
    return found


def render(domain: str, findings: list[Finding]) -> str:
    """Findings as aligned lines, then a summary line."""
    lines = [f"{f.level:<5} {f.check:<19} {f.text}" for f in findings]
    fails = sum(f.level == "FAIL" for f in findings)
    warns = sum(f.level == "WARN" for f in findings)
    lines.append(f"{names.fqdn(domain)}: {fails} failed, {warns} warnings, "
                 f"{len(findings) - fails - warns} passed")
    return "\n".join(lines)
