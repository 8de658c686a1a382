"""``acns-dns diagram DOMAIN``: the page's drawing as a file, checked by the same inspector."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
ACNS = [sys.executable, "-m", "acns_dns"]
SVG = "{http://www.w3.org/2000/svg}"


def _diagram(tmp_path: Path, scenario: str, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    target = tmp_path / f"{scenario}.svg"
    done = subprocess.run([*ACNS, "diagram", "example.com", "--scenario", scenario, "-o", str(target),
                           *extra], capture_output=True, text=True, timeout=120, cwd=ROOT)
    return done, target


def _status(svg: Path) -> dict[str, str]:
    tree = ET.parse(svg)
    return {g.get("data-ns") or g.get("data-domain") or "": g.get("data-status") or ""
            for g in tree.iter(f"{SVG}g") if g.get("data-status")}


def test_missing_glue_is_drawn_broken_with_the_reason(tmp_path: Path) -> None:
    done, svg = _diagram(tmp_path, "missing-glue", "--no-png")
    assert done.returncode == 0, done.stderr
    assert _status(svg) == {"example.com": "fail", "ns1.example.com": "fail", "ns2.example.com": "fail"}
    titles = [t.text for t in ET.parse(svg).iter(f"{SVG}title")]
    assert any(t and "is in-domain but the parent publishes no glue" in t for t in titles), titles


@pytest.mark.skipif(not (shutil.which("rsvg-convert") or shutil.which("chromium")), reason="no converter")
def test_default_is_drawn_healthy_and_rendered_to_png(tmp_path: Path) -> None:
    done, svg = _diagram(tmp_path, "default")
    assert done.returncode == 0, done.stderr
    assert set(_status(svg).values()) == {"ok"}
    png = svg.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10000, done.stdout


def test_an_unknown_domain_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run([*ACNS, "diagram", "nowhere.example", "--scenario", "default", "--no-png",
                           "-o", str(tmp_path / "x.svg")], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 2 and "nowhere.example is not a registered domain" in done.stderr
    assert not (tmp_path / "x.svg").exists()


def test_a_large_world_is_pictured_in_part_and_says_so() -> None:
    """The page of a world of many domains shows the first ones (checked and drawn) and counts
    the rest, so opening it costs the same at any world size."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_scale_world import scale_world

    from acns_dns.api import delegation
    from acns_dns.lab.testing import running_world
    from acns_dns.world import scenario
    from acns_dns.world.scenario_spec import ScenarioSpec

    world = scenario.build(ScenarioSpec.model_validate(scale_world(1000)), ROOT / "scale.json",
                           scenario.Network())
    with running_world(world, api=True, admin_token="adm") as served:
        import httpx
        picture = httpx.get(f"{served.api_url}/sim/delegation", headers={"Authorization": "Bearer adm"},
                            timeout=60).json()["result"]
    shown = [d["name"] for t in picture["tlds"] for d in t["domains"]]
    assert shown == delegation.shown_domains(world) and len(shown) == delegation.SHOWN_DOMAINS
    assert picture["hidden"] == 1000 - delegation.SHOWN_DOMAINS
    assert 0 < len(picture["accounts"]) <= delegation.SHOWN_ACCOUNTS
    for account in picture["accounts"]:  # accounts of the domains shown
        assert {z["name"] for z in account["zones"]} & set(shown), account["name"]
