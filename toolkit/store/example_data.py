"""A synthetic, pseudonymous example cohort for demos, training and tests.

Nobody real answered these questionnaires. ``make_cohort`` (pure) draws four workshops of
participants with latent traits (well-being, distress, relationship satisfaction,
resilience, attachment avoidance and anxiety, correlated as one would expect) and turns
them into answers to every bundled questionnaire before and after the workshop, so that
scales hang together (realistic alphas), partners resemble each other a little, and most
people improve a little while some do not. Built in, for the toolkit to cope with: a few
people who refused storage (no answers), some without check-in consent, linked couples, all
three missing-answer codes, one person who skipped the ECR-RS, people who missed the post
session, and exactly one careless responder who gave the answer 1 to every item.

``write_cohort`` (shell) writes the CSV files and their codebook; ``load_into_store`` (shell)
puts a written cohort into a ``ResponseStore`` the way the participant forms would.
The same seed always gives byte-identical files.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.core.pseudonyms import new_code
from toolkit.core.safety import evaluate
from toolkit.instruments import load_instrument
from toolkit.instruments.model import Instrument
from toolkit.store.reshape import wide_frame

DEFAULT_SEED = 20261126
INSTRUMENTS = ("who5", "phq4", "csi4", "brs", "ecr_rs", "eu_signs", "help_indicators")
TIMEPOINTS = ("pre", "post")
N_WORKSHOPS = 4
CARELESS_VALUE = 1  # on every response scale bundled: the careless responder's one answer

TRAITS = ("wellbeing", "distress", "satisfaction", "resilience", "avoidance", "anxiety")
# Correlations between the latent traits (plausible signs and sizes, not estimates from a study).
TRAIT_CORR = np.array([
    [1.00, -0.60, 0.35, 0.45, -0.15, -0.25],
    [-0.60, 1.00, -0.30, -0.45, 0.15, 0.40],
    [0.35, -0.30, 1.00, 0.20, -0.50, -0.35],
    [0.45, -0.45, 0.20, 1.00, -0.10, -0.30],
    [-0.15, 0.15, -0.50, -0.10, 1.00, 0.20],
    [-0.25, 0.40, -0.35, -0.30, 0.20, 1.00],
])
# Mean change from pre to post in SD units: a modest improvement on every trait.
MEAN_CHANGE = np.array([0.30, -0.25, 0.15, 0.15, -0.10, -0.15])
BETTER = np.array([1, -1, 1, 1, -1, -1])  # +1 where higher is better

# How each validated instrument's items are made: the trait behind them (keyed direction),
# the loading, and where the keyed answers sit on the item's scale (centre, spread).
ITEM_MODELS = {
    "who5": [("wellbeing", 0.78, 2.7, 1.15, ["who5_1", "who5_2", "who5_3", "who5_4", "who5_5"])],
    "phq4": [("distress", 0.75, 1.0, 0.85, ["phq4_1", "phq4_2", "phq4_3", "phq4_4"])],
    "csi4": [("satisfaction", 0.85, 3.4, 1.4, ["csi4_1"]),
             ("satisfaction", 0.85, 3.0, 1.3, ["csi4_2", "csi4_3", "csi4_4"])],
    "brs": [("resilience", 0.72, 3.3, 0.95, [f"brs_{i}" for i in range(1, 7)])],
    "ecr_rs": [("avoidance", 0.76, 2.9, 1.35, [f"ecr_rs_{i}" for i in range(1, 7)]),
               ("anxiety", 0.80, 3.4, 1.6, ["ecr_rs_7", "ecr_rs_8", "ecr_rs_9"])],
}
# Items where "prefer not to say" is more likely, and items where "don't know" makes sense.
SENSITIVE = {"csi4_1", "csi4_4", "ecr_rs_7", "ecr_rs_8", "ecr_rs_9", "earlier_wounds", "afraid_of_partner",
             "intimacy_loss", "feeling_alone"}
UNSURE = {"long_lasting", "no_progress", "earlier_wounds", "persistent_signs", "recurring_cycles"}


# --- the pure generator ---------------------------------------------------------------------


def make_cohort(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """{"participants": one row per person, "answers": one answer a row}, the same for the same seed."""
    rng = np.random.default_rng(seed)
    people = _participants(rng, random.Random(seed))
    pre, post = _traits(rng, people)
    answers = _answers(rng, people, pre, post)
    columns = ["code", "workshop", "couple", "storage_consent", "checkin_consent"]
    out = people[columns].copy()
    for c in ("storage_consent", "checkin_consent"):
        out[c] = np.where(out[c], "yes", "no")
    return {"participants": out.reset_index(drop=True), "answers": answers}


def _participants(rng: np.random.Generator, code_rng: random.Random) -> pd.DataFrame:
    sizes = rng.integers(10, 17, size=N_WORKSHOPS)
    codes: list[str] = []
    for _ in range(int(sizes.sum())):
        codes.append(new_code(code_rng, avoid=codes))
    people = pd.DataFrame({"code": codes, "workshop": np.repeat([f"workshop-{i + 1}" for i in range(N_WORKSHOPS)], sizes)})
    n = len(people)
    people["storage_consent"] = rng.random(n) > 0.07
    people["checkin_consent"] = people["storage_consent"] & (rng.random(n) > 0.15)
    people["couple"] = ""
    for _, group in people[people["storage_consent"]].groupby("workshop", sort=True):
        members = rng.permutation(group.index.to_numpy())
        n_couples = int(rng.integers(1, 4))
        for a, b in members[: 2 * n_couples].reshape(-1, 2):
            people.loc[a, "couple"], people.loc[b, "couple"] = people.loc[b, "code"], people.loc[a, "code"]
    consenting = people.index[people["storage_consent"]].to_numpy()
    single = people.index[people["storage_consent"] & (people["couple"] == "")].to_numpy()
    careless, no_partner = rng.choice(single, size=2, replace=False)
    others = np.setdiff1d(consenting, [careless, no_partner])
    dropouts = rng.choice(others, size=2, replace=False)
    people["careless"] = people.index == careless
    people["skips_ecr"] = people.index == no_partner
    people["dropout"] = people.index.isin(dropouts)
    return people


def _traits(rng: np.random.Generator, people: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Latent traits (z scores) before and after the workshop, one row per person."""
    n = len(people)
    pre = rng.standard_normal((n, len(TRAITS))) @ np.linalg.cholesky(TRAIT_CORR).T
    workshop_shift = rng.normal(0, 0.2, size=(N_WORKSHOPS, 2))  # groups differ a little in mood
    w = people["workshop"].str.rsplit("-", n=1).str[1].astype(int).to_numpy() - 1
    pre[:, 0] += workshop_shift[w, 0]
    pre[:, 1] += workshop_shift[w, 1]
    # Partners' satisfaction resembles each other's.
    code_at = {c: i for i, c in enumerate(people["code"])}
    for i, partner in enumerate(people["couple"]):
        j = code_at.get(partner)
        if j is not None and i < j:
            pre[j, 2] = 0.55 * pre[i, 2] + np.sqrt(1 - 0.55 ** 2) * pre[j, 2]
    # Change differs between people: a personal benefit factor plus trait-specific noise.
    benefit = rng.normal(0, 1, size=(n, 1))
    change = MEAN_CHANGE + BETTER * 0.25 * benefit + rng.normal(0, 0.2, size=(n, len(TRAITS)))
    return pre, pre + change


