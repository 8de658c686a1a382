"""The report of ``scripts/bench-scale``: a Markdown table per measure, the targets, and an
SVG chart of cost against world size (log scales, drawn here: no plotting library)."""

from __future__ import annotations

import argparse
import math
import platform
import subprocess
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench_scale import Figures

TARGETS = (
    "first answer ≤ 15 s after `serve` starts and ≤ 1 GiB resident, at 100k zones",
    "API write p99 ≤ 20 ms; change → visible p99 ≤ 10 ms",
    "longest gap of a UDP probe every 5 ms during the writes ≤ 20 ms",
    "one change at 100k zones within 2× of one at 1k; a cache-miss answer at 100k within 2× of 1k",
)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def _version() -> str:
    try:
        done = subprocess.run([".venv/bin/python", "-c", "import acns_dns, dnslib, pydantic, sys; "
                               "print(sys.version.split()[0], pydantic.VERSION)"],
                              capture_output=True, text=True, timeout=30, check=False)
        python, pydantic = done.stdout.split()
    except (OSError, ValueError, subprocess.TimeoutExpired):
        python, pydantic = platform.python_version(), "?"
    return f"Linux {platform.release()}, {_cpus()} CPUs; Python {python}, pydantic {pydantic}"


def _cpus() -> int:
    import os
    return os.cpu_count() or 0


