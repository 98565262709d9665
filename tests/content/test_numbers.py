"""A computed number reads as the language writes it: 0.65 in English, 0,65 in Spanish (issue 15).

``toolkit.content.text.number`` is the one way a score, mean or change becomes text; the decimal
mark comes from the ``number_separators`` UI string, which also gives Plotly its separators.
"""

from __future__ import annotations

import pytest

from toolkit.content.text import number, separators


@pytest.mark.parametrize("x, options, english, spanish", [
    (0.65, {"decimals": 2}, "0.65", "0,65"),
    (3.5, {}, "3.5", "3,5"),
    (3.5, {"decimals": 2}, "3.50", "3,50"),
    (12, {}, "12", "12"),
    (12.4, {"decimals": 0}, "12", "12"),
    (0.65, {"decimals": 2, "sign": True}, "+0.65", "+0,65"),
    (-1.5, {"decimals": 2, "sign": True}, "-1.50", "-1,50"),
])
def test_a_number_has_the_decimal_mark_of_its_language(x, options, english, spanish):
    assert number(x, "en", **options) == english
    assert number(x, "es", **options) == spanish
    assert number(x, "es-MX", **options) == spanish  # a regional Spanish falls back to es


def test_plotly_separators_are_decimal_mark_then_thousands():
    assert separators("en") == ".,"
    assert separators("es") == ",."