def _answers(rng: np.random.Generator, people: pd.DataFrame, pre: np.ndarray, post: np.ndarray) -> pd.DataFrame:
    frames = []
    keep = people["storage_consent"].to_numpy()
    partner_avoid = _partner_trait(people, pre, TRAITS.index("avoidance"))
    for timepoint, theta in zip(TIMEPOINTS, (pre, post), strict=False):
        rows = keep & ~(people["dropout"].to_numpy() & (timepoint == "post"))
        concern = -0.6 * theta[:, 2] + 0.3 * theta[:, 1] + 0.4 * partner_avoid + rng.normal(0, 0.5, len(people))
        for inst_id in INSTRUMENTS:
            inst = load_instrument(inst_id)
            values = (_likert(rng, inst, theta) if inst_id in ITEM_MODELS else _checklist(rng, inst, concern))
            values[people["careless"].to_numpy()] = CARELESS_VALUE
            missing = _missing(rng, inst, len(people))
            missing[people["careless"].to_numpy()] = ""
            if inst_id == "ecr_rs" and timepoint == "pre":
                missing[people["skips_ecr"].to_numpy()] = "skipped"
            frame = pd.DataFrame(np.where(missing == "", values, -1), columns=inst.item_ids).assign(
                participant=people["code"].to_numpy(), workshop=people["workshop"].to_numpy())[rows]
            long = frame.melt(id_vars=["workshop", "participant"], var_name="item", value_name="value")
            codes = pd.DataFrame(missing, columns=inst.item_ids)[rows].melt(var_name="item", value_name="missing")
            long["missing"] = codes["missing"].to_numpy()
            long["value"] = pd.Series(long["value"], dtype="Int64").where(long["missing"] == "")
            long["instrument"] = inst_id
            long["timepoint"] = timepoint
            long["_item"] = long["item"].map({item: i for i, item in enumerate(inst.item_ids)})
            frames.append(long)
    answers = pd.concat(frames, ignore_index=True)
    answers["_inst"] = answers["instrument"].map({name: i for i, name in enumerate(INSTRUMENTS)})
    answers["_tp"] = answers["timepoint"].map({name: i for i, name in enumerate(TIMEPOINTS)})
    answers = answers.sort_values(["workshop", "participant", "_inst", "_tp", "_item"], kind="stable")
    columns = ["workshop", "participant", "instrument", "timepoint", "item", "value", "missing"]
    return answers[columns].reset_index(drop=True)