def report(results: list[Figures], per_zone: float, per_name: float, args: argparse.Namespace) -> str:
    """The Markdown section."""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [f"## Scale: {stamp} — `scripts/bench-scale`", "",
             f"versions: {_version()}",
             f"writes: {args.writes} per size (record added, record deleted, glue changed, zone back to its "
             f"branded pair, in turn, each on another account); CPU per query: {args.queries} questions per "
             "kind, one at a time", "",
             "| zones | ACNS names | first answer | RSS then | peak RSS | write p50 / p99 "
             "| visible p50 / p99 | CPU per write | probe: longest gap, lost "
             "| with --state: write p50 / p99 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for f in results:
        lines.append(
            f"| {f.zones:,} | {f.names:,} | {f.first_answer_s:.1f} s | {f.rss_mb:.0f} MiB "
            f"| {f.peak_mb:.0f} MiB "
            f"| {_p(f.write_ms, .5):.1f} / {_p(f.write_ms, .99):.1f} ms "
            f"| {_p(f.visible_ms, .5):.2f} / {_p(f.visible_ms, .99):.2f} ms | {f.write_cpu_us / 1000:.1f} ms "
            f"| {f.gap_ms:.1f} ms, {f.probe_lost} | {_p(f.state_write_ms, .5):.1f} / "
            f"{_p(f.state_write_ms, .99):.1f} ms |")
    kinds = list(results[0].cpu_us)
    lines += ["", "Server CPU µs per query (one at a time):", "",
              "| zones | " + " | ".join(kinds)
              + (" | the world as block YAML: read |" if args.yaml else " |"),
              "|---|" + "---|" * len(kinds) + ("---|" if args.yaml else "")]
    for f in results:
        yaml_cell = f" {f.yaml_s:.1f} s |" if args.yaml else ""
        lines.append(f"| {f.zones:,} | " + " | ".join(f"{f.cpu_us[k]:.0f}" for k in kinds) + " |" + yaml_cell)
    lines += ["", f"Python heap (world and view, tracemalloc): {per_zone / 1024:.2f} KiB per zone, "
              f"{per_name / 1024:.2f} KiB per ACNS name.", "", "Targets:", ""]
    lines += _verdicts(results)
    lines += ["", "![cost against world size](bench-scale.svg)"]
    return "\n".join(lines)


def _verdicts(results: list[Figures]) -> list[str]:
    small, large = results[0], results[-1]

    def mark(ok: bool) -> str:
        return "met" if ok else "NOT met"

    worst_write = max(_p(f.write_ms, .99) for f in results)
    worst_visible = max(_p(f.visible_ms, .99) for f in results)
    worst_gap = max(f.gap_ms for f in results)
    change = large.write_cpu_us / small.write_cpu_us if small.write_cpu_us else math.inf
    miss = large.cpu_us["miss"] / small.cpu_us["miss"] if small.cpu_us["miss"] else math.inf
    referral = large.cpu_us["referral"] / small.cpu_us["referral"] if small.cpu_us["referral"] else math.inf
    return [
        f"- at {large.zones:,} zones: first answer {large.first_answer_s:.1f} s (≤ 15 s: "
        f"{mark(large.first_answer_s <= 15)}), {large.rss_mb:.0f} MiB resident (≤ 1024: "
        f"{mark(large.rss_mb <= 1024)}; peak {large.peak_mb:.0f} MiB)",
        f"- API write p99 {worst_write:.1f} ms at worst (≤ 20: {mark(worst_write <= 20)}); change → visible "
        f"p99 {worst_visible:.2f} ms (≤ 10: {mark(worst_visible <= 10)})",
        f"- probe's longest gap {worst_gap:.1f} ms (≤ 20: {mark(worst_gap <= 20)})",
        f"- {large.zones:,} against {small.zones:,} zones: CPU per change {change:.2f}× "
        f"(≤ 2: {mark(change <= 2)}), "
        f"per cache miss {miss:.2f}× at the edge and {referral:.2f}× for a referral (≤ 2: "
        f"{mark(miss <= 2 and referral <= 2)})",
    ]


def chart(results: list[Figures]) -> str:
    """Four small log-log panels: first answer, resident memory, CPU per change, CPU per miss."""
    panels = [("first answer (s)", [f.first_answer_s for f in results]),
              ("resident memory (MiB)", [f.rss_mb for f in results]),
              ("server CPU per write (ms)", [f.write_cpu_us / 1000 for f in results]),
              ("server CPU per cache miss (µs)", [f.cpu_us["miss"] for f in results])]
    width, height, pad = 300, 200, 44
    zones = [f.zones for f in results]
    top = 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * 2}" height="{height * 2 + top}" '
             'font-family="sans-serif" font-size="11">', '<rect width="100%" height="100%" fill="white"/>',
             f'<text x="{width}" y="16" text-anchor="middle" font-size="13">Cost against world size '
             '(scripts/bench-scale; both axes logarithmic)</text>']
    for n, (title, values) in enumerate(panels):
        x0, y0 = (n % 2) * width, (n // 2) * height + top
        parts.append(_panel(x0, y0, width, height, pad, title, zones, values))
    parts.append("</svg>")
    return "\n".join(parts)


def _panel(x0: int, y0: int, width: int, height: int, pad: int, title: str, zones: list[int],
           values: list[float]) -> str:
    lo_x, hi_x = math.log10(min(zones)), math.log10(max(zones)) or 1
    positive = [v for v in values if v > 0] or [1.0]
    lo_y, hi_y = math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)) + 1e-9)
    hi_y = max(hi_y, lo_y + 1)

    inner = 24  # points stay clear of the axes, so their labels do not sit on the tick labels

    def x(z: int) -> float:
        span = width - 2 * pad - 2 * inner
        return x0 + pad + inner + (math.log10(z) - lo_x) / max(hi_x - lo_x, 1e-9) * span

    def y(v: float) -> float:
        return y0 + height - pad + (math.log10(max(v, 1e-9)) - lo_y) / (hi_y - lo_y) * -(height - 2 * pad)

    out = [f'<text x="{x0 + width / 2}" y="{y0 + 16}" text-anchor="middle" font-weight="bold">{title}</text>',
           f'<line x1="{x0 + pad}" y1="{y0 + height - pad}" x2="{x0 + width - pad}" y2="{y0 + height - pad}" '
           'stroke="#444"/>',
           f'<line x1="{x0 + pad}" y1="{y0 + pad}" x2="{x0 + pad}" y2="{y0 + height - pad}" stroke="#444"/>']
    for power in range(lo_y, hi_y + 1):
        value = 10.0 ** power
        out.append(f'<text x="{x0 + pad - 4}" y="{y(value) + 4:.1f}" text-anchor="end">{value:g}</text>')
        out.append(f'<line x1="{x0 + pad}" y1="{y(value):.1f}" x2="{x0 + width - pad}" y2="{y(value):.1f}" '
                   'stroke="#ddd"/>')
    for z in zones:
        out.append(f'<text x="{x(z):.1f}" y="{y0 + height - pad + 14}" text-anchor="middle">{z:,}</text>')
    out.append(f'<text x="{x0 + width / 2}" y="{y0 + height - 8}" text-anchor="middle">zones</text>')
    points = " ".join(f"{x(z):.1f},{y(v):.1f}" for z, v in zip(zones, values, strict=True))
    out.append(f'<polyline points="{points}" fill="none" stroke="#d33" stroke-width="2"/>')
    for z, v in zip(zones, values, strict=True):
        out.append(f'<circle cx="{x(z):.1f}" cy="{y(v):.1f}" r="3" fill="#d33"/>')
        out.append(f'<text x="{x(z):.1f}" y="{y(v) - 8:.1f}" text-anchor="middle" font-weight="bold">'
                   f'{v:.3g}</text>')
    return "\n".join(out)
