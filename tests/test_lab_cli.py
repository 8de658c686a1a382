"""``acns-dns lab``: one row per resolver with its own reason; a missing resolver is a row."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from acns_dns.cli.main import main
from acns_dns.lab import matrix, netns, report, run
from acns_dns.lab.resolver import Resolver

REASON = netns.available()
needs_namespaces = pytest.mark.skipif(bool(REASON), reason=f"needs user+network namespaces: {REASON}")


def lab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "acns_dns", "lab", *args], capture_output=True, text=True,
                          timeout=300)


@needs_namespaces
def test_lab_fix_prints_each_failure_with_its_reason_and_the_recovery() -> None:
    done = lab("missing-glue", "--fix", "--resolvers", "knot,unbound")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    expect = matrix.find("missing-glue")
    assert expect is not None
    for label, kind in (("Knot Resolver", "knot"), ("unbound", "unbound")):
        row = next(line for line in lines if line.startswith(label) and "SERVFAIL" in line)
        assert expect.cases[0].expect[kind].reason[0] in row
        assert any(line.startswith(label) and "recovered after" in line for line in lines), done.stdout
    assert "PUT /sim/registrars/example-registrar/glue/ns1.example.com" in done.stdout


@needs_namespaces
def test_lab_json_with_a_name_of_ones_own() -> None:
    done = lab("default", "www.example.net", "AAAA", "--resolvers", "unbound", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["qname"], result["qtype"]) == ("www.example.net", "AAAA")
    [row] = result["outcomes"]
    assert (row["kind"], row["rcode"], row["answer"]) == ("unbound", "NOERROR", ["2001:db8::20"])


def test_lab_unknown_resolver_is_a_clear_error() -> None:
    done = lab("default", "--resolvers", "djbdns")
    assert done.returncode == 2 and "unknown resolver djbdns" in done.stderr


class Absent(Resolver):
    kind, label, binary = "absent", "Absent Resolver", "no-such-resolver-binary"


def test_a_resolver_that_is_not_installed_is_a_row_saying_so(tmp_path: Path) -> None:
    row = run._start(Absent, "127.53.0.1", tmp_path)
    assert not isinstance(row, Resolver) and not row.installed
    text = report.render({"scenario": "default", "qname": "www.example.com", "qtype": "A",
                          "outcomes": [row.as_dict()]})
    assert "Absent Resolver  not installed (no-such-resolver-binary is not installed)" in text


@needs_namespaces
def test_lab_unheld_timeout_makes_stale_glue_silent() -> None:
    done = lab("stale-glue", "--unheld", "timeout", "--resolvers", "pdns", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert ";; faults: none; addresses nobody holds stay silent (timeout)" in report.render(result)
    [row] = result["outcomes"]
    assert row["rcode"] == "SERVFAIL"
    assert any("www.example.com: timeout resolving after" in line for line in row["log"]), row["log"]


def test_the_faults_line_names_each_fault_and_the_unheld_mode() -> None:
    text = report.render({"scenario": "misbehaving-servers", "qname": "www.example.com", "qtype": "A",
                          "case": "delay", "unheld": "refused", "faults": [
                              {"server": "ns1.example.com", "addresses": [], "faults": [
                                  {"kind": "delay", "delay_ms": 150}, {"kind": "tc"}]}],
                          "outcomes": [{"label": "unbound", "version": "", "installed": False,
                                        "reason": "unbound is not installed"}]})
    assert text.splitlines()[1] == (";; faults: ns1.example.com delay 150 ms+tc; addresses nobody holds "
                                    "refuse (port unreachable)")


def test_lab_recorded_quotes_every_resolver_of_every_case_without_running_one(
        capsys: pytest.CaptureFixture[str]) -> None:
    for recording in matrix.all_matrices():
        assert main(["lab", recording.scenario, "--recorded"]) == 0
        out = capsys.readouterr().out
        for case in recording.cases:
            assert f"{case.qname} {case.qtype}" in out
            for expect in case.expect.values():
                for line in expect.reason:
                    assert f"it logs: {line}" in out
                if expect.recovery:
                    assert expect.recovery.removeprefix("--fix: ") in out
    assert main(["lab", "no-such-scenario", "--recorded"]) == 2
    assert "no recorded matrix for 'no-such-scenario'" in capsys.readouterr().err
