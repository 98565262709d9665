"""Persistence behind one interface: the consented response store, export and example data."""

from toolkit.store.responses import ResponseStore, open_existing

__all__ = ["ResponseStore", "open_existing"]
