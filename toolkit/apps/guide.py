"""``attune guide``: write the facilitator guide as one printable, self-contained HTML page.

The guide's single source is ``toolkit/content/guide/facilitator-guide.md`` (shipped in the
wheel with the rest of ``content/``); ``toolkit.render.guide`` turns it into the page.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.content import CONTENT_DIR
from toolkit.errors import AttuneError
from toolkit.render.guide import render_guide

GUIDE_DIR = CONTENT_DIR / "guide"
GUIDE_NAME = "facilitator-guide"


def guide_languages() -> list[str]:
    """Languages the guide is written in: ``facilitator-guide.md`` is English, ``facilitator-guide.LANG.md`` another."""
    found = {"en"} if (GUIDE_DIR / f"{GUIDE_NAME}.md").is_file() else set()
    found |= {p.name.split(".")[1] for p in GUIDE_DIR.glob(f"{GUIDE_NAME}.*.md")}
    return sorted(found)


def guide_path(language: str = "en") -> Path:
    """The guide's Markdown file for a language, or an error naming the languages there are."""
    path = GUIDE_DIR / (f"{GUIDE_NAME}.md" if language == "en" else f"{GUIDE_NAME}.{language}.md")
    if not path.is_file():
        raise AttuneError(f"the facilitator guide is not written in {language!r} yet; "
                          f"available: {', '.join(guide_languages()) or 'none'}")
    return path


def write_guide(out: str | Path, *, language: str = "en") -> Path:
    """Render the guide to ``out`` (one HTML file) and return its path."""
    page = render_guide(guide_path(language).read_text(encoding="utf-8"), language=language)
    out = Path(out)
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise AttuneError(f"cannot write {out}: {reason} (choose a file in a folder you can write to)") from None
    return out
