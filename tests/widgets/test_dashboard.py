"""The facilitator dashboard: small-cell protection in every view and figure, private views, refresh.

Figures are checked on their data (``fig.to_dict()``): a hidden cell's bar must carry the
placeholder height k and a label, never its count, in y, text or hover text.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from toolkit.apps import check
from toolkit.content.text import ui, ui_files
from toolkit.core import checkins, couples, disclosure, group_figures, privacy, quality
from toolkit.core import group as core
from toolkit.core.change import CATEGORIES
from toolkit.core.privacy import Distribution, SmallGroup
from toolkit.core.safety import evaluate_one
from toolkit.core.session_check import PREFER_NOT, question_counts, session_check_views
from toolkit.instruments import load_instrument, load_instrument_file
from toolkit.instruments.model import LEVEL_ORDER
from toolkit.render import dashboard as render
from toolkit.store.example_data import load_into_store
from toolkit.store.responses import ResponseStore
from toolkit.widgets import dashboard as shell

K = 5
ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
PAYLOAD = "<img src=x onerror=alert(1)>"
SATISFIED = {"csi4_1": 5, "csi4_2": 4, "csi4_3": 4, "csi4_4": 4}  # total 17: "satisfied"
DISSATISFIED = {"csi4_1": 1, "csi4_2": 1, "csi4_3": 1, "csi4_4": 1}  # total 4: "dissatisfied"
WORDS = ["amber", "brisk", "calm", "dusky", "eager", "fuzzy", "gentle", "hazel", "ivory", "jolly", "keen",
         "lucky", "merry", "noble", "olive", "plucky"]


def code(i: int) -> str:
    return f"{WORDS[i % len(WORDS)]}-fox-{10 + i}"


@pytest.fixture
def store():
    with ResponseStore(":memory:") as s:
        yield s


def add(store, who: str, answers: dict, instrument: str = "csi4", timepoint: str = "pre", *, submit=True,
        checkin=False, couple=None):
    if store.participant(who) is None or couple is not None:
        store.register(who, True, checkin, couple=couple, couple_consent=couple is not None or None)
    for item, value in answers.items():
        store.record_answer(who, instrument, item, value, timepoint)
    if submit:
        store.submit(who, instrument, timepoint)


def group(store, size: int, dissatisfied: int = 1, timepoint: str = "pre"):
    for i in range(size):
        add(store, code(i), DISSATISFIED if i < dissatisfied else SATISFIED, timepoint=timepoint)


def views_of(store, k: int = K) -> core.DashboardViews:
    return core.build_views(shell.read_frames(store), k)


# -- reading a figure's data -------------------------------------------------------------------

def _integers(text) -> set[int]:
    return {int(n) for n in re.findall(r"\d+", html.unescape(str(text)))}


def bar_points(fig) -> list[dict]:
    """Every bar of every trace: label, height, text and hover text."""
    points = []
    for trace in fig.to_dict()["data"]:
        if trace.get("type") != "bar":
            continue
        n = len(trace.get("x", []))
        for i in range(n):
            def at(key, trace=trace, i=i):
                value = trace.get(key)
                return value[i] if isinstance(value, (list, tuple)) else value
            points.append({"x": at("x"), "y": at("y"), "text": at("text"), "hover": at("hovertext")})
    return points


def assert_count_figure_safe(fig, k: int = K) -> None:
    """No bar of a count chart shows a number of people below k, in its height, text or hover."""
    for p in bar_points(fig):
        assert p["y"] is None or p["y"] >= k, p
        for part in (p["text"], p["hover"]):
            small = {n for n in _integers(str(part).replace(str(p["x"]), "")) if n < k}  # not the bar's label
            assert not small, f"a count below {k} is shown: {p}"


def annotation_integers(fig) -> set[int]:
    return set().union(*[_integers(a.get("text", "")) for a in fig.to_dict()["layout"].get("annotations", [])] or [set()])


def hidden_bar(fig, label_part: str) -> dict:
    matches = [p for p in bar_points(fig) if label_part.lower() in str(p["x"]).lower()]
    assert len(matches) == 1, matches
    return matches[0]


def all_html(dashboard: shell.Dashboard) -> str:
    boxes = [dashboard.status, dashboard.attendance_box, dashboard.instrument_note, dashboard.change_note,
             dashboard.session_check_box, dashboard.couples_intro, dashboard.couples_box, dashboard.checkins_box,
             dashboard.quality_box]
    return "".join(b.value for b in boxes)  # HTML: rendered as markup, so it must be escaped


def picker_labels(dashboard: shell.Dashboard) -> str:
    """Option labels: ipywidgets shows them as plain text, never as markup."""
    return "".join(str(o) for p in (dashboard.couple_pick, dashboard.timepoint_pick, dashboard.instrument_pick)
                   for o in p.options)


def shown_figures(out) -> list[dict]:
    return [o["data"]["application/vnd.plotly.v1+json"] for o in out.outputs]


# -- hand-built groups of k-1, k and k+1 -------------------------------------------------------

@pytest.mark.parametrize("size", [K - 1, K, K + 1])
def test_band_figure_never_shows_the_one_dissatisfied_person(store, size):
    group(store, size)
    view = core.instrument_views(store.wide("csi4", "pre"), "csi4", K, "pre")
    figures = group_figures.instrument_figures(view)
    if size < K:
        assert view.small and len(figures) == 1
        assert annotation_integers(figures[0]) <= {K}  # "fewer than 5": not even the group size
        assert all(p["y"] is None for p in bar_points(figures[0]))
        return
    dist = view.scales[0].distribution
    assert isinstance(dist, Distribution)
    assert dist.table.loc["dissatisfied", "suppressed"]
    assert pd.isna(dist.table.loc["dissatisfied", "count"])
    assert dist.table.loc["dissatisfied", "shown"] in ("fewer than 5", "hidden")  # "hidden" when the labels alone tell
    # the other cell would give it away (group size minus it), so it is hidden too
    assert dist.table.loc["satisfied", "suppressed"]
    fig = figures[0]
    cell = hidden_bar(fig, "less satisfied")
    assert cell["y"] == K and cell["text"] == dist.table.loc["dissatisfied", "shown"]
    assert _integers(cell["hover"]) <= {K}
    assert_count_figure_safe(fig)
    # the item means would show a 1-in-k answer pattern: the means hide themselves
    means = view.item_means
    assert isinstance(means, pd.DataFrame)
    item_fig = figures[-1]
    for p in bar_points(item_fig):
        if p["text"] != "not shown, to protect privacy":
            assert float(p["text"]) == pytest.approx(float(p["x"]), abs=0.05)


@pytest.mark.parametrize("size", [K - 1, K, K + 1])
def test_attendance_for_small_and_threshold_groups(store, size):
    group(store, size)
    add(store, code(0), {"phq4_1": 1}, "phq4", submit=False)  # one person has started the PHQ-4
    att = views_of(store).attendance
    assert att.joined == size
    if size < K:
        assert att.small and att.forms.empty
        assert "Joined: 4" in render.attendance_html(att) and "<table" not in render.attendance_html(att)
        return
    phq = att.forms[att.forms["instrument"] == "phq4"].set_index("status")
    assert phq.loc["in_progress", "suppressed"] and phq.loc["in_progress", "shown"] == "fewer than 5"
    assert phq["count"].dropna().ge(K).all()
    shown = att.forms[~att.forms["suppressed"]]
    assert shown["count"].ge(K).all()  # nothing below k anywhere, and no zeros


def test_a_group_smaller_than_k_shows_only_how_many_joined(store):
    group(store, K - 1)
    dash = shell.Dashboard(store, k=K)
    assert "Joined: 4" in dash.attendance_box.value
    assert "fewer than 5, so nothing else is shown" in dash.instrument_note.value
    assert dash.instrument_out.outputs == () and dash.change_out.outputs == ()
    assert dash.views.instruments == {} and dash.views.changes == {}


def test_a_visible_distribution_keeps_its_small_cell_hidden(store):
    # PHQ-4 totals: 6 none, 5 mild, 1 moderate, 0 severe
    rows = [{"phq4_1": 0, "phq4_2": 0, "phq4_3": 0, "phq4_4": 1}] * 6 + \
           [{"phq4_1": 1, "phq4_2": 1, "phq4_3": 1, "phq4_4": 1}] * 5 + [{"phq4_1": 2, "phq4_2": 2, "phq4_3": 2, "phq4_4": 1}]
    for i, answers in enumerate(rows):
        add(store, code(i), answers, "phq4")
    view = core.instrument_views(store.wide("phq4", "pre"), "phq4", K, "pre")
    total = next(sv for sv in view.scales if sv.scale_id == "total").distribution
    assert total.table.loc["none", "count"] == 6
    assert total.table.loc["moderate", "shown"] == "fewer than 5"
    assert total.table.loc["severe", "shown"] == "fewer than 5"
    for fig in group_figures.instrument_figures(view)[:-1]:
        assert_count_figure_safe(fig)
    fig = group_figures.instrument_figures(view)[0]
    assert hidden_bar(fig, "a fair amount")["y"] == K


# -- combinations of figures -------------------------------------------------------------------

def test_combination_guard_sees_a_mean_that_proves_a_hidden_band_is_not_empty():
    table = pd.DataFrame({"count": pd.array([pd.NA, pd.NA], dtype="Int64"), "suppressed": [True, True],
                          "note": ["fewer_than_k", "fewer_than_k"]})
    # 6 people, cells [0-13] and [14-21]: a mean of 15 needs someone in the upper cell... and the lower
    assert disclosure.combination_reveals(table, 6, [(0, 13), (14, 21)], (6 * 20.9, 6 * 21), 5)
    assert not disclosure.combination_reveals(table, 6, [(0, 13), (14, 21)], (0, 6 * 21), 5)


def test_item_means_are_hidden_where_they_would_reveal_a_band(store):
    # 8 people: 3 dissatisfied (total 4), 5 satisfied (total 17). The bands read "fewer than 5" and
    # "hidden" (at least 5). The item means give a mean total of 12.1: eight people all at 14 or
    # more cannot make that, so someone would be shown to be dissatisfied.
    group(store, 8, dissatisfied=3)
    inst = load_instrument("csi4")
    unguarded = privacy.item_means(store.wide("csi4", "pre"), "csi4", K)
    assert not unguarded["suppressed"].any()  # privacy alone would show every item mean
    view = core.instrument_views(store.wide("csi4", "pre"), "csi4", K, "pre")
    dist = view.scales[0].distribution
    assert dist.table["shown"].tolist() == ["fewer than 5", "hidden"]
    implied = disclosure.implied_scale_mean(inst, inst.scale("total"), unguarded)
    assert disclosure.combination_reveals(dist.table.reset_index(drop=True), dist.n, disclosure.cell_ranges(inst, view.scales[0]),
                                    (implied[0] * dist.n, implied[1] * dist.n), K)
    assert view.guarded == ("total",)
    assert view.item_means["suppressed"].all() and view.item_means["mean"].isna().all()
    item_fig = group_figures.instrument_figures(view)[-1]
    assert {p["text"] for p in bar_points(item_fig)} == {"not shown, to protect privacy"}


def test_unbanded_scale_with_the_same_items_as_a_banded_one_is_not_shown_twice():
    inst = load_instrument("who5")
    assert [s.id for s in core._shown_scales(inst)] == ["percent"]
    assert [s.id for s in core._shown_scales(load_instrument("ecr_rs"))] == ["avoidance", "anxiety"]
    assert [label for label, _, _ in core.score_ranges("ecr_rs", "anxiety")] == ["1.00–2.67", "3.00–4.67", "5.00–7.00"]


# -- before and after --------------------------------------------------------------------------

@pytest.fixture
def normed(tmp_path):
    """The BRS with norms (made-up values for the test), so that reliable change can be counted."""
    data = yaml.safe_load((ROOT / "toolkit/instruments/bundled/brs.yaml").read_text(encoding="utf-8"))
    data["id"] = "brs_normed"
    data["scales"][0]["norms"] = {"sd": 0.7, "reliability": 0.85, "source": "test values"}
    path = tmp_path / "brs_normed.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_instrument_file(path)


def brs_wide(rows: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame([{"participant": c, **{f"brs_{i}": (v if i % 2 else 6 - v) for i in range(1, 7)}}
                         for c, v in rows.items()])


@pytest.mark.parametrize("pairs", [K - 1, K, K + 1])
def test_change_view_counts_are_protected(normed, pairs):
    pre = brs_wide({code(i): 2 for i in range(pairs)})
    post = brs_wide({code(i): (5 if i == 0 else 3) for i in range(pairs)})  # one big improver
    (view,) = core.change_views(pre, post, normed, K)
    figures = group_figures.change_figures(view)
    if pairs < K:
        assert isinstance(view.summary, SmallGroup)
        assert len(figures) == 1 and annotation_integers(figures[0]) <= {K}
        return
    cats = view.summary.categories
    if cats is not None:
        assert cats.table["count"].dropna().ge(K).all()
        assert_count_figure_safe(figures[1])
    for fig in figures[1:]:
        assert_count_figure_safe(fig)
    assert view.summary.n == pairs  # kept in the data, never drawn below k


def test_change_categories_are_dropped_when_the_mean_gives_one_away(normed):
    # 6 pairs: everyone improved by the same large step except one: the mean pins the categories
    pre = brs_wide({code(i): 1 for i in range(6)})
    post = brs_wide({code(i): (5 if i else 4) for i in range(6)})
    (view,) = core.change_views(pre, post, normed, K)
    # labels alone: "improved" hidden (at least 5), the others "fewer than 5"; but a mean change of
    # +3.83 cannot come from 5 improvers (at most +4 each) and one unchanged: all 6 improved
    assert view.categories_guarded and view.summary.categories is None
    assert view.summary.mean == pytest.approx(23 / 6)
    assert len(group_figures.change_figures(view)) == 1


# -- the example cohort ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cohort_store():
    with ResponseStore(":memory:") as s:
        load_into_store(s, DATA)
        agree_to_comparisons(s)
        yield s


def agree_to_comparisons(store):
    """Every linked partner of the example cohort also ticks the couple-comparison consent."""
    for person in store.participants().itertuples():
        if store.couple_of(person.code):
            store.register(person.code, True, person.checkin_consent, couple_consent=True)


@pytest.mark.parametrize("workshop", ["workshop-1", "workshop-2", "workshop-3", "workshop-4", None])
def test_example_cohort_gives_every_view_and_reveals_nobody_below_k(workshop, cohort_store):
    if workshop is None:
        store = cohort_store
    else:
        store = ResponseStore(":memory:")
        load_into_store(store, DATA, workshop=workshop)
        agree_to_comparisons(store)
    frames = shell.read_frames(store)
    views = core.build_views(frames, K)
    assert not views.attendance.small
    assert views.instruments and views.changes and views.couples and not views.checkins.empty
    assert views.attendance.forms[~views.attendance.forms["suppressed"]]["count"].ge(K).all()
    for (inst_id, timepoint), view in views.instruments.items():
        wide = frames["wide"][(inst_id, timepoint)]
        for sv in view.scales:
            if isinstance(sv.distribution, Distribution):
                assert sv.distribution.table["count"].dropna().ge(K).all()
        figures = group_figures.instrument_figures(view)
        for fig in figures[:-1]:
            assert_count_figure_safe(fig)
        if isinstance(view.item_means, pd.DataFrame):
            inst = load_instrument(inst_id)
            for item, row in view.item_means.iterrows():
                if not row["suppressed"]:
                    answered = pd.to_numeric(wide[item], errors="coerce").notna().sum()
                    assert answered >= K, (inst_id, timepoint, item)
            for sv in view.scales:  # the guard holds for what is finally shown
                implied = disclosure.implied_scale_mean(inst, inst.scale(sv.scale_id), view.item_means)
                if isinstance(sv.distribution, Distribution) and implied is not None:
                    d = sv.distribution
                    ranges = disclosure.cell_ranges(inst, sv)
                    assert not disclosure.combination_reveals(d.table.reset_index(drop=True), d.n, ranges,
                                                              (implied[0] * d.n, implied[1] * d.n), K)
    for change in views.changes.values():
        for view in change:
            for fig in group_figures.change_figures(view)[1:]:
                assert_count_figure_safe(fig)
    if workshop is not None:
        store.close()


def test_the_dashboard_widget_runs_on_the_example_cohort(cohort_store):
    dash = shell.Dashboard(cohort_store, k=K)
    assert "Joined: 45" in dash.attendance_box.value
    assert dash.instrument_pick.options and dash.timepoint_pick.options == ("pre", "post")
    for inst_id in [v for _, v in dash.instrument_pick.options]:
        dash.instrument_pick.value = inst_id
        for tp in dash.timepoint_pick.options:
            dash.timepoint_pick.value = tp
            bundles = shown_figures(dash.instrument_out)
            assert bundles and all(b["config"]["displaylogo"] is False for b in bundles)
            assert all(b["config"]["responsive"] is False for b in bundles)  # see _PlotlyFigure
    for inst_id in [v for _, v in dash.change_pick.options]:
        dash.change_pick.value = inst_id
        assert shown_figures(dash.change_out)
    assert "Private view" in dash.couples_box.value and "opal-harbour-40" not in all_html(dash)
    dash.private.value = True
    assert "opal-harbour-40" in dash.checkins_box.value and "opal-harbour-40" in dash.quality_box.value


# -- couples -----------------------------------------------------------------------------------

def test_couples_are_only_mutually_linked_consenting_pairs(store):
    a, b, c, d, e, f, g, h = (code(i) for i in range(8))
    store.register(a, True, couple=b, couple_consent=True)
    store.register(b, True, couple=a, couple_consent=True)  # mutual, both agreed to the comparison: linked
    store.register(c, True, couple=d, couple_consent=True)
    store.register(d, True, couple_consent=True)  # d never asked for c
    store.register(e, True, couple=f, couple_consent=True)
    assert store.register(f, False, couple=e) is False  # f refused storage: nothing of f is stored
    store.register(g, True, couple=h, couple_consent=True)
    store.register(h, True, couple=g)  # h linked but did not agree to the comparison
    frames = shell.read_frames(store)
    assert couples.couples(frames["participants"], frames["partner_of"]) == [tuple(sorted((a, b)))]
    # a one-sided mapping, a partner without consent, or no comparison consent is refused by the core too
    people = pd.DataFrame({"code": [a, b, c], "storage_consent": [True, False, True],
                           "couple_consent": [True, True, True]})
    assert couples.couples(people, {a: b, b: a}) == []
    assert couples.couples(people, {a: c}) == []
    assert couples.couples(people.drop(columns="couple_consent"), {a: c, c: a}) == []


def test_the_couple_comparison_consent_is_revocable_by_either_partner(store):
    a, b = code(0), code(1)
    add(store, a, SATISFIED, couple=b)
    add(store, b, SATISFIED, couple=a)
    assert len(views_of(store).couples) == 1
    store.register(b, True, couple_consent=False)
    assert views_of(store).couples == [] and store.couple_of(a) == b  # the link stays, the comparison goes


def test_couple_view_keys_reversed_items_and_shows_no_scores():
    # BRS: items 2, 4, 6 are reverse-keyed; higher resilience is better
    a = {"brs_1": 1, "brs_2": 1, "brs_3": 5, "brs_4": 3, "brs_5": "prefer_not_to_say", "brs_6": 5}
    b = {"brs_1": 1, "brs_2": 1, "brs_3": 2, "brs_4": 3, "brs_5": 4, "brs_6": 4}
    view = couples.couple_view(a, b, "brs").set_index("item")
    assert list(view.columns) == ["area", "reason", "gap"]  # no one's answer or score
    assert view.loc["brs_1", ["area", "reason"]].tolist() == ["growth", "both_low"]
    assert view.loc["brs_2", ["area", "reason"]].tolist() == ["strength", "both_positive"]  # 1 keyed is 5
    assert view.loc["brs_3", ["area", "reason"]].tolist() == ["growth", "differ"]
    assert view.loc["brs_4", "area"] == "similar"  # both in the middle
    assert view.loc["brs_5", "area"] == "not_compared"
    assert view.loc["brs_6", ["area", "reason"]].tolist() == ["growth", "both_low"]  # 5 and 4 keyed are 1 and 2


def test_couple_view_leaves_out_safety_items_and_personal_distress():
    assert "afraid_of_partner" not in couples.comparable_items("help_indicators")
    assert couples.comparable_items("phq4") == [] and couples.comparable_items("who5") == []
    assert couples.comparable_items("csi4") == ["csi4_1", "csi4_2", "csi4_3", "csi4_4"]


@pytest.mark.parametrize(("instrument", "item", "value"), [("help_indicators", "afraid_of_partner", 1),
                                                      ("relationship_safety", "controlled", 1),
                                                      ("relationship_safety", "safe_together", 0)])
def test_a_couple_whose_pairing_is_not_advised_looks_exactly_like_an_unlinked_one(store, instrument, item, value):
    a, b = code(0), code(1)
    add(store, a, SATISFIED, couple=b)
    add(store, b, SATISFIED, couple=a)
    views = views_of(store)
    assert views.couples[0][2]["csi4"][1]["area"].tolist() == ["strength"] * 4
    store.record_answer(b, instrument, item, value, "pre")
    frames = shell.read_frames(store)
    assert frames["partner_of"] == {a: None, b: None}
    assert core.build_views(frames, K).couples == []
    dash = shell.Dashboard(store, k=K)
    dash.private.value = True
    assert "No couples to compare" in dash.couples_intro.value and a not in dash.couples_box.value


def test_the_screen_gives_no_group_figure(store):
    for i in range(K + 1):
        add(store, code(i), {"afraid": 0, "safe_together": 1}, "relationship_safety")
    views = views_of(store)
    assert not any(inst == "relationship_safety" for inst, _ in views.instruments)
    assert any(views.attendance.forms["instrument"] == "relationship_safety")  # how many answered it: yes


# -- check-ins ---------------------------------------------------------------------------------

def test_checkin_list_only_shows_codes_that_consented_to_a_checkin(store):
    yes, no = code(0), code(1)
    store.register(yes, True, checkin_consent=True)
    store.register(no, True, checkin_consent=False)
    assert store.submit(yes, "who5", "pre", level="check_in", rules=["very_low_wellbeing"]) is True
    assert store.submit(no, "who5", "pre", level="check_in", rules=["very_low_wellbeing"]) is False
    table = views_of(store).checkins
    assert table["code"].tolist() == [yes]
    assert set(table.columns) == set(checkins.CHECKIN_COLUMNS)  # codes, forms and rules: no answers
    # the core checks consent again, whatever frame it is given
    frame = pd.DataFrame({"code": [yes, no], "instrument": ["who5"] * 2, "timepoint": ["pre"] * 2,
                          "level": ["check_in"] * 2, "rules": [["r"], ["r"]], "flagged_at": ["t1", "t2"]})
    people = pd.DataFrame({"code": [yes, no], "storage_consent": [True, True], "checkin_consent": [True, False]})
    assert checkins.checkin_list(frame, people)["code"].tolist() == [yes]



def test_checkin_list_gives_a_plain_reason_never_a_rule_that_names_an_answer(store):
    """Participants are told the facilitator sees a private flag by their code, not their answers."""
    who = code(0)
    store.register(who, True, checkin_consent=True)
    store.submit(who, "help_indicators", "pre", level="check_in", rules=["afraid_of_partner"])
    for language, reason in (("en", "agreed to be offered a private check-in"), ("es", "aceptó que se le ofrezca")):
        dash = shell.Dashboard(store, k=K, language=language)
        dash.private.value = True
        assert who in dash.checkins_box.value and reason in dash.checkins_box.value
        assert "afraid_of_partner" not in dash.checkins_box.value


def screen_fires(store, who: str, partner: str, *, checkin: bool) -> None:
    """``who`` and ``partner`` link and agree to the comparison; then ``who``'s screen fires."""
    store.register(who, True, checkin_consent=checkin, couple=partner, couple_consent=True)
    store.register(partner, True, checkin_consent=True, couple=who, couple_consent=True)
    store.record_answer(who, "relationship_safety", "afraid", 1, "pre")
    store.submit(who, "relationship_safety", "pre", level="check_in", rules=["partner_safety"])


