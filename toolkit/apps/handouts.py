"""``attune handouts``: write a print-ready page per session of a workshop, and an index.

Reads the workshop file (its sessions, their instruments, its language and locale), each
session's notebook (the participant text, never code or facilitator notes), the instruments
and the support contacts; ``toolkit.render.handouts`` turns them into pages. Every page is
written fresh from these files, so a trainer's edit to a notebook or a content file shows on
the next run.
"""

from __future__ import annotations

import json
from pathlib import Path

from toolkit.content.text import pick
from toolkit.core.support import crisis_resources
from toolkit.errors import AttuneError
from toolkit.instruments import load_instrument
from toolkit.render.handouts import SessionHandout, render_handout, render_index, session_text
from toolkit.settings import Workshop, bundled_path, load_workshop


def default_workshop() -> Path:
    """./workshop.yaml when there is one, else the workshop that comes with Attune."""
    here = Path("workshop.yaml")
    return here if here.is_file() else bundled_path("workshop.yaml")


def session_handouts(ws: Workshop) -> list[tuple[Path, SessionHandout]]:
    """(notebook, handout) for every session of the workshop, in order."""
    language = ws.spec.language
    contacts = crisis_resources(ws.spec.locale, language)
    out = []
    refs = ws.instruments
    for index, notebook in enumerate(ws.notebooks):
        try:
            nb = json.loads(notebook.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AttuneError(f"cannot read the notebook {notebook} ({exc}); run `attune check {ws.path}`") from None
        text = session_text(nb)
        names = [ref.source for ref in refs if ref.session == index]
        listed = {str(n) for n in names}
        names += [i for i in text.instruments if i not in listed]  # asked for in the notebook but not listed
        instruments = tuple(dict((inst.id, inst) for inst in (load_instrument(n) for n in names)).values())
        out.append((notebook, SessionHandout(text, instruments, contacts)))
    return out


def write_handouts(workshop: str | Path | None, out: str | Path) -> list[Path]:
    """Write one HTML page per session and ``index.html`` into ``out``; return the paths written."""
    ws = load_workshop(workshop or default_workshop())
    language = ws.spec.language
    title = pick(ws.spec.title, language)
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written, entries = [], []
        for notebook, handout in session_handouts(ws):
            path = folder / f"{notebook.stem}.html"
            path.write_text(render_handout(handout, language=language, workshop_title=title), encoding="utf-8")
            written.append(path)
            entries.append((path.name, handout.text.title))
        index = folder / "index.html"
        index.write_text(render_index(entries, language=language, workshop_title=title), encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise AttuneError(f"cannot write to {folder}: {reason} (choose a folder you can write to)") from None
    return [index, *written]
