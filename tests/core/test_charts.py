"""Charts show what they should and nothing they must not: no type labels, no hidden counts, no markup.

Colours must come from the Okabe-Ito palette (Okabe & Ito 2008); texts a participant or a
facilitator could have typed are escaped before Plotly renders them as HTML.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import plotly.graph_objects as go
import pytest

from toolkit.content.text import missing_translations
from toolkit.core import charts
from toolkit.core.charts import (
    PALETTE,
    attachment_plane,
    band_distribution_chart,
    change_chart,
    item_means_chart,
    personal_chart,
    score_against_bands,
    small_group_figure,
)
from toolkit.instruments import load_instrument

XSS = "<img src=x onerror=alert(1)>"
OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
#: Category words for people (Bartholomew & Horowitz's four types and their translations):
#: the care principles forbid them on the attachment plane.
FORBIDDEN = {
    "en": ["secure", "anxious", "avoidant", "fearful", "preoccupied", "dismissing", "dismissive"],
    "es": ["seguro", "segura", "ansioso", "ansiosa", "evitativo", "evitativa", "evitante", "temeroso", "temerosa",
           "preocupado", "preocupada", "huidizo"],
}


def strings(fig: go.Figure) -> list[str]:
    """Every string anywhere in the figure: titles, annotations, trace names, texts, hovers."""
    out = []

    def walk(node):
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk(json.loads(fig.to_json()))
    return [s.replace("<br>", " ") for s in out]


def shown_text(fig: go.Figure) -> str:
    """What a viewer can read or hover: titles, annotations, and the traces' texts, labels and hovers."""
    layout = fig.layout
    parts = [layout.title.text, layout.xaxis.title.text, layout.yaxis.title.text]
    parts += [a.text for a in layout.annotations]
    for trace in fig.data:
        for field in ("name", "text", "hovertext", "hovertemplate", "x", "y"):
            value = getattr(trace, field, None)
            values = value if isinstance(value, (list, tuple)) else [value]
            parts += [v for v in values if isinstance(v, str)]
    return " ".join(p for p in parts if p).replace("<br>", " ")


def bars(fig: go.Figure) -> list:
    return [t for t in fig.data if t.type == "bar"]


# -- a score against its bands ---------------------------------------------------------------

def test_the_score_is_drawn_as_a_marker_at_its_value():
    fig = score_against_bands("phq4", "total", 6)
    [marker] = [t for t in fig.data if t.type == "scatter"]
    assert list(marker.x) == [6]
    assert "Your score: 6" in marker.hovertemplate


def test_each_band_is_a_segment_with_its_label_and_the_segments_cover_the_range():
    fig = score_against_bands("phq4", "total", 6)
    labels = [b.label["en"] for b in load_instrument("phq4").scale("total").bands]
    segments = bars(fig)
    assert [s.name for s in segments] == labels
    assert [s.text[0] for s in segments] == labels
    starts = [s.base[0] for s in segments]
    ends = [s.base[0] + s.x[0] for s in segments]
    assert starts[0] == 0 and ends[-1] == 12  # phq4 total runs from 0 to 12
    assert starts[1:] == ends[:-1]  # no gaps, no overlaps
    assert 2 < ends[0] < 3  # the gap between "none" (0-2) and "mild" (3-5) is split


def test_a_mean_scale_shows_its_score_with_two_decimals():
    fig = score_against_bands("brs", "resilience", 3.5)
    assert any("3.50" in s for s in strings(fig))


def test_no_score_means_no_marker_and_a_kind_note_beneath():
    fig = score_against_bands("phq4", "total", float("nan"))
    assert [t for t in fig.data if t.type == "scatter"] == []
    assert "too few questions" in charts.personal_chart_notes("phq4", {"total": float("nan")})[0]


def test_a_score_label_near_either_end_leans_inwards():
    positions = [next(t for t in score_against_bands("phq4", "total", v).data if t.type == "scatter").textposition
                 for v in (0, 6, 12)]
    assert positions == ["top right", "top center", "top left"]


def test_a_score_outside_the_scale_is_an_error():
    with pytest.raises(ValueError, match="outside the range"):
        score_against_bands("phq4", "total", 13)


def test_band_colours_come_from_the_palette():
    for inst, scale in [("phq4", "total"), ("who5", "percent"), ("brs", "resilience"), ("csi4", "total")]:
        for segment in bars(score_against_bands(inst, scale, None)):
            assert segment.marker.color in OKABE_ITO


def test_the_palette_is_okabe_ito():
    assert set(PALETTE.values()) == OKABE_ITO


