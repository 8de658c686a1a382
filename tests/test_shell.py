"""``acns-dns shell``: dig +trace, dig, host, getent and Python inside the simulated Internet.

Each test runs the real command (a user + network + mount + PID namespace, the world on port
53, unbound named by the shell's /etc/resolv.conf) and looks at what ``dig +trace`` printed:
the servers that answered, hop by hop. Skipped only where user namespaces or unbound are
missing (the reason is given).
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from acns_dns.dns.view import Role, compile_view
from acns_dns.lab import shell
from acns_dns.world import scenario
from acns_dns.world.models import Network

REASON = shell.unavailable()
pytestmark = pytest.mark.skipif(bool(REASON), reason=f"acns-dns shell cannot run here: {REASON}")
ACNS = str(Path(os.environ.get("VIRTUAL_ENV", Path(__file__).parent.parent / ".venv")) / "bin" / "acns-dns")
TIMEOUT = 90
# dig +trace: ";; Received 172 bytes from 127.53.0.2#53(b.root-servers.net) in 0 ms"
RECEIVED = re.compile(r"^;; Received \d+ bytes from ([0-9a-f.:]+)#53\(([^)]+)\)", re.M)


def acns_shell(*args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHELL": "/bin/bash"}
    return subprocess.run([ACNS, "shell", *args], capture_output=True, text=True, timeout=timeout, env=env)


def cloudflare_addresses(name: str) -> set[str]:
    """Every address at which the scenario's Cloudflare edge serves (branded and ACNS)."""
    view = compile_view(scenario.load(name, Network()), 0, ())
    return {a for s in view.listing if s.role is Role.CLOUDFLARE for a in (s.ipv4, s.ipv6) if a}


def hops(trace: str) -> list[tuple[str, str]]:
    """(address, server name) of every reply dig +trace received, in order."""
    return RECEIVED.findall(trace)


def test_dig_trace_walks_root_com_edge_and_names_resolve_as_on_the_internet() -> None:
    one_liner = "import socket; print(socket.gethostbyname('www.example.com'))"
    command = ("dig +trace www.example.com; echo '-- getent'; getent hosts www.example.com; "
               f"echo '-- python'; python3 -c \"{one_liner}\"; "
               "echo '-- host'; host www.example.com; "
               "echo '-- ipv6'; dig -6 +trace www.example.com @fd53:53:53::1; exit 7")
    done = acns_shell("--no-api", "-c", command)
    assert done.returncode == 7, done.stderr[-2000:]
    trace, rest = done.stdout.split("-- getent", 1)
    walk = hops(trace)
    assert len(walk) == 4, trace
    assert walk[0] == ("127.0.0.53", "127.0.0.53")  # the root NS set, from the resolver
    assert walk[1][1].endswith(".root-servers.net")  # a root letter refers to com
    assert walk[2][1] in ("ns1.nic.com", "ns2.nic.com")  # com refers to example.com
    assert walk[3][1] in ("ns1.example.com", "ns2.example.com")  # the ACNS names answer...
    assert walk[3][0] in cloudflare_addresses("default")  # ...at Cloudflare's edge
    assert re.search(r"^www\.example\.com\.\s+300\s+IN\s+A\s+192\.0\.2\.10$", trace, re.M)
    getent, rest = rest.split("-- python", 1)
    assert getent.split() == ["2001:db8::10", "www.example.com"]
    python, rest = rest.split("-- host", 1)
    assert python.strip() == "192.0.2.10"
    host, ipv6 = rest.split("-- ipv6", 1)
    walk6 = hops(ipv6)  # the same walk over IPv6, from the root's IPv6 address
    assert len(walk6) == 4 and all(":" in address for address, _ in walk6), ipv6
    assert walk6[3][1] in ("ns1.example.com", "ns2.example.com")
    assert walk6[3][0] in cloudflare_addresses("default")
    assert "www.example.com has address 192.0.2.10" in host
    assert "www.example.com has IPv6 address 2001:db8::10" in host


def test_dig_trace_stops_at_the_tld_without_glue() -> None:
    done = acns_shell("--scenario", "missing-glue", "--no-api", "-c",
                      "dig +trace www.example.com; echo \"-- dig $?\"; dig www.example.com")
    assert done.returncode == 0, done.stderr[-2000:]
    trace, plain = done.stdout.split("-- dig", 1)
    walk = hops(trace)
    # the resolver gave the root's NS set, a root letter referred to com, and com's referral
    # (printed) names ns1/ns2.example.com without their addresses: dig asks its resolver for
    # them, which cannot find them either, and the walk ends there
    assert len(walk) == 2 and walk[1][1].endswith(".root-servers.net"), trace
    referral = trace.split(walk[1][1], 1)[1]
    assert re.search(r"^example\.com\.\s+172800\s+IN\s+NS\s+ns1\.example\.com\.$", referral, re.M)
    assert "couldn't get address for 'ns1.example.com'" in referral
    assert "couldn't get address for 'ns2.example.com'" in referral
    assert "192.0.2.10" not in done.stdout
    assert "status: SERVFAIL" in plain  # what the resolver answers a client


