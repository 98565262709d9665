"""What the English sessions say: the care principles of shared/curriculum.md, and each session's content.

Not a diagnosis, not therapy, everything optional, private support, no attachment types,
facts with a source listed at the end. The Spanish sessions are checked in test_spanish_sessions.py.
"""

from __future__ import annotations

import re

import pytest
from nbtools import NOTEBOOKS, code_text, flat, load, notes_text, participant_text, source

SESSIONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
ids = [p.stem for p in SESSIONS]

# Category words for attachment; the notebooks describe positions on two dimensions instead.
TYPE_WORDS = re.compile(r"\b(avoidant|fearful|preoccupied|dismissive|dismissing|secure(ly)?|anxious)\b"
                        r"|\battachment (type|category|categories)\b|\b(anxious|avoidant|secure) (type|style)\b",
                        re.IGNORECASE)
# Applying any such word to the reader.
YOU_ARE_A_TYPE = re.compile(r"\byou(?:'re| are)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?"
                            r"(avoidant|anxious|secure|fearful|preoccupied|dismissive|dismissing)\b", re.IGNORECASE)
CITATION = re.compile(r"\(([^()]*?\b(?:19|20)\d\d[a-z]?)\)")
#: What each session asks for: its questionnaires and exercises, and the end-of-session check (issue 12).
CHECK = 'session.questionnaire("session_check", timepoint="session{n}")'
CALLS = {
    "00_welcome": [CHECK.format(n=0)],
    "01_recognizing": ['session.questionnaire("eu_signs", timepoint="session1")',
                       'session.questionnaire("who5", timepoint="pre")', CHECK.format(n=1)],
    "02_attachment": ['session.questionnaire("ecr_rs", timepoint="pre")', CHECK.format(n=2)],
    "03_communication": ["IStatementBuilder(", "SpeakerListenerCard(", 'session.questionnaire("csi4", timepoint="pre")',
                         CHECK.format(n=3)],
    "04_trauma_resilience": ["EmotionExplorer(", "GroundingExercise(", 'session.questionnaire("brs", timepoint="pre")',
                             CHECK.format(n=4)],
    "05_seeking_help": ['session.questionnaire("help_indicators", timepoint="session5")',
                        'session.questionnaire("phq4", timepoint="session5")', "approaches(language=language)",
                        'therapist_checklist(session, timepoint="session5")', "support_contacts(session)",
                        CHECK.format(n=5)],
    "06_first_step": ['first_step_guide("opening", language=language)',
                      'guided_plan(session, "conversation_plan", timepoint="session6")',
                      'first_step_guide("research", language=language)',
                      'first_step_guide("expectations", language=language)',
                      'guided_plan(session, "action_plan", timepoint="session6")',
                      # before/after: the same instruments as the pre of sessions 1, 3 and 4
                      'session.questionnaire("who5", timepoint="post")',
                      'session.questionnaire("csi4", timepoint="post")',
                      'session.questionnaire("brs", timepoint="post")',
                      "takehome(session, forms=[conversation, action])", CHECK.format(n=6)],
}
#: The instruments asked again as ``post`` in session 6, and the session that asked them as ``pre``.
POST = {"who5": "01_recognizing", "csi4": "03_communication", "brs": "04_trauma_resilience"}


def path(name: str):
    return NOTEBOOKS / f"{name}.ipynb"


@pytest.mark.parametrize("nb", SESSIONS, ids=ids)
def test_nobody_is_given_an_attachment_type(nb):
    text = "\n".join(source(c) for c in load(nb)["cells"])
    assert not YOU_ARE_A_TYPE.search(text), YOU_ARE_A_TYPE.search(text)


@pytest.mark.parametrize("nb", SESSIONS, ids=ids)
def test_facilitator_notes_cover_timing_prompts_watching_and_safety(nb):
    notes = flat(notes_text(nb)).lower()
    for topic in ("timing", "prompt", "watch for", "distressed", "partner", "never", "privately"):
        assert topic in notes, topic
    assert re.search(r"\d+ min", notes), "timings per part"
    if nb.stem != "01_recognizing":  # session 1's safety guidance is under "distressed"
        assert "safety" in notes


@pytest.mark.parametrize("name", ["00_welcome", "01_recognizing", "02_attachment"])
def test_notes_say_never_to_ask_for_anyones_results(name):
    notes = flat(notes_text(path(name))).lower()
    assert re.search(r"timing \(about \d+ minutes\)", notes), "a timing plan"
    assert "never" in notes and ("results" in notes or "code" in notes)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_session_calls_its_questionnaires_and_exercises(name):
    code = code_text(path(name))
    for call in CALLS[name]:
        assert call in code, call


