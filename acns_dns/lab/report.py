"""Running the lab from outside its namespace, and its result as rows of text.

``lab(scenario, ...)`` runs ``acns_dns.lab.run`` under ``unshare -rn`` and returns its JSON;
``render`` prints one row per resolver: rcode, answer, time and the resolver's own log line,
then, after a fix, each one's time to recover. ``recorded`` prints the same rows from the
recorded matrix (no resolver runs), quoting each resolver's own log line.
Imports: netns, matrix, evidence (the recorded versions).
"""

from __future__ import annotations

import json
from typing import Any

from acns_dns.lab import evidence, matrix, netns


class LabError(RuntimeError):
    """The lab could not run; the message says why (and shows the runner's error output)."""


def lab(scenario: str, qname: str | None = None, qtype: str | None = None, *, case: str | None = None,
        fix: bool = False, kinds: list[str] | None = None, timeout: float = 30.0,
        recovery_limit: float = 150.0, asks: int = 1, flush: bool = True,
        unheld: str | None = None) -> dict[str, Any]:
    """Run every (or the named) resolver on ``scenario`` in a fresh namespace; the result."""
    args = [scenario]
    if qname:
        args += [qname, qtype or "A"]
    if case:
        args += ["--case", case]
    if unheld:
        args += ["--unheld", unheld]
    if kinds:
        args += ["--kinds", ",".join(kinds)]
    if fix:
        args += ["--fix", "--recovery-limit", str(recovery_limit)] + ([] if flush else ["--no-flush"])
    args += ["--asks", str(asks)]
    args += ["--timeout", str(timeout)]
    try:
        limit = 60 + timeout * asks + (recovery_limit if fix else 0)
        done = netns.run_inside("acns_dns.lab.run", args, timeout=limit)
    except netns.NamespaceError as exc:
        raise LabError(str(exc)) from exc
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise LabError(f"the lab run failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def describe_faults(result: dict[str, Any]) -> str:
    """The world's faults and unheld mode in one line (``fault_ops.describe``'s shape)."""
    servers = [f"{row['server']} " + "+".join(
        f"delay {f['delay_ms']} ms" if f["kind"] == "delay" else f["kind"] for f in row["faults"])
        for row in result.get("faults", [])]
    unheld = result.get("unheld", "refused")
    held = ("addresses nobody holds stay silent (timeout)" if unheld == "timeout"
            else "addresses nobody holds refuse (port unreachable)")
    return f"faults: {', '.join(servers) or 'none'}; {held}"


def render(result: dict[str, Any]) -> str:
    """One row per resolver, then the fix and the recovery times."""
    out = [f";; {result['scenario']}: {result['qname']} {result['qtype']}"
           + (f" (case {result['case']})" if result.get("case") else "")]
    if result.get("faults") or result.get("unheld", "refused") != "refused":
        out.append(f";; {describe_faults(result)}")
    width = max(len(f"{row['label']} {row['version']}".strip()) for row in result["outcomes"])
    for row in result["outcomes"]:
        name = f"{row['label']} {row['version']}".strip().ljust(width)
        if not row["installed"]:
            out.append(f"{name}  not installed ({row['reason']})")
            continue
        answer = ", ".join(row["answer"]) or "-"
        out.append(f"{name}  {row['rcode']:<8} {answer:<22} {row['seconds']:>7.3f} s  {row['reason']}")
    if "fix" in result:
        out.append(";; fix applied through the API:")
        out.extend(f";;   {call}" for call in result["fix"])
        for row in result["outcomes"]:
            recovery = row.get("recovery")
            if not recovery:
                continue
            name = f"{row['label']}".ljust(width)
            if recovery["recovered"]:
                flushed = "cache flushed" if recovery.get("flushed") else "no flush"
                text = (f"recovered after {recovery['seconds']:.2f} s ({flushed}, "
                        f"{recovery['asked']} questions)")
            else:
                text = f"NOT recovered within {recovery['seconds']:.0f} s"
            meanwhile = f"; meanwhile: {recovery['reason']}" if recovery["reason"] else ""
            out.append(f"{name}  {text}{meanwhile}")
    return "\n".join(out)


def recorded(recording: matrix.Matrix) -> str:
    """What each resolver did in every case of a recorded matrix, in its own words, and how
    long it took to recover after the documented fix."""
    width = max(len(label) for label in evidence.RECORDED_WITH.values())
    out = [f";; recorded by acns-dns lab: scenarios/lab/{recording.scenario}.yaml"]
    for case in recording.cases:
        named = f" (case {case.name})" if len(recording.cases) > 1 else ""
        out.append(f";; {case.qname} {case.qtype}{named}")
        if case.note:
            out.append(f";;   {' '.join(case.note.split())}")
        for kind, label in evidence.RECORDED_WITH.items():
            expect = case.expect.get(kind)
            if expect is None:
                continue
            answer = ", ".join(expect.answer) or "-"
            says = f"  {expect.says}" if expect.says else ""
            out.append(f"{label.ljust(width)}  {expect.rcode:<8} {answer:<14} ~{expect.seconds:g} s{says}")
            out.extend(f"{'':{width}}    it logs: {line}" for line in expect.reason)
            if expect.recovery:
                out.append(f"{'':{width}}    after the fix: {expect.recovery.removeprefix('--fix: ')}")
    return "\n".join(out)
