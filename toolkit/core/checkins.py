"""The facilitator's private check-in list: codes whose answers called for support (pure).

Only codes that consented to a check-in appear, with the forms and rule ids that fired:
no answer is shown. The consent is checked here again, whatever frame the store gave.
"""

from __future__ import annotations

import pandas as pd

from toolkit.instruments.model import LEVEL_ORDER

CHECKIN_COLUMNS = ["code", "level", "flags", "forms", "rules", "last_flagged"]


def checkin_list(checkins: pd.DataFrame, participants: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per code whose safety rule fired and who consented to a check-in; codes only.

    ``checkins`` is ``ResponseStore.checkins()`` (which already keeps only consenting codes);
    with ``participants`` the consent is checked again here. Columns: ``code``, ``level``
    (the highest, a key of ``LEVEL_ORDER``), ``flags`` (how many), ``forms`` (instrument and
    timepoint), ``rules``, ``last_flagged``; highest level first, then the most recent.
    """
    if checkins is None or checkins.empty:
        return pd.DataFrame(columns=CHECKIN_COLUMNS)
    flags = checkins
    if participants is not None:
        if "checkin_consent" not in participants.columns:
            return pd.DataFrame(columns=CHECKIN_COLUMNS)
        consenting = participants.loc[participants["checkin_consent"].astype(bool), "code"]
        if "storage_consent" in participants.columns:
            consenting = consenting[participants.loc[consenting.index, "storage_consent"].astype(bool)]
        flags = flags[flags["code"].isin(set(consenting))]
    rows = []
    for code, group in flags.groupby("code", sort=False):
        levels = [str(level) for level in group["level"]]
        rules = sorted({str(r) for rs in group["rules"] for r in (rs if isinstance(rs, (list, tuple)) else [rs])})
        forms = list(dict.fromkeys(f"{i} ({t})" for i, t in zip(group["instrument"], group["timepoint"], strict=False)))
        rows.append({"code": code, "level": max(levels, key=lambda lv: LEVEL_ORDER.get(lv, 0)),
                     "flags": int(len(group)), "forms": forms, "rules": rules,
                     "last_flagged": str(group["flagged_at"].max())})
    out = pd.DataFrame(rows, columns=CHECKIN_COLUMNS)
    if out.empty:
        return out
    out["_rank"] = out["level"].map(lambda lv: LEVEL_ORDER.get(lv, 0))
    return out.sort_values(["_rank", "last_flagged"], ascending=[False, False]).drop(columns="_rank").reset_index(drop=True)
