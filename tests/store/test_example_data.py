"""The synthetic example cohort: reproducible, pseudonymous, and shaped like real workshop data."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.core.pseudonyms import is_valid_code
from toolkit.core.reliability import cronbach_alpha
from toolkit.core.scoring import score
from toolkit.instruments import MISSING_CODES, load_instrument
from toolkit.store.example_data import DEFAULT_SEED, INSTRUMENTS, load_into_store, make_cohort, write_cohort

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
FILES = ("participants.csv", "answers.csv", "README.md")


@pytest.fixture(scope="module")
def cohort() -> dict[str, pd.DataFrame]:
    return make_cohort()


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cohort")
    write_cohort(out, DEFAULT_SEED)
    return out


def wide(answers: pd.DataFrame, instrument: str, timepoint: str) -> pd.DataFrame:
    """One row per participant, one column per item; a missing code where there is no value."""
    rows = answers[(answers["instrument"] == instrument) & (answers["timepoint"] == timepoint)]
    cell = rows["value"].astype(object).where(rows["missing"] == "", rows["missing"])
    table = rows.assign(cell=cell).pivot(index="participant", columns="item", values="cell")
    return table[load_instrument(instrument).item_ids].reset_index()


# --- reproducible files -----------------------------------------------------------------------


def test_the_same_seed_writes_byte_identical_files(tmp_path):
    first = write_cohort(tmp_path / "a", DEFAULT_SEED)
    second = write_cohort(tmp_path / "b", DEFAULT_SEED)
    assert [p.name for p in first] == list(FILES)
    for a, b in zip(first, second, strict=False):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_another_seed_gives_another_cohort(tmp_path):
    other = write_cohort(tmp_path, DEFAULT_SEED + 1)
    assert other[1].read_bytes() != (DATA_DIR / "answers.csv").read_bytes()


def test_the_committed_files_are_a_fresh_run(written):
    for name in FILES:
        assert (DATA_DIR / name).read_bytes() == (written / name).read_bytes(), (
            f"data/{name} differs from a fresh run: rerun write_cohort('data')")


def test_the_readme_says_the_data_are_synthetic_and_how_they_were_made():
    head = (DATA_DIR / "README.md").read_text(encoding="utf-8")[:600]
    assert "synthetic" in head
    assert "attune example-data" in head and str(DEFAULT_SEED) in head
    assert "byte-identical" in head


def test_the_codebook_names_every_column_of_every_file():
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    for name in ("participants.csv", "answers.csv"):
        for column in pd.read_csv(DATA_DIR / name, nrows=0).columns:
            assert f"| {column} |" in readme, f"{name}: column {column} is not in the codebook"


# --- participants -----------------------------------------------------------------------------


def test_at_least_four_workshops_of_ten_to_sixteen(cohort):
    sizes = cohort["participants"].groupby("workshop").size()
    assert len(sizes) >= 4
    assert sizes.between(10, 16).all(), sizes.to_dict()


def test_codes_are_pseudonyms_and_unique(cohort):
    codes = cohort["participants"]["code"]
    assert codes.map(is_valid_code).all()
    assert codes.is_unique


def test_couples_are_mutual_and_in_the_same_workshop(cohort):
    people = cohort["participants"].set_index("code")
    linked = people[people["couple"] != ""]
    assert len(linked) >= 4
    for code, row in linked.iterrows():
        partner = people.loc[row["couple"]]
        assert partner["couple"] == code
        assert partner["workshop"] == row["workshop"]
        assert row["storage_consent"] == "yes"


def test_consents_are_mostly_yes_with_a_few_refusals(cohort):
    people = cohort["participants"]
    assert set(people["storage_consent"]) == {"yes", "no"}
    assert 1 <= (people["storage_consent"] == "no").sum() <= len(people) // 10
    assert (people.loc[people["storage_consent"] == "yes", "checkin_consent"] == "no").sum() >= 2
    assert (people.loc[people["storage_consent"] == "no", "checkin_consent"] == "no").all()


def test_people_who_refused_storage_have_no_answers(cohort):
    people, answers = cohort["participants"], cohort["answers"]
    refused = set(people.loc[people["storage_consent"] == "no", "code"])
    assert refused and not refused & set(answers["participant"])
    assert set(answers["participant"]) == set(people.loc[people["storage_consent"] == "yes", "code"])


# --- no personal details ----------------------------------------------------------------------

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"\+?\d[\d ()/.-]{7,}\d")
ISO_DATE = re.compile(r"\b(19|20)\d\d-[01]\d-[0-3]\d\b")
DMY_DATE = re.compile(r"\b[0-3]?\d[./][01]?\d[./](19|20)?\d\d\b")
COMMON_NAMES = {
    "james", "john", "robert", "michael", "david", "william", "thomas", "peter", "paul", "mark",
    "daniel", "anna", "mary", "maria", "sarah", "emma", "laura", "lisa", "julia", "linda", "sophie",
    "hannah", "lucas", "noah", "olivia", "mohammed", "fatima", "jan", "eva", "ali", "li", "wei",
}


@pytest.mark.parametrize("name", FILES)
def test_no_file_holds_personal_details(name):
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    assert not EMAIL.search(text)
    assert not PHONE.search(text), PHONE.search(text)
    assert not ISO_DATE.search(text)
    assert not DMY_DATE.search(text)
    capitalised = set(re.findall(r"\b[A-Z][a-z]+\b", text))
    assert not {w for w in capitalised if w.lower() in COMMON_NAMES}
    if name.endswith(".csv"):
        words = set(re.findall(r"[a-z]+", text))
        assert not words & COMMON_NAMES


def test_the_data_have_no_date_or_free_text_columns(cohort):
    assert list(cohort["participants"].columns) == ["code", "workshop", "couple", "storage_consent", "checkin_consent"]
    assert list(cohort["answers"].columns) == ["workshop", "participant", "instrument", "timepoint", "item", "value", "missing"]


# --- answers ----------------------------------------------------------------------------------


def test_every_answer_is_a_value_or_a_missing_code_never_both(cohort):
    answers = cohort["answers"]
    has_value = answers["value"].notna()
    assert (has_value == (answers["missing"] == "")).all()
    assert set(answers.loc[~has_value, "missing"]) == set(MISSING_CODES)  # all three kinds occur


def test_every_questionnaire_is_answered_before_and_after(cohort):
    answers = cohort["answers"]
    assert set(answers["instrument"]) == set(INSTRUMENTS)
    assert set(answers["timepoint"]) == {"pre", "post"}
    assert not answers.duplicated(["participant", "instrument", "timepoint", "item"]).any()


@pytest.mark.parametrize("instrument", INSTRUMENTS)
@pytest.mark.parametrize("timepoint", ["pre", "post"])
def test_every_value_is_on_its_item_s_scale(cohort, instrument, timepoint):
    scores = score(instrument, wide(cohort["answers"], instrument, timepoint))  # raises on a bad value
    assert len(scores) >= 40


@pytest.mark.parametrize("instrument, scale", [("brs", "resilience"), ("ecr_rs", "avoidance"), ("who5", "total"),
                                               ("ecr_rs", "anxiety"), ("csi4", "total"), ("phq4", "total")])
def test_scales_are_as_consistent_as_in_real_samples(cohort, instrument, scale):
    items = wide(cohort["answers"], instrument, "pre").drop(columns="participant")
    alpha = cronbach_alpha(instrument, items, scale).alpha
    assert 0.7 <= alpha <= 0.95, alpha


@pytest.mark.parametrize("instrument, reversed_items, forward_items", [
    ("ecr_rs", ["ecr_rs_1", "ecr_rs_2", "ecr_rs_3", "ecr_rs_4"], ["ecr_rs_5", "ecr_rs_6"]),
    ("brs", ["brs_2", "brs_4", "brs_6"], ["brs_1", "brs_3", "brs_5"]),
])
def test_reverse_keyed_items_are_answered_the_other_way(cohort, instrument, reversed_items, forward_items):
    items = wide(cohort["answers"], instrument, "pre").drop(columns="participant")
    numbers = items.apply(pd.to_numeric, errors="coerce")
    r = numbers.corr()
    assert (r.loc[reversed_items, forward_items].to_numpy() < 0).all()


def test_well_being_and_distress_go_opposite_ways(cohort):
    who5 = score("who5", wide(cohort["answers"], "who5", "pre")).set_index("participant")["total"]
    phq4 = score("phq4", wide(cohort["answers"], "phq4", "pre")).set_index("participant")["total"]
    assert who5.corr(phq4) < -0.3


def test_exactly_one_careless_responder_gives_one_answer_to_everything(cohort):
    answers = cohort["answers"]
    distinct = answers.groupby("participant")["value"].agg(lambda v: v.nunique(dropna=False))
    careless = distinct.index[distinct == 1]
    assert len(careless) == 1
    theirs = answers[answers["participant"] == careless[0]]
    assert len(theirs) == 2 * sum(len(load_instrument(i).items) for i in INSTRUMENTS)


def test_well_being_improves_modestly_on_average_but_not_for_everyone(cohort):
    answers = cohort["answers"]
    pre = score("who5", wide(answers, "who5", "pre")).set_index("participant")["total"]
    post = score("who5", wide(answers, "who5", "post")).set_index("participant")["total"]
    change = (post - pre).dropna()
    effect = change.mean() / change.std()
    assert 0.1 < effect < 0.8, effect  # a modest paired effect
    assert change.min() < 0 < change.max()


def test_some_people_missed_the_post_session(cohort):
    answers = cohort["answers"]
    pre, post = (set(answers.loc[answers["timepoint"] == t, "participant"]) for t in ("pre", "post"))
    assert post < pre


# --- loading into a response store -----------------------------------------------------------


def test_load_into_store_registers_consenting_people_with_their_answers(written):
    store_module = pytest.importorskip("toolkit.store.responses")
    people = pd.read_csv(written / "participants.csv", dtype=str, keep_default_na=False)
    answers = pd.read_csv(written / "answers.csv", dtype=str, keep_default_na=False)
    with store_module.ResponseStore(":memory:") as store:
        done = load_into_store(store, written)
        stored = people[people["storage_consent"] == "yes"]
        assert done["registered"] == len(stored)
        assert done["refused"] == len(people) - len(stored)
        assert done["answers"] == len(answers)
        assert set(store.participants()["code"]) == set(stored["code"])
        for row in stored[stored["couple"] != ""].itertuples():
            assert store.couple_of(row.code) == row.couple
        consented = set(stored.loc[stored["checkin_consent"] == "yes", "code"])
        assert set(store.checkins()["code"]) <= consented
        expected = score("who5", wide(make_cohort()["answers"], "who5", "pre"))
        got = store.scores("who5", "pre").sort_values("participant").reset_index(drop=True)
        np.testing.assert_array_equal(got["total"].to_numpy(), expected["total"].to_numpy())


def test_load_into_store_writes_one_workshop_to_a_file(written, tmp_path):
    store_module = pytest.importorskip("toolkit.store.responses")
    with store_module.ResponseStore(tmp_path / "workshop.sqlite") as store:
        done = load_into_store(store, written, workshop="workshop-4")
        people = pd.read_csv(written / "participants.csv", dtype=str, keep_default_na=False)
        mine = people[people["workshop"] == "workshop-4"]
        assert done["registered"] + done["refused"] == len(mine)
        assert set(store.participants()["code"]) == set(mine.loc[mine["storage_consent"] == "yes", "code"])
        assert done["submissions"] == len(store.submissions())