@pytest.mark.parametrize("nb", SESSIONS, ids=ids)
def test_every_session_ends_with_its_own_session_check_after_a_lead_in(nb):
    cells = load(nb)["cells"]
    number = int(nb.stem[:2])
    assert cells[-1]["cell_type"] == "code"
    assert source(cells[-1]) == CHECK.format(n=number), "the session check is the last cell"
    assert code_text(nb).count('"session_check"') == 1, "asked once per session"
    lead = cells[-2]
    assert lead["cell_type"] == "markdown" and "facilitator" not in lead.get("metadata", {}).get("tags", [])
    words = flat(source(lead))
    assert len(source(lead).strip().splitlines()) == 1, "a one-line lead-in"
    assert "optional" in words and "never your answer" in words and "group counts" in words


@pytest.mark.parametrize("es_name", ["00_bienvenida", "01_reconocer", "02_apego", "03_comunicacion",
                                     "04_trauma_resiliencia", "05_buscar_ayuda", "06_primer_paso"])
def test_spanish_sessions_end_with_the_session_check_too(es_name):
    cells = load(NOTEBOOKS / "es" / f"{es_name}.ipynb")["cells"]
    assert source(cells[-1]) == CHECK.format(n=int(es_name[:2]))
    words = flat(source(cells[-2]))
    assert "opcionales" in words and "nunca tu respuesta" in words


def test_session_6_asks_the_pre_questionnaires_again_as_post_in_both_languages():
    for nb in (path("06_first_step"), NOTEBOOKS / "es" / "06_primer_paso.ipynb"):
        code = code_text(nb)
        for instrument, first in POST.items():
            assert f'session.questionnaire("{instrument}", timepoint="post")' in code, (nb.name, instrument)
            assert f'session.questionnaire("{instrument}", timepoint="pre")' in code_text(path(first)), first
        # before the take-home summary, so that today's answers can go into it
        assert code.index('timepoint="post"') < code.index("takehome(")
    said = flat(participant_text(path("06_first_step")))
    for phrase in ("Each is optional", "Your results are for you alone", "only for the group picture",
                   "never your answers or your own change", "for you alone"):
        assert phrase in said, phrase
    notes = flat(notes_text(path("06_first_step")))
    assert "Timing (this part): about 10 minutes" in notes and "`post`" in notes and "Never ask anyone whether" in notes


@pytest.mark.parametrize("name", ["03_communication", "04_trauma_resilience"])
def test_exercise_widgets_get_the_sessions_store_join_form_and_language(name):
    calls = re.findall(r"^(?:IStatementBuilder|SpeakerListenerCard|EmotionExplorer|GroundingExercise)\(.*\)$",
                       code_text(path(name)), flags=re.MULTILINE)
    assert calls
    for call in calls:
        assert "session.store, session.join_form" in call and "language=language" in call


@pytest.mark.parametrize("name", ["00_welcome", "01_recognizing", "02_attachment"])
def test_facts_carry_a_source_listed_at_the_end(name):
    said = participant_text(path(name))
    listed = next(source(c) for c in load(path(name))["cells"] if "### Sources" in source(c))
    cited = [c for c in CITATION.findall(said) if not c.startswith("pp.")]
    assert cited, "at least one fact with a source in brackets"
    for citation in cited:
        for part in citation.split(";"):
            year = re.search(r"(?:19|20)\d\d", part)
            author = re.search(r"[A-Z][A-Za-z-]+", part)
            if year and author:
                assert author.group() in listed and year.group() in listed, f"({part.strip()}) not in Sources"


@pytest.mark.parametrize("name", ["03_communication", "04_trauma_resilience"])
def test_every_cited_source_is_listed_sessions_3_and_4(name):
    cells = load(path(name))["cells"]
    listed = next(source(c) for c in cells if source(c).startswith("### Sources"))
    entries = listed.split("\n- ")[1:]
    prose = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown" and c is not cells[-1])
    citations = re.findall(r"([A-Z][\w'’-]+)(?: et al\.)?,?\s+\(?(\d{4})[ab]?[);]", prose)
    assert len(set(citations)) >= 10
    for author, year in citations:
        assert any(author in entry and year in entry for entry in entries), f"{author} ({year}) is not in the sources"


