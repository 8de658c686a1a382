"""The delegation drawn as SVG: root -> TLD -> domain -> name servers, glue and reasons in words.

One drawing for the page (``/sim/delegation.svg``) and for ``acns-dns diagram`` (slides and
handouts), made from the data ``delegation.delegation`` returns. Sized for a projector: large
type, one row per name server, a broken link thick, dashed and red with the check's reason
under it, a healthy one green. Plain SVG 1.1 with inline styles, no script, no external font,
so it renders the same in a browser, rsvg-convert or an office suite. Imports: nothing from the
package.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

COLOURS = {"ok": "#1a7f37", "warn": "#9a6700", "fail": "#cf222e", "unknown": "#57606a"}
FILLS = {"ok": "#dafbe1", "warn": "#fff8c5", "fail": "#ffebe9", "unknown": "#f6f8fa"}
WORDS = {"ok": "HEALTHY", "warn": "WARNINGS", "fail": "BROKEN", "unknown": "NOT CHECKED"}
ROOT_X, TLD_X, DOMAIN_X, NS_X = 20, 240, 470, 870
ROOT_W, TLD_W, DOMAIN_W, NS_W = 190, 190, 340, 610
WIDTH = NS_X + NS_W + 20
LINE, SMALL = 26, 21  # line heights for 21 px and 17 px type
WRAP = 55  # characters of 17 px type that fit a name server box


def only(picture: Mapping[str, Any], domain: str) -> dict[str, Any]:
    """The picture with one domain (and its TLD) left; raises KeyError when it is not there."""
    for tld in picture["tlds"]:
        kept = [d for d in tld["domains"] if d["name"] == domain]
        if kept:
            return {**picture, "tlds": [{**tld, "domains": kept}]}
    raise KeyError(domain)


def svg(picture: Mapping[str, Any], title: str = "") -> str:
    """The drawing as an SVG document."""
    back: list[str] = []  # edges, under the boxes
    front: list[str] = []
    y = 70.0
    tld_rows: list[tuple[float, float, Mapping[str, Any], list[tuple[float, str]]]] = []
    for tld in picture["tlds"]:
        top, mids = y, []
        for domain in tld["domains"]:
            y, mid = _domain_block(back, front, domain, y)
            mids.append((mid, _delegated(domain)))
        if not mids:
            y += 102
        tld_rows.append((top, y - 12, tld, mids))
    bottom = max(y, 172)
    root_mid = (70 + bottom - 12) / 2
    front.append(_box(ROOT_X, root_mid - 45, ROOT_W, 90, "unknown",
                      ["root", picture["root"]["server"], picture["root"]["ipv4"]], bold_first=True))
    for top, end, tld, mids in tld_rows:
        mid = (top + end) / 2
        back.append(_edge(ROOT_X + ROOT_W, root_mid, TLD_X, mid, "ok"))
        back.extend(_edge(TLD_X + TLD_W, mid, DOMAIN_X, to, status) for to, status in mids)
        front.append(_box(TLD_X, mid - 45, TLD_W, 90, "unknown",
                          [tld["name"], tld["server"], tld["ipv4"]], bold_first=True))
    head = title or "Delegation and glue"
    legend = (f'<text x="{WIDTH - 20}" y="36" text-anchor="end" font-size="17" fill="#57606a">'
              f'<tspan fill="{COLOURS["ok"]}" font-weight="bold">green</tspan>: resolvers get through · '
              f'<tspan fill="{COLOURS["fail"]}" font-weight="bold">red, dashed</tspan>: broken, '
              'the reason underneath</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{bottom + 10:g}" '
            f'viewBox="0 0 {WIDTH} {bottom + 10:g}" font-family="DejaVu Sans, Verdana, sans-serif">'
            f'<rect width="100%" height="100%" fill="#ffffff"/>'
            f'<text x="20" y="38" font-size="26" font-weight="bold" fill="#24292f">{escape(head)}</text>'
            f'{legend}{"".join(back)}{"".join(front)}</svg>')


def _delegated(domain: Mapping[str, Any]) -> str:
    """The colour of the TLD -> domain link: red only when the parent does not delegate."""
    failed = any(f["check"] == "delegated" and f["level"] == "FAIL" for f in domain["findings"])
    return "fail" if failed or not domain["nameservers"] else "ok"


def _domain_block(back: list[str], front: list[str], domain: Mapping[str, Any],
                  y: float) -> tuple[float, float]:
    """Draw one domain and its name servers from ``y`` down: the next free ``y`` and the
    domain box's middle."""
    top = y
    checked = bool(domain["findings"])
    rows: list[tuple[float, float, str]] = []
    for ns in domain["nameservers"]:
        lines = _ns_lines(ns)
        height = 16 + LINE + SMALL * (len(lines) - 1) + 8
        status = ns["status"] if checked else "unknown"
        reason = " ".join(f["text"] for f in _shown(ns["findings"]))
        front.append(f'<g class="ns" data-ns="{escape(ns["name"])}" data-status="{status}">'
                     f'<title>{escape(reason or ns["name"])}</title>'
                     + _box(NS_X, y, NS_W, height, status, lines, bold_first=True, tag=ns["kind"],
                            reasons=_reason_lines(ns)) + "</g>")
        rows.append((y, height, status))
        y += height + 12
    if not rows:
        front.append(_text(NS_X + 10, y + 30, "no name servers: not delegated", 17, COLOURS["fail"]))
        y += 72
    box_h = max(y - 12 - top, 128)
    status = domain["status"]
    front.append(f'<g class="domain" data-domain="{escape(domain["name"])}" data-status="{status}">')
    front.append(_box(DOMAIN_X, top, DOMAIN_W, box_h, status, [
        domain["name"], f"registrar: {domain['registrar_name']}",
        "(Cloudflare Registrar: by ticket)" if domain["registrar_kind"] == "cloudflare" else "(external)",
        f"served by: {domain['served_by']}"], bold_first=True, badge=WORDS[status]) + "</g>")
    mid = top + box_h / 2
    back.extend(_edge(DOMAIN_X + DOMAIN_W, mid, NS_X, ns_y + height / 2, ns_status)
                for ns_y, height, ns_status in rows)
    y = max(y, top + box_h + 12)
    reasons = _domain_reasons(domain)
    for line in reasons:
        front.append(_text(DOMAIN_X, y + 18, line, 17, COLOURS["fail"], "bold"))
        y += SMALL
    return y + (16 if reasons else 4) + 12, mid


