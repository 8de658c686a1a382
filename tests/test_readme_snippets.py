"""Every snippet of README.md runs as written, and says what the README says it does.

The snippets are read from README.md itself (``readme_snippets``), so the README as edited is
what runs. They run in order, each section with the server its text has running (the table
``SERVER_FOR``; a server line in a block, such as ``./scripts/serve --scenario missing-glue``,
starts that server instead), one terminal per section: a bash that keeps variables and jobs
from one command to the next, a Python session that keeps names from one block to the next.
All of it happens in a private user + network + mount + PID namespace (``readme_walk.py``), so
the README's own ports and addresses are free and nothing outlives the walk. Every command
must succeed unless ``EXPECTED_STATUS`` says otherwise (with the README's reason); the
``test_*_says`` tests check the facts the text states about the output. A new snippet is run
by default: one that cannot run here must be listed in ``NOT_RUN`` with the reason.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from readme_snippets import Snippet, commands, snippets, transcript, without_comment

from acns_dns.lab import netns

ROOT = Path(__file__).resolve().parent.parent
WALK = Path(__file__).resolve().parent / "readme_walk.py"
DEFAULT_SERVER = "./scripts/serve"  # "usually ./scripts/serve running in another terminal"
# the server each section's text has running when its snippets start (None: none, because its
# snippets start their own, or need the API's port free)
SERVER_FOR: dict[str, str | None] = {
    "Set-up: two commands": "./scripts/serve",
    "Keeping the world: `--state`": None,
    "Seeing why it breaks": "./scripts/serve --scenario missing-glue",
    "Lessons: `scripts/demo`": None,
    "A shell inside the simulated Internet: `acns-dns shell`": None,
    "The page": "./scripts/serve --scenario missing-glue",
    "Addresses": None,
    "The seed, step by step": "./scripts/serve",
    "Tenant and zone custom nameservers, partial zones": "./scripts/serve --scenario tenant",
    "In resolver tests": None,
    "Four real resolvers: `acns-dns lab`": None,
    "Faults: servers that misbehave": None,
    "A world too large for one process: NSD or Knot as secondaries": None,
    "Leaving the API running on a shared machine": None,
}
# snippets this test does not run, by command (comment dropped) or a Python block's first line
LAB_MATRIX = "tests/test_lab_matrix.py runs this case with all four resolvers against the record"
NOT_RUN: dict[str, str] = {
    "./scripts/test": "the test suite itself: it would run this test again",
    "./scripts/demo --step missing-glue": "waits at a terminal for Enter before each command; "
                                          "tests/test_demo.py drives --step with Enter on stdin",
    ".venv/bin/acns-dns shell --scenario missing-glue": "an interactive shell (no -c): it waits for a "
                                                        "person at its prompt; the -c lines below run",
    ".venv/bin/acns-dns lab missing-glue --fix":
        "about 14 s (BIND gives up after 12 s); tests/test_lab_cli.py runs it with knot and unbound; "
        + LAB_MATRIX,
    ".venv/bin/acns-dns lab cyclic-sibling --case cyclic-sibling-in-domain-glue-only":
        f"about 13 s (BIND gives up after 12 s); {LAB_MATRIX}",
    ".venv/bin/acns-dns lab misbehaving-servers --case other-source":
        f"about 11 s (BIND waits 10 s); {LAB_MATRIX}",
    ".venv/bin/acns-dns lab stale-glue --unheld timeout":
        "about 15 s (Knot waits 14.8 s); tests/test_lab_cli.py runs it with pdns; " + LAB_MATRIX
        + " (case stale-glue-timeout)",
    "pip wheel --no-deps -w dist .": "builds into the reader's checkout; tests/test_wheel.py builds the "
                                     "wheel from a clean copy",
    "pip install dist/acns_dns-*.whl pytest-xdist": "installs into the reader's own environment; "
                                                    "tests/test_wheel.py installs it in a fresh venv",
    "pytest -n 4 --acns-netns test_glue.py": "tests/test_wheel.py runs this line on the README's "
                                             "test_glue.py in a project of its own",
    "import pytest": "test_glue.py, the ten-line resolver test: tests/test_wheel.py runs it with the "
                     "README's pytest line",
    "from acns_dns.testing import running_world": "tests/test_readme_testing.py runs it as written",
}
# commands that fail on purpose, by (heading, command): the status, and why the README expects it
EXPECTED_STATUS: dict[tuple[str, str], tuple[int, str]] = {
    ("Seeing why it breaks", ".venv/bin/acns-dns trace www.example.com"):
        (1, "trace exits 1 when resolution fails, as its transcript says: missing glue"),
    ("Faults: servers that misbehave", ".venv/bin/acns-dns trace www.example.com"):
        (1, "trace exits 1 when resolution fails: here ns1.nic.com strips the glue"),
    ("Leaving the API running on a shared machine", ".venv/bin/acns-dns serve --api 0.0.0.0:8053"):
        (2, "an --api other machines can reach is refused"),
}
FAULTS_YAML = "readme-faults.yaml"  # the Faults section's scenario lines, added to the default scenario
LANGUAGES = {"sh", "python", "yaml", ""}  # "": a plain block, output shown, not run


@dataclass
class Step:
    """One step of the walk: what the walk script does, where it comes from, what it gave."""

    do: str
    heading: str
    command: str = ""
    name: str = ""  # the command without its comment, or a Python block's first line
    # "snippet": the README's own text; "rerun": a snippet again, as the text asks; "check": this
    # test's own look (a file, a server the text has running, a scenario's lines served)
    role: str = "snippet"
    result: dict[str, Any] = field(default_factory=dict)


def is_server(name: str) -> bool:
    """A command that starts a server in the foreground: it runs until stopped."""
    return bool(re.search(r"(\./scripts/serve|acns-dns serve)\b", name)) and not name.endswith("&")


def first_line(text: str) -> str:
    return next(line.strip() for line in text.splitlines() if line.strip())


class Plan:
    """The steps of the walk, built from the README in order."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.server: str | None = None  # the server line running (without its comment)
        self.wanted: str | None = None  # the one the section's text has running
        self.heading = ""

    def add(self, do: str, command: str = "", role: str = "snippet", name: str = "") -> None:
        if do in ("sh", "python"):
            self.ensure()
        self.steps.append(Step(do, self.heading, command, name or without_comment(command), role))

    def ensure(self) -> None:
        """The section's server running, before its first command."""
        if self.wanted != self.server:
            self.server = self.wanted
            if self.wanted is None:
                self.steps.append(Step("stop", self.heading, role="check"))
            else:
                self.steps.append(Step("serve", self.heading, self.wanted, self.wanted, role="check"))

    def serve(self, line: str, role: str = "snippet") -> None:
        """A server line: it runs from now on (what was running stops)."""
        self.server = self.wanted = without_comment(line)
        self.steps.append(Step("serve", self.heading, line, self.server, role))

    def enter(self, heading: str) -> None:
        if heading != self.heading:
            self.heading = heading
            self.wanted = SERVER_FOR.get(heading, DEFAULT_SERVER)
            self.steps.append(Step("session", heading, role="check"))

    def shell_block(self, snippet: Snippet) -> None:
        shown = transcript(snippet.text)
        if shown is not None:
            self.add("sh", shown[0])
            return
        for command in commands(snippet.text):
            name = without_comment(command)
            if name in NOT_RUN:
                continue
            if is_server(name):
                self.serve(command)
            else:
                self.add("sh", command)
            self.after(name)

    def yaml_block(self, snippet: Snippet) -> None:
        """The scenario lines: added to the default scenario, checked, and served."""
        self.add("sh", f"cp acns_dns/scenarios/default.yaml {FAULTS_YAML} && cat >>{FAULTS_YAML} <<'EOF'\n"
                       f"{snippet.text}EOF", role="check", name="write the scenario")
        self.add("sh", f".venv/bin/acns-dns check-scenario {FAULTS_YAML}", role="check")
        self.serve(f".venv/bin/acns-dns serve --scenario {FAULTS_YAML} --admin-token lab-secret", "check")
        self.add("sh", "dig @127.53.167.233 -p 5300 www.example.com A +norec", role="check")
        self.add("sh", "ACNS_DNS_ADMIN_TOKEN=lab-secret .venv/bin/acns-dns fault list", role="check")

    def after(self, name: str) -> None:
        """What the text asks for after a command, and what this test looks at."""
        if name == ".venv/bin/acns-dns scenarios":  # "run the same dig lines to see what breaks"
            for command in commands(dig_block().text):
                self.add("sh", command, role="rerun")
        elif "--state /tmp/acns-state/world.json" in name:
            self.add("sh", "ls /tmp/acns-state", role="check")
        elif name.startswith("unshare -rn sh -c"):  # "then, in the same namespace: dig @fd53:53:53::a ..."
            self.add("sh", "nsenter -t \"$(pgrep -nf 'acns-dns serve --port 53')\" -U -n "
                           "--preserve-credentials dig @fd53:53:53::a www.example.com A +norec", role="check")
        elif name == "dig @127.0.0.1 -p 5301 example.com SOA +short":
            self.add("sh", "cat /tmp/acns-secondaries/zones/cloudflare/example.com.zone", role="check")