def test_a_fired_screen_shows_only_pairing_not_advised_for_the_code_pair_with_checkin_consent(store):
    who, partner = code(0), code(1)
    screen_fires(store, who, partner, checkin=True)
    store.set_checkin_reach(who, "screen")
    dash = shell.Dashboard(store, k=K)
    dash.private.value = True
    box = dash.checkins_box.value
    assert f"Pairing not advised: {who} &amp; {partner}" in box
    assert "they show their code on their screen" in box
    assert "relationship_safety" not in box and "partner_safety" not in box and "afraid" not in box.lower()
    row = checkins.checkin_list(shell.read_frames(store)["checkins"], store.participants()).iloc[0]
    assert row["pairing_not_advised"] and row["forms"] == [] and row["rules"] == [] and row["reach"] == "screen"


def test_without_checkin_consent_the_facilitator_is_told_nothing_and_pairing_is_still_off(store):
    who, partner = code(0), code(1)
    screen_fires(store, who, partner, checkin=False)
    dash = shell.Dashboard(store, k=K)
    dash.private.value = True
    assert "No check-in requests" in dash.checkins_box.value and "Pairing not advised" not in all_html(dash)
    assert store.paired_with(who) is None and store.paired_with(partner) is None

# -- the end-of-session check (issue 12) ---------------------------------------------------------

