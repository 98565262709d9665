"""Support contacts as stacked cards with links a phone can act on, one renderer for every page.

A table of seven columns breaks letter by letter on a 360 px phone, and a number that is
only text has to be copied by hand in a hard moment. Here each contact is a card: its name,
then each way to reach it as a link (``tel:``, ``sms:``, ``mailto:``, ``https:``), then
hours and notes. Pure and escaped: every text comes from the contacts file, and only a
website that starts with http(s) becomes a link; websites open in a new tab, so the
participant's page (and its answers) stays open.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from toolkit.content.text import ui
from toolkit.core.support import CrisisInfo, CrisisResource

EMAIL = re.compile(r"[^@\s<>'\"]+@[^@\s<>'\"]+\.[^@\s<>'\"]+")
#: A phone number inside a text such as "999 or 112" or "1-800-799-7233 (TTY 1-800-787-3224)".
NUMBER = re.compile(r"\+?\d[\d -]*\d|\d")


def contact_cards(info: CrisisInfo, language: str, *, heading_level: int = 4, notice: bool = False) -> str:
    """Every contact of ``info``, grouped by kind (emergency first), as escaped HTML cards.

    ``heading_level`` is the level of the kinds' headings, so the cards fit the page's outline;
    ``notice`` adds the file's reminder that contacts are checked before use.
    """
    h = f"h{min(max(heading_level, 2), 6)}"
    groups = []
    for heading, resources in info.by_kind():
        cards = "".join(f"<li class='attune-contact'>{_card(r, language)}</li>" for r in resources)
        groups.append(f"<section class='attune-contact-group'><{h}>{html.escape(heading)}</{h}>"
                      f"<ul class='attune-contacts'>{cards}</ul></section>")
    note = f"<p class='attune-note'>{html.escape(info.notice)}</p>" if notice else ""
    return f"<div class='attune-contact-list'>{''.join(groups)}{note}</div>"


def _card(r: CrisisResource, language: str) -> str:
    esc = html.escape
    lines = [f"<p class='attune-contact-name'><b>{esc(r.name)}</b></p>"]
    if r.phone:
        lines.append(f"<p>{esc(ui('contact_call', language))} {_linked_numbers(r.phone, 'tel:')}</p>")
    if r.text_line:
        lines.append(f"<p>{_sms_link(r.text_line)}</p>")
    if r.email:
        email = esc(r.email)
        lines.append(f"<p><a href='mailto:{email}'>{email}</a></p>" if EMAIL.fullmatch(r.email) else f"<p>{email}</p>")
    if r.website:
        lines.append(f"<p>{_website(r.website, language)}</p>")
    lines += [f"<p class='attune-note'>{esc(text)}</p>" for text in (r.hours, r.notes) if text]
    return "".join(lines)


def _linked_numbers(text: str, scheme: str) -> str:
    """``text`` escaped, each number in it a link (``tel:999``); the words between stay text."""
    out, last = [], 0
    for match in NUMBER.finditer(text):
        dial = re.sub(r"[^\d+]", "", match.group())
        out += [html.escape(text[last:match.start()]),
                f"<a href='{scheme}{dial}'>{html.escape(match.group())}</a>"]
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _sms_link(text_line: str) -> str:
    """The whole text line ("Text SHOUT to 85258") links to its last number; what to send stays in the words."""
    numbers = NUMBER.findall(text_line)
    if not numbers:
        return html.escape(text_line)
    dial = re.sub(r"[^\d+]", "", numbers[-1])
    return f"<a href='sms:{dial}'>{html.escape(text_line)}</a>"


def _website(url: str, language: str) -> str:
    """A link for an http(s) address, shown without scheme or "www."; anything else as text."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return html.escape(url)
    shown = (parts.netloc.removeprefix("www.") + parts.path).rstrip("/")
    hint = html.escape(ui("opens_new_tab", language))
    return (f"<a href='{html.escape(url, quote=True)}' target='_blank' rel='noopener noreferrer'>"
            f"{html.escape(shown)}<span class='attune-sr-only'> {hint}</span></a>")