@pytest.mark.parametrize("name", ["05_seeking_help", "06_first_step"])
def test_every_cited_source_is_listed_sessions_5_and_6(name):
    cells = load(path(name))["cells"]
    listed = next(source(c) for c in cells if "### Sources" in source(c))
    prose = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown" and "### Sources" not in source(c))
    citations = re.findall(r"([A-Z][\w'’-]+)(?: et al\.| & [A-Z][\w'’-]+)?,\s+(\d{4})", prose)
    assert citations
    for author, year in citations:
        assert re.search(rf"{re.escape(author)}[^\n]*\n?[^\n]*\({year}\)", listed), f"{author} ({year}) is not listed"


def test_welcome_says_what_the_workshop_is_not_and_who_sees_what():
    words = flat(participant_text(path("00_welcome"))).lower()
    for phrase in ("psychoeducation", "not therapy", "not a diagnosis", "not a verdict on your partner",
                   "Passing is always fine", "Speak for yourself", "No advice unless someone asks",
                   "Phones on silent", "stays here", "name is never asked for", "Saving is your choice",
                   "Only you see your own results", "at least 5 people", "separate choice",
                   "deleted when the workshop is over", "erase everything", "for you alone",
                   "local support services", "GDPR, art. 9"):
        assert phrase.lower() in words, phrase


def test_welcome_states_the_limits_of_confidentiality_beside_what_stays_here():
    for nb, words in ((path("00_welcome"), ("stays here", "life is at risk", "child may be at risk")),
                      (NOTEBOOKS / "es" / "00_bienvenida.ipynb", ("se queda aquí", "vida de alguien está en riesgo",
                                                                  "puede estar en peligro"))):
        text = flat(participant_text(nb))
        for phrase in words:
            assert phrase in text, (nb.name, phrase)


def test_welcome_shows_support_contacts_from_the_toolkit():
    text = "\n".join(source(c) for c in load(path("00_welcome"))["cells"])
    assert "from toolkit.core.support import crisis_resources" in text
    assert "crisis_resources.yaml" in text, "a facilitator note says where the numbers live"


def test_recognising_names_the_three_signs_and_that_it_is_not_a_diagnosis():
    words = flat(participant_text(path("01_recognizing")))
    for phrase in ("not a diagnosis", "It keeps happening", "Trying does not change it",
                   "It is taking a toll on you", "passing phase", "Skip any question",
                   "never be asked to share", "for you alone", "not the same as blaming"):
        assert phrase in words, phrase


def test_attachment_speaks_of_positions_not_types():
    said = participant_text(path("02_attachment"))
    found = TYPE_WORDS.search(said)
    assert not found, f"participant text uses the category word {found.group()!r}"
    words = flat(said)
    for phrase in ("Attachment anxiety", "Attachment avoidance", "two dimensions", "not types",
                   "never a label", "provisional", ".65", "(Fraley et al., 2015)", "Fraley et al., 2011",
                   "Fraley, ECR-RS questionnaire page", "for you alone", "Childhood experiences",
                   "Attachment patterns", "Personal insecurities"):
        assert phrase in words, phrase


def test_session_4_never_asks_for_trauma_details():
    prose = " ".join(source(c) for c in load(path("04_trauma_resilience"))["cells"]
                     if c["cell_type"] == "markdown").lower()
    assert "nobody will be asked about their own" in prose
    assert "describe what happened" not in prose and "tell us about" not in prose


@pytest.mark.parametrize("name", ["05_seeking_help", "06_first_step"])
def test_fear_of_a_partner_points_to_individual_specialised_help_not_couple_work(name):
    notes = flat(notes_text(path(name))).lower()
    assert "afraid of their partner" in notes or "fear of a partner" in notes
    assert "individual, specialised help" in notes
    assert "couple work is not the right format" in notes or "never suggest couple work" in notes


def test_session_5_has_the_reflection_the_private_check_and_the_checklist():
    prose = " ".join(participant_text(path("05_seeking_help")).split())
    for phrase in ("not a diagnosis", "only you see", "skip", "afraid of your partner"):
        assert phrase in prose, phrase


def test_session_6_tells_participants_the_file_is_private_and_theirs_to_choose():
    prose = " ".join(participant_text(path("06_first_step")).split())
    for phrase in ("You choose what goes into it", "save it where only you can open it", "without an internet",
                   "sign of strength and commitment", "progress takes time"):
        assert phrase in prose, phrase


def test_demo_walks_through_join_answer_and_feedback():
    nb = path("questionnaire_demo")
    code = code_text(nb)
    assert "storage_consent=False" in code, "the demo writes nothing to the workshop's store"
    assert 'session.questionnaire("who5"' in code and "form.answer(" in code
    assert "not a diagnosis" in flat(participant_text(nb))