YES, PARTLY, NO = 2, 1, 0


def session_check(store, answers: list[tuple], timepoint: str = "session1", *, checkin=False):
    """``answers``: one (helpful, safe) pair per person, None for a skipped question."""
    for i, (helpful, safe) in enumerate(answers):
        given = {item: v for item, v in (("helpful", helpful), ("safe", safe)) if v is not None}
        add(store, code(i), given, "session_check", timepoint, checkin=checkin)


def shown(question) -> dict:
    table = question.counts.table
    return {key: (int(table.loc[key, "count"]) if not table.loc[key, "suppressed"] else table.loc[key, "note"])
            for key in question.answers}


def test_session_check_is_our_own_non_scored_reflection_in_english_and_spanish():
    inst = load_instrument("session_check")
    assert inst.kind == "reflection" and inst.scales == [] and inst.licence.commercial_use == "allowed"
    assert "not a validated measure" in inst.instructions["en"]
    assert "No es un test ni una medida validada" in inst.instructions["es"]
    assert "Prefer not to say" in inst.instructions["en"] and "never who answered what" in inst.instructions["en"]
    assert [(i.id, i.text["en"]) for i in inst.items] == [
        ("helpful", "Was today's session helpful for you?"), ("safe", "Did you feel safe taking part today?")]
    for item in inst.items:
        assert item.type == "single_choice" and set(item.text) == {"en", "es"}
        options = inst.response_scale_of(item).options
        assert [(o.value, o.label["en"], o.label["es"]) for o in options] == \
            [(2, "Yes", "Sí"), (1, "Partly", "En parte"), (0, "No", "No")]
    assert any(v.fact.startswith("not a validated measure") for v in inst.verification)


