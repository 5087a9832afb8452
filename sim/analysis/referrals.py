"""Referral trees and K-factors (裂变): who brought whom, how deep the chains go, and whether a
campaign compounds, from the tables a run writes (``sim.strategies.referral``).

Works on a members table with one row per person and run (``members.parquet``): ``person``,
``joined`` (day she first joined), ``inviter`` (the person who invited her) and ``generation``
(0: she came another way; 1: a friend of a non-referred member; g: a friend of a member of
generation g − 1), and on a daily table with the referral outputs ``invitations``,
``invites_accepted`` and ``referred_joiners``. A run is one (scenario, point, replication)
where those key columns exist; a table without them is one run. A referred member counts once
she has joined: invitations accepted on a run's last day (she would come the day after) and
friends turned away by full groups are in ``invites_accepted`` but not in the members table.

- ``referral_totals(daily)``: per run, invitations sent, accepted and referred joiners, and
  the acceptance rate;
- ``referral_tree(members)``: per run, tree depth, the share of members who brought a friend
  and the friends per such inviter, and the run's overall K;
- ``generation_sizes(members)``: per run and generation, its members;
- ``k_factor_by_week(members, days, within)``: per run and joining week, the cohort's K-factor
  (friends brought per member, optionally only those brought in her first ``within`` days).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

RUN_KEYS = ("scenario", "point", "replication")
WEEK = 7
OUTPUTS = ("invitations", "invites_accepted", "referred_joiners")


def run_keys(table: pd.DataFrame) -> list[str]:
    """The columns of ``table`` that name one run."""
    return [k for k in RUN_KEYS if k in table.columns]


def _by_run(table: pd.DataFrame):
    keys = run_keys(table)
    table = _nobody_referred_filled(table)
    return table.groupby(keys, sort=False) if keys else [((), table)]


def _nobody_referred_filled(table: pd.DataFrame) -> pd.DataFrame:
    """Runs without a referral campaign have no ``inviter`` or ``generation`` (empty once the
    tables of several scenarios are stacked): nobody in them was referred."""
    filled = {c: table[c].fillna(0).astype(np.int64) for c in ("generation", "inviter") if c in table}
    return table.assign(**filled) if filled else table


def _key_dict(keys: list[str], key) -> dict:
    key = key if isinstance(key, tuple) else (key,)
    return dict(zip(keys, key))


def has_referrals(daily: pd.DataFrame) -> bool:
    """Whether any run of this daily table had a friend accept an invitation."""
    return "invites_accepted" in daily.columns and bool((daily["invites_accepted"] > 0).any())


def referral_totals(daily: pd.DataFrame) -> pd.DataFrame:
    """Per run: ``invitations`` sent, ``invites_accepted`` (successful invites) and
    ``referred_joiners`` over the run, and ``acceptance`` = accepted / sent (NaN with none sent)."""
    keys = run_keys(daily)
    sums = daily.groupby(keys, sort=False)[list(OUTPUTS)].sum() if keys else daily[list(OUTPUTS)].sum().to_frame().T
    out = sums.reset_index() if keys else sums.reset_index(drop=True)
    out["acceptance"] = out["invites_accepted"] / out["invitations"].where(out["invitations"] > 0)
    return out


def referral_tree(members: pd.DataFrame) -> pd.DataFrame:
    """Per run:

    - ``members``: persons who joined; ``referred``: those of generation >= 1;
    - ``depth``: the deepest generation (0 when nobody was referred);
    - ``inviters``: distinct persons with at least one referred friend who joined;
      ``inviter_share`` = inviters / members;
    - ``invitees_per_inviter`` = referred / inviters (NaN without inviters);
    - ``k_factor`` = referred / members: friends brought per member, every cohort pooled
      (late joiners had less time to invite: see ``k_factor_by_week``)."""
    keys, rows = run_keys(members), []
    for key, run in _by_run(members):
        referred = run["generation"].to_numpy() > 0
        n, r = len(run), int(referred.sum())
        inviters = int(pd.unique(run["inviter"].to_numpy()[referred]).size)
        rows.append({**_key_dict(keys, key), "members": n, "referred": r,
                     "depth": int(run["generation"].max()) if n else 0, "inviters": inviters,
                     "inviter_share": inviters / n if n else np.nan,
                     "invitees_per_inviter": r / inviters if inviters else np.nan,
                     "k_factor": r / n if n else np.nan})
    return pd.DataFrame(rows, columns=[*keys, "members", "referred", "depth", "inviters", "inviter_share",
                                       "invitees_per_inviter", "k_factor"])


def generation_sizes(members: pd.DataFrame) -> pd.DataFrame:
    """Per run and ``generation`` (0 up to the run's depth, none skipped): its ``members``."""
    keys, parts = run_keys(members), []
    for key, run in _by_run(members):
        counts = np.bincount(run["generation"].to_numpy(np.int64), minlength=1)
        parts.append(pd.DataFrame({**_key_dict(keys, key), "generation": np.arange(len(counts)), "members": counts}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*keys, "generation", "members"])


def k_factor_by_week(members: pd.DataFrame, days: int | None = None, within: int | None = None) -> pd.DataFrame:
    """The K-factor of each weekly joining cohort, per run.

    The cohort of ``week`` w is the persons who first joined on days 7w to 7w + 6 (whatever
    their source: referred members invite too); its ``invitees`` are the referred members whose
    inviter is in the cohort, whenever they joined (with ``within``: those who joined at most
    ``within`` days after their inviter, i.e. invited in her first ``within`` days, so cohorts
    watched for different times compare alike); ``k`` = invitees / ``cohort``, the cohort's
    successful invites per member. K below 1 generation after generation dies out without other
    recruiting; above 1 it compounds. Weeks with no joiner have no row. With ``days`` (the run's
    length) ``observed`` is the days from the week's first day to the run's end: a cohort
    watched under ``within`` + 7 days (or, without ``within``, briefly) has not finished
    inviting, so its K is a lower bound."""
    keys, parts = run_keys(members), []
    for key, run in _by_run(members):
        joined, referred = run["joined"].to_numpy(np.int64), run["generation"].to_numpy() > 0
        joined_of = pd.Series(joined, index=run["person"].to_numpy())
        inviter_joined = joined_of.reindex(run["inviter"].to_numpy()[referred]).to_numpy(np.float64)
        counted = ~np.isnan(inviter_joined)
        if within is not None:
            counted &= joined[referred] - inviter_joined <= within
        week = joined // WEEK
        cohort = np.bincount(week, minlength=1)
        invitees = np.bincount(inviter_joined[counted].astype(np.int64) // WEEK, minlength=len(cohort))
        weeks = np.flatnonzero(cohort)
        part = pd.DataFrame({**_key_dict(keys, key), "week": weeks, "cohort": cohort[weeks],
                             "invitees": invitees[weeks], "k": invitees[weeks] / cohort[weeks]})
        if days is not None:
            part["observed"] = days - WEEK * weeks
        parts.append(part)
    columns = [*keys, "week", "cohort", "invitees", "k", *(["observed"] if days is not None else [])]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
