"""``acns-dns trace``: iterative resolution from the simulated root, each hop explained.

Walks root -> TLD -> zone the way a resolver does, over real sockets, and says at every hop
what was referred, which glue came with the referral (in-domain, sibling or unrelated, per
RFC 9471 §2) and — when resolution fails — where and why. What a misbehaving server does is
said as seen from outside: silence (a timeout), nothing listening (refused at once), SERVFAIL,
REFUSED, an answer without authority (lame), a truncated UDP answer asked again over TCP, a
slow answer, a referral whose glue another server of the zone does send (stripped), a reply
from an address that was not asked (ignored, RFC 5452 §9.1). It ends with what each real
resolver does in that situation, quoted from the recorded matrix (``evidence``), never from
memory. Name server names without usable glue are resolved by a nested walk, with dependency
cycles detected. Imports: names, probe, evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import dns.message
import dns.rcode
import dns.rdatatype

from acns_dns.lab import evidence, probe
from acns_dns.world import names
from acns_dns.world.names import GlueKind

MAX_HOPS = 16
MAX_DEPTH = 4  # nested lookups of name server names (unbound allows a dependency depth of 5)
SLOW = 0.1  # seconds: an answer slower than this is called slow (resolvers start near 0.4 s)
# a hop where no server answered: the situation each way of failing leads to, most telling first
FAILURES = (("other-source", "other-source"), ("timeout", "silent"), ("SERVFAIL", "servfail"),
            ("REFUSED", "refused"), ("unreachable", "unreachable"))


@dataclass
class Hop:
    """One question sent to one zone's servers, and what came back."""

    zone: str
    asked: list[str]
    outcome: str
    lines: list[str] = field(default_factory=list)
    reply: probe.Reply | None = None
    problems: list[str] = field(default_factory=list)  # why each server asked gave nothing usable


@dataclass
class Trace:
    """The whole walk: hops, the final status, and a one-paragraph verdict."""

    qname: str
    qtype: str
    hops: list[Hop] = field(default_factory=list)
    status: str = "fail"  # "answer", "nxdomain", "nodata" or "fail"
    verdict: str = ""
    answer: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)  # A/AAAA values of the answer
    # the situation it ended in (evidence.SITUATIONS): what real resolvers do is recorded for it
    situation: str = ""
    resolvers: list[str] = field(default_factory=list)


