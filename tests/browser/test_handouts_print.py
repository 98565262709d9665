"""The printed handouts in Debian's Chromium: offline, and printable on A4 and Letter.

Every handout of the English and the Spanish workshop (written by ``attune handouts``) is
opened from disk with every request other than the page itself aborted and recorded: a page
that asked for anything (a font, a stylesheet, a script, an image) fails. The page's own
Content-Security-Policy would block such a request before it is made, so each page is also
opened once without it: its content itself must ask for nothing. Each page is then
laid out at the printable width of A4 and of Letter with the print stylesheet, where nothing
may stick out sideways, and printed to PDF on both papers, where its page count must stay
within a bound (a page that overflowed or lost its print rules grows far past it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from toolkit.apps.cli import main

ROOT = Path(__file__).resolve().parents[2]
WORKSHOPS = {"en": ROOT / "workshop.yaml", "es": ROOT / "workshops" / "es" / "workshop.yaml"}
#: (paper, PDF format, printable width in CSS px: paper width minus the 13 mm side margins, at 96 px/in)
PAPERS = [("A4", "A4", (210 - 26) / 25.4 * 96), ("Letter", "Letter", (215.9 - 26) / 25.4 * 96)]
MAX_PAGES = 16  # the longest session (6) prints on 12-13 pages


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


@pytest.fixture(scope="module", params=sorted(WORKSHOPS))
def handouts(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"print-{request.param}")
    assert main(["handouts", str(WORKSHOPS[request.param]), "--out", str(out)]) == 0
    pages = sorted(out.glob("*.html"))
    assert len(pages) == 8  # seven sessions and the index
    return request.param, pages


def test_without_its_content_security_policy_a_page_still_asks_for_nothing(browser, handouts, tmp_path):
    _, pages = handouts
    context = browser.new_context(offline=True)
    requested: list[str] = []
    allowed: set[str] = set()
    context.route("**/*", lambda route: route.continue_() if route.request.url in allowed
                  else (requested.append(route.request.url), route.abort()))
    try:
        for path in pages:
            bare = tmp_path / path.name
            html = path.read_text(encoding="utf-8")
            stripped = re.sub(r"<meta http-equiv='Content-Security-Policy'[^>]*>", "", html)
            assert stripped != html, f"{path.name} has no Content-Security-Policy"
            bare.write_text(stripped, encoding="utf-8")
            allowed = {bare.as_uri()}
            page = context.new_page()
            page.goto(bare.as_uri(), wait_until="load")
            assert page.locator("h1").count() == 1
            page.close()
            assert requested == [], f"{path.name} asked for {requested}"
    finally:
        context.close()


def test_handouts_make_no_request_and_print_within_bounds_on_a4_and_letter(browser, handouts):
    language, pages = handouts
    context = browser.new_context(java_script_enabled=False, offline=True)
    requested: list[str] = []

    def guard(route):
        if route.request.url in allowed:
            route.continue_()
        else:
            requested.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    try:
        for path in pages:
            allowed = {path.as_uri()}
            page = context.new_page()
            page.on("request", lambda r, ok=frozenset(allowed): None if r.url in ok else requested.append(r.url))
            page.goto(path.as_uri(), wait_until="load")
            assert page.locator("h1").count() == 1, path.name
            assert requested == [], f"{path.name} asked for {requested}"
            page.emulate_media(media="print")
            for paper, fmt, width in PAPERS:
                page.set_viewport_size({"width": int(width), "height": 1100})
                wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                    .map(e => e.tagName + '.' + e.className).slice(0, 5)""")
                assert wide == [], f"{path.name} on {paper}: sticks out sideways: {wide}"
                count = pdf_pages(page.pdf(format=fmt, print_background=True))
                low = 1 if path.name == "index.html" else 2
                assert low <= count <= MAX_PAGES, f"{path.name} on {paper}: {count} pages"
            assert requested == [], f"{path.name} asked for {requested} while printing"
            page.close()
    finally:
        context.close()
