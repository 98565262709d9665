"""Writing the interchange formats: instruments (ReproSchema, FHIR, REDCap, our YAML) and answers
(SPSS, Stata, FHIR bundles).

Answers reuse ``export.export_frames``: the same consent filter, random export ids and
free-text opt-in as the CSV export. Every answer file is created readable by its owner only
(0600): it holds what participants said about their relationships.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pandas as pd
import yaml

from toolkit.content.datafile import read_yaml, validate
from toolkit.errors import InstrumentError, StoreError
from toolkit.instruments.checks import check_instrument
from toolkit.instruments.model import Instrument
from toolkit.store.export import _instrument, export_frames, write_private

INSTRUMENT_FORMATS = ("reproschema", "fhir", "redcap")
ANSWER_FORMATS = ("csv", "spss", "stata", "fhir")


def _folder(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{out}: cannot create the folder ({exc.strerror or exc})") from None
    return out


def _json(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_instrument(inst: Instrument, fmt: str, out: str | Path) -> list[Path]:
    """``inst`` as ReproSchema (a folder), a FHIR Questionnaire (.json) or a REDCap dictionary (.csv)."""
    out = Path(out)
    if fmt == "reproschema":
        from toolkit.interchange.reproschema import to_reproschema

        docs = to_reproschema(inst)
        _folder(out / "items")
        return [write_private(out / rel, _json(doc)) for rel, doc in docs.items()]
    _folder(out.parent)
    if fmt == "fhir":
        from toolkit.interchange.fhir import to_questionnaire

        return [write_private(out, _json(to_questionnaire(inst)))]
    from toolkit.interchange.redcap import COLUMNS, to_dictionary

    buf = io.StringIO()
    writer = csv.DictWriter(buf, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(to_dictionary(inst))
    return [write_private(out, buf.getvalue())]


def instrument_yaml(inst: Instrument, source: str) -> str:
    """Our YAML for an imported instrument, checked by the same loader as every instrument file."""
    data = inst.model_dump(mode="json", exclude_defaults=True)
    text = f"# Imported from {source} by attune instrument import.\n" + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=100)
    validate(read_yaml(source, text), Instrument, check_instrument, error_type=InstrumentError)
    return text


def write_instrument_yaml(inst: Instrument, source: str, out: str | Path) -> Path:
    out = Path(out)
    text = instrument_yaml(inst, source)  # checked before anything is written
    _folder(out.parent)
    out.write_text(text, encoding="utf-8")
    return out


def export_answers(store_path, out_dir, fmt: str, *, keep_codes: bool = False, include_text: bool = False) -> list[Path]:
    """Answers of the store at ``store_path`` as SPSS .sav, Stata .dta or FHIR bundles (one per participant and timepoint)."""
    from toolkit.store.responses import open_existing

    with open_existing(store_path) as store:  # a store that cannot be read leaves no export folder behind
        frames = export_frames(store, keep_codes=keep_codes, include_text=include_text)
    out = _folder(Path(out_dir))
    answers, scores = frames["answers"], frames["scores"]
    instruments = {ident: _instrument(ident) for ident in answers["instrument"].unique()}
    known = {k: v for k, v in instruments.items() if v is not None}
    if fmt == "fhir":
        return _fhir(answers, known, out)
    return _statfiles(answers, scores, known, out, fmt)


def _statfiles(answers: pd.DataFrame, scores: pd.DataFrame, instruments: dict, out: Path, fmt: str) -> list[Path]:
    import pyreadstat

    from toolkit.interchange.statfiles import labelled_table

    written = []
    for ident, inst in instruments.items():
        rows = answers[answers["instrument"] == ident]
        table = labelled_table(inst, rows, scores[scores["instrument"] == ident].drop(columns="instrument"), fmt)
        path = write_private(out / f"{ident}.{'sav' if fmt == 'spss' else 'dta'}", b"")
        label = f"{inst.title['en']} ({inst.id}, version {inst.version})"
        if fmt == "spss":
            pyreadstat.write_sav(table.frame, path, file_label=label, column_labels=table.column_labels,
                                 variable_value_labels=table.value_labels, missing_ranges=table.missing)
        else:
            pyreadstat.write_dta(table.frame, path, file_label=label[:80], column_labels=table.column_labels,
                                 variable_value_labels=table.value_labels, missing_user_values=table.missing)
        os.chmod(path, 0o600)
        written.append(path)
    return written


def _fhir(answers: pd.DataFrame, instruments: dict, out: Path) -> list[Path]:
    from toolkit.interchange.fhir import resource_id, response_bundle, to_questionnaire

    written = [write_private(out / f"Questionnaire-{resource_id(inst.id)}.json", _json(to_questionnaire(inst)))
               for inst in instruments.values()]
    rows = answers[answers["instrument"].isin(list(instruments))]
    records = rows.astype(object).where(rows.notna(), None)
    for (participant, timepoint), group in records.groupby(["participant", "timepoint"], sort=True):
        forms = [(instruments[ident], part.to_dict("records")) for ident, part in group.groupby("instrument", sort=True)]
        bundle = response_bundle(participant, timepoint, forms)
        written.append(write_private(out / f"Bundle-{resource_id(f'{participant}-{timepoint}')}.json", _json(bundle)))
    return written
