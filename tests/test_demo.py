"""scripts/demo, as a teacher runs it: one lesson per packaged scenario, each walking the break
and the fix with the commands a user types, inside ``acns-dns shell``; ``--step`` waits for
Enter before each command; ``--port`` runs without namespaces.

What a lesson says a resolver does is checked against what the resolver printed: the live
unbound line the lesson shows must be the one the recorded matrix holds for unbound.
"""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest

from acns_dns.lab import matrix, shell
from acns_dns.lab.testing import PORT_RANGE
from acns_dns.world import scenario

ROOT = Path(__file__).parent.parent
DEMO = ROOT / "scripts" / "demo"
LESSONS = sorted(p.stem for p in (ROOT / "scripts" / "lessons").glob("*.sh"))
FAILURES = {"missing-glue", "stale-glue", "wrong-removal-order", "cyclic-sibling", "pending-ticket"}
REASON = shell.unavailable()
needs_shell = pytest.mark.skipif(bool(REASON), reason=f"acns-dns shell cannot run here: {REASON}")


def demo(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(DEMO), "--api", "127.0.0.1:0", *args], input=stdin, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    return done


def commands(out: str) -> list[str]:
    """The commands a lesson printed, in order."""
    return re.findall(r"^\$ (.+)$", out, re.M)


def after(out: str, command: str, nth: int = 1) -> str:
    """What the ``nth`` run of ``command`` printed, up to the next command."""
    parts = out.split(f"\n$ {command}\n")
    assert len(parts) > nth, f"{command!r} ran {len(parts) - 1} time(s)"
    return parts[nth].split("\n$ ", 1)[0]


def test_help_lists_a_lesson_for_every_packaged_failure_and_no_stray_one() -> None:
    done = subprocess.run([str(DEMO), "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "--step" in done.stdout and "Usage: scripts/demo" in done.stdout
    for lesson in LESSONS:
        assert re.search(rf"^  {re.escape(lesson)}\s+\S", done.stdout, re.M), lesson
    packaged = {name for name, _ in scenario.packaged()}
    assert FAILURES <= set(LESSONS) <= packaged
    unknown = subprocess.run([str(DEMO), "no-such-lesson"], capture_output=True, text=True, timeout=30)
    assert unknown.returncode == 2 and "no lesson called 'no-such-lesson'" in unknown.stderr


@needs_shell
@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_runs_through_inside_the_shell(lesson: str) -> None:
    out = demo(lesson).stdout
    assert re.search(r"^Page: http://127\.0\.0\.1:\d+/#token=\w+", out, re.M)
    assert "\npage> " in out  # what to look at on the page
    ran = commands(out)
    assert any(c.startswith("dig +trace ") for c in ran), ran
    assert "not run here" not in out
    recorded = matrix.find(lesson)
    if recorded is not None and f"acns-dns lab {lesson} --recorded" in ran:
        shown = after(out, f"acns-dns lab {lesson} --recorded")
        for case in recorded.cases:
            for expect in case.expect.values():
                assert all(f"it logs: {line}" in shown for line in expect.reason)
    checks = [c for c in ran if c.startswith("acns-dns check ")]
    for check in checks:  # every lesson ends healthy
        assert re.search(r": 0 failed, 0 warnings, \d+ passed", after(out, check, ran.count(check))), check
    if lesson in MORE:
        MORE[lesson](out)
    if lesson in FAILURES:  # the break, seen through the resolver
        assert "status: SERVFAIL" in out
    traces = [c for c in ran if c.startswith("dig +trace ")]
    last = after(out, traces[-1], ran.count(traces[-1]))  # ends at a server that answers
    assert re.search(r"\sIN\s+A\s+[\d.]+\n;; Received \d+ bytes from [\d.]+#53", last), last


def missing_glue(out: str) -> None:
    """The walk stops at com, and reaches the edge after the fix; unbound's line is the recorded one."""
    before, fixed = after(out, "dig +trace www.example.com", 1), after(out, "dig +trace www.example.com", 2)
    assert "couldn't get address for 'ns1.example.com'" in before and "192.0.2.10" not in before
    assert re.search(r"Received \d+ bytes from [\d.]+#53\(ns[12]\.nic\.com\)", fixed)
    assert re.search(r"^www\.example\.com\.\s+300\s+IN\s+A\s+192\.0\.2\.10\n;; Received \d+ bytes from "
                     r"[\d.]+#53\(ns[12]\.example\.com\)", fixed, re.M)
    assert "status: SERVFAIL" in after(out, "dig www.example.com", 1)
    assert "status: NOERROR" in after(out, "dig www.example.com", 2)
    # the lesson says unbound's live line is the one the lab recorded: it must be
    unbound = matrix.find("missing-glue")
    assert unbound is not None
    live = next(c for c in commands(out) if c.startswith("grep -m1 www.example.com "))
    assert unbound.cases[0].expect["unbound"].reason[0] in after(out, live)


def cyclic_sibling(out: str) -> None:
    """Sibling glue gets in; without glue the cycle fails as recorded; the fix needs no sibling glue."""
    assert "192.0.2.50" in after(out, "dig +trace www.alpha.net", 1)  # sibling glue gets in
    assert "status: SERVFAIL" in after(out, "dig www.alpha.net")
    recorded = matrix.find("cyclic-sibling")
    assert recorded is not None
    live = next(c for c in commands(out) if c.startswith("grep -m1 www.alpha.net "))
    in_domain_only = recorded.case("cyclic-sibling-in-domain-glue-only").expect["unbound"].reason[0]
    assert in_domain_only in after(out, live)
    fixed = after(out, "dig +trace www.alpha.net", 3)
    assert re.search(r"Received \d+ bytes from [\d.]+#53\(ns[12]\.alpha\.net\)", fixed)


MORE = {"missing-glue": missing_glue, "cyclic-sibling": cyclic_sibling}


@needs_shell
def test_step_waits_for_enter_before_each_command() -> None:
    out = demo("--step", "missing-glue", stdin="\n\n\n").stdout
    ran = commands(out)
    # three lines of input: three commands ran; the fourth was shown and waited for a fourth
    assert len(ran) == 4 and out.count("[Enter]") == 4, out
    assert out.rstrip().endswith("no more input: the lesson stops here")
    assert "status: SERVFAIL" in after(out, "dig www.example.com")  # the first command did run
    waiting = out.split(f"$ {ran[3]}\n", 1)[1]
    assert waiting.startswith("   [Enter] \n== no more input")  # the fourth did not
    whole = demo("--step", "default", stdin="\n" * 100).stdout
    assert whole.count("[Enter]") == len(commands(whole)) > 5
    assert "no more input" not in whole


def test_without_namespaces_the_lesson_serves_on_a_port_and_shows_the_shell_steps() -> None:
    port = random.randint(PORT_RANGE[0], PORT_RANGE[1] - 1000)
    out = demo("--port", str(port), "missing-glue").stdout
    assert f"dig @127.53.0.10 -p {port} www.example.com A +norec" in out
    assert "$ dig +trace www.example.com\n   (not run here: it needs acns-dns shell" in out
    assert "FAIL: com. delegates example.com. but no name server can be reached" in out
    assert "glue for ns1.example.com at example-registrar: 127.53." in out
    assert re.search(r"example\.com\.: 0 failed, 0 warnings, \d+ passed", out)