def _partner_trait(people: pd.DataFrame, theta: np.ndarray, trait: int) -> np.ndarray:
    code_at = {c: i for i, c in enumerate(people["code"])}
    partner = people["couple"].map(code_at)
    out = np.zeros(len(people))
    linked = partner.notna().to_numpy()
    out[linked] = theta[partner[linked].astype(int).to_numpy(), trait]
    return out


def _likert(rng: np.random.Generator, inst: Instrument, theta: np.ndarray) -> np.ndarray:
    """Answers driven by the instrument's traits; reverse-keyed items are answered the other way."""
    n = theta.shape[0]
    out = np.zeros((n, len(inst.items)), dtype=np.int64)
    for trait, loading, centre, spread, item_ids in ITEM_MODELS[inst.id]:
        for item_id in item_ids:
            item = inst.item(item_id)
            scale = inst.response_scale_of(item)
            lo, hi = scale.min, scale.max
            offset = rng.normal(0, 0.15)
            latent = loading * theta[:, TRAITS.index(trait)] + np.sqrt(1 - loading ** 2) * rng.standard_normal(n)
            keyed = np.clip(np.rint(centre + spread * (latent + offset)), lo, hi)
            out[:, inst.item_ids.index(item_id)] = (lo + hi - keyed) if item.reverse else keyed
    return out


def _checklist(rng: np.random.Generator, inst: Instrument, concern: np.ndarray) -> np.ndarray:
    """Yes (1) / no (0): more yeses with more concern; fear of the partner stays rare."""
    n = concern.size
    out = np.zeros((n, len(inst.items)), dtype=np.int64)
    for j, item in enumerate(inst.items):
        if item.id == "afraid_of_partner":
            logit = -4.0 + 0.8 * concern
        else:
            logit = rng.normal(-0.3, 0.3) + 1.6 * concern + rng.normal(0, 0.8, n)
        out[:, j] = rng.random(n) < 1 / (1 + np.exp(-logit))
    return out