def dig_block() -> Snippet:
    """The Set-up section's dig lines ("Some of what the default scenario shows")."""
    return next(s for s in snippets() if s.heading == "Set-up: two commands" and s.text.startswith("dig "))


def plan() -> list[Step]:
    built = Plan()
    for snippet in snippets():
        built.enter(snippet.heading)
        if snippet.language == "sh":
            built.shell_block(snippet)
        elif snippet.language == "python" and first_line(snippet.text) not in NOT_RUN:
            built.add("python", snippet.text, name=first_line(snippet.text))
        elif snippet.language == "yaml":
            built.yaml_block(snippet)
    built.wanted = None
    built.ensure()
    return built.steps


def test_every_snippet_is_run_or_listed_with_a_reason() -> None:
    found = snippets()
    assert found, "README.md has no code blocks"
    assert {s.language for s in found} <= LANGUAGES, "a block in a language this test does not run"
    names = {without_comment(c) for s in found if s.language == "sh" and transcript(s.text) is None
             for c in commands(s.text)}
    names |= {first_line(s.text) for s in found if s.language == "python"}
    assert not set(NOT_RUN) - names, "NOT_RUN lists what the README no longer holds"
    headings = {s.heading for s in found}
    assert set(SERVER_FOR) <= headings, f"SERVER_FOR: not in the README: {set(SERVER_FOR) - headings}"
    for heading, server in SERVER_FOR.items():  # the table says what the text says
        text = "\n".join(s.prose + s.text for s in found if s.heading == heading)
        if server is not None:
            assert server.split(" ", 1)[-1] in text, (heading, server)
    steps = plan()
    run = {step.name for step in steps if step.role == "snippet"}
    assert not names - run - set(NOT_RUN), "a README snippet is neither run nor listed in NOT_RUN"


