"""The API left running on a shared machine: hostile clients, as measured against ``serve``.

Each case was measured on the old server: an unauthenticated 300 MB POST took RSS to 1.0 GB
before its 401; half-open connections took every descriptor (API and new DNS TCP down);
``--api 0.0.0.0:PORT`` was accepted without a word. Here ``acns-dns serve`` runs as a user
runs it, under a 512-descriptor limit, and everything goes over real sockets.
"""

from __future__ import annotations

import errno
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.message
import dns.query
import httpx
import pytest
from test_serve_cmd import _free_port, _prefix

from acns_dns.api.body_guard import MAX_BODY
from acns_dns.api.connection_guard import MAX_CONNECTIONS
from acns_dns.dns.server import API_BACKLOG
from acns_dns.lab import netns

ACNS = [sys.executable, "-m", "acns_dns"]
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"  # Example Corp, token demo-token
CUSTOM_NS = f"/client/v4/accounts/{ACCOUNT}/custom_ns"
DESCRIPTORS = 512  # the serve process's open-file limit: a flood of half-open connections passes it
ANNOUNCED = 300 * 1024 * 1024  # the body length the measured attack announced


@dataclass
class Served:
    """``acns-dns serve`` running in a child process."""

    process: subprocess.Popen[bytes]
    dns_port: int
    api_port: int


def _until_banner(process: subprocess.Popen[bytes], seconds: float = 30.0) -> str:
    """What serve printed up to its last banner line (bounded in time)."""
    assert process.stdout is not None
    out, deadline = b"", time.monotonic() + seconds
    while b"Ctrl-C stops." not in out and time.monotonic() < deadline and process.poll() is None:
        if select.select([process.stdout], [], [], 0.2)[0]:
            out += os.read(process.stdout.fileno(), 65536)
    return out.decode()


def _limit_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, DESCRIPTORS))


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """The default world served by ``acns-dns serve`` with at most 512 open files."""
    dns_port, api_port = _free_port(), _free_port()
    command = [*ACNS, "serve", "--port", str(dns_port), "--api", f"127.0.0.1:{api_port}",
               "--admin-token", "adm", "--listen-prefix", _prefix()]
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          preexec_fn=_limit_descriptors, env=environment) as process:
        try:
            banner = _until_banner(process)
            assert f"open-file limit {DESCRIPTORS}" in banner, banner
            yield Served(process, dns_port, api_port)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate(timeout=5)


def _peak_memory(pid: int) -> int:
    """The process's peak resident set in kB (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def _reset_peak_memory(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # proc(5): VmHWM starts again from VmRSS


def _post_without_end(port: int, token: str | None, push: int) -> tuple[bytes, int]:
    """POST announcing ANNOUNCED bytes; send at most ``push`` of them, reading as we go.

    Returns the reply (whatever came back) and how many body bytes were sent: stops once the
    reply is complete, when the server closes, or after ``push`` bytes and 5 s of waiting.
    """
    head = (f"POST {CUSTOM_NS} HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
            f"Content-Length: {ANNOUNCED}\r\n" + (f"Authorization: Bearer {token}\r\n" if token else "")
            + "\r\n").encode()
    chunk, sent, reply = b'{"ns_name": "' + b"a" * 65536, 0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not _complete(reply):
            writable = [sock] if sent < push else []
            readable, ready, _ = select.select([sock], writable, [], 0.2)
            try:
                if readable:
                    data = sock.recv(65536)
                    if not data:
                        break
                    reply += data
                elif ready:
                    sent += sock.send(chunk)
            except OSError as exc:
                assert exc.errno in (errno.EPIPE, errno.ECONNRESET), exc  # the server closed
                break
    return reply, sent


def _complete(reply: bytes) -> bool:
    head, _, body = reply.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), None)
    return length is not None and len(body) >= length


def test_an_unauthenticated_huge_post_gets_401_before_its_body_is_read(served: Served) -> None:
    pid = served.process.pid
    _reset_peak_memory(pid)
    before = _peak_memory(pid)
    reply, sent = _post_without_end(served.api_port, None, push=64 * 1024 * 1024)
    assert reply.startswith(b"HTTP/1.1 401 "), reply[:200]
    assert b'"code":10000' in reply and b'"success":false' in reply
    assert sent < ANNOUNCED  # it answered long before the announced body could have arrived
    grown = _peak_memory(pid) - before
    assert grown < 16 * 1024, f"the server's peak memory grew by {grown} kB while refusing"


def test_an_authenticated_post_announcing_300_mb_gets_413_unread(served: Served) -> None:
    pid = served.process.pid
    _reset_peak_memory(pid)
    before = _peak_memory(pid)
    reply, sent = _post_without_end(served.api_port, "demo-token", push=64 * 1024 * 1024)
    assert reply.startswith(b"HTTP/1.1 413 "), reply[:200]
    assert b'"code":1413' in reply and f"{MAX_BODY} bytes".encode() in reply
    assert sent < ANNOUNCED
    assert _peak_memory(pid) - before < 16 * 1024


def _half_open(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that never send a byte (connects finish in the background)."""
    socks = []
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        socks.append(sock)
    return socks