# -- the attachment plane ---------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("point", [(2.5, 5.1), (6.5, 6.5), (None, None), (1.0, 7.0)])
def test_the_attachment_plane_never_names_a_type(language, point):
    text = " ".join(strings(attachment_plane(*point, language=language))).lower()
    for lang_words in FORBIDDEN.values():
        for word in lang_words:
            assert word not in text, word


def test_the_attachment_plane_texts_contain_no_type_word_in_any_language():
    texts = charts._texts()
    for key in [k for k in texts if k.startswith(("plane_", "region_"))]:
        for text in texts[key].values():
            for lang_words in FORBIDDEN.values():
                assert not any(w in text.lower() for w in lang_words), (key, text)


def test_the_plane_shows_the_point_and_midlines_at_4():
    fig = attachment_plane(2.5, 5.1)
    [point] = [t for t in fig.data if t.type == "scatter"]
    assert (list(point.x), list(point.y)) == ([2.5], [5.1])
    lines = [(s.x0, s.x1, s.y0, s.y1) for s in fig.layout.shapes]
    assert (4, 4, 1, 7) in lines and (1, 7, 4, 4) in lines


@pytest.mark.parametrize("point", [(2.5, 5.1), (6.5, 6.5), (4, 4), (7, 4)])
def test_the_plane_has_no_quadrant_texts_and_names_the_point_in_the_legend(point):
    """Texts in the quadrants read as the four attachment types, and could cover the point."""
    fig = attachment_plane(*point)
    assert fig.layout.annotations == ()
    [marker] = fig.data
    assert marker.showlegend and marker.name == "Your position" and marker.mode == "markers"
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0


def test_the_plane_axes_say_which_way_is_more():
    fig = attachment_plane(3, 3)
    assert fig.layout.xaxis.title.text.replace("<br>", " ").endswith("distance from closeness →")
    assert fig.layout.yaxis.title.text.replace("<br>", " ").endswith("about the relationship →")


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_notes_beneath_the_plane_read_directions_and_say_the_middle_is_no_norm(language):
    notes = " ".join(charts.personal_chart_notes("ecr_rs", {"avoidance": 3.0, "anxiety": 3.0}, language))
    for lang_words in FORBIDDEN.values():
        assert not any(word in notes.lower() for word in lang_words)
    if language == "en":
        assert "further right means keeping more distance" in notes and "further up means more worry" in notes
        assert "not a norm" in notes and "not a cut-off" in notes
        assert ".65" in notes and "Fraley" in notes and "starting point for reflection" in notes
    else:
        assert "no es una norma" in notes and "más a la derecha" in notes


def test_the_plane_refuses_values_outside_1_to_7():
    with pytest.raises(ValueError, match="1 to 7"):
        attachment_plane(0.5, 3)


# -- the group's bands ------------------------------------------------------------------------

def suppressed_table() -> pd.DataFrame:
    # As from toolkit.core.privacy.suppress_counts([7, 3, 9, 0], k=5): "mild" (3) and "severe" (0) hidden.
    return pd.DataFrame({"count": pd.array([7, None, 9, None], dtype="Int64"),
                         "shown": ["7", "fewer than 5", "9", "fewer than 5"],
                         "suppressed": [False, True, False, True],
                         "note": ["", "fewer_than_k", "", "fewer_than_k"]},
                        index=pd.Index(["none", "mild", "moderate", "severe"], name="band"))


def test_shown_counts_are_drawn_as_bars_with_their_numbers():
    fig = band_distribution_chart(suppressed_table(), "phq4", "total", 5)
    shown = bars(fig)[0]
    assert list(shown.y) == [7, 9] and list(shown.text) == ["7", "9"]


def test_a_suppressed_cell_is_an_empty_outlined_bar_without_a_number():
    fig = band_distribution_chart(suppressed_table(), "phq4", "total", 5)
    hidden = bars(fig)[1]
    assert list(hidden.x) == ["Some distress lately", "A lot of distress lately"]
    assert list(hidden.text) == ["fewer than 5", "fewer than 5"]
    assert hidden.marker.color == "rgba(0,0,0,0)"
    assert hidden.hovertemplate == "%{hovertext}<extra></extra>"  # never %{y}
    for text in list(hidden.text) + list(hidden.hovertext):
        assert re.findall(r"\d+", text) == ["5"]  # only k, never a count
    assert not re.search(r"\b3\b", shown_text(fig))  # the true count of the hidden cell appears nowhere


def test_a_cell_hidden_to_protect_another_is_marked_hidden_not_fewer_than_k():
    table = suppressed_table()
    table.loc["mild", "note"] = "hidden"
    fig = band_distribution_chart(table, "phq4", "total", 5)
    marked = {x: t for trace in bars(fig)[1:] for x, t in zip(trace.x, trace.text, strict=False)}
    assert marked == {"Some distress lately": "hidden", "A lot of distress lately": "fewer than 5"}