@dataclass(repr=False)
class Walk:
    """The walk's steps, each with its result."""

    steps: list[Step]

    def __repr__(self) -> str:
        return f"Walk({len(self.steps)} steps)"

    def ran(self, heading: str, prefix: str, role: str = "snippet") -> dict[str, Any]:
        """What the command of ``heading`` starting with ``prefix`` gave (the first such)."""
        for step in self.steps:
            if step.heading == heading and step.role == role and step.name.startswith(prefix):
                return step.result
        raise AssertionError(f"README: no command {prefix!r} under {heading!r}")

    def out(self, heading: str, prefix: str, role: str = "snippet") -> str:
        """What that command printed on stdout."""
        return str(self.ran(heading, prefix, role)["stdout"])

    def block(self, heading: str, contains: str) -> dict[str, Any]:
        """What the Python block of ``heading`` holding ``contains`` gave."""
        for step in self.steps:
            if step.heading == heading and step.do == "python" and contains in step.command:
                return step.result
        raise AssertionError(f"README: no Python block with {contains!r} under {heading!r}")


@pytest.fixture(scope="module")
def walk() -> Walk:
    reason = netns.available("-rnmpf")
    if reason:
        pytest.skip(f"the README's snippets run in a user + network namespace: {reason}")
    # the reader ran ./scripts/serve first: its installation is done before the walk starts (a
    # no-op once done; inside the namespace there is no package index to install from)
    installed = subprocess.run([str(ROOT / "scripts" / "serve"), "--help"], capture_output=True, text=True,
                               timeout=600)
    assert installed.returncode == 0, f"./scripts/serve --help: {installed.stderr[-3000:]}"
    steps = plan()
    wire = [{"do": step.do, "command": step.command} for step in steps]
    done = subprocess.run(["unshare", "-rnmpf", "--mount-proc", "--kill-child", sys.executable, str(WALK)],
                          input=json.dumps(wire), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    for step, result in zip(steps, json.loads(done.stdout), strict=True):
        step.result = result
    return Walk(steps)


def _report(step: Step) -> str:
    result = step.result
    return (f"[{step.heading}] {step.name or step.do}: status {result['status']}, failed {result['failed']}\n"
            f"  stdout: {result['stdout'][-1500:]}\n  stderr: {result['stderr'][-1500:]}")


def test_every_snippet_runs_as_written(walk: Walk) -> None:
    wrong = []
    for step in walk.steps:
        expected = EXPECTED_STATUS.get((step.heading, step.name), (0, ""))[0]
        if step.result["status"] != expected or (expected == 0 and step.result["failed"]):
            wrong.append(_report(step))
    assert not wrong, "\n".join(wrong)


def section(dig: str, name: str) -> str:
    match = re.search(rf";; {name} SECTION:\n(.*?)(?:\n\n|\Z)", dig, re.S)
    return match.group(1) if match else ""


def test_the_set_up_section_says(walk: Walk) -> None:
    heading = "Set-up: two commands"
    banner = walk.out(heading, "./scripts/serve")
    assert "dig @127.53.0.1 -p 5300" in banner and "HTTP API: http://127.0.0.1:8053/client/v4" in banner
    assert "token 'demo-token'" in banner and "admin token" in banner
    root = walk.out(heading, "dig @127.53.0.1 ")
    assert "ns1.nic.com." in section(root, "AUTHORITY") and "ns1.nic.com." in section(root, "ADDITIONAL")
    com = walk.out(heading, "dig @127.53.0.10 ")
    assert re.search(r"ns1\.example\.com\.\s.*\bA\s+127\.53\.", section(com, "ADDITIONAL")), com
    edge = walk.out(heading, "dig @127.0.0.1 -p 5300 example.com NS")
    assert re.search(r"flags: qr aa", edge) and "ns2.example.com." in section(edge, "ANSWER"), edge
    assigned = walk.out(heading, "dig @127.0.0.1 -p 5300 ns1.example.com A")
    assert re.search(r"\bA\s+127\.53\.\d+\.\d+", section(assigned, "ANSWER")), assigned
    listed = walk.out(heading, ".venv/bin/acns-dns scenarios")
    readme = (ROOT / "README.md").read_text()
    rows = readme[readme.index("| scenario | what it shows |"):].split("\n\n", 1)[0]
    table = re.findall(r"^\| `([a-z-]+)` \|", rows, re.M)
    assert table and all(re.search(rf"^{name}\s", listed, re.M) for name in table), (table, listed)
    # then "the same dig lines", with missing-glue: the com referral carries no glue
    com = walk.out(heading, "dig @127.53.0.10 ", role="rerun")
    assert "ns1.example.com." in section(com, "AUTHORITY") and "ADDITIONAL: 1" in com, com


def test_keeping_the_world_says(walk: Walk) -> None:
    files = walk.out("Keeping the world: `--state`", "ls /tmp/acns-state", role="check").split()
    assert files == ["world.json", "world.json.journal"], files


def shown_lines_appear(shown: list[str], output: str) -> None:
    """Each line a transcript shows is printed, in order ("..." alone: lines left out; a line
    ending in "...": its start)."""
    printed = iter(output.splitlines())
    for line in shown:
        if line.strip() == "...":
            continue
        start = line.endswith("...")
        want = line.removesuffix("...").rstrip() if start else line.rstrip()
        assert any((got.startswith(want) if start else got.rstrip() == want) for got in printed), (
            f"README shows {line!r}; the command printed:\n{output}")


def test_the_transcripts_are_what_the_commands_print(walk: Walk) -> None:
    for snippet in snippets():
        shown = transcript(snippet.text) if snippet.language == "sh" else None
        if shown is not None:
            result = walk.ran(snippet.heading, without_comment(shown[0]))
            shown_lines_appear(shown[1], result["stdout"] + result["stderr"])


def test_the_lessons_and_the_shell_say(walk: Walk) -> None:
    heading = "Lessons: `scripts/demo`"
    assert "Usage: scripts/demo" in walk.out(heading, "./scripts/demo --help")
    lessons = walk.out(heading, "./scripts/demo default stale-glue")
    assert "######## default" in lessons and "######## stale-glue" in lessons
    heading = "A shell inside the simulated Internet: `acns-dns shell`"
    received = walk.out(heading, ".venv/bin/acns-dns shell -c 'dig +trace").splitlines()
    sample = next(s for s in snippets() if s.heading == heading and s.language == "").text.splitlines()

    def shape(line: str) -> tuple[str, str]:  # dig picks among the servers of a zone at random
        match = re.fullmatch(r";; Received (\d+) bytes from \S+#53\(([^)]+)\) in \d+ ms", line)
        assert match, line
        return match.group(1), re.sub(r"^(ns\d|[a-d])\.", "", match.group(2))

    assert [shape(line) for line in received] == [shape(line) for line in sample], received
    over_ipv6 = walk.out(heading, ".venv/bin/acns-dns shell -c 'dig -6")
    assert re.search(r"^www\.example\.com\.\s+\d+\s+IN\s+A\s+192\.0\.2\.10$", over_ipv6, re.M), over_ipv6
    assert len(re.findall(r"Received \d+ bytes from fd53:53:53::", over_ipv6)) == 4, over_ipv6


def test_the_page_and_addresses_say(walk: Walk) -> None:
    diagram = ".venv/bin/acns-dns diagram example.com"
    assert "wrote missing-glue.svg" in walk.out("The page", f"{diagram} --scenario missing-glue")
    assert "wrote example.com.svg" in walk.out("The page", f"{diagram} --api")
    served = walk.out("Addresses", "unshare -rn sh -c")
    assert "on port 53 (UDP and TCP)" in served and "not listening" not in served, served
    referral = walk.out("Addresses", "nsenter", role="check")
    assert "ns1.example.com." in section(referral, "AUTHORITY") and "fd53:53:53::" in referral, referral


def test_the_seed_says(walk: Walk) -> None:
    heading = "The seed, step by step"
    created = walk.block(heading, "Step 1")["stdout"]
    pairs = re.findall(r"^(ns[34]\.example\.com) \[\('A', '([\d.]+)'\), \('AAAA', 'fd53:", created, re.M)
    assigned = dict(pairs)
    assert set(assigned) == {"ns3.example.com", "ns4.example.com"}, created
    assert walk.out(heading, "dig @127.0.0.1 -p 5300 ns3.example.com A").split() == [
        assigned["ns3.example.com"]]
    glue = walk.out(heading, "$A registrar set-glue ns3")
    assert assigned["ns3.example.com"] in glue
    assert walk.out(heading, "dig @127.0.0.1 -p 5300 example.com NS +short").split() == [
        "ns3.example.com.", "ns4.example.com."]
    referral = walk.out(heading, "dig @127.53.0.10 ")
    assert "ns4.example.com." in section(referral, "AUTHORITY"), referral
    assert assigned["ns3.example.com"] in section(referral, "ADDITIONAL"), referral
    trace = walk.out(heading, "$A trace")
    assert "asked at ns3.example.com" in trace and "OK: resolved" in trace, trace
    assert "0 failed" in walk.out(heading, "$A check example.com")
    listed = json.loads(walk.out(heading, "curl -s http://127.0.0.1:8053/client/v4/accounts/"))
    assert {(ns["ns_name"], ns["ns_set"]) for ns in listed["result"]} >= {("ns3.example.com", 2),
                                                                          ("ns4.example.com", 2)}
    created = walk.out(heading, "for n in ns5 ns6")
    assert created.count('"success":true') == 2 and created.count('"ns_set":3') == 2, created
    assert '"success":true' in walk.out(heading, 'curl -s -X PUT "$API/zones/$ZONE/custom_ns"')
    later = [s.result["stdout"].split() for s in walk.steps
             if s.heading == heading and s.name == "dig @127.0.0.1 -p 5300 example.com NS +short"]
    assert later[-1] == ["ns5.example.com.", "ns6.example.com."], later
    standard = walk.out(heading, 'curl -s -X PATCH "$API/zones/$ZONE/dns_settings"')
    assert '"type":"cloudflare.standard"' in standard, standard


def test_the_tenant_section_says(walk: Walk) -> None:
    heading = "Tenant and zone custom nameservers, partial zones"
    printed = walk.block(heading, "tenant_custom_nameservers")["stdout"]
    assert re.search(r"^ns3\.resellerdns\.net \[\('A', '127\.53\.", printed, re.M), printed
    assert "['ns7.brand.com', 'ns8.brand.com']" in printed, printed
    assert walk.out(heading, "dig @127.0.0.1 -p 5300 shop.com NS").split() == [
        "ns3.resellerdns.net.", "ns4.resellerdns.net."]
    assert re.fullmatch(r"127\.53\.\d+\.\d+\n", walk.out(heading, "dig @127.0.0.1 -p 5300 ns7.brand.com"))
    assert "status: REFUSED" in walk.out(heading, "dig @127.0.0.1 -p 5300 partial.com SOA")


def test_the_lab_section_says(walk: Walk) -> None:
    heading = "Four real resolvers: `acns-dns lab`"
    result = json.loads(walk.out(heading, ".venv/bin/acns-dns lab default www.example.net AAAA"))
    outcomes = {row["kind"]: row for row in result["outcomes"]}
    assert set(outcomes) == {"unbound", "knot"}, outcomes
    for row in outcomes.values():
        assert not row["installed"] or (row["rcode"], row["answer"]) == ("NOERROR", ["2001:db8::20"]), row
    recorded = walk.out(heading, ".venv/bin/acns-dns lab stale-glue --recorded")
    assert "recorded by acns-dns lab" in recorded
    assert all(name in recorded for name in ("BIND", "Knot Resolver", "PowerDNS Recursor", "unbound"))


def test_the_faults_section_says(walk: Walk) -> None:
    heading = "Faults: servers that misbehave"
    lame = walk.out(heading, "dig @127.53.167.233 ")
    assert re.search(r"flags: qr;", lame) and "192.0.2.10" in section(lame, "ANSWER"), lame  # no "aa"
    listed = walk.out(heading, ".venv/bin/acns-dns fault list")
    assert all(kind in listed for kind in ("lame", "delay 800 ms", "strip-glue")), listed
    assert "strips glue" in walk.out(heading, ".venv/bin/acns-dns trace")
    assert walk.out(heading, ".venv/bin/acns-dns fault clear").count("cleared:") == 3
    assert "unheld addresses: timeout" in walk.out(heading, ".venv/bin/acns-dns fault unheld timeout")
    faults = json.loads(walk.out(heading, 'curl -s -H "Authorization: Bearer lab-secret"'))["result"]
    assert faults["unheld"] == "timeout" and faults["faults"][0]["server"] == "ns1.nic.com", faults
    assert faults["faults"][0]["faults"] == [{"kind": "servfail"}], faults
    # the scenario lines, served
    lame = walk.out(heading, "dig @127.53.167.233 ", role="check")
    assert re.search(r"flags: qr;", lame), lame
    listed = walk.out(heading, "ACNS_DNS_ADMIN_TOKEN=lab-secret", role="check")
    assert "unheld addresses: timeout" in listed and "lame" in listed and "delay 300 ms" in listed, listed


def test_the_secondaries_section_says(walk: Walk) -> None:
    heading = "A world too large for one process: NSD or Knot as secondaries"
    referral = walk.out(heading, "dig @127.53.0.10 -p 5301")
    assert "ns1.example.com." in section(referral, "AUTHORITY"), referral
    assert "127.53." in section(referral, "ADDITIONAL"), referral  # the glue
    assert walk.out(heading, "dig @127.0.0.1 -p 5301 new.example.com").split() == ["192.0.2.99"]
    serial = int(walk.out(heading, "dig @127.0.0.1 -p 5301 example.com SOA").split()[2])
    exported = walk.out(heading, "cat /tmp/acns-secondaries", role="check")
    before = re.search(r"\bSOA\s+\S+\s+\S+\s+(\d+)", exported)
    assert before is not None and serial > int(before.group(1)), (serial, exported)
