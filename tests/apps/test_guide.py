"""The facilitator guide: its sections, its sources, the notebooks that point to it, and ``attune guide``.

The guide has one source, ``toolkit/content/guide/facilitator-guide.md`` (in the package, so an
installed ``attune`` can print it). ``attune guide --out FILE`` writes it as one self-contained
page that loads nothing: these tests read that page as text, and one optional test prints it
with Debian's Chromium to check that it makes a sane number of pages.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.apps.cli import main
from toolkit.apps.guide import GUIDE_DIR, guide_path
from toolkit.render.guide import CSP, render_guide, slug

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
GUIDE = GUIDE_DIR / "facilitator-guide.md"
ATTUNE = Path(sys.executable).with_name("attune")
CHROMIUM = Path("/usr/bin/chromium")

REQUIRED_SECTIONS = [
    "Who should facilitate",
    "Room and timings",
    "Group agreements",
    "When someone discloses suicidal thoughts",
    "Violence or abuse",
    "A child at risk",
    "Relationship-safety screen before couple work",
    "When to stop couple work",
    "Records",
    "Referral routes for your locale",
    "Sources",
]
#: English session notebook -> its Spanish mirror.
SESSIONS = {
    "00_welcome": "00_bienvenida",
    "01_recognizing": "01_reconocer",
    "02_attachment": "02_apego",
    "03_communication": "03_comunicacion",
    "04_trauma_resilience": "04_trauma_resiliencia",
    "05_seeking_help": "05_buscar_ayuda",
    "06_first_step": "06_primer_paso",
}
#: How a note points to the guide, and how it names a section, in each language.
POINTER = {"en": ("See the facilitator guide", re.compile(r"“([^”]+)”")),
           "es": ("Consulta la guía para quien facilita", re.compile(r"«([^»]+)»"))}
PHONE_LIKE = re.compile(r"\+\d|\b\d{2,5}[ -]\d{3}[ -]\d{3,4}\b|\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"
                        r"|\b(911|999|112|988|000|016|024)\b|\b116 ?\d{3}\b")


def guide_text() -> str:
    return GUIDE.read_text(encoding="utf-8")


def headings(text: str, level: int) -> list[str]:
    return re.findall(rf"^{'#' * level} (.+)$", text, flags=re.MULTILINE)


def section(text: str, name: str) -> str:
    """The text of one ``## name`` section, up to the next level-2 heading."""
    start = text.index(f"\n## {name}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "").replace("*", ""))


def notebook(name: str, language: str) -> dict:
    path = NOTEBOOKS / (f"{name}.ipynb" if language == "en" else f"es/{SESSIONS[name]}.ipynb")
    return json.loads(path.read_text(encoding="utf-8"))


def notes(nb: dict) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if "facilitator" in c.get("metadata", {}).get("tags", [])]


def write_page(tmp_path: Path, capsys, *extra: str) -> str:
    out = tmp_path / "guide.html"
    code = main(["guide", "--out", str(out), *extra])
    printed, err = capsys.readouterr()
    assert code == 0, err
    assert printed.strip() == str(out) and err == ""
    return out.read_text(encoding="utf-8")


# --- the guide itself ------------------------------------------------------------------------------

def test_the_guide_ships_inside_the_package_and_docs_point_to_it_without_a_copy():
    assert guide_path("en") == GUIDE and GUIDE.is_file()
    assert GUIDE.is_relative_to(ROOT / "toolkit" / "content")
    pointer = (ROOT / "docs" / "facilitator-guide.md").read_text(encoding="utf-8")
    assert "toolkit/content/guide/facilitator-guide.md" in pointer
    assert len(pointer) < len(guide_text()) / 5, "docs/facilitator-guide.md points to the guide; it is not a copy"
    assert "toolkit/content/guide/facilitator-guide.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_guide_has_every_required_section_once():
    found = headings(guide_text(), 2)
    for name in REQUIRED_SECTIONS:
        assert found.count(name) == 1, f"missing or repeated section: ## {name}"
    assert found[-1] == "Sources"
    assert len(headings(guide_text(), 1)) == 1


