"""The facilitator's private check-in list: codes whose answers called for support (pure).

Only codes that consented to a check-in appear, with the forms that raised a flag and how
the person chose to be reached: no answer is shown. A partner-safety rule (the
relationship-safety screen) is never named: its row says only "pairing not advised" for the
code pair, and its form is left out. The consent is checked here again, whatever frame the
store gave.
"""

from __future__ import annotations

import pandas as pd

from toolkit.core.couples import PARTNER_SAFETY_RULES
from toolkit.instruments.model import LEVEL_ORDER

CHECKIN_COLUMNS = ["code", "level", "flags", "forms", "rules", "last_flagged", "pairing_not_advised", "partner",
                   "reach"]
#: How a participant chose to be reached for a check-in (``ResponseStore.set_checkin_reach``).
REACH_CHOICES = ("break", "screen")
_PARTNER_RULES = {r for rules in PARTNER_SAFETY_RULES.values() for r in rules}


def _rule_ids(rules) -> list[str]:
    return [str(r) for r in (rules if isinstance(rules, (list, tuple)) else [rules])]


def checkin_list(checkins: pd.DataFrame, participants: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per code whose safety rule fired and who consented to a check-in; codes only.

    ``checkins`` is ``ResponseStore.checkins()`` (which already keeps only consenting codes;
    an optional ``partner`` column names the linked partner); with ``participants`` the consent
    is checked again here, and its ``checkin_reach`` column gives ``reach``. Columns: ``code``,
    ``level`` (the highest, a key of ``LEVEL_ORDER``), ``flags`` (how many), ``forms``
    (instrument and timepoint, never the screen's), ``rules`` (never a partner-safety rule),
    ``last_flagged``, ``pairing_not_advised``, ``partner`` (the code pair's other half, or ""),
    ``reach`` (a key of ``REACH_CHOICES``, or "" when not chosen); highest level first, then
    the most recent.
    """
    if checkins is None or checkins.empty:
        return pd.DataFrame(columns=CHECKIN_COLUMNS)
    flags = checkins
    reach: dict = {}
    if participants is not None:
        if "checkin_consent" not in participants.columns:
            return pd.DataFrame(columns=CHECKIN_COLUMNS)
        consenting = participants.loc[participants["checkin_consent"].astype(bool), "code"]
        if "storage_consent" in participants.columns:
            consenting = consenting[participants.loc[consenting.index, "storage_consent"].astype(bool)]
        flags = flags[flags["code"].isin(set(consenting))]
        if "checkin_reach" in participants.columns:
            reach = dict(zip(participants["code"], participants["checkin_reach"], strict=True))
    rows = []
    for code, group in flags.groupby("code", sort=False):
        levels = [str(level) for level in group["level"]]
        fired = [_rule_ids(rs) for rs in group["rules"]]
        pairing = any(_PARTNER_RULES & set(rs) for rs in fired)
        rules = sorted({r for rs in fired for r in rs} - _PARTNER_RULES)
        forms = list(dict.fromkeys(
            f"{i} ({t})" for i, t, rs in zip(group["instrument"], group["timepoint"], fired, strict=True)
            if not (rs and set(rs) <= _PARTNER_RULES)))
        partner = group["partner"].dropna().iloc[-1] if "partner" in group.columns and group["partner"].notna().any() else ""
        chosen = reach.get(code)
        rows.append({"code": code, "level": max(levels, key=lambda lv: LEVEL_ORDER.get(lv, 0)),
                     "flags": int(len(group)), "forms": forms, "rules": rules,
                     "last_flagged": str(group["flagged_at"].max()), "pairing_not_advised": pairing,
                     "partner": str(partner) if pairing else "",
                     "reach": chosen if chosen in REACH_CHOICES else ""})
    out = pd.DataFrame(rows, columns=CHECKIN_COLUMNS)
    if out.empty:
        return out
    out["_rank"] = out["level"].map(lambda lv: LEVEL_ORDER.get(lv, 0))
    return out.sort_values(["_rank", "last_flagged"], ascending=[False, False]).drop(columns="_rank").reset_index(drop=True)
