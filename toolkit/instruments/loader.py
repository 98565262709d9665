"""Find and load instrument files: bundled ids or paths, validated before anyone uses them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from toolkit.content.datafile import read_yaml, validate
from toolkit.errors import DataFileError, InstrumentError, UnknownInstrumentError
from toolkit.instruments.checks import check_instrument
from toolkit.instruments.model import Instrument

BUNDLED_DIR = Path(__file__).with_name("bundled")


def bundled_ids() -> list[str]:
    """Ids of the questionnaires and checklists that ship with the toolkit, in file-name order."""
    return sorted(p.stem for p in BUNDLED_DIR.glob("*.yaml"))


def load_instrument_file(path: str | Path) -> Instrument:
    """Parse and validate one instrument file; every problem is reported as ``path:line: message``."""
    try:
        located = read_yaml(path)
    except DataFileError as exc:
        raise InstrumentError(exc.problems) from None
    return validate(located, Instrument, check_instrument, error_type=InstrumentError)


@cache
def _bundled(instrument_id: str) -> Instrument:
    return load_instrument_file(BUNDLED_DIR / f"{instrument_id}.yaml")


def load_instrument(id_or_path: str | Path | Instrument) -> Instrument:
    """A bundled instrument by id (``"who5"``) or any instrument file by path."""
    if isinstance(id_or_path, Instrument):
        return id_or_path
    name = str(id_or_path)
    if name in bundled_ids():
        return _bundled(name)
    if name.endswith((".yaml", ".yml")) or Path(name).exists():
        return load_instrument_file(name)
    raise UnknownInstrumentError(name, bundled_ids())
