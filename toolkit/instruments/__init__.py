"""Questionnaires as data: the model, the loader and the bundled files."""

from toolkit.instruments.loader import bundled_ids, load_instrument, load_instrument_file
from toolkit.instruments.model import MISSING_CODES, Instrument

__all__ = ["Instrument", "MISSING_CODES", "bundled_ids", "load_instrument", "load_instrument_file"]
