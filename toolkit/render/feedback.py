"""A scale's personal feedback as HTML, one renderer for the results panel and the take-home file.

Pure and escaped: every text (the instrument's labels and band feedback, the UI strings)
is HTML-escaped, so nothing from a data file can add markup to the page.
"""

from __future__ import annotations

import html

from toolkit.content.text import ui
from toolkit.core.feedback import ScaleFeedback


def feedback_html(fb: ScaleFeedback, language: str, css_class: str) -> str:
    """One scale's feedback: the score line, then band, text or why it is unscored."""
    head = ui("score_line", language, label=fb.label, score=fb.shown if fb.score is not None else "–")
    body = []
    if fb.band_label:
        body.append(f"<b>{html.escape(fb.band_label)}</b>")
    if fb.text:
        body.append(html.escape(fb.text))
    if fb.score is None:
        body.append(html.escape(fb.shown))
    return f"<div class='{html.escape(css_class)}'><p><b>{html.escape(head)}</b></p><p>{' '.join(body)}</p></div>"
