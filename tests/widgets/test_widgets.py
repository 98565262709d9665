"""The participant's path driven in-process: join, consent, answer, reload, submit, erase."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from toolkit.instruments import load_instrument_file
from toolkit.store.responses import ResponseStore
from toolkit.widgets import JoinForm, QuestionnaireForm

A_DEVICE = "a" * 43  # a device key as the server makes them

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CODE = "amber-fox-42"
DEVICE = "this-browser-device-key-0123456789abcdef"  # as the server's cookie hands it to the kernel


@pytest.fixture
def store(tmp_path):
    with ResponseStore(tmp_path / "workshop.sqlite") as s:
        yield s


@pytest.fixture
def all_types():
    return load_instrument_file(FIXTURES / "all_item_types.yaml")


def joined(store, *, storage=True, checkin=False, code=CODE):
    form = JoinForm(store, device=DEVICE)
    form.join(code, storage_consent=storage, checkin_consent=checkin)
    return form


def rows_in_store(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name != 'meta'")]
        return sum(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables)


# -- joining and consent ------------------------------------------------------------------

def test_join_with_consent_registers_the_code_and_says_answers_are_saved(store):
    form = joined(store)
    assert store.participant(CODE)["storage_consent"] is True
    assert "saved as you go" in form.status.value


def test_join_without_consent_writes_nothing(store):
    form = joined(store, storage=False)
    assert form.saving is False
    assert rows_in_store(store.path) == 0
    assert "Nothing is saved" in form.status.value


def test_the_two_consents_are_separate_choices(store):
    joined(store, storage=True, checkin=False)
    record = store.participant(CODE)
    assert record["storage_consent"] is True and record["checkin_consent"] is False


def test_new_code_button_gives_two_words_and_a_number(store):
    form = JoinForm(store)
    form.new_code_button.click()
    assert form.code_input.value.count("-") == 2 and form.code_input.value[-2:].isdigit()


def test_a_mistyped_code_is_refused_with_a_kind_message(store):
    form = JoinForm(store)
    assert form.join("Sam Smith", storage_consent=True) is False
    assert "two words and a number" in form.status.value
    assert rows_in_store(store.path) == 0


def test_consent_text_names_what_who_how_long_and_erasure(store):
    text = JoinForm(store).consent_text.value
    for phrase in ("What is collected", "Who sees what", "How long", "Erasing", "fewer than 5"[:-1]):
        assert phrase in text


def test_couple_link_needs_both_partners_and_both_comparison_consents(store):
    first = JoinForm(store)
    first.couple_consent_box.value = True
    first.join("amber-fox-42", storage_consent=True, couple="quiet-owl-17")
    assert store.couple_of("amber-fox-42") is None
    assert "when your partner adds your code" in first.status.value
    second = JoinForm(store)
    second.join("quiet-owl-17", storage_consent=True, couple="amber-fox-42")
    assert store.couple_of("amber-fox-42") == "quiet-owl-17"  # linked both ways ...
    assert "when your partner adds your code" in second.status.value  # ... but no comparison consent yet
    second.couple_consent_box.value = True
    second.join()
    assert store.paired_with("amber-fox-42") == "quiet-owl-17" and "linked as a couple" in second.status.value
    second.couple_consent_box.value = False  # revocable
    second.join()
    assert store.paired_with("amber-fox-42") is None and not store.participant("quiet-owl-17")["couple_consent"]


def test_consent_text_names_every_facilitator_view(store):
    text = JoinForm(store).consent_text.value
    for view in ("group figures", "same answer to every question", "private flag next to your code",
                 "how you chose to be", "pairing not", "couple comparison", "random numbers instead of codes"):
        assert view in text.replace("\n", " ").replace("    ", " "), view


def test_the_participant_chooses_how_to_be_reached_and_it_comes_back_on_their_device(store):
    form = JoinForm(store, device=A_DEVICE)
    form.checkin_box.value = True
    form.reach.value = "screen"
    form.join("amber-fox-42", storage_consent=True)
    assert store.participant("amber-fox-42")["checkin_reach"] == "screen"
    form.reach.value = "break"  # changed after joining: saved at once
    assert store.participant("amber-fox-42")["checkin_reach"] == "break" and "Saved" in form.reach_status.value
    again = JoinForm(store, device=A_DEVICE)
    assert again.reach.value == "break" and again.checkin_box.value


# -- answering and autosave -----------------------------------------------------------------

def test_each_answer_is_saved_the_moment_it_is_given(store):
    form = QuestionnaireForm("who5", store, joined(store), "pre")
    form.answer("who5_1", 4)
    assert store.saved_answers(CODE, "who5", "pre")["who5_1"] == 4
    form.answer("who5_1", 2)  # a change replaces the earlier answer
    assert store.saved_answers(CODE, "who5", "pre")["who5_1"] == 2
    assert len(store.answers(participant=CODE)) == 1


def test_a_new_form_for_the_same_participant_shows_saved_answers_and_progress(store):
    join = joined(store)
    first = QuestionnaireForm("ecr_rs", store, join, "pre")
    first.answer("ecr_rs_1", 3)
    first.answer("ecr_rs_2", "prefer_not_to_say")
    # A reload or a kernel restart: a fresh form on the same store and code.
    again = QuestionnaireForm("ecr_rs", store, CODE, "pre")
    assert again.answers["ecr_rs_1"] == 3
    assert again.answers["ecr_rs_2"] == "prefer_not_to_say"
    assert again.progress_bar.value == 2
    assert "2 of 9 answered" in again.progress_label.value


def test_restoring_does_not_write_the_answers_again(store):
    join = joined(store)
    QuestionnaireForm("who5", store, join, "pre").answer("who5_1", 4)
    before = store.answers(participant=CODE)["answered_at"].tolist()
    QuestionnaireForm("who5", store, CODE, "pre")
    assert store.answers(participant=CODE)["answered_at"].tolist() == before


def test_timepoints_are_kept_apart(store):
    join = joined(store)
    QuestionnaireForm("who5", store, join, "pre").answer("who5_1", 4)
    post = QuestionnaireForm("who5", store, join, "post")
    assert post.answers["who5_1"] is None


def test_without_consent_the_form_works_but_stores_nothing(store):
    form = QuestionnaireForm("who5", store, joined(store, storage=False), "pre")
    for i in range(1, 6):
        form.answer(f"who5_{i}", 3)
    result = form.submit()
    assert result.scores["total"] == 15
    assert rows_in_store(store.path) == 0
    assert "not being saved" in form.saving_note.value


def test_answers_given_before_joining_are_saved_once_the_participant_joins(store):
    join = JoinForm(store)
    form = QuestionnaireForm("who5", store, join, "pre")
    form.answer("who5_3", 5)
    assert rows_in_store(store.path) == 0
    join.join(CODE, storage_consent=True)
    assert store.saved_answers(CODE, "who5", "pre")["who5_3"] == 5


def test_clearing_an_answer_saves_it_as_skipped(store):
    form = QuestionnaireForm("who5", store, joined(store), "pre")
    form.answer("who5_2", 1)
    form._control("who5_2").clear_button.click()
    assert form.answers["who5_2"] is None
    assert store.answers(participant=CODE).set_index("item").loc["who5_2", "missing"] == "skipped"


def test_an_autosave_for_the_same_code_shows_what_was_saved(store):
    from toolkit.widgets.autosave import Autosave

    first = Autosave("who5", store, joined(store), "pre", "en", show=lambda answers: None)
    first.start()
    first.save("who5_1", 4)
    first.save("who5_2", "prefer_not_to_say")
    shown: dict = {}
    again = Autosave("who5", store, CODE, "pre", "en", show=shown.update)  # a reload: the code, no join form
    again.start()
    assert shown == {"who5_1": 4, "who5_2": "prefer_not_to_say"}
    assert CODE in again.note.value


def test_an_autosave_without_consent_stores_nothing_and_says_so(store):
    from toolkit.widgets.autosave import Autosave

    saver = Autosave("who5", store, joined(store, storage=False), "pre", "en", show=lambda answers: None)
    saver.start()
    saver.save("who5_1", 4)
    saver.save("who5_2", 1, typing=True)
    saver.flush()
    assert rows_in_store(store.path) == 0
    assert saver.on_page == {"who5_1": 4, "who5_2": 1}  # kept on the page, for a later join
    assert "not being saved" in saver.note.value


def test_free_text_is_saved_while_typing_outside_a_kernel(store, all_types):
    form = QuestionnaireForm(all_types, store, joined(store), "pre")
    form.answer("note", "I would like")
    assert store.saved_answers(CODE, all_types, "pre")["note"] == "I would like"


def test_inside_a_kernel_typed_text_is_saved_after_a_pause_and_on_submit(store, all_types, monkeypatch):
    import asyncio

    from toolkit.widgets import autosave

    monkeypatch.setattr(autosave, "_in_kernel", lambda: True)
    monkeypatch.setattr(autosave, "TYPING_PAUSE", 0.05)

    def saved_note():
        return store.saved_answers(CODE, all_types, "pre").get("note")

    async def typing():
        form = QuestionnaireForm(all_types, store, joined(store), "pre")
        form.answer("note", "I would")
        form.answer("note", "I would like")
        assert saved_note() is None  # still typing
        await asyncio.sleep(0.2)
        assert saved_note() == "I would like"
        form.answer("note", "I would like to talk")
        form.submit()  # no pause: submitting writes it
        assert saved_note() == "I would like to talk"

    asyncio.run(typing())


def test_text_typed_inside_a_kernel_is_not_written_once_consent_is_withdrawn(store, all_types, monkeypatch):
    import asyncio

    from toolkit.widgets import autosave

    monkeypatch.setattr(autosave, "_in_kernel", lambda: True)
    monkeypatch.setattr(autosave, "TYPING_PAUSE", 0.05)

    async def typing_then_erasing():
        join = joined(store)
        form = QuestionnaireForm(all_types, store, join, "pre")
        form.answer("note", "something private")
        join.erase()
        await asyncio.sleep(0.2)
        return form

    form = asyncio.run(typing_then_erasing())
    assert rows_in_store(store.path) == 0
    assert form.save_errors == []


def test_cleared_text_comes_back_empty_not_as_skipped(store, all_types):
    form = QuestionnaireForm(all_types, store, joined(store), "pre")
    form.answer("note", "first thoughts")
    form.answer("note", "")
    assert store.answers(participant=CODE).set_index("item").loc["note", "missing"] == "skipped"
    again = QuestionnaireForm(all_types, store, CODE, "pre")
    assert again.answers["note"] is None
    assert again._control("note").control.value == ""


def test_every_item_offers_prefer_not_to_say(store):
    form = QuestionnaireForm("phq4", store, joined(store), "pre")
    for control in form.controls:
        labels = [label for label, _ in control.control.options]
        assert "Prefer not to say" in labels


def test_partly_labelled_scales_show_numbers_with_the_end_labels(store):
    form = QuestionnaireForm("ecr_rs", store, None, "pre")
    labels = [label for label, _ in form.controls[0].control.options]
    assert labels[:7] == ["1 – Strongly disagree", "2", "3", "4", "5", "6", "7 – Strongly agree"]


def test_every_item_type_round_trips_through_the_store(store, all_types):
    join = joined(store)
    form = QuestionnaireForm(all_types, store, join, "pre")
    given = {"likert_a": 4, "likert_b": "dont_know", "choice": 2, "slept": 1, "many": [1, 3], "level": 7,
             "note": "<img src=x onerror=alert(1)> and a second line\nhere"}
    for item, value in given.items():
        form.answer(item, value)
    again = QuestionnaireForm(all_types, store, CODE, "pre")
    assert again.answers == given
    assert again.progress_bar.value == 7


def test_every_control_has_a_visible_label(store, all_types):
    form = QuestionnaireForm(all_types, store, None, "pre")
    for control in form.controls:
        widget = control.control
        if control.item.type == "multiple_choice":
            shown = widget.children[0].value  # a Label above the boxes; each box has its option label
            assert all(box.description for box in widget.children[1:])
        elif control.item.type == "slider":
            shown = control._slider.description
        else:
            shown = widget.description
        assert control.item.text["en"] in shown


def test_untouched_slider_counts_as_unanswered(store, all_types):
    form = QuestionnaireForm(all_types, store, joined(store), "pre")
    assert form.answers["level"] is None
    form.answer("level", 0)  # moving it to its lowest value is an answer
    assert form.answers["level"] == 0


# -- submitting: feedback and safety --------------------------------------------------------

def test_submit_shows_scores_band_feedback_and_attribution(store):
    form = QuestionnaireForm("who5", store, joined(store), "pre")
    for i, v in enumerate([4, 4, 3, 3, 3], start=1):  # total 17, percent 68: band "good" (51-100)
        form.answer(f"who5_{i}", v)
    result = form.submit()
    percent = next(f for f in result.feedback if f.scale == "percent")
    assert percent.score == 68 and percent.band == "good"
    text = form.results.children[0].value
    assert "not a diagnosis" in text and "Good well-being lately" in text
    assert "Psychiatric Centre North Zealand" in form.results.children[-1].value
    assert result.level == "" and result.safety is None
    assert form.figures and form.figures[0].layout.title.text


def test_submit_records_the_submission(store):
    form = QuestionnaireForm("who5", store, joined(store), "pre")
    form.answer("who5_1", 3)
    form.submit()
    subs = store.submissions()
    assert list(subs["participant"]) == [CODE] and list(subs["instrument"]) == ["who5"]


def test_too_few_answers_say_so_kindly(store):
    form = QuestionnaireForm("brs", store, None, "pre")
    form.answer("brs_1", 4)
    result = form.submit()
    assert result.feedback[0].score is None
    assert "That is completely fine" in result.feedback[0].shown


def test_ecr_rs_feedback_is_a_position_never_a_type(store):
    form = QuestionnaireForm("ecr_rs", store, None, "pre")
    for i in range(1, 10):
        form.answer(f"ecr_rs_{i}", 6)
    result = form.submit()
    shown = form.results.children[0].value.lower() + str(result.figure.to_dict()).lower()
    for label in ("secure", "avoidant", "fearful", "preoccupied", "dismissing"):
        assert label not in shown
    assert result.figure.data[0].x[0] == pytest.approx((2 + 2 + 2 + 2 + 6 + 6) / 6)  # 8-6 keyed, 4.0


def test_safety_rule_fires_privately_with_resources_and_checkin_flag(store):
    form = QuestionnaireForm("phq4", store, joined(store, checkin=True), "pre", locale="en-GB")
    for i, v in enumerate([2, 2, 1, 1], start=1):  # total 6: check_in (>= 6); anxiety 4: info
        form.answer(f"phq4_{i}", v)
    result = form.submit()
    assert result.level == "check_in"
    panel = form.results.children[1]
    html_text = panel.children[0].value
    assert "Only you can see this" in html_text
    assert "Samaritans" in html_text  # the en-GB contacts
    assert list(store.checkins()["code"]) == [CODE]


def test_no_checkin_flag_without_checkin_consent_but_the_participant_can_ask(store):
    form = QuestionnaireForm("phq4", store, joined(store, checkin=False), "pre", locale="en-GB")
    for i, v in enumerate([3, 3, 3, 3], start=1):
        form.answer(f"phq4_{i}", v)
    form.submit()
    assert store.checkins().empty
    panel = form.results.children[1]
    ask = next(c for c in panel.children if getattr(c, "description", "") == "I would like a private check-in")
    ask.click()
    assert list(store.checkins()["code"]) == [CODE]
    assert store.participant(CODE)["checkin_consent"] is True


def test_safety_rule_does_not_fire_just_below_its_threshold(store):
    form = QuestionnaireForm("phq4", store, joined(store, checkin=True), "pre")
    for i, v in enumerate([1, 1, 1, 2], start=1):  # total 5, anxiety 2, depression 3 -> info only
        form.answer(f"phq4_{i}", v)
    result = form.submit()
    assert result.level == "info"
    assert store.checkins().empty  # only check_in raises a flag


def test_after_a_checkin_the_participant_can_choose_how_to_be_reached_from_the_results(store):
    join = JoinForm(store, device=A_DEVICE)
    join.join("amber-fox-42", storage_consent=True, checkin_consent=True)
    form = QuestionnaireForm("relationship_safety", store, join, "pre")
    form.answer("afraid", 1)
    assert form.submit().level == "check_in" and form.checkin_recorded
    reach = next(c for c in form.results.children[1].children if "attune-reach" in c._dom_classes)
    reach.children[1].value = "screen"
    assert store.participant("amber-fox-42")["checkin_reach"] == "screen" and join.reach.value == "screen"


def test_item_safety_rule_on_a_slider(store, all_types):
    form = QuestionnaireForm(all_types, store, joined(store, checkin=True), "pre")
    form.answer("level", 9)
    assert form.submit().level == "check_in"


def test_the_report_is_frozen_and_the_results_need_no_form(store):
    from dataclasses import FrozenInstanceError

    from toolkit.core.feedback import personal_report
    from toolkit.instruments import load_instrument
    from toolkit.widgets.results import render_results

    inst = load_instrument("phq4")
    report = personal_report(inst, {"phq4_1": 3, "phq4_2": 3, "phq4_3": 3, "phq4_4": 3}, locale="en-GB")
    with pytest.raises(FrozenInstanceError):
        report.level = ""
    asked = []
    parts = render_results(report, inst, language="en", code=CODE, on_checkin=lambda: asked.append(1) or True)
    panel = parts[1]
    button = next(c for c in panel.children if getattr(c, "description", "") == "I would like a private check-in")
    button.click()
    assert asked == [1] and any(CODE in str(getattr(c, "value", "")) for c in panel.children)
    unsaved = render_results(report, inst, language="en", code=None, on_checkin=None)[1]
    assert not any(getattr(c, "description", "") for c in unsaved.children)  # nothing to ask for without saving


# -- erasure -----------------------------------------------------------------------------------

def test_erase_from_the_join_form_removes_everything_and_stops_saving(store):
    join = joined(store)
    form = QuestionnaireForm("who5", store, join, "pre")
    form.answer("who5_1", 3)
    join.erase_button.click()
    join.erase_confirm.click()
    assert rows_in_store(store.path) == 0
    assert "nothing about amber-fox-42 remains" in join.status.value
    assert form.saving is False
    form.answer("who5_2", 3)
    assert rows_in_store(store.path) == 0


def test_rejoining_without_consent_says_earlier_answers_are_kept(store):
    join = joined(store)
    QuestionnaireForm("who5", store, join, "pre").answer("who5_1", 3)
    again = JoinForm(store, device=DEVICE)  # the same browser, after a reload
    again.join(CODE, storage_consent=False)
    assert "still stored" in again.status.value
    assert again.erase_button.layout.display != "none"


# -- language ------------------------------------------------------------------------------------

def test_spanish_widgets_use_spanish_strings(store):
    form = QuestionnaireForm("who5", store, None, "pre", language="es")
    assert form.submit_button.description == "Ver mis resultados"
    assert "Prefiero no decirlo" in [label for label, _ in form.controls[0].control.options]


def test_the_same_browser_is_recognised_after_a_reload_without_typing(store):
    joined(store, storage=True, checkin=True)
    again = JoinForm(store, device=DEVICE)
    assert again.code == CODE and again.saving is True
    assert again.code_input.value == CODE
    assert again.storage_box.value is True and again.checkin_box.value is True
    assert "Welcome back" in again.status.value
    again.checkin_box.value = False
    again.continue_button.click()  # the participant's own device may change their choices
    assert store.participant(CODE)["checkin_consent"] is False


def test_the_chart_is_in_the_results_as_plotly_data(store):
    form = QuestionnaireForm("who5", store, None, "pre")
    for i in range(1, 6):
        form.answer(f"who5_{i}", 3)  # total 15, percent 60
    form.submit()
    outputs = [c for c in form.results.children if hasattr(c, "outputs")]
    assert len(outputs) == 1
    bundle = outputs[0].outputs[0]["data"]["application/vnd.plotly.v1+json"]
    marker = bundle["data"][-1]
    assert marker["x"] == [60.0]
    assert bundle["config"]["displaylogo"] is False


def test_who5_options_show_the_numbers_its_instructions_speak_of(store):
    """WHO-5 says "higher numbers mean better well-being": each option carries its number (5 to 0)."""
    form = QuestionnaireForm("who5", store, joined(store), "pre")
    labels = list(form.controls[0].control._options_labels)
    assert labels[:6] == ["5 – All of the time", "4 – Most of the time", "3 – More than half of the time",
                          "2 – Less than half of the time", "1 – Some of the time", "0 – At no time"]
