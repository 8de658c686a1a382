"""acns-dns as a resolver project installs it: from its wheel, non-editable, in a fresh venv.

The wheel is built from a clean copy of the sources and installed with its dependencies
(plus pytest and pytest-xdist) into a venv outside the repository; there every packaged
scenario loads (their zone files travel in the wheel), and the README's ten-line resolver
test, written into a project folder of its own, runs with the README's command line under
``pytest -n 4``. About 15 s: a wheel build, a venv and a four-worker session.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from readme_snippets import resolver_test

from acns_dns.lab import netns
from acns_dns.lab.resolvers import KINDS
from acns_dns.world import scenario

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "acns_dns", "zonefiles")
# the loading code a user would run, from a folder that is not the repository
LOAD_ALL = """
import json, acns_dns
from acns_dns.world import scenario
loaded = {name: len(scenario.load(name).zones) for name, _ in scenario.packaged()}
print(json.dumps({"package": acns_dns.__file__, "zonefiles": str(scenario.ZONEFILE_DIR), "loaded": loaded}))
"""


def _run(argv: list[str | Path], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, argv))}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a venv where acns-dns is installed from its wheel (not editable)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # a clean copy: no build/ left over from an earlier build
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base / "dist", source], base)
    wheel = next((base / "dist").glob("acns_dns-*.whl"))
    _run([sys.executable, "-m", "venv", "--without-pip", base / "venv"], base)
    python = base / "venv" / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", wheel, "pytest", "pytest-xdist"],
         base)
    return python


def test_every_packaged_scenario_loads_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    found = json.loads(_run([installed, "-c", LOAD_ALL], tmp_path).stdout)
    site = installed.parent.parent
    assert Path(found["package"]).is_relative_to(site), found  # the installed copy, not the sources
    assert Path(found["zonefiles"]).is_relative_to(site) and Path(found["zonefiles"]).is_dir(), found
    assert set(found["loaded"]) == {name for name, _ in scenario.packaged()}
    assert found["loaded"]["out-of-bailiwick"] >= 1


def test_the_readme_resolver_test_runs_from_a_separate_project(installed: Path, tmp_path: Path) -> None:
    name, text, args = resolver_test()
    (tmp_path / name).write_text(text)
    done = subprocess.run([installed, "-m", "pytest", *args, "-p", "no:cacheprovider", "-rs"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "plugins: acns-dns" in output and "created: 4/4 workers" in output, output
    needed = ("knot", "pdns", "unbound")
    if netns.available() or not all(KINDS[kind].installed() for kind in needed):
        assert "1 passed, 3 skipped" in output, output  # the world alone; skips say why
    else:
        assert "= 4 passed in" in output, output
