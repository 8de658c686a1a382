"""Runs README snippets the way a reader does, inside a namespace of their own.

``tests/test_readme_snippets.py`` plans the walk; this script carries it out and reports. It
reads the plan (JSON on stdin: a list of steps) and writes one result per step (JSON on
stdout). It must run as the first process of a fresh user + network + mount + PID namespace
(``unshare -rnmpf --mount-proc --kill-child``): there the README's defaults (port 5300 on
127.53.0.0/16, the API on 127.0.0.1:8053, port 53) are free, ``/tmp`` is made private, and
whatever a snippet leaves running dies with the namespace.

Steps:

- ``serve``: a line that starts a server (``./scripts/serve ...``), run in the background as
  in another terminal; the step waits for its banner ("Ctrl-C stops.") and, when it serves
  this namespace, for the root to answer. The server running before is stopped first.
- ``stop``: stop the running server.
- ``session``: a new terminal: a fresh bash and a fresh Python session.
- ``sh``: one command in the session's bash (variables and jobs carry over to the next one);
  its status, stdout, stderr, and the commands in it that failed (an ERR trap).
- ``python``: one block run in the session's Python (names carry over), in this process.

Snippets see a Debian user's PATH: no ``*/sbin`` entries and no folder holding an ``acns-dns``
executable (an activated venv), so a command that works only for root, or only from an
activated venv, fails here as it would for a reader. Imports: ``acns_dns.lab`` (netns, probe).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from acns_dns.lab import netns, probe

ROOT = Path(__file__).resolve().parent.parent
CONTROL = Path("/tmp/.readme-walk")  # the walk's own files: outside the reader's folder
WORKDIR = Path("/tmp/readme")  # the reader's checkout: links to the repository's entries
COMMAND_SECONDS = 90.0  # one command, at most
SERVER_SECONDS = 60.0  # a server's banner, at most
Result = dict[str, Any]


def reader_environment() -> dict[str, str]:
    """This environment with a Debian user's PATH (see the module docstring)."""
    kept = [folder for folder in os.environ.get("PATH", "").split(":") if folder
            and not folder.rstrip("/").endswith("sbin") and not (Path(folder) / "acns-dns").exists()]
    skipped = ("ACNS_DNS_", "VIRTUAL_ENV", "PYTEST_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(skipped)}
    env["PATH"] = ":".join(kept)
    return env


def checkout() -> Path:
    """A folder that looks like the repository (each entry a link to the real one), so files
    snippets write land in the namespace's /tmp, not in the repository."""
    WORKDIR.mkdir(parents=True)
    for entry in ROOT.iterdir():
        if entry.name != ".git":
            (WORKDIR / entry.name).symlink_to(entry)
    return WORKDIR


def _stop_group(process: subprocess.Popen[Any]) -> None:
    """SIGTERM to the process's group (what Ctrl-C or closing the terminal does), then SIGKILL."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


class Server:
    """A server line running in the background, as in another terminal."""

    def __init__(self, line: str, env: dict[str, str], number: int) -> None:
        self.line = line
        self.log = CONTROL / f"server-{number}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(["bash", "-c", line], cwd=WORKDIR, env=env,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> str:
        """Empty when the banner came (and the root answers, when it serves this namespace);
        else why not."""
        deadline = time.monotonic() + SERVER_SECONDS
        while "Ctrl-C stops." not in self.output():
            if self.process.poll() is not None:
                return f"exited with status {self.process.returncode} before its banner"
            if time.monotonic() > deadline:
                return f"no banner within {SERVER_SECONDS:g} s"
            time.sleep(0.05)
        if self.line.startswith("unshare"):
            return ""  # it serves a namespace of its own
        port = re.search(r"--port (\d+)", self.line)
        answering = probe.wait_answering("127.53.0.1", int(port.group(1)) if port else 5300, within=20,
                                         alive=lambda: self.process.poll() is None)
        return "" if answering else "the root does not answer"

    def stop(self) -> None:
        _stop_group(self.process)


class Session:
    """A terminal: one bash that runs the commands one at a time, and one Python namespace."""

    def __init__(self, env: dict[str, str], number: int) -> None:
        self.number = number
        self.count = 0
        self.names: dict[str, Any] = {"__name__": "__main__"}
        self.bash = subprocess.Popen(["bash"], cwd=WORKDIR, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
                                     start_new_session=True)
        self._send("trap 'printf \"%s\\t%s\\n\" \"$?\" \"$BASH_COMMAND\" >> \"$WALK_FAILED\"' ERR")

    def _send(self, text: str) -> None:
        assert self.bash.stdin is not None
        self.bash.stdin.write(text + "\n")
        self.bash.stdin.flush()

    def sh(self, command: str) -> Result:
        self.count += 1
        base = CONTROL / f"s{self.number}-{self.count}"
        script, rc = base.with_suffix(".sh"), base.with_suffix(".rc")
        script.write_text(command + "\n")
        failed = base.with_suffix(".failed")
        failed.touch()
        # stdin from /dev/null: a command that reads it must not eat the commands that follow
        self._send(f"WALK_FAILED={failed}; source {script} >{base}.out 2>{base}.err </dev/null; "
                   f"echo $? >{rc}.part; mv {rc}.part {rc}")
        deadline = time.monotonic() + COMMAND_SECONDS
        while not rc.exists() and time.monotonic() < deadline and self.bash.poll() is None:
            time.sleep(0.02)
        result: Result = {"stdout": Path(f"{base}.out").read_text(errors="replace"),
                          "stderr": Path(f"{base}.err").read_text(errors="replace")}
        if not rc.exists():
            result.update(status=-1, failed=[f"no end within {COMMAND_SECONDS:g} s (or the shell exited)"])
            return result
        result["status"] = int(rc.read_text())
        result["failed"] = [line for line in failed.read_text().splitlines()
                            if not line.split("\t", 1)[-1].startswith("source ")]
        return result

    def python(self, code: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        status = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                exec(compile(code, "README.md", "exec"), self.names)
            except BaseException:  # a block's SystemExit is its failure too
                traceback.print_exc()
                status = 1
        return {"status": status, "stdout": out.getvalue(), "stderr": err.getvalue(), "failed": []}

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError):
            self._send("exit")
        try:
            self.bash.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        # the session's background jobs (a server started with &) go with the terminal
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.bash.pid, signal.SIGTERM)
        if self.bash.poll() is None:
            _stop_group(self.bash)


def walk(plan: list[dict[str, str]]) -> list[Result]:
    """Carry out the plan's steps in order; one result per step."""
    env = reader_environment()
    server: Server | None = None
    session = Session(env, 0)
    results: list[Result] = []
    for number, step in enumerate(plan):
        kind = step["do"]
        result: Result = {"status": 0, "stdout": "", "stderr": "", "failed": []}
        if kind in ("serve", "stop") and server is not None:
            server.stop()
            result["stdout"], server = server.output(), None
        if kind == "serve":
            server = Server(step["command"], env, number)
            problem = server.wait_ready()
            result = {"status": 1 if problem else 0, "stdout": server.output(), "stderr": problem,
                      "failed": [problem] if problem else []}
        elif kind == "session":
            session.close()
            session = Session(env, number)
        elif kind == "sh":
            result = session.sh(step["command"])
        elif kind == "python":
            result = session.python(step["command"])
        results.append(result)
    session.close()
    if server is not None:
        server.stop()
    return results


def private_tmp() -> None:
    """A /tmp of the namespace's own; a repository that lies in /tmp (a CI clone) is mounted
    back at its path in it, so the checkout and its .venv stay where they were."""
    inside = ROOT.is_relative_to("/tmp")
    keep = os.open(ROOT, os.O_RDONLY | os.O_DIRECTORY) if inside else None
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/tmp"], check=True, timeout=10)
    if keep is not None:
        ROOT.mkdir(parents=True)
        # --no-canonicalize: mount(8) would resolve the fd link to the path, now the empty folder
        subprocess.run(["mount", "--no-canonicalize", "--bind", f"/proc/self/fd/{keep}", str(ROOT)],
                       check=True, timeout=10, pass_fds=(keep,))
        os.close(keep)


def main() -> None:
    if os.getpid() != 1:
        sys.exit("readme_walk.py: run me as the first process of a namespace of my own "
                 "(unshare -rnmpf --mount-proc --kill-child)")
    plan = json.load(sys.stdin)
    os.environ["PATH"] = os.environ.get("PATH", "") + ":" + netns.SBIN
    netns.prepare()
    private_tmp()
    CONTROL.mkdir()
    os.chdir(checkout())
    results = walk(plan)
    json.dump(results, sys.stdout)
    shutil.rmtree(CONTROL, ignore_errors=True)


if __name__ == "__main__":
    main()
