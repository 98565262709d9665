"""The facilitator guide: its sections, its sources, the notebooks that point to it, and ``attune guide``.

The guide has one source per language, ``toolkit/content/guide/facilitator-guide.md`` (English)
and ``facilitator-guide.LANG.md`` (in the package, so an installed ``attune`` can print it).
Every check of a guide holds for each language, against that language's session notebooks;
a translation also keeps every number, source and link of the English guide. ``attune guide
--out FILE [--lang LANG]`` writes a guide as one self-contained page that loads nothing: these
tests read that page as text, and one optional test prints it with Debian's Chromium to check
that it makes a sane number of pages.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

from toolkit.apps.cli import main
from toolkit.apps.guide import GUIDE_DIR, guide_languages, guide_path
from toolkit.render.guide import CSP, render_guide, slug

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
GUIDE = GUIDE_DIR / "facilitator-guide.md"
ATTUNE = Path(sys.executable).with_name("attune")
CHROMIUM = Path("/usr/bin/chromium")

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


@dataclass(frozen=True)
class Language:
    """How one language's guide and session notes say what these tests look for."""

    #: The sections every guide has, by role: (role, heading).
    sections: dict[str, str]
    #: The page's <title>.
    title: str
    #: A session's row in the timings table: its number and its minutes.
    row: re.Pattern
    #: A session's facilitator notes on timing: its minutes and its parts.
    timing: re.Pattern
    #: How a note points to the guide, and how it quotes a section's name.
    pointer: str
    quoted: re.Pattern
    #: What the hard-moment sections must say, by role (lower case).
    says: dict[str, tuple[str, ...]]


LANGUAGES = {
    "en": Language(
        sections={"who": "Who should facilitate", "room": "Room and timings", "agreements": "Group agreements",
                  "suicidal": "When someone discloses suicidal thoughts", "violence": "Violence or abuse",
                  "child": "A child at risk", "screen": "Relationship-safety screen before couple work",
                  "stop": "When to stop couple work", "records": "Records",
                  "referral": "Referral routes for your locale", "sources": "Sources"},
        title="Facilitator guide: the hard moments",
        row=re.compile(r"^\| (\d) [^|]+\| about (\d+) minutes \|", re.MULTILINE),
        timing=re.compile(r"Timing \(about (\d+) minutes\): (.+?)\.(?: |$)"),
        pointer="See the facilitator guide", quoted=re.compile(r"“([^”]+)”"),
        says={"suicidal": ("emergency number", "ask directly", "never promise"),
              "violence": ("when someone is being hurt", "when someone says they hurt",
                           "never where the partner can see or hear"),
              "child": ("safeguarding", "do not promise secrecy"),
              "screen": ("separately", "pairing not advised", "only if they chose the private check-in",
                         "never tell the partner why", "stith, mccollum & rosen, 2011", "bradford")}),
    "es": Language(
        sections={"who": "Quién debe facilitar", "room": "Sala y tiempos", "agreements": "Acuerdos del grupo",
                  "suicidal": "Cuando alguien revela ideas de suicidio", "violence": "Violencia o maltrato",
                  "child": "Un niño o una niña en riesgo",
                  "screen": "Cribado de seguridad en la relación antes del trabajo en pareja",
                  "stop": "Cuándo parar el trabajo en pareja", "records": "Registros",
                  "referral": "Vías de derivación de tu zona", "sources": "Fuentes"},
        title="Guía para quien facilita: los momentos difíciles",
        row=re.compile(r"^\| (\d) [^|]+\| unos (\d+) minutos \|", re.MULTILINE),
        timing=re.compile(r"Tiempo \(unos (\d+) minutos\): (.+?)\.(?: |$)"),
        pointer="Consulta la guía para quien facilita", quoted=re.compile(r"«([^»]+)»"),
        says={"suicidal": ("número de emergencias", "pregunta directamente", "nunca prometas"),
              "violence": ("cuando alguien sufre daño", "cuando alguien dice que hace daño",
                           "nunca donde su pareja pueda ver u oír"),
              "child": ("protección", "no prometas guardar el secreto"),
              "screen": ("por separado", "pairing not advised", "solo si eligió la conversación privada",
                         "nunca le digas a su pareja por qué", "stith, mccollum y rosen, 2011", "bradford")}),
}
TRANSLATIONS = [language for language in LANGUAGES if language != "en"]
PHONE_LIKE = re.compile(r"\+\d|\b\d{2,5}[ -]\d{3}[ -]\d{3,4}\b|\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"
                        r"|\b(911|999|112|988|000|016|024)\b|\b116 ?\d{3}\b")


def guide_text(language: str = "en") -> str:
    return guide_path(language).read_text(encoding="utf-8")


def headings(text: str, level: int) -> list[str]:
    return re.findall(rf"^{'#' * level} (.+)$", text, flags=re.MULTILINE)


