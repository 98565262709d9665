"""Answers as labelled tables for SPSS and Stata: one row per participant and timepoint.

Researchers open these files and expect the questionnaire in them: item text as the
variable label, response options as value labels, and each typed reason for a missing
answer as a user-missing value (SPSS: numeric codes declared missing; Stata: the extended
missing values .a, .b, .c), so "prefer not to say" never turns into a number or a blank.
Scale scores follow the items, with their bands as text. The frame and its metadata are
built here; ``store.formats`` writes them with pyreadstat.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from toolkit.instruments.model import MISSING_CODES, Instrument
from toolkit.interchange.notes import InterchangeError

#: SPSS user-missing codes and Stata extended missing values for the typed missing codes.
SPSS_MISSING = {"skipped": -97, "prefer_not_to_say": -98, "dont_know": -99}
STATA_MISSING = {"skipped": "a", "prefer_not_to_say": "b", "dont_know": "c"}
KEYS = ["participant", "timepoint"]


@dataclass
class LabelledTable:
    frame: pd.DataFrame
    column_labels: dict[str, str]
    value_labels: dict[str, dict] = field(default_factory=dict)
    missing: dict[str, list] = field(default_factory=dict)  # SPSS: codes; Stata: letters


def labelled_table(inst: Instrument, answers: pd.DataFrame, scores: pd.DataFrame, flavour: str) -> LabelledTable:
    """``answers`` (tidy rows of one instrument) and its ``scores`` as one wide, labelled table."""
    codes = SPSS_MISSING if flavour == "spss" else STATA_MISSING
    keys = answers[KEYS].drop_duplicates().sort_values(KEYS, kind="stable")
    frame = keys.reset_index(drop=True)
    labels = {"participant": "export id (random) or participant code", "timepoint": "when it was answered"}
    value_labels, missing = {}, {}
    by_key = answers.set_index(KEYS + ["item"])
    for item in inst.items:
        if item.id not in set(answers["item"]):
            continue
        scale = inst.response_scale_of(item)
        numeric = item.type not in ("free_text", "multiple_choice")
        if numeric and flavour == "spss" and set(SPSS_MISSING.values()) & set(scale.values):
            raise InterchangeError(inst.id, f"item {item.id}", "a response value equals one of the SPSS missing codes "
                                                              f"{sorted(SPSS_MISSING.values())}")
        frame[item.id] = [_cell(by_key, (p, t, item.id), item.type, codes)
                          for p, t in zip(frame["participant"], frame["timepoint"], strict=True)]
        labels[item.id] = item.text["en"]
        if numeric:
            if flavour == "spss":
                frame[item.id] = frame[item.id].astype(float)
            value_labels[item.id] = {**{o.value: o.label["en"] for o in scale.options if o.label},
                                     **{code: reason for reason, code in codes.items()}}
            missing[item.id] = list(codes.values())
    if len(scores):
        merged = frame.merge(scores, on=KEYS, how="left")
        for scale in inst.scales:
            for col, label in ((scale.id, scale.label["en"]),
                               (f"{scale.id}_answered", f"items of {scale.id} answered"),
                               (f"{scale.id}_band", f"band of {scale.id}")):
                if col in merged:
                    frame[col] = merged[col].fillna("") if col.endswith("_band") else merged[col].astype(float)
                    labels[col] = label
    if flavour == "stata":  # Stata's variable labels hold 80 bytes; the full text is in the instrument file
        labels = {k: _shorten(v, 80) for k, v in labels.items()}
    return LabelledTable(frame, labels, value_labels, missing)


def _shorten(text: str, limit: int) -> str:
    if len(text.encode("utf-8")) <= limit:
        return text
    while len((text + "...").encode("utf-8")) > limit:
        text = text[:-1]
    return text.rstrip() + "..."


def _cell(by_key: pd.DataFrame, key: tuple, item_type: str, codes: dict):
    """One answer: its value, its missing code, or the text (multiple choice as '1;3'); never asked: empty."""
    numeric = item_type not in ("free_text", "multiple_choice")
    if key not in by_key.index:
        return float("nan") if numeric else ""
    row = by_key.loc[key]
    if isinstance(row.get("missing"), str) and row["missing"] in MISSING_CODES:
        return codes[row["missing"]] if numeric else row["missing"]
    if numeric:
        return float(row["value"])
    text = row.get("text")
    if not isinstance(text, str):
        return ""
    return ";".join(f"{v:g}" for v in json.loads(text)) if item_type == "multiple_choice" else text