@pytest.mark.parametrize("answers, level", [
    ({"helpful": YES, "safe": NO}, "info"),        # not safe: the private support message
    ({"safe": PARTLY}, ""), ({"safe": YES}, ""),
    ({"safe": PREFER_NOT}, ""),                    # a choice not to say never fires
    ({"helpful": NO}, ""),                         # skipping "safe" never fires either: it could be yes
])
def test_not_feeling_safe_gives_the_private_info_message_and_nothing_else(answers, level):
    result = evaluate_one("session_check", answers)
    assert result.level == level
    assert result.rules == (("not_safe_today",) if level else ())
    (rule,) = load_instrument("session_check").safety
    assert rule.level == "info"  # the participant may ask for a check-in; no flag is raised by itself


def test_session_check_counts_by_hand():
    # 20 people at session 1: helpful 5 yes, 5 partly, 5 no, 5 prefer not to say: every cell >= 5, all shown.
    # safe: 12 yes, 5 partly, 3 skipped: 17 answered (the group size is taken as known). "No" and
    # "Prefer not to say" are 0: "fewer than 5". Their sum (0) is below 5, so the smallest other
    # cell (partly, 5) is hidden too. Yes (12) cannot stay shown: 17 - 12 = 5 would be partly
    # ("hidden", so at least 5) plus the two small cells, which pins both at 0 and tells the room
    # that nobody said "No". So yes is hidden as well: nothing is shown but the labels.
    helpful = [YES] * 5 + [PARTLY] * 5 + [NO] * 5 + [PREFER_NOT] * 5
    safe = [YES] * 12 + [PARTLY] * 5 + [None] * 3
    wide = pd.DataFrame({"participant": [code(i) for i in range(20)], "helpful": helpful, "safe": safe})
    h = question_counts(wide, "helpful", K)
    assert h.answers == ("2", "1", "0", PREFER_NOT)
    assert shown(h) == {"2": 5, "1": 5, "0": 5, PREFER_NOT: 5} and h.counts.n == 20
    sf = question_counts(wide, "safe", K)
    assert sf.counts.n == 17
    assert shown(sf) == {"2": "hidden", "1": "hidden", "0": "fewer_than_k", PREFER_NOT: "fewer_than_k"}
    # with 6 partly instead of 5 (and 2 skipped), yes can stay shown:
    safe = [YES] * 12 + [PARTLY] * 6 + [None] * 2
    sf = question_counts(wide.assign(safe=safe), "safe", K)
    # hidden partly (>= 5) + two cells of 0-4 = 18 - 12 = 6: partly 5 or 6, the small ones 0-1: none pinned
    assert shown(sf) == {"2": 12, "1": "hidden", "0": "fewer_than_k", PREFER_NOT: "fewer_than_k"}


