"""The facilitator guide as one printable, self-contained HTML page.

Pure: Markdown text in, an HTML string out. The page loads nothing: no scripts, no
stylesheets, fonts or images from anywhere, and a Content-Security-Policy meta tag forbids
any request, so it can be opened and printed offline. Headings get GitHub-style ids
("## Violence or abuse" -> ``#violence-or-abuse``), so the in-page contents links and the
links to a section from the notebooks' facilitator notes work on the page and in the
repository alike. A link to anything outside the page is printed as its text followed by
the address in brackets, and an image as its description: a printed page cannot follow
either, and the page must not fetch them.

Markdown is rendered by mistune (already installed with nbconvert, which Jupyter needs);
it escapes text and raw HTML itself.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

import mistune
from mistune.renderers.html import HTMLRenderer
from mistune.toc import add_toc_hook

from toolkit.content import css

#: Forbid every request: the page lives on its inline styles alone.
CSP = "default-src 'none'; style-src 'unsafe-inline'"


def slug(text: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _plain(token: dict[str, Any]) -> str:
    """The text of a heading token, without Markdown emphasis or code marks."""
    return re.sub(r"[*_`]", "", token.get("text", ""))


class _GuideRenderer(HTMLRenderer):
    """Escaping HTML renderer that keeps every reference inside the page."""

    def __init__(self) -> None:
        super().__init__(escape=True)

    def link(self, text: str, url: str, title: str | None = None) -> str:
        if url.startswith("#"):
            return super().link(text, url, title)
        return f'{text} <span class="address">({html.escape(url)})</span>'

    def image(self, text: str, url: str, title: str | None = None) -> str:
        return f'<span class="image-text">[{text}]</span>'


def _markdown() -> mistune.Markdown:
    md = mistune.create_markdown(renderer=_GuideRenderer(), plugins=["table"])
    add_toc_hook(md, min_level=1, max_level=3, heading_id=lambda token, index: slug(_plain(token)))
    return md


def guide_title(markdown: str) -> str:
    """The guide's first level-1 heading, or a plain default."""
    found = re.search(r"^# (.+)$", markdown, flags=re.MULTILINE)
    return found.group(1).strip() if found else "Facilitator guide"


def render_guide(markdown: str, *, language: str = "en") -> str:
    """The whole page: the guide's Markdown as HTML, with the print stylesheet inline."""
    body = _markdown()(markdown)
    title = html.escape(re.sub(r"[*_`]", "", guide_title(markdown)))
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(language)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{title}</title>\n<style>\n{css('guide')}</style>\n</head>\n"
        f"<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )
