"""The exercise widgets of sessions 3 and 4: what they compose, show, store, and in which languages.

Widgets are driven in-process as a participant would drive them: values set on the
controls, buttons clicked with ``button.click()``. Storage uses a throwaway store; nothing
is stored unless the participant joined with storage consent.
"""

from __future__ import annotations

import ipywidgets as w
import pytest
import yaml

from toolkit.content import EXERCISES_DIR as CONTENT_DIR
from toolkit.instruments import load_instrument
from toolkit.instruments.loader import BUNDLED_DIR
from toolkit.widgets import JoinForm
from toolkit.widgets.exercises import (
    EmotionExplorer,
    GroundingExercise,
    IStatementBuilder,
    SpeakerListenerCard,
    compose_i_statement,
)
from toolkit.widgets.exercises.emotions import name_back
from toolkit.widgets.exercises.grounding import breathing_counts, grounding_content
from toolkit.widgets.exercises.i_statement import i_statement_content, i_statement_hints
from toolkit.widgets.exercises.speaker_listener import speaker_listener_content
from toolkit.widgets.feelings import emotions_content, feeling_words

XSS = "<img src=x onerror=alert(1)>"
CODE = "amber-fox-42"
CONTENT_FILES = ["emotions", "grounding", "i_statement", "speaker_listener"]
INSTRUMENT_FILES = ["emotion_checkin", "i_statement"]
EXERCISES = [IStatementBuilder, SpeakerListenerCard, EmotionExplorer, GroundingExercise]


@pytest.fixture
def joined(store, joined):
    """The shared joined participant (tests/conftest.py), with its store: (store, join form)."""
    return store, joined


def stored(store, instrument: str) -> dict:
    return store.saved_answers(CODE, instrument, "pre") if store.participant(CODE) else {}


# -- compose_i_statement -------------------------------------------------------------------------


def test_i_statement_puts_feeling_situation_and_need_into_one_sentence():
    assert (compose_i_statement("lonely", "we eat dinner with our phones out", "some time to talk with you")
            == "I feel lonely when we eat dinner with our phones out and I need some time to talk with you.")


def test_i_statement_drops_lead_ins_the_sentence_already_has():
    assert (compose_i_statement("I feel hurt", "When you check your phone", "and I need a hug")
            == "I feel hurt when you check your phone and I need a hug.")
    assert compose_i_statement("i FEEL calm", "WHENEVER we walk", "I need more walks") == \
        "I feel calm when we walk and I need more walks."


def test_i_statement_keeps_words_that_only_begin_like_a_lead_in():
    assert compose_i_statement("feelingless", "whence", "needy") == "I feel feelingless when whence and I need needy."


def test_i_statement_drops_end_punctuation_and_line_breaks():
    assert (compose_i_statement(" tired. ", "we talk\nlate at night!", "  sleep.  ")
            == "I feel tired when we talk late at night and I need sleep.")


def test_i_statement_shows_an_empty_part_as_a_gap():
    assert compose_i_statement("hurt", "", None) == "I feel hurt when … and I need …"
    assert compose_i_statement("", "we argue", "   ") == "I feel … when we argue and I need …"
    assert compose_i_statement(None, None, "a pause") == "I feel … when … and I need a pause."


def test_i_statement_with_every_part_empty_is_empty():
    assert compose_i_statement("", "  ", None) == ""
    assert compose_i_statement("I feel", "when", "I need") == ""


def test_i_statement_keeps_participant_text_as_plain_text_never_interpreted():
    sentence = compose_i_statement(XSS, "{need} and {0}", "50% of {feeling}")
    assert sentence == f"I feel {XSS} when {{need}} and {{0}} and I need 50% of {{feeling}}."


def test_i_statement_in_spanish_uses_the_spanish_template_and_lead_ins():
    assert (compose_i_statement("Me siento sola", "cuando cenamos con el móvil", "Y necesito un rato para hablar.",
                                "es")
            == "Me siento sola cuando cenamos con el móvil y necesito un rato para hablar.")


def test_spanish_feeling_list_offers_adjectives_that_follow_me_siento_in_both_genders():
    from toolkit.widgets.exercises.i_statement import feeling_choices

    values = [value for _, value in feeling_choices("es")]
    assert {"solo", "sola", "triste", "dolido", "dolida", "asustada", "en paz"} <= set(values)
    # nouns made "Me siento soledad": no value may be a noun of the emotion explorer
    nouns = {word for _, word, _ in feeling_words("es")} - {"calma"}
    assert not nouns & set(values), nouns & set(values)
    assert "sola (Tristeza)" in [label for label, _ in feeling_choices("es")]
    assert len(values) == len(set(values))