@pytest.mark.parametrize("answered", [K - 1, K])
def test_a_session_where_fewer_than_k_answered_shows_only_that(answered):
    wide = pd.DataFrame({"participant": [code(i) for i in range(answered)], "helpful": [YES] * answered})
    counts = question_counts(wide, "helpful", K).counts
    assert isinstance(counts, SmallGroup) == (answered < K)


def test_one_person_who_did_not_feel_safe_is_never_singled_out(store):
    session_check(store, [(YES, YES)] * 8 + [(YES, NO)])  # 9 people, one "No" to feeling safe
    views = views_of(store)
    (check,) = views.session_checks
    safe = check.questions[1]
    assert safe.counts.table.loc["0", "shown"] == "fewer than 5"
    assert safe.counts.table.loc[~safe.counts.table["suppressed"], "count"].ge(K).all()
    page = render.session_check_html(views)
    assert "Did you feel safe taking part today?" in page and "Session 1" in page
    assert all(code(i) not in page for i in range(9))  # no code anywhere in the view
    assert not re.search(r"<td>[1-4]</td>", page)  # no count below k in any cell


def test_the_session_check_gets_no_scores_means_or_quality_index_anywhere(store):
    session_check(store, [(YES, YES)] * 6 + [(NO, PARTLY)] * 6, "session2")
    views = views_of(store)
    assert [c.timepoint for c in views.session_checks] == ["session2"]
    assert not any(inst == "session_check" for inst, _ in views.instruments)  # no item means: they would score it
    assert "session_check" not in views.changes
    assert "session_check" not in set(views.careless_rows.get("instrument", []))
    dash = shell.Dashboard(store, k=K)
    assert "session_check" not in [v for _, v in dash.instrument_pick.options]
    assert "How the group answered" in dash.session_check_box.value
    assert all(code(i) not in all_html(dash) for i in range(12))


