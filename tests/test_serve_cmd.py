"""``acns-dns serve`` and ``acns-dns servers`` as a user runs them."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import resource
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dns.message
import dns.query
import pytest

from acns_dns import cli
from acns_dns.world import snapshot

ACNS = [sys.executable, "-m", "acns_dns"]


def _free_port() -> int:
    for _ in range(50):
        port = random.randint(20000, 60000)
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                tcp.bind(("127.0.0.1", port))
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def _prefix() -> str:
    return f"127.{random.randint(60, 250)}.0.0/16"


def _banner(process: subprocess.Popen[bytes], seconds: float = 20.0) -> list[str]:
    """Lines printed until the banner's last line (bounded in time)."""
    assert process.stdout is not None
    buffer, deadline = b"", time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                break
            buffer += chunk
            last = buffer.decode().splitlines()[-1:] if buffer.endswith(b"\n") else []
            if last and (last[0].startswith("Ctrl-C") or last[0].startswith("HTTP API: ")
                         and "/client/v4" not in last[0]):
                break
        elif process.poll() is not None:
            break
    return buffer.decode().splitlines()


@contextmanager
def serving(*args: str, stop: int = signal.SIGINT) -> Iterator[tuple[subprocess.Popen[bytes], list[str]]]:
    """Run ``acns-dns serve`` until its banner is out; stop it with ``stop`` afterwards."""
    with subprocess.Popen([*ACNS, "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          cwd=Path(__file__).parent.parent,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"}) as process:
        try:
            yield process, _banner(process)
        finally:
            if process.poll() is None:
                process.send_signal(stop)
            try:
                process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate(timeout=5)


def test_serve_prints_dig_lines_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    with serving("--port", str(port), "--no-api", "--listen-prefix", _prefix()) as (process, lines):
        text = "\n".join(lines)
        assert f"dig @127.0.0.1 -p {port} example.com NS" in text
        tld_line = next(line.strip() for line in lines if "www.example.com A +norec" in line
                        and "-p" in line and ".0.10 " in line)
        address = tld_line.split()[1][1:]
        query = dns.message.make_query("www.example.com", "A")
        response = dns.query.udp(query, address, port=port, timeout=2)
        assert response.authority and response.additional  # the referral, with glue
        edge_query = dns.message.make_query("www.example.com", "A")
        answer = dns.query.udp(edge_query, "127.0.0.1", port=port, timeout=2)
        assert answer.answer
    assert process.returncode == 0


def test_serve_reports_a_busy_port() -> None:
    port = _free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as blocker:
        blocker.bind(("127.0.0.1", port))
        done = subprocess.run([*ACNS, "serve", "--port", str(port), "--no-api",
                               "--listen-prefix", _prefix()], capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert f"127.0.0.1 port {port}" in done.stderr and "already in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_state_file_is_written_and_reloaded(tmp_path: Path) -> None:
    state = tmp_path / "world.json"
    port = _free_port()
    with serving("--port", str(port), "--no-api", "--state", str(state), "--scenario", "missing-glue",
                 "--listen-prefix", _prefix(), stop=signal.SIGTERM) as (process, _):
        pass
    assert process.returncode == 0  # SIGTERM stops it cleanly
    world = snapshot.load(state)
    assert "glue" in world.description
    with serving("--port", str(_free_port()), "--no-api", "--state", str(state)) as (_, lines):
        assert world.description[:40] in "\n".join(lines)


@pytest.mark.skipif(importlib.util.find_spec("acns_dns.api") is None, reason="the HTTP API is not there")
def test_serve_with_api_prints_url_and_tokens() -> None:
    api_port = _free_port()
    with serving("--port", str(_free_port()), "--api", f"127.0.0.1:{api_port}", "--admin-token", "adm",
                 "--listen-prefix", _prefix()) as (_, lines):
        text = "\n".join(lines)
    if "unavailable" in text:
        pytest.skip("acns_dns.api.create_app is not available yet")
    assert f"http://127.0.0.1:{api_port}/client/v4" in text
    assert "'demo-token'" in text and "'adm'" in text and "curl -s -H" in text


def test_servers_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["servers", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    roles = {row["role"] for row in rows}
    assert roles == {"root", "tld", "cloudflare"}
    edge = next(row for row in rows if row["ipv4"] == "127.0.0.1")
    assert "example.com." in edge["zones"]


def test_servers_table_and_bad_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["servers", "--scenario", "stale-glue"]) == 0
    assert "ns1.example.com" in capsys.readouterr().out
    assert cli.main(["servers", "--scenario", "no-such-thing"]) == 2
    assert "no-such-thing" in capsys.readouterr().err


def _limited(soft: int, hard: int) -> Callable[[], None]:
    """Run in the child before exec: the open-file limits ``serve`` starts with."""
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return apply


def test_serve_raises_its_descriptor_limit_and_says_how_many_addresses_fit() -> None:
    port = _free_port()
    command = [*ACNS, "serve", "--port", str(port), "--no-api", "--listen-prefix", _prefix()]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          preexec_fn=_limited(256, 4096),
                          env={**os.environ, "PYTHONUNBUFFERED": "1"}) as process:
        try:
            lines = _banner(process)
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=10)
    line = next(line for line in lines if "open-file limit" in line)
    assert "open-file limit 4096 (raised from 256): room for 1,664 addresses" in line


def test_serve_refuses_a_world_larger_than_its_descriptors() -> None:
    command = [*ACNS, "serve", "--port", str(_free_port()), "--no-api", "--listen-prefix", _prefix()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, preexec_fn=_limited(100, 100))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "addresses to serve, but with a limit of 100 open files" in done.stderr
    assert "ulimit -Hn" in done.stderr