def test_shown_bars_use_their_bands_palette_colours():
    fig = band_distribution_chart(suppressed_table(), "phq4", "total", 5)
    assert set(bars(fig)[0].marker.color) <= OKABE_ITO


def test_a_small_group_shows_only_its_number():
    from toolkit.core.privacy import SmallGroup

    fig = band_distribution_chart(SmallGroup(3, 5), "phq4", "total")
    assert fig.data == ()
    assert [a.text for a in fig.layout.annotations] == ["3 participants — fewer than 5, so nothing else is shown"]


def test_small_group_figure_has_no_data_and_one_sentence():
    fig = small_group_figure(4, 5, "es")
    assert fig.data == ()
    assert [a.text for a in fig.layout.annotations] == ["4 participantes: menos de 5, así que no se muestra nada más"]


# -- item means and change --------------------------------------------------------------------

def test_item_means_show_each_item_and_hide_a_suppressed_mean():
    means = pd.DataFrame({"mean": [1.2, 2.0, 2.75, 0.5], "suppressed": [False, False, True, False]},
                         index=["phq4_1", "phq4_2", "phq4_3", "phq4_4"])
    [bar] = item_means_chart(means, "phq4").data
    assert list(bar.text) == ["1.2", "2.0", "not shown, to protect privacy", "0.5"]
    assert "2.75" not in shown_text(item_means_chart(means, "phq4"))


def test_a_label_passed_in_is_escaped():
    means = pd.DataFrame({"mean": [1.0], "label": [XSS]}, index=["phq4_1"])
    fig = item_means_chart(means, "phq4")
    assert "&lt;img src=x onerror=alert(1)&gt;" in fig.data[0].y[0]
    assert "<img" not in fig.to_json()


def test_a_band_label_from_an_instrument_file_is_escaped():
    inst = load_instrument("phq4")
    scale = inst.scale("total")
    bad_band = scale.bands[0].model_copy(update={"label": {"en": XSS}})
    bad_scale = scale.model_copy(update={"bands": [bad_band, *scale.bands[1:]], "label": {"en": XSS}})
    bad = inst.model_copy(update={"scales": [bad_scale, *inst.scales[1:]]})
    for fig in (score_against_bands(bad, "total", 4), band_distribution_chart(suppressed_table(), bad, "total", 5)):
        assert "<img" not in fig.to_json()
        assert any("&lt;img" in s for s in strings(fig))


def test_an_unknown_table_key_is_escaped():
    table = pd.concat([suppressed_table(), pd.DataFrame({"count": pd.array([6], dtype="Int64"), "shown": ["6"],
                                                         "suppressed": [False], "note": [""]},
                                                        index=pd.Index([XSS], name="band"))])
    assert "<img" not in band_distribution_chart(table, "phq4", "total", 5).to_json()


def test_change_shows_the_mean_with_its_confidence_interval():
    fig = change_chart({"n": 12, "mean": -1.5, "ci_low": -2.4, "ci_high": -0.6}, "phq4", "total", k=5)
    [point] = fig.data
    assert list(point.y) == [-1.5]
    assert point.error_y.array[0] == pytest.approx(0.9) and point.error_y.arrayminus[0] == pytest.approx(0.9)
    assert any("lower is better" in s for s in strings(fig))


def test_change_for_fewer_than_k_pairs_shows_only_the_number():
    fig = change_chart({"n": 3, "mean": -1.5, "ci_low": -2.4, "ci_high": -0.6}, k=5)
    assert fig.data == ()
    assert "1.5" not in shown_text(fig)


# -- layout -----------------------------------------------------------------------------------

def all_figures() -> list[go.Figure]:
    return [score_against_bands("phq4", "total", 6), attachment_plane(2, 3),
            band_distribution_chart(suppressed_table(), "phq4", "total", 5),
            item_means_chart(pd.DataFrame({"mean": [1.0]}, index=["phq4_1"]), "phq4"),
            change_chart({"n": 9, "mean": 1.0, "ci_low": 0.2, "ci_high": 1.8}), small_group_figure(2, 5)]


@pytest.mark.parametrize("fig", all_figures())
def test_every_text_is_at_least_16_px(fig):
    assert fig.layout.font.size >= 16
    assert all((a.font.size or fig.layout.font.size) >= 16 for a in fig.layout.annotations)


def test_the_display_config_hides_the_plotly_logo():
    assert charts.CONFIG["displaylogo"] is False