def test_sessions_are_listed_in_session_order():
    frame = pd.DataFrame({"participant": [code(i) for i in range(K)], "helpful": [YES] * K, "safe": [YES] * K})
    wide = {("session_check", tp): frame.assign(timepoint=tp) for tp in ("session10", "session2", "session0")}
    wide[("who5", "pre")] = frame
    assert [v.timepoint for v in session_check_views(wide, K)] == ["session0", "session2", "session10"]


def test_a_checkin_asked_for_after_the_session_check_does_not_name_it(store):
    who = code(0)
    store.register(who, True, checkin_consent=True)
    store.submit(who, "session_check", "session3", level="info", rules=["not_safe_today"])
    dash = shell.Dashboard(store, k=K)
    dash.private.value = True
    page = dash.checkins_box.value
    assert who in page and "asked for a private check-in" in page
    assert "session_check" not in page and "not_safe_today" not in page and "session3" not in page


def test_small_group_shows_no_session_check_counts(store):
    session_check(store, [(YES, YES)] * (K - 1))
    page = render.session_check_html(views_of(store))
    assert "fewer than 5, so nothing else is shown" in page and "<table" not in page


def test_session_check_tab_in_spanish(store):
    session_check(store, [(YES, YES)] * K)
    dash = shell.Dashboard(store, k=K, language="es")
    assert "Cómo fueron las sesiones" in dash.tabs.titles
    page = dash.session_check_box.value
    assert "Sesión 1" in page and "En parte" in page and "Prefiero no decirlo" in page


# -- data quality ------------------------------------------------------------------------------

def careless_codes() -> list[str]:
    answers = pd.read_csv(DATA / "answers.csv", dtype=str, keep_default_na=False)
    spread = answers.groupby("participant")["value"].nunique()
    return sorted(spread.index[spread == 1])


