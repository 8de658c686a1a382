"""The teaching page in a real browser: Debian's chromium driven by Playwright.

On missing-glue the page shows the broken link in red with check's reason; the glue is added
by clicking the page's own buttons (which call the API), the drawing turns healthy, and the
TLD's referral carries the glue over real DNS. Screenshots go to ``$ACNS_SCREENSHOTS`` (default:
a folder under the system's temporary directory).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype
import pytest
from test_serve_cmd import _free_port, _prefix, serving

from acns_dns.lab import evidence

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api", reason="the [test] extra installs playwright")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")
SHOTS = Path(os.environ.get("ACNS_SCREENSHOTS") or Path(tempfile.gettempdir()) / "acns-dns-page")
RED = 'path[stroke="#cf222e"]'


def _referral(tld: str, port: int) -> dns.message.Message:
    query = dns.message.make_query("www.example.com", "A")
    query.flags = 0  # RD=0, as a resolver asks a TLD
    return dns.query.udp(query, tld, port=port, timeout=2)


def test_missing_glue_is_red_with_its_reason_and_the_page_fixes_it() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    port, prefix = _free_port(), _prefix()
    tld = prefix.replace("0.0/16", "0.10")
    with serving("--scenario", "missing-glue", "--port", str(port), "--api", f"127.0.0.1:{_free_port()}",
                 "--listen-prefix", prefix) as (process, lines):
        url = next(line.split()[1] for line in lines if line.startswith("Page: "))
        assert "#token=" in url
        assert not _referral(tld, port).additional  # the broken start, over DNS
        with playwright.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1800, "height": 1100})
            asked: list[str] = []
            page.on("request", lambda request: asked.append(request.url))
            page.goto(url)
            expect = playwright.expect
            expect(page.locator("#overall")).to_have_text("BROKEN", timeout=30000)
            drawing = page.locator("#diagram svg")
            for host in ("ns1.example.com", "ns2.example.com"):
                box = drawing.locator(f'g[data-ns="{host}"]')
                expect(box).to_have_attribute("data-status", "fail")
                expect(box.locator("title")).to_have_text(  # check's own finding, in words
                    f"{host} is in-domain but the parent publishes no glue for it: resolvers cannot "
                    "find its address (CS05_MISSING_GLUE_FOR_NS, RFC 9471 §3.1)")
                expect(box).to_contain_text("in the referral: NOTHING")
            assert drawing.locator(RED).count() >= 2  # both links to the name servers
            resolver = page.locator("#resolver")  # what each real resolver printed, recorded
            for kind in ("bind", "knot", "pdns", "unbound"):
                expect(resolver).to_contain_text(evidence.RECORDED_WITH[kind] + ": SERVFAIL")
                expect(resolver).to_contain_text(evidence.quote(kind, "missing-glue"))
            page.screenshot(path=str(SHOTS / "missing-glue-broken.png"), full_page=True)

            for host in ("ns1.example.com", "ns2.example.com"):
                page.locator(f'.glue-row[data-host="{host}"] button[data-action="add-glue"]').click()
                expect(page.locator("#outcome")).to_have_text(f"Glue for {host}: done", timeout=15000)
            expect(page.locator("#overall")).to_have_text("HEALTHY", timeout=30000)
            expect(drawing.locator(RED)).to_have_count(0)
            expect(drawing.locator('g[data-status="ok"]')).to_have_count(3)  # the domain, both names
            expect(page.locator("#resolver")).to_contain_text("resolves")

            referral = _referral(tld, port)  # the next referral carries the glue, over DNS
            glue = {(rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype)): rrset[0].to_text()
                    for rrset in referral.additional}
            assert {name for name, _ in glue} == {"ns1.example.com.", "ns2.example.com."}, referral
            for host in ("ns1.example.com", "ns2.example.com"):
                expect(drawing.locator(f'g[data-ns="{host}"]')).to_contain_text(
                    f"in the referral: {glue[(host + '.', 'A')]}, {glue[(host + '.', 'AAAA')]}")
            expect(page.locator("#journal")).to_contain_text("www.example.com A", timeout=10000)
            page.screenshot(path=str(SHOTS / "missing-glue-fixed.png"), full_page=True)

            page.goto(url.split("#")[0] + "docs")
            expect(page.locator("#routes")).to_contain_text("/client/v4/accounts/{account_id}/custom_ns")
            browser.close()
        base = url.split("#")[0]
        assert asked and all(u.startswith(base) for u in asked), [u for u in asked if not u.startswith(base)]