def test_every_feeling_word_has_its_spanish_form_after_me_siento():
    ids = {word.id for family in emotions_content().families for word in family.words}
    forms = i_statement_content().feeling_forms["es"]
    assert set(forms) == ids
    assert all(forms[i] and all(f.strip() == f and f for f in forms[i]) for i in ids)


def test_english_feeling_list_is_the_emotion_words_as_they_are():
    from toolkit.widgets.exercises.i_statement import feeling_choices

    assert [value for _, value in feeling_choices("en")] == [word for _, word, _ in feeling_words("en")]


def test_spanish_hint_names_ignorado_and_rechazado_as_a_pair():
    hint = next(h for h in i_statement_content().hints if h.id == "feeling_about_the_other")
    assert "«ignorado» o «rechazado»" in hint.text["es"]
    assert i_statement_hints("rechazada", "", "", "es") == [hint.text["es"]]
    assert i_statement_hints("ignorado", "", "", "es") == [hint.text["es"]]


def test_i_statement_in_a_language_without_texts_falls_back_to_english():
    assert compose_i_statement("calm", "we walk", "more walks", "de") == \
        "I feel calm when we walk and I need more walks."


# -- hints ----------------------------------------------------------------------------------------


def test_no_hint_for_a_statement_about_one_moment_a_feeling_and_a_wish():
    assert i_statement_hints("lonely", "we ate with our phones out last night", "some time to talk") == []


@pytest.mark.parametrize("feeling, situation, need, expected", [
    ("like you don't care", "", "", "thought_not_feeling"),
    ("that you ignore me", "", "", "thought_not_feeling"),
    ("ignored", "", "", "feeling_about_the_other"),
    ("hurt", "you never listen", "", "always_never"),
    ("hurt", "you’re selfish", "", "who_they_are"),
    ("hurt", "we argue", "you to stop shouting", "need_as_stop"),
])
def test_hint_shows_for_a_common_slip(feeling, situation, need, expected):
    hint = next(h for h in i_statement_content().hints if h.id == expected)
    assert hint.text["en"] in i_statement_hints(feeling, situation, need)


def test_hints_follow_the_language():
    hint = next(h for h in i_statement_content().hints if h.id == "always_never")
    assert i_statement_hints("dolor", "nunca me escuchas", "", "es") == [hint.text["es"]]


# -- I-statement builder -----------------------------------------------------------------------------


def test_builder_shows_the_composed_sentence_and_puts_it_in_the_copy_box():
    builder = IStatementBuilder()
    builder.fill("lonely", "we eat with our phones out", "time to talk")
    builder.show_button.click()
    expected = "I feel lonely when we eat with our phones out and I need time to talk."
    assert expected in builder.sentence_html.value
    assert builder.copy_box.value == expected


def test_builder_escapes_what_the_participant_typed():
    builder = IStatementBuilder()
    builder.fill(XSS, XSS, XSS)
    assert XSS not in builder.sentence_html.value
    assert "&lt;img src=x onerror=alert(1)&gt;" in builder.sentence_html.value
    assert XSS in builder.copy_box.value  # a text box shows text, it does not render HTML


def test_builder_without_any_part_invites_the_participant_to_start():
    builder = IStatementBuilder()
    assert i_statement_content().empty_sentence["en"] in builder.sentence_html.value
    assert builder.copy_box.value == ""


def test_builder_offers_every_feeling_word_and_prefers_the_participants_own():
    builder = IStatementBuilder()
    offered = {value for _, value in builder.feeling_choice.options if value}
    assert offered == {word for _, word, _ in feeling_words("en")}
    builder.feeling_choice.value = "hurt"
    builder.own_feeling.value = "left out"
    assert builder.statement.startswith("I feel left out when")


def test_builder_shows_hints_escaped_and_only_when_they_apply():
    builder = IStatementBuilder()
    builder.fill("hurt", "we ate", "a walk")
    assert builder.hints_html.value == ""
    builder.fill(situation="you always <b>leave</b>")
    assert "debate about the facts" in builder.hints_html.value


def test_builder_stores_nothing_without_a_joined_participant(store):
    builder = IStatementBuilder(store, JoinForm(store))
    builder.fill("hurt", "we argue", "a pause")
    assert store.answers().empty


def test_builder_stores_nothing_when_the_participant_declined_storage(store):
    join = JoinForm(store)
    join.join(CODE, storage_consent=False)
    builder = IStatementBuilder(store, join)
    builder.fill("hurt", "we argue", "a pause")
    builder.try_it.control.value = 1
    assert store.answers().empty
    assert "not being saved" in builder.answers.note.value


def test_builder_stores_each_part_as_given_when_the_participant_consented(joined):
    store, join = joined
    builder = IStatementBuilder(store, join)
    builder.fill("hurt", f"When {XSS}.", "a pause")
    builder.try_it.control.value = 2
    assert stored(store, "i_statement") == {"feeling": "hurt", "situation": f"When {XSS}.", "need": "a pause",
                                            "try_it": 2}


def test_builder_saves_what_was_typed_before_joining_once_the_participant_consents(store):
    join = JoinForm(store)
    builder = IStatementBuilder(store, join)
    builder.fill("calm", "we walk", "more walks")
    assert store.answers().empty
    join.join(CODE, storage_consent=True)
    assert stored(store, "i_statement") == {"feeling": "calm", "situation": "we walk", "need": "more walks"}


def test_builder_shows_saved_parts_again_for_the_same_participant(joined):
    store, join = joined
    IStatementBuilder(store, join).fill("left out", XSS, "a hug")
    again = IStatementBuilder(store, join)
    assert again.own_feeling.value == "left out" and again.feeling_choice.value == ""
    assert again.situation.value == XSS
    assert again.statement == f"I feel left out when {XSS} and I need a hug."
    assert XSS not in again.sentence_html.value


def test_builder_records_a_cleared_part_as_skipped(joined):
    store, join = joined
    builder = IStatementBuilder(store, join)
    builder.fill(need="a pause")
    builder.need.clear()
    assert stored(store, "i_statement") == {"need": "skipped"}


def test_builder_in_spanish_shows_spanish_words_and_sentence():
    builder = IStatementBuilder(language="es")
    builder.fill("sola", "cenamos", "hablar")
    assert builder.feeling_choice.value == "sola"  # chosen from the list, not typed
    assert builder.statement == "Me siento sola cuando cenamos y necesito hablar."
    assert i_statement_content().example["es"].startswith("Ejemplo: Me siento sola cuando")
    assert i_statement_content().title["es"] in builder.children[1].value


# -- speaker–listener card ----------------------------------------------------------------------------


def test_card_starts_with_person_a_speaking_and_a_two_minute_turn():
    card = SpeakerListenerCard()
    assert "Turn 1: Person A speaks, Person B listens." in card.roles.value
    assert card.turn_seconds == 120 and card.bar.max == 120 and card.minutes.value == 2


def test_card_shows_the_rules_of_both_roles():
    card = SpeakerListenerCard()
    text = "".join(child.value for child in card.children if isinstance(child, w.HTML))
    content = speaker_listener_content()
    for rule in content.speaker_rules + content.listener_rules + content.both_rules:
        assert rule["en"].replace('"', "&quot;") in text


def test_switching_roles_passes_the_turn_and_resets_the_timer():
    card = SpeakerListenerCard()
    card.timer.value = 75
    card.timer.playing = True
    card.switch_button.click()
    assert "Turn 2: Person B speaks, Person A listens." in card.roles.value
    assert card.timer.value == 0 and not card.timer.playing
    card.switch_button.click()
    assert "Turn 3: Person A speaks, Person B listens." in card.roles.value


def test_timer_counts_in_the_browser_through_links_not_python_callbacks():
    card = SpeakerListenerCard()
    assert isinstance(card.timer, w.Play) and card.timer.interval == 1000 and card.timer.step == 1
    links = {(link.source[1], id(link.target[0]), link.target[1]) for link in card.links}
    assert all(isinstance(link, w.widgets.widget_link.DirectionalLink) for link in card.links)
    assert links == {("value", id(card.bar), "value"), ("value", id(card.elapsed), "value")}


def test_turn_length_can_be_set_on_the_card_or_when_it_is_built():
    card = SpeakerListenerCard(turn_minutes=5)
    assert card.turn_seconds == 300 and "(of 300)" in card.elapsed.description
    card.minutes.value = 3
    assert card.turn_seconds == 180 and card.bar.max == 180 and "(of 180)" in card.elapsed.description


def test_card_says_when_the_turn_is_over_and_clears_it_on_switching():
    card = SpeakerListenerCard(turn_minutes=1)
    card.timer.value = 59
    assert card.time_up.value == ""
    card.timer.value = 60
    assert speaker_listener_content().time_up["en"] in card.time_up.value
    card.switch_roles()
    assert card.time_up.value == ""


def test_card_stores_nothing(joined):
    store, join = joined
    card = SpeakerListenerCard(store, join)
    card.switch_button.click()
    card.minutes.value = 4
    assert store.answers().empty


