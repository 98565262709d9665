"""The participant widgets' stylesheets, as hidden HTML widgets.

The CSS itself is data in ``content/css/``: ``participant.css`` for every participant
widget, and further sheets (``exercise.css``) that widgets add on top of it.
"""

from __future__ import annotations

from toolkit.content import css


def style_widget(*sheets: str):
    """A hidden HTML widget carrying ``participant.css`` and the named extra ``sheets``; include it once per widget."""
    import ipywidgets as w

    text = "".join(css(name) for name in ("participant", *sheets))
    return w.HTML(f"<style>\n{text}</style>\n", layout=w.Layout(display="none"))
