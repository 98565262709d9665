"""Reading notebooks for the structure and content tests: every notebook, every language.

The notebooks themselves run once, under nbval in `make test`; these helpers only read them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ALL = sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
#: Participant-facing notebooks that start a Session: the numbered sessions in every language, and the demo.
SESSIONS = [p for p in ALL if p.name[:2].isdigit() or p.stem == "questionnaire_demo"]
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
MAX_BYTES = 200 * 1024
#: How a facilitator note starts, in each notebook language.
NOTE_HEADING = {"en": "**Facilitator notes**", "es": "**Notas para quien facilita**"}
PHONE_LIKE = re.compile(r"\+\d|\b\d{2,5}[ -]\d{3}[ -]\d{3,4}\b|\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"
                        r"|\b(911|999|112|988|000|016|024)\b|\b116 ?\d{3}\b")


def ident(path: Path) -> str:
    return path.relative_to(NOTEBOOKS).as_posix()


def language_of(path: Path) -> str:
    """A notebook's language is its folder's: notebooks/es/ is Spanish, notebooks/ English."""
    return path.parent.name if path.parent != NOTEBOOKS else "en"


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def is_note(cell: dict) -> bool:
    return "facilitator" in tags(cell)


def notes_text(path: Path) -> str:
    return "\n".join(source(c) for c in load(path)["cells"] if is_note(c))


def participant_text(path: Path) -> str:
    """Markdown a participant reads (the participant app strips facilitator notes)."""
    return "\n\n".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "markdown" and not is_note(c))


def code_text(path: Path) -> str:
    return "\n".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "code")


def flat(text: str) -> str:
    """Markdown with line breaks and emphasis removed, for phrase checks."""
    return re.sub(r"\s+", " ", text.replace("**", "").replace("*", ""))