def test_card_in_spanish():
    card = SpeakerListenerCard(language="es")
    assert "Turno 1: habla Persona A, escucha Persona B." in card.roles.value
    assert card.switch_button.description == "Cambiar los papeles"


# -- emotion explorer ---------------------------------------------------------------------------------


def test_name_back_lists_the_words_or_is_empty():
    assert name_back(["calm", " hopeful "]) == "Today I notice: calm, hopeful."
    assert name_back(["", "  "]) == ""
    assert name_back(["calma", "esperanza"], "es") == "Hoy noto: calma, esperanza."


def test_explorer_names_back_the_picked_words_in_the_order_of_the_families():
    explorer = EmotionExplorer()
    explorer.pick_words("weary", "calm")
    assert "Today I notice: calm, weary." in explorer.named_back.value


def test_explorer_with_nothing_picked_says_that_is_fine():
    explorer = EmotionExplorer()
    assert emotions_content().nothing_yet["en"] in explorer.named_back.value


def test_explorer_escapes_the_participants_own_words():
    explorer = EmotionExplorer()
    explorer.own_words.value = XSS
    assert XSS not in explorer.named_back.value
    assert "Today I notice: &lt;img src=x onerror=alert(1)&gt;." in explorer.named_back.value


def test_explorer_stores_nothing_without_storage_consent(store):
    join = JoinForm(store)
    join.join(CODE, storage_consent=False)
    explorer = EmotionExplorer(store, join)
    explorer.pick_words("calm")
    explorer.own_words.value = "restless"
    assert store.answers().empty


def test_explorer_stores_families_word_ids_and_own_words_with_consent(joined):
    store, join = joined
    explorer = EmotionExplorer(store, join, language="es")
    explorer.pick_words("hopeful", "hurt", "sad")
    explorer.own_words.value = XSS
    assert stored(store, "emotion_checkin") == {"families": [1, 5], "words": "hopeful, sad, hurt", "own_words": XSS}


def test_explorer_shows_saved_picks_again_for_the_same_participant(joined):
    store, join = joined
    EmotionExplorer(store, join).pick_words("calm", "lonely")
    again = EmotionExplorer(store, join)
    assert again.picked == ["calm", "lonely"]
    assert "Today I notice: calm, lonely." in again.named_back.value


def test_clearing_the_explorer_records_the_picks_as_skipped(joined):
    store, join = joined
    explorer = EmotionExplorer(store, join)
    explorer.pick_words("calm")
    explorer.clear_button.click()
    assert explorer.picked == []
    assert stored(store, "emotion_checkin") == {"families": "skipped", "words": "skipped"}


def test_explorer_in_spanish_uses_spanish_words():
    explorer = EmotionExplorer(language="es")
    explorer.pick_words("calm", "hopeful")
    assert "Hoy noto: esperanza, calma." in explorer.named_back.value


# -- grounding ----------------------------------------------------------------------------------------


def test_grounding_says_you_can_stop_at_any_time():
    exercise = GroundingExercise()
    assert grounding_content().stop_any_time["en"] in exercise.children[1].value


def test_grounding_walks_through_the_five_senses_one_step_at_a_time():
    exercise = GroundingExercise()
    exercise.choice.value = "senses"
    assert exercise.senses.layout.display == "" and exercise.breathing.layout.display == "none"
    assert "Step 1 of 5" in exercise.step_html.value and exercise.back_button.disabled
    exercise.next_button.click()
    exercise.next_button.click()
    assert "Step 3 of 5" in exercise.step_html.value
    exercise.back_button.click()
    assert "Step 2 of 5" in exercise.step_html.value
    for _ in range(10):
        exercise.next_button.click()
    assert grounding_content().senses_done["en"] in exercise.step_html.value
    assert exercise.next_button.disabled
    exercise.restart_button.click()
    assert "Step 1 of 5" in exercise.step_html.value


def test_breathing_pace_runs_in_the_browser_four_counts_in_and_six_out():
    exercise = GroundingExercise()
    exercise.choice.value = "breathing"
    assert breathing_counts() == ["in 1", "in 2", "in 3", "in 4", "out 1", "out 2", "out 3", "out 4", "out 5", "out 6"]
    assert list(exercise.count.options) == breathing_counts()
    assert exercise.pacer.repeat and exercise.pacer.interval == 1000 and exercise.pacer.max == 9
    [link] = exercise.links
    assert link.source == (exercise.pacer, "value") and link.target == (exercise.count, "index")


def test_choosing_neither_hides_both_and_stops_the_pace():
    exercise = GroundingExercise()
    exercise.choice.value = "breathing"
    exercise.pacer.playing = True
    exercise.choice.value = "neither"
    assert exercise.senses.layout.display == "none" and exercise.breathing.layout.display == "none"
    assert not exercise.pacer.playing


