"""Support contacts are cards a phone can act on: a tap calls, texts or opens the service, nothing else.

Pages, not tables: a seven-column table broke letter by letter on a 360 px phone, and a
number that is only text has to be copied by hand in a hard moment.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from toolkit.core.support import crisis_resources
from toolkit.render.contacts import contact_cards

XSS = "<img src=x onerror=alert(1)>"


class Links(HTMLParser):
    """Every tag and every link (href, text) in a fragment."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.links: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "a":
            self._open = dict(attrs, text="")
            self.links.append(self._open)

    def handle_endtag(self, tag):
        if tag == "a":
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data


def parsed(fragment: str) -> Links:
    parser = Links()
    parser.feed(fragment)
    return parser


def test_every_contact_is_a_card_and_nothing_is_a_table():
    info = crisis_resources("en-GB", "en")
    page = parsed(contact_cards(info, "en"))
    assert "table" not in page.tags
    html = contact_cards(info, "en")
    assert html.count("<li class='attune-contact'>") == len(info.resources)
    headings = re.findall(r"<h4>(.*?)</h4>", html)
    assert headings[0] == "If you or someone else is in danger right now"  # emergency first


def test_phone_numbers_are_tel_links_and_the_words_between_stay_text():
    html = contact_cards(crisis_resources("en-GB", "en"), "en")
    assert "Call <a href='tel:999'>999</a> or <a href='tel:112'>112</a>" in html
    assert "<a href='tel:116123'>116 123</a>" in html  # Samaritans, spaces dropped from the number dialled


def test_a_number_with_dashes_and_a_second_tty_number_are_both_dialable():
    links = parsed(contact_cards(crisis_resources("en-US", "en"), "en")).links
    hrefs = {link["href"] for link in links}
    assert {"tel:18007997233", "tel:18007873224", "tel:988"} <= hrefs


def test_a_text_line_is_an_sms_link_that_keeps_what_to_send():
    links = parsed(contact_cards(crisis_resources("en-GB", "en"), "en")).links
    [shout] = [link for link in links if link["href"].startswith("sms:")]
    assert shout["href"] == "sms:85258" and shout["text"] == "Text SHOUT to 85258"


def test_websites_open_in_a_new_tab_and_say_so():
    links = parsed(contact_cards(crisis_resources("en-GB", "en"), "en")).links
    samaritans = next(link for link in links if link["href"] == "https://www.samaritans.org")
    assert samaritans["target"] == "_blank" and "noopener" in samaritans["rel"]
    assert samaritans["text"] == "samaritans.org (opens in a new tab)"
    assert any(link["href"] == "mailto:jo@samaritans.org" for link in links)


def test_spanish_cards_use_spanish_words():
    html = contact_cards(crisis_resources("es-ES", "es"), "es")
    assert "Llama al <a href='tel:" in html and "(se abre en una pestaña nueva)" in html


def test_the_notice_for_checking_contacts_is_there_only_when_asked_for():
    info = crisis_resources("en-GB", "en")
    assert "must be checked before use" not in contact_cards(info, "en")
    assert "must be checked before use" in contact_cards(info, "en", notice=True)


@pytest.mark.parametrize("field", ["name", "phone", "text_line", "website", "email", "hours", "notes"])
def test_every_field_is_escaped_and_only_http_addresses_become_links(field):
    info = crisis_resources("en-GB", "en")
    bad = replace(info.resources[1], **{field: XSS})
    html = contact_cards(replace(info, resources=(bad,)), "en")
    assert "<img" not in html and "&lt;img" in html
    assert not [link for link in parsed(html).links if "javascript" in link["href"] or "<" in link["href"]]


def test_a_website_that_is_not_http_is_plain_text():
    info = crisis_resources("en-GB", "en")
    bad = replace(info.resources[1], website="javascript:alert(1)")
    links = parsed(contact_cards(replace(info, resources=(bad,)), "en")).links
    assert not any(link["href"].startswith("javascript") for link in links)


def test_the_safety_panel_shows_cards_and_says_below_only_of_what_follows():
    """Where a rule fires, support comes before the scores, and every "below" in it points down."""
    from toolkit.core.feedback import personal_report
    from toolkit.instruments import load_instrument
    from toolkit.widgets.results import render_results

    inst = load_instrument("phq4")
    report = personal_report(inst, {"phq4_1": 3, "phq4_2": 3, "phq4_3": 3, "phq4_4": 3}, locale="en-GB")
    parts = render_results(report, inst, language="en", code=None)
    panel_html = parts[1].children[0].value
    assert "attune-private" in parts[1]._dom_classes
    assert "Overall distress" not in "".join(p.value for p in parts[:2] if hasattr(p, "value"))
    assert "Overall distress" in parts[2].value  # the scores come after the support block
    cards = panel_html.index("<div class='attune-contact-list'>")
    for sentence in re.findall(r"<p>([^<]*\bbelow\b[^<]*)</p>", panel_html):
        assert panel_html.index(sentence) < cards, sentence
    assert "href='tel:116123'" in panel_html