def test_every_in_page_link_leads_to_a_heading():
    text = guide_text()
    anchors = {slug(h) for level in (1, 2, 3) for h in headings(text, level)}
    links = re.findall(r"\]\(#([^)]+)\)", text)
    assert links
    for target in links:
        assert target in anchors, f"#{target} is no heading of the guide"


def test_timings_agree_with_the_sessions_facilitator_notes():
    """The table in "Room and timings" gives each session the length its notes give, in both languages."""
    rows = {int(m.group(1)): int(m.group(2)) for m in
            re.finditer(r"^\| (\d) [^|]+\| about (\d+) minutes \|", section(guide_text(), "Room and timings"), re.MULTILINE)}
    assert sorted(rows) == list(range(7))
    for n, name in enumerate(SESSIONS):
        en = flat("\n".join(notes(notebook(name, "en"))))
        es = flat("\n".join(notes(notebook(name, "es"))))
        assert re.search(rf"Timing \(about {rows[n]} minutes\)", en), f"{name}: the guide says {rows[n]} minutes"
        assert re.search(rf"Tiempo \(unos {rows[n]} minutos\)", es), f"{SESSIONS[name]}: the guide says {rows[n]} minutes"
        # the parts and their minutes, as the notes list them
        parts = re.search(r"Timing \(about \d+ minutes\): (.+?)\.(?: |$)", en).group(1)
        for minutes in re.findall(r"(\d+) min", parts):
            assert minutes in section(guide_text(), "Room and timings")
        total = sum(int(m) for m in re.findall(r"(\d+) min", parts))
        assert rows[n] - 5 <= total <= rows[n], f"{name}: the parts add up to {total} of about {rows[n]} minutes"


def test_facts_carry_a_source_listed_at_the_end():
    text = guide_text()
    body, sources = text.split("\n## Sources\n")
    cited = re.findall(r"\(([^()]*?\b(?:19|20)\d\d[^()]*?)\)", body)
    assert len(cited) >= 8, "facts carry a source in brackets"
    for citation in cited:
        for part in citation.split(";"):
            year = re.search(r"(?:19|20)\d\d", part)
            author = re.search(r"[A-Z][A-Za-z-]+", part)
            if year and author:
                assert re.search(rf"{re.escape(author.group())}[^\n]*(?:\n  [^\n]*)?\({year.group()}\)", sources), \
                    f"({part.strip()}) is not in the Sources"


def test_no_phone_numbers_in_the_guide_only_the_checked_contacts_file():
    text = guide_text()
    found = PHONE_LIKE.search(text)
    assert not found, f"phone-like number {found.group()!r}: support contacts live in crisis_resources.yaml"
    referral = section(text, "Referral routes for your locale")
    assert "toolkit/content/crisis_resources.yaml" in referral and "attune check" in referral


def test_the_hard_moments_say_what_to_do():
    suicidal = flat(section(guide_text(), "When someone discloses suicidal thoughts")).lower()
    assert "emergency number" in suicidal and "ask directly" in suicidal and "never promise" in suicidal
    violence = flat(section(guide_text(), "Violence or abuse")).lower()
    assert "when someone is being hurt" in violence and "when someone says they hurt" in violence
    assert "never where the partner can see or hear" in violence
    child = flat(section(guide_text(), "A child at risk")).lower()
    assert "safeguarding" in child and "do not promise secrecy" in child
    screen = flat(section(guide_text(), "Relationship-safety screen before couple work")).lower()
    for phrase in ("separately", "pairing not advised", "only if they chose the private check-in",
                   "never tell the partner why", "stith, mccollum & rosen, 2011", "bradford"):
        assert phrase in screen, phrase


# --- the notebooks point to it -----------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("name", list(SESSIONS))
def test_every_session_has_a_facilitator_note_pointing_to_a_guide_section(name, language):
    start, quoted = POINTER[language]
    pointers = [flat(line) for note in notes(notebook(name, language))
                for line in re.split(r"\n(?=- )", note) if line.startswith(f"- {start}")]
    assert pointers, f"no facilitator note of {name} ({language}) points to the guide"
    sections = set(headings(guide_text(), 2))
    for pointer in pointers:
        named = quoted.findall(pointer)
        assert named and "attune guide" in pointer
        for name_of_section in named:
            assert name_of_section in sections, f"{name_of_section!r} is no section of the guide"


