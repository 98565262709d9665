"""Export a workshop's consented data: tidy answers, scores and a codebook, pseudonymised by default.

Only participants who consented to storage are in a store at all. Codes are replaced by
random export ids (the same id in every file of one export) unless asked to keep them,
and free-text answers stay out unless asked for: they are the most likely place for a
name or a detail that identifies someone. The relationship-safety screen never leaves the store
at all: an export must not say whose pairing hold it was, with or without codes (curriculum,
"Couples and safety").
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pandas as pd

from toolkit.content.text import pick
from toolkit.core.couples import SCREEN
from toolkit.errors import StoreError, UnknownInstrumentError
from toolkit.instruments import Instrument, load_instrument

ANSWER_COLUMNS = {
    "participant": "export id (random, the same in every file of this export), or the participant code with --keep-codes",
    "instrument": "questionnaire or exercise id (see 'attune list')",
    "instrument_version": "version of the instrument file the answer was given with",
    "timepoint": "when it was answered: pre, post or a session name",
    "item": "item id within the instrument (see 'attune show INSTRUMENT')",
    "value": "the answer as the response value; empty when missing or text",
    "missing": "why there is no value: skipped, prefer_not_to_say or dont_know; empty when answered",
    "text": "free text or a multiple-choice list; free text only with --include-text",
    "answered_at": "UTC time of the last change to this answer (ISO 8601)",
}


def export_ids(codes, rng: secrets.SystemRandom | None = None) -> dict[str, str]:
    """A random, unique export id for each code; nothing about the code can be read from it."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for code in sorted(set(codes)):
        while True:
            candidate = "p" + secrets.token_hex(4)
            if candidate not in used:
                break
        used.add(candidate)
        ids[code] = candidate
    return ids


def _instrument(ident: str) -> Instrument | None:
    """The bundled instrument, or None for an id this toolkit does not know (exported as data only)."""
    try:
        return load_instrument(ident)
    except UnknownInstrumentError:
        return None


def _is_free_text(row, instruments: dict[str, Instrument | None]) -> bool:
    inst = instruments.get(row["instrument"])
    if inst is None:
        return True  # unknown instrument: treat its text as free text, the cautious choice
    item = next((i for i in inst.items if i.id == row["item"]), None)
    return item is None or item.type == "free_text"


def export_frames(store, *, keep_codes: bool = False, include_text: bool = False) -> dict[str, pd.DataFrame]:
    """The three tables of an export, built from an open store (no files written)."""
    answers = store.answers()
    answers = answers[answers["instrument"] != SCREEN]
    instruments = {ident: _instrument(ident) for ident in answers["instrument"].unique()}
    if not include_text and len(answers):
        free = answers.apply(_is_free_text, axis=1, instruments=instruments)
        answers = answers[~free].copy()
    answers = answers[[c for c in ANSWER_COLUMNS if c in answers.columns]]

    score_frames = []
    for ident, inst in instruments.items():
        if inst is None or not inst.scales:
            continue
        for timepoint in sorted(answers.loc[answers["instrument"] == ident, "timepoint"].unique()):
            scores = store.scores(inst, timepoint=timepoint)
            if len(scores):
                scores = scores.drop(columns=["timepoint"], errors="ignore")
                scores.insert(1, "instrument", ident)
                scores.insert(2, "timepoint", timepoint)
                score_frames.append(scores)
    scores = pd.concat(score_frames, ignore_index=True) if score_frames else pd.DataFrame(
        columns=["participant", "instrument", "timepoint"])

    if not keep_codes:
        ids = export_ids(pd.concat([answers["participant"], scores["participant"]]).dropna())
        # Rows are re-sorted by export id so that their order says nothing about the codes.
        answers = answers.assign(participant=answers["participant"].map(ids)).sort_values(
            ["participant", "instrument", "timepoint", "item"], kind="stable")
        scores = scores.assign(participant=scores["participant"].map(ids)).sort_values(
            ["participant", "instrument", "timepoint"], kind="stable")
    codebook = build_codebook(instruments, scores.columns, include_text=include_text)
    return {"answers": answers, "scores": scores, "codebook": codebook}


def build_codebook(instruments: dict[str, Instrument | None], score_columns, *, include_text: bool) -> pd.DataFrame:
    rows = [{"file": "answers.csv", "column": col, "meaning": meaning, "values": ""}
            for col, meaning in ANSWER_COLUMNS.items()]
    for col, meaning in (("participant", ANSWER_COLUMNS["participant"]),
                         ("instrument", ANSWER_COLUMNS["instrument"]),
                         ("timepoint", ANSWER_COLUMNS["timepoint"])):
        rows.append({"file": "scores.csv", "column": col, "meaning": meaning, "values": ""})
    documented = {"participant", "instrument", "timepoint"}
    for ident, inst in instruments.items():
        if inst is None:
            continue
        for scale in inst.scales:
            bands = "; ".join(f"{b.id} = {pick(b.label)}" for b in scale.bands)
            entries = {
                scale.id: (f"{ident}: {pick(scale.label)} ({scale.method}"
                           f"{f' x {scale.factor:g}' if scale.factor != 1 else ''}; empty when fewer than "
                           f"{scale.required} of {len(scale.items)} items were answered)", ""),
                f"{scale.id}_answered": (f"{ident}: how many of the {len(scale.items)} items of {scale.id} were answered",
                                         f"0 to {len(scale.items)}"),
                f"{scale.id}_band": (f"{ident}: band of {scale.id}" if scale.bands else
                                     f"{ident}: {scale.id} has no bands ({scale.no_bands_reason})", bands),
            }
            for col, (meaning, values) in entries.items():
                rows.append({"file": "scores.csv", "column": col, "meaning": meaning, "values": values})
                documented.add(col)
    for col in score_columns:
        if col not in documented:
            rows.append({"file": "scores.csv", "column": col, "meaning": "score column (see the instrument file)",
                         "values": ""})
    book = pd.DataFrame(rows)
    if not include_text:
        book.loc[(book["file"] == "answers.csv") & (book["column"] == "text"), "meaning"] = (
            "multiple-choice lists only: free text was left out of this export")
    return book


#: A cell starting with one of these is read as a formula by spreadsheets (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which every text cell a spreadsheet would run as a formula starts with ``'``.

    Numeric columns, and cells that are plain numbers (such as -2), are left as they are.
    """
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_numeric_dtype(out[column].dtype):
            continue
        cells = out[column].astype(object)
        risky = cells.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS) and not _is_number(v))
        if risky.any():
            out[column] = cells.where(~risky.astype(bool), "'" + cells.astype(str))
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_private(path: Path, content: str | bytes) -> Path:
    """Create or replace ``path`` with mode 0600 before a byte is written (exports hold special-category data)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode through O_TRUNC
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def export_store(store_path, out_dir, *, keep_codes: bool = False, include_text: bool = False) -> list[Path]:
    """Write answers.csv, scores.csv and codebook.csv for the store at ``store_path`` into ``out_dir``."""
    from toolkit.store.responses import open_existing

    with open_existing(store_path) as store:  # a store that cannot be read leaves no export folder behind
        frames = export_frames(store, keep_codes=keep_codes, include_text=include_text)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{out}: cannot create the export folder ({exc.strerror or exc})") from None
    written = []
    for name, frame in frames.items():
        path = out / f"{name}.csv"
        write_private(path, neutralise_formulas(frame).to_csv(index=False, float_format="%.10g"))
        written.append(path)
    return written