def test_the_page_and_api_serve_the_host_and_the_shell_and_everything_stops_after() -> None:
    env = {**os.environ, "SHELL": "/bin/bash"}
    command = ("echo \"ready $ACNS_DNS_API $ACNS_DNS_RESOLVER_LOG\"; read line; "
               "dig +short ns1.example.com; "
               "curl -s -o /dev/null -w 'inside %{http_code}\\n' \"$ACNS_DNS_API/client/v4/zones\"; exit 3")
    with subprocess.Popen([ACNS, "shell", "--scenario", "missing-glue", "--api", "127.0.0.1:0",
                           "--admin-token", "shell-test", "-c", command], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        try:
            _, api, log = _line(process, "ready ").split()
            headers = {"Authorization": "Bearer shell-test"}
            assert httpx.get(f"{api}/", timeout=10).status_code == 200  # the page, from the host
            glue = httpx.put(f"{api}/sim/registrars/example-registrar/glue/ns1.example.com",
                             headers=headers, json={"ipv4": ["127.53.167.233"], "ipv6": []}, timeout=10)
            assert glue.status_code == 200, glue.text
            out, err = process.communicate("go\n", timeout=TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 3, err[-2000:]
    assert "127.53.167.233" in out  # the glue set from outside, seen through the resolver inside
    assert "inside 401" in out or "inside 200" in out  # the same address answers in the shell
    host, port = api.removeprefix("http://").rsplit(":", 1)
    with pytest.raises(OSError), socket.create_connection((host, int(port)), timeout=5):
        pass
    assert not Path(log).exists()  # the shell's folder is gone...
    assert not _processes_mentioning(str(Path(log).parent))  # ...and so is unbound


def test_sigterm_ends_the_shell_and_everything_in_it() -> None:
    with subprocess.Popen([ACNS, "shell", "--no-api", "-c", "echo ready $ACNS_DNS_RESOLVER_LOG; sleep 60"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "SHELL": "/bin/bash"}) as process:
        try:
            log = _line(process, "ready ").split()[1]
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 128 + signal.SIGTERM
    assert not _processes_mentioning(str(Path(log).parent)) and not Path(log).exists()


def test_interactive_prompt_names_the_world_and_ctrl_c_reaches_only_the_command() -> None:
    env = {**os.environ, "SHELL": "/bin/bash", "HOME": "/nonexistent"}
    pid, leader = pty.fork()  # the child's controlling terminal is the pty, as in a terminal window
    if pid == 0:
        os.execve(ACNS, [ACNS, "shell", "--scenario", "missing-glue", "--no-api"], env)
    status: int | None = None
    try:
        seen = _read_until(leader, "[acns-dns missing-glue] $ ")
        assert "Page:" not in seen and "unbound at 127.0.0.53" in seen
        # the job prints once it holds the terminal (bash hands it over before exec)
        os.write(leader, b"sh -c 'echo run''ning; exec sleep 30'\n")
        _read_until(leader, "running")  # the job's output, not the echo of the typed line
        os.write(leader, b"\x03")
        _read_until(leader, "[acns-dns missing-glue] $ ")  # the shell is still there
        os.write(leader, b"echo status=$?\n")
        _read_until(leader, "status=130")  # sleep died of SIGINT (128 + 2)
        os.write(leader, b"exit 5\n")
        status = _wait(pid, within=30)
    finally:
        os.close(leader)
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    assert status == 5


def test_mistakes_are_one_line_before_anything_starts() -> None:
    done = acns_shell("--scenario", "no-such-scenario", "-c", "true")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("acns-dns shell: ") and "no-such-scenario" in done.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = acns_shell("--api", f"127.0.0.1:{port}", "-c", "true")
    assert done.returncode == 3, done.stderr
    assert f"cannot listen on 127.0.0.1 port {port}" in done.stderr and "--api" in done.stderr
    done = acns_shell("--api", "127.0.0.1:70000", "-c", "true")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "--api '127.0.0.1:70000': expected HOST:PORT with a port of 0-65535" in done.stderr
    done = acns_shell("--check")
    assert done.returncode == 0 and "can run here" in done.stdout


def _line(process: subprocess.Popen[str], prefix: str, within: float = 60.0) -> str:
    """The first line of the process's output starting with ``prefix`` (bounded wait)."""
    assert process.stdout is not None
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            line = process.stdout.readline()
            if line.startswith(prefix):
                return line.strip()
            if not line:
                break
    errors = process.stderr.read() if process.stderr is not None else ""
    raise AssertionError(f"no line starting with {prefix!r}; stderr: {errors}")


def _read_until(fd: int, wanted: str, within: float = 60.0) -> str:
    """What the terminal showed until ``wanted`` appeared (bounded wait)."""
    seen = b""
    deadline = time.monotonic() + within
    while wanted.encode() not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    text = seen.decode(errors="replace")
    assert wanted in text, text[-2000:]
    return text


def _wait(pid: int, within: float) -> int | None:
    """The exit status of child ``pid`` once it exits within ``within`` seconds, else None."""
    deadline = time.monotonic() + within
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of running processes that contain ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline:
                found.append(cmdline)
    return found
