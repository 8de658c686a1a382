"""What real resolvers do in a situation, quoted from the recorded matrix, never from memory.

``trace`` names the situation it ended in (in-domain glue missing, servers unreachable or
silent, a dependency cycle, a cycle only sibling glue breaks, a server's fault seen from
outside, or plain success); this module maps it to
the recorded case in ``scenarios/lab/`` and words each resolver's outcome with the log line
that resolver printed there. Imports: matrix.
"""

from __future__ import annotations

from acns_dns.lab import matrix

# situation -> (scenario, case) of the recorded matrix that shows it
SITUATIONS = {
    "ok": ("default", "default"),
    "missing-glue": ("missing-glue", "missing-glue"),
    "unreachable": ("stale-glue", "stale-glue"),
    "cycle": ("cyclic-sibling", "cyclic-sibling-in-domain-glue-only"),
    "sibling-cycle": ("cyclic-sibling", "cyclic-sibling"),
    # what a misbehaving server looks like from outside (faults: fault_ops)
    "silent": ("stale-glue", "stale-glue-timeout"),  # dropped queries look the same
    "other-source": ("misbehaving-servers", "other-source"),
    "servfail": ("misbehaving-servers", "servfail"),
    "refused": ("misbehaving-servers", "refused"),
    "lame": ("misbehaving-servers", "lame"),
    "lame-nodata": ("misbehaving-servers", "lame-nodata"),
    "tc": ("misbehaving-servers", "tc"),
    "strip-glue": ("misbehaving-servers", "strip-glue"),
}
# the versions the matrix was recorded with (Debian 12)
RECORDED_WITH = {"bind": "BIND 9.18", "knot": "Knot Resolver 5.6", "pdns": "PowerDNS Recursor 4.8",
                 "unbound": "unbound 1.17"}


def case_for(situation: str) -> matrix.Case:
    """The recorded case that shows ``situation``."""
    name, case = SITUATIONS[situation]
    found = matrix.find(name)
    if found is None:
        raise KeyError(f"no recorded matrix for {name}")
    return found.case(case)


def quote(kind: str, situation: str) -> str:
    """The first recorded log line (substring) of resolver ``kind`` in ``situation``."""
    reasons = case_for(situation).expect[kind].reason
    return reasons[0] if reasons else ""


def what_resolvers_do(situation: str) -> list[str]:
    """One line per resolver: its recorded outcome, time and own words."""
    name, _ = SITUATIONS[situation]
    case = case_for(situation)
    lines = []
    for kind, label in RECORDED_WITH.items():
        expect = case.expect.get(kind)
        if expect is None:
            continue
        if expect.rcode == "NOERROR":
            text = f"{label}: resolves ({expect.seconds:g} s)"
        else:
            text = f"{label}: {expect.rcode} after ~{expect.seconds:g} s"
        if expect.says:
            text += f" — {expect.says}"
        if expect.reason:
            text += f" (it logs \"{expect.reason[0]}\")"
        lines.append(text)
    lines.append(f"(recorded by acns-dns lab: scenarios/lab/{name}.yaml, case {case.name})")
    return lines