def test_grounding_stores_nothing(joined):
    store, join = joined
    exercise = GroundingExercise(store, join)
    exercise.choice.value = "senses"
    exercise.next_button.click()
    assert store.answers().empty


def test_grounding_in_spanish():
    exercise = GroundingExercise(language="es")
    assert breathing_counts("es")[0] == "inspira 1"
    assert "Paso 1 de 5" in exercise.step_html.value


# -- every exercise --------------------------------------------------------------------------------------


def descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from descendants(child)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_control_has_a_visible_text_label(exercise, language):
    labelled = (w.Text, w.Textarea, w.Dropdown, w.RadioButtons, w.IntText, w.BoundedIntText, w.SelectionSlider)
    for widget in descendants(exercise(language=language)):
        if isinstance(widget, labelled):
            assert widget.description.strip(), f"{type(widget).__name__} has no label"
        if isinstance(widget, (w.Button, w.Checkbox)):
            assert widget.description.strip() and widget.description.strip() != "…"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda c: c.__name__)
def test_every_exercise_uses_the_phone_friendly_styles(exercise):
    widget = exercise()
    assert {"attune", "attune-exercise"} <= set(widget._dom_classes)
    css = widget.children[0].value
    assert "max-width: 720px" in css and ".attune-exercise" in css
    for child in descendants(widget):
        if isinstance(child, (w.Textarea, w.Dropdown, w.IntProgress, w.SelectionSlider)):
            assert child.layout.width == "100%", type(child).__name__


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda c: c.__name__)
def test_exercise_accepts_a_participant_code_like_a_questionnaire_form(exercise, joined):
    store, _ = joined
    exercise(store, CODE, timepoint="session3", language="en")


def test_an_exercise_given_a_code_saves_for_that_participant(joined):
    store, _ = joined
    IStatementBuilder(store, CODE, timepoint="session3").fill(need="a walk")
    assert store.saved_answers(CODE, "i_statement", "session3") == {"need": "a walk"}


# -- content and instrument files -------------------------------------------------------------------------


def language_maps(node, where=""):
    """Every {en: ...} map in a content file, with where it is."""
    if isinstance(node, dict):
        if "en" in node:
            yield where, node
        else:
            for key, value in node.items():
                yield from language_maps(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from language_maps(value, f"{where}[{i}]")


@pytest.mark.parametrize("name", CONTENT_FILES)
def test_every_content_text_has_english_and_spanish(name):
    data = yaml.safe_load((CONTENT_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    maps = list(language_maps(data))
    assert maps
    for where, texts in maps:
        assert texts.get("es"), f"{name}.yaml{where} has no Spanish text"
        assert type(texts["es"]) is type(texts["en"]), f"{name}.yaml{where}: Spanish and English differ in kind"


@pytest.mark.parametrize("name", INSTRUMENT_FILES)
def test_every_exercise_instrument_text_has_english_and_spanish(name):
    data = yaml.safe_load((BUNDLED_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    for where, texts in language_maps(data):
        assert texts.get("es"), f"{name}.yaml{where} has no Spanish text"


@pytest.mark.parametrize("name", INSTRUMENT_FILES)
def test_exercise_instruments_are_exercises_without_scales(name):
    inst = load_instrument(name)
    assert inst.kind == "exercise" and inst.scales == [] and inst.safety == []
    assert {item.type for item in inst.items} <= {"free_text", "multiple_choice", "single_choice"}


@pytest.mark.parametrize("name", INSTRUMENT_FILES)
def test_no_exercise_item_asks_about_trauma(name):
    for item in load_instrument(name).items:
        text = item.text["en"].lower()
        assert not any(word in text for word in ("trauma", "abuse", "what happened", "worst", "hurt you"))


def test_emotion_families_match_the_checkin_options():
    inst = load_instrument("emotion_checkin")
    options = {o.value: o.label for o in inst.response_scale_of(inst.item("families")).options}
    families = {f.value: f.name for f in emotions_content().families}
    assert options == families


def test_feeling_words_are_unique_in_every_language():
    ids = [word.id for family in emotions_content().families for word in family.words]
    assert len(ids) == len(set(ids))
    for language in ("en", "es"):
        words = [word for _, word, _ in feeling_words(language)]
        assert len(words) == len(set(words)), language


def test_emotion_families_include_the_eight_named_in_the_brief():
    assert [f.id for f in emotions_content().families] == ["joy", "calm", "love", "surprise", "sadness", "fear",
                                                          "anger", "shame"]
