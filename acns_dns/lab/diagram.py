"""``acns-dns diagram DOMAIN``: the page's drawing of one delegation, as a standalone SVG (and PNG).

Draws from a running ``serve`` (``GET /sim/delegation.svg``) or, by default, from a scenario
served for the occasion on a private loopback prefix, checked by the same inspector the page
uses. PNG comes from ``rsvg-convert`` when installed, else from a headless Chromium screenshot;
with neither, only the SVG is written. Imports: delegation, drawing, inspect, testing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx

from acns_dns.api import delegation, drawing
from acns_dns.lab.inspect import inspector
from acns_dns.lab.testing import running_world
from acns_dns.world import names

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


def from_scenario(domain: str, source: str = "default") -> str:
    """Serve ``source`` privately, check ``domain`` and draw it; KeyError when it is not registered."""
    domain = names.normalize(domain, min_labels=1)
    with running_world(source) as world:
        inspected = inspector(world.port)(world.root, [domain])
        picture = delegation.delegation(world.registry.world,
                                        {d: r["findings"] for d, r in inspected.items()},
                                        {d: r["resolver"] for d, r in inspected.items()})
    return drawing.svg(drawing.only(picture, domain), f"Delegation of {domain}")


def from_api(domain: str, api: str, token: str) -> str:
    """The drawing a running ``serve`` makes; raises httpx.HTTPError or ValueError (its message)."""
    reply = httpx.get(f"{api.rstrip('/')}/sim/delegation.svg", params={"domain": domain},
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)
    if reply.status_code != 200:
        errors = reply.json().get("errors", []) if "json" in reply.headers.get("content-type", "") else []
        raise ValueError("; ".join(e.get("message", "") for e in errors) or f"HTTP {reply.status_code}")
    return reply.text


def size(svg: str) -> tuple[int, int]:
    """The width and height the SVG declares."""
    found = re.search(r'<svg[^>]* width="([\d.]+)" height="([\d.]+)"', svg)
    return (int(float(found.group(1))), int(float(found.group(2)))) if found else (1500, 800)


def to_png(svg_file: Path, png_file: Path, timeout: float = 60) -> str | None:
    """Convert with the first converter found; the converter's name, or None when none is."""
    width, height = size(svg_file.read_text(encoding="utf-8"))
    if shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", "-o", str(png_file), str(svg_file)], check=True, timeout=timeout,
                       capture_output=True)
        return "rsvg-convert"
    browser = next((b for b in CHROMIUM if shutil.which(b)), None)
    if browser is None:
        return None
    with tempfile.TemporaryDirectory(prefix="acns-diagram-") as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--user-data-dir={profile}", f"--screenshot={png_file.resolve()}",
                        f"--window-size={width},{height}", svg_file.resolve().as_uri()],
                       check=True, timeout=timeout, capture_output=True)
    return browser
