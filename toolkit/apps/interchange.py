"""``attune instrument export`` and ``attune instrument import``: questionnaires in the formats
clinicians and researchers already use.

Reading the files is done here; the conversions are ``toolkit.interchange``, the writing is
``toolkit.store.formats``. An import is checked completely before its YAML is written, so a
refused file leaves nothing behind.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from toolkit.interchange.notes import InterchangeError

FORMATS = ("reproschema", "fhir", "redcap")


def add_instrument_parser(sub) -> None:
    p = sub.add_parser("instrument", help="export or import a questionnaire as ReproSchema, FHIR R4 or REDCap")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    e = actions.add_parser("export", help="write a questionnaire in another format")
    e.add_argument("instrument", metavar="ID", help="a bundled id (see 'attune list') or a YAML path")
    e.add_argument("--format", required=True, choices=FORMATS)
    e.add_argument("--out", required=True, metavar="PATH",
                   help="reproschema: a folder (ID_schema and items/); fhir: a .json file; redcap: a .csv file")
    i = actions.add_parser("import", help="turn a ReproSchema activity, FHIR Questionnaire or REDCap dictionary into YAML")
    i.add_argument("path", metavar="PATH", help="reproschema: the activity file or its folder; fhir: .json; redcap: .csv")
    i.add_argument("--from", dest="source_format", required=True, choices=FORMATS)
    i.add_argument("--out", required=True, metavar="FILE.yaml", help="the instrument file to write")


def run_instrument(args: argparse.Namespace) -> int:
    from toolkit.store import formats

    if args.action == "export":
        from toolkit.instruments import load_instrument

        for path in formats.write_instrument(load_instrument(args.instrument), args.format, args.out):
            print(path)
        return 0
    inst, left_out = read_instrument(Path(args.path), args.source_format)
    print(formats.write_instrument_yaml(inst, args.path, args.out))
    for note in left_out:
        print(f"not imported: {note}", file=sys.stderr)
    return 0


def read_instrument(path: Path, fmt: str):
    """(Instrument, what was left out) from ``path`` in ``fmt``; InterchangeError names the file and place."""
    if not path.exists():
        raise InterchangeError(str(path), None, "no such file or folder")
    if fmt == "redcap":
        from toolkit.interchange.redcap import from_dictionary

        text = _read_text(path)
        reader = csv.DictReader(text.splitlines())
        try:
            rows = list(reader)
        except csv.Error as exc:
            raise InterchangeError(str(path), f"line {reader.line_num}", f"not a CSV file ({exc})") from None
        return from_dictionary(reader.fieldnames or [], rows, str(path))
    if fmt == "fhir":
        from toolkit.interchange.fhir import from_questionnaire

        return from_questionnaire(read_json(path), str(path))
    from toolkit.interchange.reproschema import from_reproschema

    activity_path = _activity_file(path)
    base = activity_path.parent

    def read_item(ref: str):
        item_path = base / ref
        if not item_path.is_file():
            raise InterchangeError(str(activity_path), "$.ui.order", f"item {ref!r} not found (looked for {item_path})")
        return str(item_path), read_json(item_path)

    return from_reproschema(read_json(activity_path), str(activity_path), read_item)


def _read_text(path: Path) -> str:
    if path.is_dir():
        raise InterchangeError(str(path), None, "is a folder, not a file")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InterchangeError(str(path), f"byte {exc.start}", "not a UTF-8 text file") from None
    except OSError as exc:
        raise InterchangeError(str(path), None, f"cannot be read ({exc.strerror or exc})") from None


def read_json(path: Path):
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise InterchangeError(str(path), f"line {exc.lineno}, column {exc.colno}", f"not JSON ({exc.msg})") from None


def _activity_file(path: Path) -> Path:
    """The activity itself, or the one ``*_schema`` file of its folder."""
    if path.is_file():
        return path
    found = sorted(path.glob("*_schema")) or sorted(path.glob("*.jsonld"))
    if len(found) != 1:
        raise InterchangeError(str(path), None, f"expected one ReproSchema activity (NAME_schema) in this folder, "
                                                f"found {len(found)}: give the activity file")
    return found[0]