def section(text: str, name: str) -> str:
    """The text of one ``## name`` section, up to the next level-2 heading."""
    start = text.index(f"\n## {name}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def said(language: str, role: str) -> str:
    """One hard-moment section of a guide, flattened and in lower case."""
    return flat(section(guide_text(language), LANGUAGES[language].sections[role])).lower()


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

def test_the_guide_is_written_in_english_and_spanish():
    assert guide_languages() == sorted(LANGUAGES) == ["en", "es"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_guide_ships_inside_the_package(language):
    path = guide_path(language)
    assert path.is_file() and path.parent == GUIDE_DIR
    assert path.is_relative_to(ROOT / "toolkit" / "content")
    assert path.name == ("facilitator-guide.md" if language == "en" else f"facilitator-guide.{language}.md")


def test_docs_point_to_the_guide_without_a_copy():
    assert guide_path("en") == GUIDE
    pointer = (ROOT / "docs" / "facilitator-guide.md").read_text(encoding="utf-8")
    assert "toolkit/content/guide/facilitator-guide.md" in pointer
    assert len(pointer) < len(guide_text()) / 5, "docs/facilitator-guide.md points to the guide; it is not a copy"
    assert "toolkit/content/guide/facilitator-guide.md" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_guide_has_every_required_section_once(language):
    found = headings(guide_text(language), 2)
    for name in LANGUAGES[language].sections.values():
        assert found.count(name) == 1, f"missing or repeated section: ## {name}"
    assert found[-1] == LANGUAGES[language].sections["sources"]
    assert len(headings(guide_text(language), 1)) == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_in_page_link_leads_to_a_heading(language):
    text = guide_text(language)
    anchors = {slug(h) for level in (1, 2, 3) for h in headings(text, level)}
    links = re.findall(r"\]\(#([^)]+)\)", text)
    assert links
    for target in links:
        assert target in anchors, f"#{target} is no heading of the guide"


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_a_translation_keeps_every_number_section_link_and_source_of_the_english_guide(language):
    english, translated = guide_text("en"), guide_text(language)
    assert Counter(re.findall(r"\d+", translated)) == Counter(re.findall(r"\d+", english))
    for level in (1, 2, 3):
        assert len(headings(translated, level)) == len(headings(english, level)), f"level-{level} headings"
    assert len(re.findall(r"\]\(#", translated)) == len(re.findall(r"\]\(#", english))
    # commands, files and settings are the same words in every language; only the guide's own command differs
    for code in set(re.findall(r"`([^`]+)`", english)) - {"attune guide --out guide.html"}:
        assert f"`{code}`" in translated, code
    assert f"--lang {language}" in translated
    sources = {lang: section(guide_text(lang), LANGUAGES[lang].sections["sources"]) for lang in ("en", language)}
    assert sources["en"].count("\n- ") == sources[language].count("\n- ")


@pytest.mark.parametrize("language", LANGUAGES)
def test_timings_agree_with_the_sessions_facilitator_notes(language):
    """The table in the room-and-timings section gives each session the length its notes give."""
    spec = LANGUAGES[language]
    room = section(guide_text(language), spec.sections["room"])
    rows = {int(m.group(1)): int(m.group(2)) for m in spec.row.finditer(room)}
    assert sorted(rows) == list(range(7))
    for n, name in enumerate(SESSIONS):
        timing = spec.timing.search(flat("\n".join(notes(notebook(name, language)))))
        assert timing, f"{name} ({language}): no timing in the facilitator notes"
        assert int(timing.group(1)) == rows[n], f"{name} ({language}): the guide says {rows[n]} minutes"
        # the parts and their minutes, as the notes list them
        parts = timing.group(2)
        for minutes in re.findall(r"(\d+) min", parts):
            assert minutes in room
        total = sum(int(m) for m in re.findall(r"(\d+) min", parts))
        assert rows[n] - 5 <= total <= rows[n], f"{name}: the parts add up to {total} of about {rows[n]} minutes"


@pytest.mark.parametrize("language", LANGUAGES)
def test_facts_carry_a_source_listed_at_the_end(language):
    body, sources = guide_text(language).split(f"\n## {LANGUAGES[language].sections['sources']}\n")
    cited = re.findall(r"\(([^()]*?\b(?:19|20)\d\d[^()]*?)\)", body)
    assert len(cited) >= 8, "facts carry a source in brackets"
    for citation in cited:
        for part in citation.split(";"):
            year = re.search(r"(?:19|20)\d\d", part)
            author = re.search(r"[A-Z][A-Za-z-]+", part)
            if year and author:
                assert re.search(rf"{re.escape(author.group())}[^\n]*(?:\n  [^\n]*)?\({year.group()}\)", sources), \
                    f"({part.strip()}) is not in the sources"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_phone_numbers_in_the_guide_only_the_checked_contacts_file(language):
    text = guide_text(language)
    found = PHONE_LIKE.search(text)
    assert not found, f"phone-like number {found.group()!r}: support contacts live in crisis_resources.yaml"
    referral = section(text, LANGUAGES[language].sections["referral"])
    assert "toolkit/content/crisis_resources.yaml" in referral and "attune check" in referral


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ["suicidal", "violence", "child", "screen"])
def test_the_hard_moments_say_what_to_do(language, role):
    text = said(language, role)
    for phrase in LANGUAGES[language].says[role]:
        assert phrase in text, phrase


# --- the notebooks point to it -----------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(SESSIONS))
def test_every_session_has_a_facilitator_note_pointing_to_a_guide_section(name, language):
    """Notes name the sections of the guide in their own language, and the command that prints it."""
    spec = LANGUAGES[language]
    pointers = [flat(line) for note in notes(notebook(name, language))
                for line in re.split(r"\n(?=- )", note) if line.startswith(f"- {spec.pointer}")]
    assert pointers, f"no facilitator note of {name} ({language}) points to the guide"
    sections = set(headings(guide_text(language), 2))
    command = "attune guide" if language == "en" else f"--lang {language}"
    for pointer in pointers:
        named = spec.quoted.findall(pointer)
        assert named and "attune guide" in pointer and command in pointer
        for name_of_section in named:
            assert name_of_section in sections, f"{name_of_section!r} is no section of the {language} guide"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_note_names_a_section_of_another_language(language):
    """A note that quotes a section of the guide quotes one of its own language's guide."""
    others = {name for lang in LANGUAGES if lang != language for name in headings(guide_text(lang), 2)}
    own = set(headings(guide_text(language), 2))
    for name in SESSIONS:
        quoted = set(LANGUAGES[language].quoted.findall(flat("\n".join(notes(notebook(name, language))))))
        assert not (quoted & (others - own)), f"{name} ({language}) names {sorted(quoted & others)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_welcome_says_the_safety_screen_comes_before_couple_work_and_what_to_do(language):
    welcome = flat("\n".join(notes(notebook("00_welcome", language)))).lower()
    phrases = {"en": ("relationship-safety screen before any couple work", "separately", "pairing not advised",
                      "only if they chose the private check-in", "never tell the partner why",
                      "stith, mccollum & rosen", "bradford, 2010"),
               "es": ("cribado de seguridad en la relación antes de cualquier trabajo en pareja", "por separado",
                      "pairing not advised", "solo si eligió la conversación privada", "nunca le digas a su pareja por qué",
                      "stith, mccollum y rosen", "bradford, 2010")}[language]
    for phrase in phrases:
        assert phrase in welcome, phrase


def test_trainer_guide_says_the_safety_screen_comes_before_couple_work_and_what_to_do():
    text = (ROOT / "docs" / "trainers.md").read_text(encoding="utf-8")
    part = flat(text[text.index("## Couple work and the relationship-safety screen"):]).lower()
    for phrase in ("before any couple work", "separately", "pairing not advised", "only if they chose the private check-in",
                   "never tells the partner why", "stith, mccollum & rosen", "bradford", "attune guide"):
        assert phrase in part, phrase
    assert "(#couple-work-and-the-relationship-safety-screen)" in text


# --- attune guide ------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_attune_guide_writes_a_self_contained_printable_page(language, tmp_path, capsys):
    page = write_page(tmp_path, capsys, *(() if language == "en" else ("--lang", language)))
    assert page.startswith("<!DOCTYPE html>") and f'<html lang="{language}">' in page
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert CSP == "default-src 'none'; style-src 'unsafe-inline'"
    assert "@media print" in page and "@page" in page
    for tag in ("<script", "<link", "<img", "<iframe", "<object", "<embed", "<base", "@import", "url("):
        assert tag not in page.lower(), f"{tag} would load something"
    assert not re.search(r"\bsrc\s*=", page)
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith("#") for h in hrefs), [h for h in hrefs if not h.startswith("#")]
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page)
    # a browser percent-decodes a fragment before it looks for the id (HTML, "find a potential
    # indicated element"), so #qui%C3%A9n-debe-facilitar leads to id="quién-debe-facilitar"
    ids = set(re.findall(r'id="([^"]+)"', page))
    assert {unquote(h[1:]) for h in hrefs} <= ids
    for name in LANGUAGES[language].sections.values():
        assert f'<h2 id="{slug(name)}">{name}</h2>' in page
    assert "<table>" in page and f"<title>{LANGUAGES[language].title}</title>" in page


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
    assert code == 2 and err.count("\n") == 1 and "available: en, es" in err
    assert not (tmp_path / "g.html").exists()


def test_the_console_script_reports_an_unwritable_path_in_one_line(tmp_path):
    done = subprocess.run([str(ATTUNE), "guide", "--out", str(tmp_path / "missing" / "g.html")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists() or shutil.which("chromium") is None, reason="needs Debian's chromium")
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_prints_to_a_sane_number_of_pages(language, tmp_path, capsys):
    write_page(tmp_path, capsys, *(() if language == "en" else ("--lang", language)))
    pdf = tmp_path / "guide.pdf"
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", (tmp_path / "guide.html").as_uri()],
                   capture_output=True, timeout=180, check=False)
    assert pdf.is_file(), "chromium wrote no PDF"
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))
    assert 4 <= pages <= 20, f"{pages} pages"