def _missing(rng: np.random.Generator, inst: Instrument, n: int) -> np.ndarray:
    """A missing-answer code or "" for every cell."""
    out = np.full((n, len(inst.items)), "", dtype=object)
    for j, item in enumerate(inst.items):
        u = rng.random(n)
        p_skip, p_prefer = 0.015, (0.04 if item.id in SENSITIVE else 0.008)
        p_unsure = 0.04 if item.id in UNSURE else 0.0
        out[u < p_skip, j] = "skipped"
        out[(u >= p_skip) & (u < p_skip + p_prefer), j] = "prefer_not_to_say"
        out[(u >= p_skip + p_prefer) & (u < p_skip + p_prefer + p_unsure), j] = "dont_know"
    return out


def codebook(cohort: dict[str, pd.DataFrame], seed: int = DEFAULT_SEED) -> str:
    """The README of a written cohort: what the data are, and every column of every file."""
    people, answers = cohort["participants"], cohort["answers"]
    sizes = people.groupby("workshop", sort=True).size()
    stored = people[people["storage_consent"] == "yes"]
    n_couples = int((stored["couple"] != "").sum()) // 2
    answered = answers.drop_duplicates(["participant", "timepoint"])
    post = set(answered.loc[answered["timepoint"] == "post", "participant"])
    careless = _careless_codes(answers)
    lines = [
        "# Example data: a synthetic workshop cohort",
        "",
        "**These data are synthetic.** No real person answered these questionnaires and the codes "
        "belong to nobody. They were made by `attune example-data` with seed "
        f"{seed} (`toolkit/store/example_data.py`); rerunning it with the same seed gives byte-identical "
        "files. Use them to try the notebooks, train facilitators and test the toolkit.",
        "",
        "## What is in them",
        "",
        f"- {len(sizes)} workshops with " + ", ".join(f"{n} ({w})" for w, n in sizes.items())
        + f" participants: {len(people)} in all.",
        f"- {int((people['storage_consent'] == 'no').sum())} refused storage, so they have no answers; "
        f"{int((stored['checkin_consent'] == 'no').sum())} of the others did not consent to check-ins.",
        f"- {n_couples} linked couples, both partners in the same workshop (`couple` names the partner).",
        "- Answers before (`pre`) and after (`post`) the workshop to who5, phq4, csi4, brs, ecr_rs, "
        "eu_signs and help_indicators; "
        f"{len(stored) - len(post)} people missed the post session and have `pre` answers only.",
        "- Answers come from latent traits (well-being, distress, relationship satisfaction, "
        "resilience, attachment avoidance and anxiety) with plausible correlations, so scales "
        "hang together; partners' satisfaction is alike; the change from pre to post differs "
        "between people and is a modest improvement on average.",
        "- Values are raw, as the form records them: reverse-keyed items (brs 2, 4, 6; ecr_rs 1-4) "
        "are answered low by people high on the trait and are reversed only when scoring.",
        "- Missing answers of all three kinds; one person skipped the whole ECR-RS at `pre`. "
        "`dont_know` is given only to checklist questions about history and duration; none of these "
        "questionnaires offers it on its form yet (`allow_dont_know`), so these rows stand for imported data.",
        f"- One careless responder ({', '.join(careless)}) gave the answer 1 to every item of every "
        "questionnaire at both timepoints (a \"long string\"), to try careless-responding checks on.",
        "",
        "## participants.csv (one row per person)",
        "",
        "| column | meaning | values |",
        "| --- | --- | --- |",
        "| code | the participant's pseudonymous code | two words and two digits, e.g. `amber-fox-42` |",
        "| workshop | which workshop group the person joined | `workshop-1` to "
        f"`workshop-{len(sizes)}` |",
        "| couple | the partner's code if both asked to be linked as a couple | a code, or empty |",
        "| storage_consent | agreed that their answers may be stored | `yes`, `no` (then no answers) |",
        "| checkin_consent | agreed to be offered a private check-in when an answer calls for it | "
        "`yes`, `no` |",
        "",
        "## answers.csv (one answer a row)",
        "",
        "| column | meaning | values |",
        "| --- | --- | --- |",
        "| workshop | the participant's workshop | as in participants.csv |",
        "| participant | the participant's code | as `code` in participants.csv |",
        "| instrument | the questionnaire | a bundled id (`attune list`) |",
        "| timepoint | when it was answered | `pre` (first session), `post` (last session) |",
        "| item | the item id within the questionnaire | see the table below |",
        "| value | the answer, on the item's response scale, as recorded (not reversed) | a whole "
        "number, or empty when `missing` is set |",
        "| missing | why there is no value | `skipped`, `prefer_not_to_say`, `dont_know`, or empty "
        "when there is a value |",
        "",
        "## Items",
        "",
        "| instrument | items | values | reverse-keyed when scoring |",
        "| --- | --- | --- | --- |",
    ]
    for inst_id in INSTRUMENTS:
        inst = load_instrument(inst_id)
        ranges = sorted({f"{inst.response_scale_of(i).min:g} to {inst.response_scale_of(i).max:g}" for i in inst.items})
        reverse = ", ".join(i.id for i in inst.items if i.reverse) or "none"
        lines.append(f"| {inst_id} | {', '.join(inst.item_ids)} | {'; '.join(ranges)} | {reverse} |")
    lines += ["", "Item texts, scales and bands: `attune show INSTRUMENT`.", ""]
    return "\n".join(lines)