def personal_figures() -> list[go.Figure]:
    return [personal_chart("who5", {"percent": 28}), personal_chart("phq4", {"total": 12}, "es"),
            personal_chart("csi4", {"total": 3}), personal_chart("brs", {"resilience": 1.0}),
            personal_chart("ecr_rs", {"avoidance": 5.5, "anxiety": 2.2}), personal_chart("ecr_rs", {}, "es")]


@pytest.mark.parametrize("fig", personal_figures())
def test_personal_charts_have_a_phone_layout(fig):
    """Titles and axis titles wrap to lines that fit 320 px; legends sit below; no note is drawn in the figure."""
    lines = [line for text in (fig.layout.title.text, fig.layout.xaxis.title.text, fig.layout.yaxis.title.text)
             if text for line in text.split("<br>")]
    assert lines and max(len(line) for line in lines) <= charts.AXIS_WRAP
    if fig.layout.showlegend:
        assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0
    assert not [a for a in fig.layout.annotations if a.yref == "paper" and (a.y or 0) < 0]
    assert fig.layout.height <= 520 and fig.layout.margin.l <= 16 and fig.layout.margin.r <= 16


def test_the_results_give_the_chart_a_definite_height():
    """plotly's responsive mode sizes the plot to its container: an output area sized by its content gave 0 px."""
    from toolkit.widgets.results import figure_output

    assert charts.CONFIG["responsive"] is True  # follows a phone's rotation
    fig = personal_chart("who5", {"percent": 28})
    out = figure_output(fig)
    assert out.layout.height == f"{fig.layout.height}px" and "attune-chart" in out._dom_classes


def test_personal_chart_fits_the_instrument():
    assert personal_chart("ecr_rs", {"avoidance": 2.0, "anxiety": 3.0}).layout.yaxis.title.text.startswith("Anxiety")
    assert personal_chart("who5", {"percent": 28}).data[-1].x == (28,)


def test_chart_texts_have_one_lookup_plain_for_tables_and_escaped_for_plotly():
    assert charts.chart_text("fewer_than", "es", k=5) == "menos de 5"
    assert charts.chart_text("fewer_than", "fr", k=5) == "fewer than 5"  # English, and the gap is remembered
    assert "charts.fewer_than" in missing_translations("fr")
    # values are the caller's to escape (they are escaped once, where they come from data)
    assert charts.chart_text("count_hover", "en", escape=True, label="A &amp; B", count=3) == "A &amp; B: 3 participants"


# -- numbers in Spanish (issue 15): a decimal comma, never "0.65" --------------------------------

def test_a_spanish_score_uses_a_decimal_comma_and_the_figure_a_spanish_separator():
    fig = score_against_bands("brs", "resilience", 3.5, language="es")
    text = shown_text(fig)
    assert "3,50" in text and "3.50" not in text
    assert "4,30" in " ".join(strings(fig)) and "4.30" not in " ".join(strings(fig))  # the band's hover range
    assert fig.layout.separators == ",."
    assert score_against_bands("brs", "resilience", 3.5).layout.separators == ".,"


def test_the_spanish_plane_hover_and_the_spanish_personal_chart_use_decimal_commas():
    fig = personal_chart("ecr_rs", {"avoidance": 2.65, "anxiety": 5.5}, language="es")
    text = " ".join(strings(fig))
    assert "2,65" in text and "5,50" in text and "2.65" not in text and "5.50" not in text
    assert fig.layout.separators == ",."


def test_spanish_item_means_change_and_score_ranges_use_decimal_commas():
    means = pd.DataFrame({"mean": [1.2, 2.0, 2.75, 0.5], "suppressed": [False, False, True, False]},
                         index=["phq4_1", "phq4_2", "phq4_3", "phq4_4"])
    [bar] = item_means_chart(means, "phq4", language="es").data
    assert list(bar.text)[:2] == ["1,2", "2,0"] and list(bar.text)[3] == "0,5"
    change = shown_text(change_chart({"n": 12, "mean": 0.65, "ci_low": 0.1, "ci_high": 1.2}, "phq4", "total", k=5,
                                     language="es"))
    assert "+0,65" in change and "0.65" not in change
    table = pd.DataFrame({"count": [6, 7], "shown": ["6", "7"], "suppressed": [False, False]},
                         index=pd.Index(["1.00–2.50", "2.50–4.00"], name="band"))
    ranges = shown_text(band_distribution_chart(table, "ecr_rs", "avoidance", 5, language="es"))
    assert "1,00–2,50" in ranges and "1.00" not in ranges
    assert "1.00–2.50" in shown_text(band_distribution_chart(table, "ecr_rs", "avoidance", 5))
