"""Read answers from a CSV file exactly as written: no guessing of types, no silent fixes.

Every cell stays text here; ``scoring`` decides what is a number, a missing-answer code
or a mistake, and names the line and column of a mistake.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from toolkit.errors import ResponseDataError


def read_responses_csv(path: str | Path) -> pd.DataFrame:
    shown = str(path)
    _check_header(path, shown)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise ResponseDataError("file not found", source=shown) from None
    except pd.errors.EmptyDataError:
        raise ResponseDataError("the file is empty: it needs a header line of item ids and one row per "
                                "respondent", source=shown) from None
    except pd.errors.ParserError as exc:
        raise ResponseDataError(f"not a readable CSV file: {exc}", source=shown) from None
    except UnicodeDecodeError:
        raise ResponseDataError("not UTF-8 text: save the file as CSV (UTF-8)", source=shown) from None
    return frame


def _check_header(path: str | Path, shown: str) -> None:
    """pandas would rename a repeated or empty column name; say so instead."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle), None)
    except FileNotFoundError:
        raise ResponseDataError("file not found", source=shown) from None
    except UnicodeDecodeError:
        raise ResponseDataError("not UTF-8 text: save the file as CSV (UTF-8)", source=shown) from None
    if not header:
        return  # an empty file is reported by the reader
    names = [h.strip() for h in header]
    for position, name in enumerate(names, start=1):
        if not name:
            raise ResponseDataError(f"line 1: column {position} has no name: every column needs an item id "
                                    "or 'participant'", source=shown)
        if names.index(name) != position - 1:
            raise ResponseDataError(f"line 1: column {name!r} appears twice", source=shown)