def _careless_codes(answers: pd.DataFrame) -> list[str]:
    """Participants who gave one and the same value to every item they were asked."""
    spread = answers.groupby("participant")["value"].agg(lambda v: v.nunique(dropna=False))
    return sorted(spread.index[spread == 1])


# --- the shells -----------------------------------------------------------------------------


def write_cohort(out_dir: str | Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write participants.csv, answers.csv and README.md (the codebook) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cohort = make_cohort(seed)
    paths = [out / "participants.csv", out / "answers.csv", out / "README.md"]
    cohort["participants"].to_csv(paths[0], index=False, lineterminator="\n")
    cohort["answers"].to_csv(paths[1], index=False, lineterminator="\n")
    paths[2].write_text(codebook(cohort, seed), encoding="utf-8", newline="\n")
    return paths


def load_into_store(store, data_dir: str | Path, workshop: str | None = None) -> dict[str, int]:
    """Register the written cohort in ``store`` (a ResponseStore) and record its answers and submissions.

    Consents and couple requests go in as the join form would send them (a refusal stores
    nothing); each answered form is submitted with the level its safety rules give
    (``toolkit.core.safety.evaluate``), which the store keeps only with check-in consent.
    ``workshop`` loads one workshop only. Returns how many of each were written.
    """
    data = Path(data_dir)
    people = pd.read_csv(data / "participants.csv", dtype=str, keep_default_na=False)
    answers = pd.read_csv(data / "answers.csv", dtype=str, keep_default_na=False)
    if workshop is not None:
        people = people[people["workshop"] == workshop]
        answers = answers[answers["workshop"] == workshop]
    done = {"registered": 0, "refused": 0, "answers": 0, "submissions": 0, "checkins": 0}
    for row in people.itertuples(index=False):
        # Linked couples in the example agreed to the couple comparison, so the dashboard can show one.
        stored = store.register(row.code, row.storage_consent == "yes", row.checkin_consent == "yes",
                                couple=row.couple or None, couple_consent=bool(row.couple) or None)
        done["registered" if stored else "refused"] += 1
    for row in answers.itertuples(index=False):
        store.record_answer(row.participant, row.instrument, row.item,
                            int(row.value) if row.value != "" else row.missing, row.timepoint)
        done["answers"] += 1
    for (instrument, timepoint), form in answers.groupby(["instrument", "timepoint"], sort=False):
        inst = load_instrument(instrument)
        wide = wide_frame(inst, form.assign(value=pd.to_numeric(form["value"]))).set_index("participant")
        flags = evaluate(inst, wide[[i.id for i in inst.scored_items]])
        for code, level, rules in zip(wide.index, flags["level"], flags["rules"], strict=False):
            done["checkins"] += bool(store.submit(code, inst, timepoint, level=level or None, rules=rules))
            done["submissions"] += 1
    return done