def _ns_lines(ns: Mapping[str, Any]) -> list[str]:
    glue = ", ".join(ns["glue"]) or "none"
    carried = ", ".join(ns["carried"])
    if ns["carried"]:
        referral = f"in the referral: {carried}"
    elif ns["kind"] == "in-domain":
        referral = "in the referral: NOTHING (in-domain: glue is mandatory)"
    else:
        referral = "in the referral: nothing (looked up separately)"
    lines = [ns["name"], f"glue at the registry: {glue}", referral]
    if ns["actual"] and ns["glue"] and sorted(ns["actual"]) != sorted(ns["glue"]):
        lines.append(f"≠ its own zone says: {', '.join(ns['actual'])}")
    for finding in _shown(ns["findings"]):
        lines += textwrap.wrap(("✗ " if finding["level"] == "FAIL" else "! ") + finding["text"], WRAP)
    return lines


def _shown(found: Sequence[Mapping[str, str]]) -> list[Mapping[str, str]]:
    """The first failure of a name (the cause; the rest follow from it), else its first warning."""
    fails = [f for f in found if f["level"] == "FAIL"]
    return fails[:1] if fails else [f for f in found if f["level"] == "WARN"][:1]


def _reason_lines(ns: Mapping[str, Any]) -> int:
    """How many of a name server box's last lines are reasons (drawn in the status colour)."""
    return sum(len(textwrap.wrap("✗ " + f["text"], WRAP)) for f in _shown(ns["findings"]))


def _domain_reasons(domain: Mapping[str, Any]) -> list[str]:
    """Failures of the domain that name no single name server (first one, wrapped)."""
    own = {f["text"] for ns in domain["nameservers"] for f in ns["findings"]}
    rest = [f for f in domain["findings"] if f["level"] == "FAIL" and f["text"] not in own]
    return textwrap.wrap(f"✗ {rest[0]['text']}", 100) if rest else []


def _box(x: float, y: float, w: float, h: float, status: str, lines: Sequence[str], *,
         bold_first: bool = False, tag: str = "", badge: str = "", reasons: int = 0) -> str:
    stroke = COLOURS[status]
    out = [f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="10" fill="{FILLS[status]}" '
           f'stroke="{stroke}" stroke-width="{4 if status == "fail" else 2}"/>']
    ty = y + 16 + 18
    for number, line in enumerate(lines):
        first = number == 0
        reason = len(lines) - number <= reasons or "NOTHING" in line or line.startswith("≠")
        size = 21 if first else 17
        colour = stroke if reason else "#24292f"
        weight = "bold" if (first and bold_first) or reason else "normal"
        out.append(_text(x + 12, ty, line, size, colour, weight))
        ty += LINE if first else SMALL
    if tag:
        out.append(f'<text x="{x + w - 12}" y="{y + 34}" text-anchor="end" font-size="17" '
                   f'font-style="italic" fill="#57606a">{escape(tag)}</text>')
    if badge:
        out.append(f'<text x="{x + 12}" y="{y + h - 14}" font-size="22" font-weight="bold" '
                   f'fill="{stroke}">{escape(badge)}</text>')
    return "".join(out)


def _text(x: float, y: float, text: str, size: int, colour: str, weight: str = "normal") -> str:
    return (f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" fill="{colour}">'
            f'{escape(text)}</text>')


def _edge(x1: float, y1: float, x2: float, y2: float, status: str) -> str:
    colour = COLOURS[status]
    dash = ' stroke-dasharray="14 8"' if status == "fail" else ""
    width = 6 if status == "fail" else 3
    mid = (x1 + x2) / 2
    return (f'<path d="M{x1:g},{y1:g} C{mid:g},{y1:g} {mid:g},{y2:g} {x2:g},{y2:g}" fill="none" '
            f'stroke="{colour}" stroke-width="{width}"{dash}/>')