def test_careless_flags_find_the_example_cohorts_careless_responder(cohort_store):
    (careless,) = careless_codes()
    views = views_of(cohort_store)
    top = views.careless.iloc[:2]
    assert top["participant"].tolist() == [careless, careless]
    assert set(top["timepoint"]) == {"pre", "post"}
    assert (top["forms_flagged"] >= 2).all()
    assert (views.careless.loc[views.careless["participant"] != careless, "forms_flagged"] < 2).all()
    # advisory only: the careless responder is still counted in every group figure
    view = views.instruments[("who5", "pre")]
    assert view.group == len(cohort_store.wide("who5", "pre"))


def test_careless_indices_follow_their_definitions():
    wide = pd.DataFrame([
        {"participant": "a", "timepoint": "pre", **{f"brs_{i}": 1 for i in range(1, 7)}},
        {"participant": "b", "timepoint": "pre", **{f"brs_{i}": 3 for i in range(1, 7)}},
        {"participant": "c", "timepoint": "pre", "brs_1": 4, "brs_2": 2, "brs_3": 4, "brs_4": 2, "brs_5": 5, "brs_6": 1},
        {"participant": "d", "timepoint": "pre", "brs_1": 1, "brs_2": "skipped", "brs_3": 1, "brs_4": 1,
         "brs_5": "skipped", "brs_6": 1},
    ])
    out = quality.careless_indices(wide, "brs").set_index("participant")
    assert out.loc["a", "long_string"] == 6 and out.loc["a", "irv"] == 0
    assert out.loc["a", "long_string_flag"] and out.loc["a", "low_irv_flag"]
    assert out.loc["b", "long_string_flag"] and not out.loc["b", "low_irv_flag"]  # the middle answer is consistent
    assert out.loc["c", "long_string"] == 1 and not out.loc["c", "flagged"]
    assert out.loc["d", "items"] == 4 and out.loc["d", "long_string"] == 2  # a skip ends a run
    assert not out.loc["d", "long_string_flag"]
    # yes/no checklists give honest runs of "no": no index is computed for them
    items = load_instrument("eu_signs").item_ids
    checklist = pd.DataFrame([{"participant": "a", "timepoint": "pre", **{i: 0 for i in items}}])
    assert not quality.careless_indices(checklist, "eu_signs")["flagged"].any()


# -- escaping and free text --------------------------------------------------------------------

def test_participant_text_is_escaped_everywhere_the_dashboard_shows_it(store):
    group(store, K + 1, dissatisfied=0)
    group(store, K + 1, dissatisfied=0, timepoint=PAYLOAD)  # a timepoint is free text in the store
    store.register(code(0), True, checkin_consent=True)
    store.submit(code(0), "who5", "pre", level="check_in", rules=[PAYLOAD])
    store.register(code(1), True, couple=code(2), couple_consent=True)
    store.register(code(2), True, couple=code(1), couple_consent=True)
    store.record_answer(code(3), "i_statement", "feeling", PAYLOAD + " my own words", "pre")
    store.record_answer(code(3), "brs", "brs_1", 1, PAYLOAD)
    dash = shell.Dashboard(store, k=K)
    dash.private.value = True
    page = all_html(dash)
    assert PAYLOAD not in page
    assert html.escape(PAYLOAD) in dash.attendance_box.value  # the timepoint, as text
    assert code(0) in dash.checkins_box.value and "<script" not in dash.checkins_box.value
    assert html.escape(PAYLOAD) in dash.couples_box.value  # the timepoint of the comparison
    assert "my own words" not in page  # free-text answers are never shown on the dashboard
    dash.instrument_pick.value = "csi4"
    dash.timepoint_pick.value = PAYLOAD
    text = json.dumps(shown_figures(dash.instrument_out))
    assert "<img" not in text and "my own words" not in text


# -- empty store, refreshing, example data -----------------------------------------------------

def test_an_empty_store_gives_an_empty_dashboard(store):
    views = views_of(store)
    assert views.attendance.joined == 0 and views.attendance.small
    assert views.instruments == {} and views.couples == [] and views.checkins.empty and views.careless.empty
    dash = shell.Dashboard(store, k=K)
    dash.private.value = True
    assert "Joined: 0" in dash.attendance_box.value
    assert "No couples to compare" in dash.couples_intro.value and "No check-in requests" in dash.checkins_box.value
    assert "No careless-responding flags" in dash.quality_box.value


def test_refresh_on_demand_and_on_the_timer(store):
    group(store, K)
    dash = shell.Dashboard(store, k=K, refresh_seconds=5)
    assert dash.ticker.interval == 5000 and not dash.ticker.playing
    add(store, code(K), SATISFIED)
    dash.ticker.value += 1  # a tick while auto-refresh is off changes nothing
    assert "Joined: 5" in dash.attendance_box.value
    dash.auto.value = True
    assert dash.ticker.playing  # the browser now ticks
    dash.ticker.value += 1
    assert "Joined: 6" in dash.attendance_box.value
    add(store, code(K + 1), SATISFIED)
    dash.auto.value = False
    assert not dash.ticker.playing
    dash.refresh_button.click()
    assert "Joined: 7" in dash.attendance_box.value


