"""``attune new``: starter files a trainer edits, each valid as written.

``new_workshop`` copies the default workshop file and the session notebooks it lists (with
their text pairs) into a new folder, with a store of its own and a README pointing to the
trainer guide. ``new_instrument`` writes a commented reflection checklist that passes
``attune validate`` and shows every field a trainer is likely to change.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from toolkit.apps.dashboard_server import DASHBOARD
from toolkit.errors import AttuneError
from toolkit.instruments import bundled_ids, load_instrument_file
from toolkit.instruments.model import ID_PATTERN
from toolkit.settings import WORKSHOP_FILE, bundled_path, load_workshop

DEFAULT_WORKSHOP = bundled_path(WORKSHOP_FILE)
TRAINER_GUIDE = bundled_path("docs/trainers.md")


class ScaffoldError(AttuneError):
    """A starter cannot be written where it was asked for (folder not empty, file exists, bad id)."""


def new_workshop(folder: str | Path, *, source: str | Path = DEFAULT_WORKSHOP) -> list[Path]:
    """Write a starter workshop into ``folder`` (new or empty); return the files written."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ScaffoldError(f"{folder} already exists and is not an empty folder: choose a new folder "
                            "(nothing was written)")
    if not Path(source).is_file():
        raise ScaffoldError(f"the workshop {source} is not here: `attune new workshop` copies it, with its "
                            "notebooks; reinstall attune-toolkit if the default one is missing")
    workshop = load_workshop(source)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for notebook in workshop.notebooks:
        name = notebook.relative_to(workshop.folder)
        for path in (notebook, notebook.with_suffix(".md")):
            if path.exists():
                target = folder / name.with_suffix(path.suffix)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                written.append(target)
    # The facilitator's dashboard goes beside the sessions, so `attune dashboard` run here finds it.
    sessions = workshop.notebooks[0].parent if workshop.notebooks else bundled_path("notebooks")
    dashboard = next((d for d in (sessions / DASHBOARD, bundled_path("notebooks") / DASHBOARD) if d.is_file()), None)
    if dashboard is not None:
        where = folder / (workshop.notebooks[0].parent.relative_to(workshop.folder) if workshop.notebooks else "notebooks")
        where.mkdir(parents=True, exist_ok=True)
        for path in (dashboard, dashboard.with_suffix(".md")):
            if path.exists():
                shutil.copyfile(path, where / path.name)
                written.append(where / path.name)
    text = Path(source).read_text(encoding="utf-8")
    store = f"~/.attune/{_slug(folder.resolve().name)}.sqlite"
    text = re.sub(r"(?m)^store:.*$", f"store: {store}", text, count=1)
    target = folder / WORKSHOP_FILE
    target.write_text(text, encoding="utf-8")
    readme = folder / "README.md"
    readme.write_text(_README.format(name=folder.name, guide=TRAINER_GUIDE, store=store), encoding="utf-8")
    return [target, readme, *written]


def new_instrument(instrument_id: str, out: str | Path | None = None, *, force: bool = False) -> Path:
    """Write a reflection-checklist skeleton for ``instrument_id``; ``out`` is a file or a folder."""
    if not re.match(ID_PATTERN, instrument_id):
        raise ScaffoldError(f"{instrument_id!r} cannot be an instrument id: use lower-case letters, digits and _, "
                            "starting with a letter (for example couple_checklist)")
    if instrument_id in bundled_ids():
        raise ScaffoldError(f"{instrument_id!r} is the id of a bundled instrument: answers are stored by id, "
                            "so choose another")
    path = Path(out) if out else Path.cwd()
    if path.is_dir() or (out is not None and str(out).endswith(("/", "\\"))):
        path = path / f"{instrument_id}.yaml"
    if path.exists() and not force:
        raise ScaffoldError(f"{path} already exists: choose another --out, or add --force to overwrite it")
    title = instrument_id.replace("_", " ").capitalize()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_INSTRUMENT.replace("__ID__", instrument_id).replace("__TITLE__", title), encoding="utf-8")
    load_instrument_file(path)  # the skeleton must pass as written
    return path


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-") or "workshop"


_README = """\
# {name}: an Attune workshop

This folder is a workshop you can adapt:

- `workshop.yaml`: title, language, locale of the support contacts, the sessions in order and
  what each asks participants to fill in, the small-group threshold k, the declared use.
- `notebooks/`: the session notebooks. Edit the `.md` file of a session, then run
  `jupytext --sync notebooks/NN_topic.ipynb` so that the notebook follows.

Answers are stored outside this folder, in `{store}`, so they never travel with it.

After every change, run

    attune check workshop.yaml

It names the file and line of every problem and ends with one line: `N errors, M warnings`.
Run the workshop only when it reports 0 errors.

The trainer guide explains each step: {guide}
"""

_INSTRUMENT = """\
# A reflection checklist written by the workshop's trainer. Check it with
#   attune validate __ID__.yaml
# and list it in workshop.yaml under a session's `instruments:` (as the path of this file).
# Care principles: a starting point for reflection, never a diagnosis; every question
# optional; nothing that asks for details of a trauma; nothing that labels a partner.
id: __ID__
version: "1.0"
kind: reflection

# Every text participants read is a language map: English under `en` is required, and other
# languages are added as lines below it (`es: ...`). Missing ones fall back to English.
title:
  en: __TITLE__ – a reflection checklist
time_frame:
  en: the last few months
instructions:
  en: >-
    This checklist is for your own reflection. It is not a test and not a diagnosis. Answer
    yes or no. Every question is optional: skip any you prefer not to answer. Sharing your
    answers with the group is never required.

response_scales:
  - id: yes_no
    options:
      - {value: 0, label: {en: "No"}}
      - {value: 1, label: {en: "Yes"}}

# One entry per question. Ids are what is stored: lower-case letters, digits and _, and
# never renamed once a workshop has used them.
items:
  - id: first_question
    type: yes_no
    response_scale: yes_no
    text: {en: "Write the first statement here, in plain words about yourself."}
  - id: second_question
    type: yes_no
    response_scale: yes_no
    text: {en: "Write the second statement here."}
  - id: third_question
    type: yes_no
    response_scale: yes_no
    text: {en: "Write the third statement here."}

# The count of "Yes" answers, with feedback for ranges of it. The bands must hold every
# possible count: when you add questions, raise the `max` of the last band to their number.
scales:
  - id: count
    label: {en: "Statements answered yes (0 to 3)"}
    items: [first_question, second_question, third_question]
    method: count
    min_answered: 1
    min_answered_reason: every question is optional, so any answered question gives a count
    higher_is_better: false
    bands:
      - id: few
        min: 0
        max: 1
        label: {en: Few of these}
        feedback:
          en: >-
            Write here what a low count may mean, as a starting point for reflection, not a
            verdict on anyone.
        source: the trainer's own guidance, not a validated cut-off
      - id: more
        min: 2
        max: 3
        label: {en: Several of these}
        feedback:
          en: >-
            Write here what a higher count may mean, and where support can be found. This is a
            starting point for reflection, not a verdict on anyone.
        source: the trainer's own guidance, not a validated cut-off

# Who may use these texts. Your own text: commercial_use: allowed. Adapted from someone
# else's: ask them, write what they allow, and use not_allowed or unclear until then.
licence:
  terms:
    en: Written by the workshop's trainer.
  commercial_use: unclear
  attribution:
    en: Written by the workshop's trainer

citations: []
"""