@pytest.mark.parametrize("language", ["en", "es"])
def test_welcome_says_the_safety_screen_comes_before_couple_work_and_what_to_do(language):
    said = flat("\n".join(notes(notebook("00_welcome", language)))).lower()
    phrases = {"en": ("relationship-safety screen before any couple work", "separately", "pairing not advised",
                      "only if they chose the private check-in", "never tell the partner why",
                      "stith, mccollum & rosen", "bradford, 2010"),
               "es": ("cribado de seguridad en la relación antes de cualquier trabajo en pareja", "por separado",
                      "pairing not advised", "solo si eligió la conversación privada", "nunca le digas a su pareja por qué",
                      "stith, mccollum y rosen", "bradford, 2010")}[language]
    for phrase in phrases:
        assert phrase in said, phrase


def test_trainer_guide_says_the_safety_screen_comes_before_couple_work_and_what_to_do():
    text = (ROOT / "docs" / "trainers.md").read_text(encoding="utf-8")
    part = flat(text[text.index("## Couple work and the relationship-safety screen"):]).lower()
    for phrase in ("before any couple work", "separately", "pairing not advised", "only if they chose the private check-in",
                   "never tells the partner why", "stith, mccollum & rosen", "bradford", "attune guide"):
        assert phrase in part, phrase
    assert "(#couple-work-and-the-relationship-safety-screen)" in text


# --- attune guide ------------------------------------------------------------------------------------

def test_attune_guide_writes_a_self_contained_printable_page(tmp_path, capsys):
    page = write_page(tmp_path, capsys)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert CSP == "default-src 'none'; style-src 'unsafe-inline'"
    assert "@media print" in page and "@page" in page
    for tag in ("<script", "<link", "<img", "<iframe", "<object", "<embed", "<base", "@import", "url("):
        assert tag not in page.lower(), f"{tag} would load something"
    assert not re.search(r"\bsrc\s*=", page)
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith("#") for h in hrefs), [h for h in hrefs if not h.startswith("#")]
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page)
    ids = set(re.findall(r'id="([^"]+)"', page))
    assert {h[1:] for h in hrefs} <= ids
    for name in REQUIRED_SECTIONS:
        assert f'<h2 id="{slug(name)}">{name}</h2>' in page
    assert "<table>" in page and "<title>Facilitator guide: the hard moments</title>" in page


def test_the_renderer_escapes_html_and_keeps_outside_links_and_images_off_the_page():
    page = render_guide("# T\n\n<script>alert(1)</script>\n\n[a site](https://example.org/x) and "
                        "![a picture](http://example.org/i.png) and [here](#t)\n\n<img src=x onerror=alert(1)>\n")
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;" in page
    assert "a site <span class=\"address\">(https://example.org/x)</span>" in page  # printed as text
    assert 'href="https' not in page and not re.search(r"<[^>]*\bsrc=", page)
    assert '<a href="#t">here</a>' in page and '<h1 id="t">T</h1>' in page


def test_unwritable_out_exits_2_with_one_line_and_no_traceback(tmp_path, capsys):
    for out in (tmp_path / "no such folder" / "guide.html", tmp_path):
        code = main(["guide", "--out", str(out)])
        printed, err = capsys.readouterr()
        assert code == 2 and printed == ""
        assert err.count("\n") == 1 and err.startswith("attune guide: cannot write") and "Traceback" not in err


def test_a_language_without_a_guide_exits_2_naming_the_languages_there_are(tmp_path, capsys):
    code = main(["guide", "--out", str(tmp_path / "g.html"), "--lang", "xx"])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "available: en" in err
    assert not (tmp_path / "g.html").exists()


def test_the_console_script_reports_an_unwritable_path_in_one_line(tmp_path):
    done = subprocess.run([str(ATTUNE), "guide", "--out", str(tmp_path / "missing" / "g.html")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists() or shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_the_page_prints_to_a_sane_number_of_pages(tmp_path, capsys):
    write_page(tmp_path, capsys)
    pdf = tmp_path / "guide.pdf"
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", (tmp_path / "guide.html").as_uri()],
                   capture_output=True, timeout=180, check=False)
    assert pdf.is_file(), "chromium wrote no PDF"
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))
    assert 4 <= pages <= 20, f"{pages} pages"