def test_private_views_stay_closed_until_asked_for(cohort_store):
    dash = shell.Dashboard(cohort_store, k=K)
    codes = re.compile(r"[a-z]+-[a-z]+-\d\d")
    for box in (dash.couples_box, dash.checkins_box, dash.quality_box):
        assert "Switch on" in box.value and not codes.search(box.value)
    assert dash.couple_pick.options == () and dash.couple_pick.layout.display == "none"
    dash.private.value = True
    assert "for your eyes only" in dash.couples_intro.value
    # 10 linked couples, one with fear of the partner reported: left out like an unlinked couple
    assert len(dash.couple_pick.options) == 9 and dash.couples_box.value.count("<h3>") == 1  # one couple at a time
    dash.couple_pick.value = 3
    assert html.escape(dash.couple_pick.label) in dash.couples_box.value
    dash.private.value = False
    assert "opal-harbour-40" not in all_html(dash) + picker_labels(dash) and dash.couple_pick.options == ()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_store_source_shows_example_data_without_creating_the_workshop_store(tmp_path, request, backend):
    if backend == "sqlite":
        path = tmp_path / "sub" / "workshop.sqlite"
        exists = path.exists
    else:  # a workshop of an organisation's PostgreSQL, as a facilitator's role opens it
        from tests.conftest import FACILITATORS, TEMPLATE

        server = request.getfixturevalue("postgres")
        database = server.create_database(template=TEMPLATE)
        path = server.url("alice", FACILITATORS["alice"], database=database, workshop="dash")
        def exists():
            return server.sql("SELECT count(*) FROM attune.workshops", database=database).strip() != "0"
    source = shell.StoreSource(path, use_example_data=True, data_dir=DATA)
    store, example, _ = source()
    assert example and not store.participants().empty and not exists()
    strict = shell.StoreSource(path, use_example_data=False)
    store, example, message = strict()
    assert not example and store.participants().empty and message == "no_store" and not exists()
    with ResponseStore(path) as live:  # the workshop starts: the dashboard switches to it
        store, example, _ = source()
        assert example  # still empty
        live.register(code(0), True)
        store, example, _ = source()
        assert not example and store.participants()["code"].tolist() == [code(0)]
    source.close()
    strict.close()


def test_example_store_is_written_afresh_when_no_data_folder_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(shell, "find_example_data", lambda data_dir=None: None)
    with shell.example_store() as store:
        assert len(store.participants()) == 45


def test_open_dashboard_marks_example_data(tmp_path):
    dash = shell.open_dashboard(tmp_path / "none.sqlite", k=K, data_dir=DATA)
    assert dash.example and "EXAMPLE DATA" in dash.status.value


def test_spanish_texts(cohort_store):
    dash = shell.Dashboard(cohort_store, k=K, language="es")
    assert "Se han unido: 45" in dash.attendance_box.value and "menos de 5" in dash.attendance_box.value
    dash.private.value = True
    assert "Privado: solo para ti" in dash.couples_intro.value and "Cómo se calculan las señales" in dash.quality_box.value
    assert "cadena larga" in dash.quality_box.value  # the flagged index, named in Spanish
    assert [ui(t, "es") for t in ("dashboard_tab_attendance", "dashboard_tab_quality")] == \
        [dash.tabs.titles[0], dash.tabs.titles[-1]]


# -- the dashboard's strings -------------------------------------------------------------------

DASHBOARD_YAML = ROOT / "toolkit/content/ui/dashboard.yaml"
ES_WORKSHOP = ROOT / "workshops/es/workshop.yaml"


def test_every_dashboard_string_has_english_and_spanish_with_the_same_placeholders():
    strings = yaml.safe_load(DASHBOARD_YAML.read_text(encoding="utf-8"))
    assert len(strings) > 60 and all(key.startswith("dashboard_") for key in strings)
    for key, texts in strings.items():
        assert {"en", "es"} <= set(texts), key
        assert all(isinstance(t, str) and t.strip() for t in texts.values()), key
        assert set(re.findall(r"{(\w+)}", texts["es"])) == set(re.findall(r"{(\w+)}", texts["en"])), key


def test_every_key_the_dashboard_asks_for_exists_and_every_string_is_used():
    sources = ("toolkit/render/dashboard.py", "toolkit/widgets/dashboard.py", "toolkit/core/group_figures.py")
    literal = {key for path in sources for key in re.findall(r"[\"'](dashboard_\w+)[\"']", (ROOT / path).read_text())}
    made = {f"dashboard_{part}" for part in [
        *(f"status_{s}" for s in core.STATUSES), *(f"area_{a}" for a in couples.AREAS),
        *(f"reason_{r}" for r in ("differ", "both_low")), *(f"level_{lv}" for lv in LEVEL_ORDER),
        *(f"why_{lv}" for lv in LEVEL_ORDER), *(f"reach_{r}" for r in (*checkins.REACH_CHOICES, "unset")),
        *(f"change_{c}" for c in CATEGORIES), *(f"index_{i}" for i in quality.INDEX_KEYS.values()), "no_store"]}
    strings = yaml.safe_load(DASHBOARD_YAML.read_text(encoding="utf-8"))
    assert literal | made == set(strings)
    assert ui("dashboard_joined", "es", n=3) == "Se han unido: 3"


def test_attune_check_reports_a_missing_dashboard_translation(tmp_path, monkeypatch):
    def dashboard_findings():
        return [f for f in check.check_workshop(ES_WORKSHOP, run=False).findings if "UI strings dashboard" in f.message]

    assert dashboard_findings() == []
    text = DASHBOARD_YAML.read_text(encoding="utf-8")
    broken = tmp_path / "dashboard.yaml"
    broken.write_text(text.replace('  es: "Actualizar"\n', "", 1), encoding="utf-8")
    assert broken.read_text(encoding="utf-8") != text
    monkeypatch.setattr(check, "ui_files", lambda: [broken if p.name == broken.name else p for p in ui_files()])
    (finding,) = dashboard_findings()
    line = text.splitlines().index("dashboard_refresh:") + 1
    assert finding.level == "warning" and finding.where.endswith(f"dashboard.yaml:{line}")
    assert "[es]" in finding.message and "1 text with no 'es' version" in finding.message
