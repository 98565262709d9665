"""Attune: questionnaires, scoring, privacy and charts for relationship psychoeducation workshops.

The names below are imported on first use, so ``import toolkit`` stays quick on the
participant's path (pandas and plotly load only when something needs them).
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "load_instrument": "toolkit.instruments",
    "bundled_ids": "toolkit.instruments",
    "Instrument": "toolkit.instruments",
    "score": "toolkit.core.scoring",
    "cronbach_alpha": "toolkit.core.reliability",
    "item_rest_correlations": "toolkit.core.reliability",
    "reliable_change": "toolkit.core.change",
    "mean_change": "toolkit.core.change",
    "ResponseStore": "toolkit.store.responses",
    "QuestionnaireForm": "toolkit.widgets",
    "JoinForm": "toolkit.widgets",
    "AttuneError": "toolkit.errors",
    "Session": "toolkit.widgets.session",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