class Tracer:
    """Walks from a root address; all servers share one port."""

    def __init__(self, root: str, port: int = 5300, timeout: float = 1.0) -> None:
        self.root, self.port, self.timeout = root, port, timeout
        self._sibling_glue = True  # off while checking whether a walk needs it

    def trace(self, qname: str, qtype: str = "A") -> Trace:
        """Resolve ``qname``/``qtype`` iteratively and explain each hop."""
        result = Trace(names.normalize(qname, hostname=False, min_labels=0), qtype.upper())
        self._walk(result, result.qname, result.qtype, depth=0, resolving=frozenset())
        if not result.situation:
            result.situation = "ok" if result.status != "fail" else ""
        if result.situation:
            result.resolvers = evidence.what_resolvers_do(result.situation)
        return result

    def addresses_of(self, host: str, depth: int = 0, resolving: frozenset[str] = frozenset(),
                     into: Trace | None = None) -> list[str]:
        """Look a name server name up from the root (a nested walk); its IPv4 addresses."""
        return [a for a in self._nested(host, depth, resolving, into).addresses if ":" not in a]

    def _nested(self, host: str, depth: int, resolving: frozenset[str], into: Trace | None) -> Trace:
        nested = Trace(host, "A")
        self._walk(nested, host, "A", depth + 1, resolving)
        for hop in nested.hops:
            if into is not None:
                outcome = f"(for {host}) {hop.outcome}"
                into.hops.append(Hop(hop.zone, hop.asked, outcome, hop.lines, hop.reply))
        return nested

    def _walk(self, result: Trace, qname: str, qtype: str, depth: int, resolving: frozenset[str]) -> None:
        """Follow referrals; ``resolving`` holds the zones whose name servers are being looked up."""
        zone, servers = "", [("a.root-servers.net", self.root)]
        for _ in range(MAX_HOPS):
            reply, hop = self._ask(zone, servers, qname, qtype)
            hop.reply = reply
            result.hops.append(hop)
            if reply is None or reply.response is None:
                self._unanswered(result, hop, zone)
                return
            message = reply.response
            self._note_transport(result, hop, reply)
            if message.answer:
                result.status, result.answer = "answer", _answer_values(message)
                result.addresses = [r.to_text() for t in ("A", "AAAA")
                                    for rrset in probe.rrsets(message.answer, t) for r in rrset]
                hop.outcome = "answer" + (" (authoritative)" if reply.authoritative else
                                          " without authority (AA=0): lame")
                hop.lines += [rrset.to_text() for rrset in message.answer]
                result.verdict = f"resolved: {', '.join(result.answer)}"
                if not reply.authoritative:
                    result.verdict += (f"; but {reply.address} answered without authority (AA=0) for a "
                                       "zone it was delegated: a lame server, whose answer a resolver may "
                                       "not trust")
                    result.situation = result.situation or "lame"
                return
            if message.rcode() == dns.rcode.NXDOMAIN:
                result.status, hop.outcome = "nxdomain", "NXDOMAIN (the name does not exist)"
                result.verdict = f"{qname} does not exist (NXDOMAIN from {names.fqdn(zone)})"
                return
            referral = probe.rrsets(message.authority, "NS")
            if reply.authoritative or not referral:
                status = "nodata" if reply.authoritative else "fail"
                result.status, hop.outcome = status, "NODATA" if reply.authoritative else "lame answer"
                result.verdict = (f"{qname} exists but has no {qtype} records" if reply.authoritative else
                                  f"{reply.address} answered without authority or referral (lame): AA=0 and "
                                  "no SOA, so it is not a negative answer a resolver may cache (RFC 2308 §2)")
                if not reply.authoritative:
                    result.situation = result.situation or "lame-nodata"
                return
            child = referral[0].name.to_text(omit_final_dot=True).lower()
            if not names.is_subdomain(child, zone) or child == zone:
                result.verdict = f"upward or sideways referral from {names.fqdn(zone)} to {names.fqdn(child)}"
                return
            if child in resolving:
                hop.outcome = f"referral to {names.fqdn(child)} again"
                result.verdict = (f"a dependency cycle: finding {qname} leads back to {names.fqdn(child)}, "
                                  "whose own name servers are being looked up; only glue in the parent "
                                  "breaks it (RFC 9471 §2.3)")
                result.situation = "cycle"
                return
            others = [(name, address) for name, address in servers if address != reply.address]
            servers = self._follow(result, hop, message, zone, child, depth, resolving, others)
            if not servers:
                return
            zone = child
        result.verdict = f"gave up after {MAX_HOPS} referrals"

    def _ask(self, zone: str, servers: list[tuple[str, str]], qname: str,
             qtype: str) -> tuple[probe.Reply | None, Hop]:
        hop = Hop(zone, [f"{name} ({address})" for name, address in servers], "no answer")
        for name, address in servers:
            reply = probe.ask(address, self.port, qname, qtype, timeout=self.timeout)
            if reply.response is None:
                hop.lines.append(f"{name}: {reply.failure}")
                hop.problems.append(reply.problem)
                continue
            if reply.rcode in ("REFUSED", "SERVFAIL"):
                what = ("it refuses: it does not serve " if reply.rcode == "REFUSED" else
                        "it failed to answer for ")
                hop.lines.append(f"{name} ({address}): {reply.rcode} — {what}{names.fqdn(zone)} (lame; a "
                                 "resolver tries the zone's other servers)")
                hop.problems.append(reply.rcode)
                continue
            hop.asked = [f"{name} ({address})"]
            return reply, hop
        return None, hop

    def _unanswered(self, result: Trace, hop: Hop, zone: str) -> None:
        """No server of ``zone`` gave a usable reply: say how they failed."""
        situation = next((s for problem, s in FAILURES if problem in hop.problems), "unreachable")
        why = {"silent": "silence: a resolver waits for each, retries, and its client waits with it",
               "other-source": "the replies came from addresses that were not asked, and are ignored",
               }.get(situation, "a lame delegation")
        result.verdict = (f"no name server of {names.fqdn(zone)} answered ({'; '.join(hop.lines)}): "
                          f"{why} — resolvers answer SERVFAIL")
        result.situation = result.situation or situation

    def _note_transport(self, result: Trace, hop: Hop, reply: probe.Reply) -> None:
        """Say when the answer came only over TCP, or slowly."""
        if reply.truncated:
            hop.lines.append(f"{reply.address}: truncated over UDP (TC=1), asked again over TCP as "
                             "resolvers do (RFC 7766 §5)")
            result.situation = result.situation or "tc"
        if reply.seconds > SLOW:  # a note only: a busy machine is slow too, so no situation follows
            hop.lines.append(f"{reply.address} answered after {reply.seconds * 1000:.0f} ms (slow: a "
                             "resolver may time out, ask again or ask another server meanwhile)")

    def _follow(self, result: Trace, hop: Hop, message: dns.message.Message, zone: str, child: str,
                depth: int, resolving: frozenset[str],
                others: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
        """Classify each NS of a referral and collect the addresses to ask next."""
        targets = probe.ns_names(message.authority)
        hop.outcome = f"referral to {names.fqdn(child)} (NS {', '.join(targets)})"
        servers: list[tuple[str, str]] = []
        problems: list[str] = []
        failed_zones: set[str] = set()  # a name in a zone that already failed is not tried again
        for target in targets:
            kind = names.glue_kind(target, child, zone)
            glue = probe.addresses(message, target)
            hop.lines.append(f"{target}: {kind.value}, glue: {', '.join(glue) if glue else 'none'}")
            allowed = self._sibling_glue or kind is not GlueKind.SIBLING
            usable = [a for a in glue if ":" not in a and allowed]
            if not usable and kind is GlueKind.IN_DOMAIN:
                problems.append(f"{target} is in-domain but the referral has no glue for it "
                                "(RFC 9471 §3.1: that glue is mandatory)")
                stripped = self._glue_elsewhere(hop, message, target, others)
                result.situation = result.situation or ("strip-glue" if stripped else "missing-glue")
                continue
            if usable and kind is GlueKind.SIBLING and depth == 0 and not result.situation:
                # would the walk work without this glue? BIND 9.18 does not use it here
                if self._needs_sibling_glue(target, child, depth, resolving):
                    result.situation = "sibling-cycle"
            if not usable and not servers and names.parent(target) not in failed_zones:
                # like a resolver: look names up, one at a time, until one works
                usable = self._lookup(result, target, depth, resolving | {child}, problems)
                if not usable:
                    failed_zones.add(names.parent(target))
            servers.extend((target, address) for address in usable)
        if not servers:
            result.verdict = (f"{names.fqdn(zone)} delegates {names.fqdn(child)} but no name server can be "
                              f"reached: {'; '.join(problems) or 'no addresses'} — resolvers answer SERVFAIL")
            if result.situation == "strip-glue":
                result.verdict += (f" when they ask the server that strips the glue; one that asks another "
                                   f"server of {names.fqdn(zone)} gets the glue and goes on")
        return servers

    def _glue_elsewhere(self, hop: Hop, message: dns.message.Message, target: str,
                        others: Sequence[tuple[str, str]]) -> bool:
        """Does another server of the zone send the glue this referral lacks? Then the server
        that answered strips it (a faulty server, not a registry without glue)."""
        question = message.question[0]
        for name, address in others:
            qtype = dns.rdatatype.to_text(question.rdtype)
            reply = probe.ask(address, self.port, question.name.to_text(), qtype, timeout=self.timeout)
            if reply.response is not None and probe.addresses(reply.response, target):
                hop.lines.append(f"{name} ({address}) sends the glue for {target} that {hop.asked[0]} left "
                                 "out: that server strips glue from its referrals")
                return True
        return False

    def _needs_sibling_glue(self, target: str, child: str, depth: int, resolving: frozenset[str]) -> bool:
        """True when ``target`` cannot be found without the sibling glue: a cycle through ``child``."""
        nested = Trace(target, "A")
        self._sibling_glue = False
        try:
            self._walk(nested, target, "A", depth + 1, resolving | {child})
        finally:
            self._sibling_glue = True
        cycle = nested.situation == "cycle" or "dependency cycle" in nested.verdict
        return nested.status == "fail" and cycle

    def _lookup(self, result: Trace, target: str, depth: int, resolving: frozenset[str],
                problems: list[str]) -> list[str]:
        if depth >= MAX_DEPTH:
            problems.append(f"finding {target} needs more than {MAX_DEPTH} nested lookups")
            return []
        nested = self._nested(target, depth, resolving, result)
        found = [a for a in nested.addresses if ":" not in a]
        if not found:
            problems.append(f"{target} could not be resolved: {_root_cause(nested.verdict)}")
            result.situation = result.situation or nested.situation
        return found


def _root_cause(verdict: str) -> str:
    """The innermost reason of a nested failure, so verdicts do not nest without end."""
    marker = "could not be resolved: "
    cause = verdict.rsplit(marker, 1)[-1] if marker in verdict else verdict
    return cause.split(" — resolvers answer SERVFAIL", 1)[0]


def _answer_values(message: dns.message.Message) -> list[str]:
    return [f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)} {rdata}"
            for rrset in message.answer for rdata in rrset]


def render(trace: Trace) -> str:
    """The trace as text, one block per hop, then the verdict."""
    out = [f";; tracing {names.fqdn(trace.qname)} {trace.qtype} from the simulated root"]
    for number, hop in enumerate(trace.hops, start=1):
        out.append(f";; hop {number}: {names.fqdn(hop.zone)} asked at {', '.join(hop.asked)}")
        out.append(f"   {hop.outcome}")
        out.extend(f"     {line}" for line in hop.lines)
    label = "OK" if trace.status in ("answer", "nxdomain", "nodata") else "FAIL"
    out.append(f"{label}: {trace.verdict}")
    if trace.situation == "sibling-cycle":
        out.append("note: only the sibling glue breaks a dependency cycle here (RFC 9471 §2.3)")
    if trace.resolvers:
        out.append(";; what real resolvers do here:")
        out.extend(f";;   {line}" for line in trace.resolvers)
    return "\n".join(out)