def _open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_half_open_connections_cannot_take_the_descriptors_of_api_and_dns(served: Served) -> None:
    pid = served.process.pid
    baseline = _open_files(pid)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    flood = DESCRIPTORS + 200  # more than the whole process may hold
    if soft < flood + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, flood + 256), hard))
    socks = _half_open(served.api_port, flood)
    try:
        most = baseline
        for _ in range(10):  # the server accepts what the kernel completed meanwhile (1 s)
            most = max(most, _open_files(pid))
            time.sleep(0.1)
        with httpx.Client(timeout=10) as client:
            answer = client.get(f"http://127.0.0.1:{served.api_port}{CUSTOM_NS}",
                                headers={"Authorization": "Bearer demo-token"})
        assert answer.status_code == 200 and answer.json()["success"] is True
        query = dns.message.make_query("example.com", "NS")
        reply = dns.query.tcp(query, "127.0.0.1", port=served.dns_port, timeout=5)
        assert {rr.target.to_text() for rrset in reply.answer for rr in rrset} == {
            "ns1.example.com.", "ns2.example.com."}
        most = max(most, _open_files(pid))
        # the API holds at most its cap, plus one accept burst about to be closed
        assert most <= baseline + MAX_CONNECTIONS + API_BACKLOG, (baseline, most)
    finally:
        for sock in socks:
            sock.close()
        if soft < flood + 64:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_remote_api_address_needs_allow_remote_api() -> None:
    done = subprocess.run([*ACNS, "serve", "--port", str(_free_port()), "--api", "0.0.0.0:8053",
                           "--listen-prefix", "127.74.0.0/16"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "--api 0.0.0.0:8053 is not a loopback address" in done.stderr
    assert "--allow-remote-api" in done.stderr and done.stdout == ""


@pytest.mark.skipif(bool(netns.available()), reason=netns.available() or "")
def test_allow_remote_api_serves_and_warns_what_is_exposed() -> None:
    # in a private network namespace, so 0.0.0.0 is reachable from nowhere but the namespace
    api_port = _free_port()
    script = (f"ip link set lo up && exec {sys.executable} -m acns_dns serve --port {_free_port()} "
              f"--api 0.0.0.0:{api_port} --allow-remote-api --listen-prefix 127.74.0.0/16")
    with subprocess.Popen(["unshare", "-rn", "sh", "-c", script], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"}) as process:
        try:
            banner = _until_banner(process)
        finally:
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=10)
    assert f"HTTP API: http://0.0.0.0:{api_port}/client/v4" in banner
    warning = next(line for line in err.decode().splitlines() if "warning" in line)
    assert f"0.0.0.0 port {api_port} is reachable from other machines" in warning
    for exposed in ("tokens", "/sim admin routes", "query journal"):
        assert exposed in warning
