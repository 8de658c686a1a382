"""What a user hits at the edges: closed pipes, repeated stop signals, the /sim/ index, --help."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from api_support import serve_api
from test_serve_cmd import _free_port, _prefix, serving

from acns_dns.world import scenario
from acns_dns.world.registry import Registry

ROOT = Path(__file__).parent.parent
ACNS = [sys.executable, "-m", "acns_dns"]


@pytest.mark.parametrize("command", [["servers"], ["servers", "--json"], ["scenarios"]])
def test_a_report_into_a_closed_pipe_stops_quietly(command: list[str]) -> None:
    # the reader is gone before the report starts: every write fails with EPIPE
    read_end, write_end = os.pipe()
    os.close(read_end)
    done = subprocess.run([*ACNS, *command, "--scenario", "default"] if command[0] == "servers"
                          else [*ACNS, *command], stdout=write_end, stderr=subprocess.PIPE,
                          timeout=60, cwd=ROOT)
    os.close(write_end)
    assert done.stderr.decode() == ""  # no traceback, no "Exception ignored"
    assert done.returncode == 141  # as a command killed by SIGPIPE


def test_servers_piped_into_head() -> None:
    done = subprocess.run(f"{sys.executable} -m acns_dns servers --scenario cyclic-sibling | head -1",
                          shell=True, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.stdout.startswith("root") and done.stderr == ""


@pytest.mark.parametrize("gap", [0.0, 0.002, 0.02, 0.1])
def test_a_second_sigterm_during_shutdown_still_exits_0(gap: float) -> None:
    with serving("--port", str(_free_port()), "--api", f"127.0.0.1:{_free_port()}",
                 "--listen-prefix", _prefix(), stop=signal.SIGTERM) as (process, lines):
        assert any(line.startswith("Ctrl-C") for line in lines), lines
        process.send_signal(signal.SIGTERM)
        time.sleep(gap)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err.decode()[-1000:]
    assert b"Traceback" not in err


def test_sim_index_lists_the_simulator_routes() -> None:
    with serve_api(Registry(scenario.load("default"))) as url:
        reply = httpx.get(f"{url}/sim/", timeout=10)
        assert reply.status_code == 200
        rows = reply.json()["result"]
        paths = {row["path"] for row in rows}
        assert {"/sim/servers", "/sim/journal", "/sim/tickets", "/sim/scenario"} <= paths
        ticket = next(row for row in rows if row["path"] == "/sim/tickets/{ticket_id}/resolve")
        assert ticket["methods"] == ["POST"] and "resolves" in ticket["summary"]
        assert httpx.get(f"{url}/sim", timeout=10, follow_redirects=True).status_code == 200


def test_demo_help() -> None:
    done = subprocess.run([str(ROOT / "scripts" / "demo"), "--help"], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0 and "Usage: scripts/demo" in done.stdout
