"""Group lifetimes: how long each group keeps talking, and whether its first week says so.

Works on any daily table with one row per day and group (simulated, or a user's own
export) holding ``day``, ``member_posts`` (members who posted that day) and ``members``
(members present). A group is one (scenario, point, replication, group) when those key
columns exist; a table without ``group`` is one group per run (or one group in all).

``group_lifetimes`` gives one row per group:

- ``start_size``: members on the group's first day (age 0);
- ``first_week_share``: the share of members posting a day over ages 0-6, pooled (posts
  over member-days), the early signal Qiu et al. (WWW 2016) predict lifetime from;
- ``lifetime``: the first age (days since the group's first row) a >= 6 at which the
  trailing 7-day mean of the daily post share (``member_posts / members``; 0 on a day
  with no members or no row) is under ``SILENT_SHARE``: the group counts as silent from
  then, as ``silent_groups_end`` counts it. For a group never silent (``alive``) it is
  the days observed, a lower bound;
- ``alive``: never silent before the run ended (a censored lifetime);
- ``revived``: silent once, yet its trailing mean came back to ``SILENT_SHARE`` or more
  later (so "silent from then" did not hold for it);
- ``observed_days``: days from the group's first row to the last day of its run.

``lifetime_summary`` reduces the table to the shape and the predictability of lifetimes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .kpis import SILENT_SHARE

RUN_KEYS = ("scenario", "point", "replication")
WINDOW = 7         # days of the trailing mean, and of the first week
EARLY_DAYS = 28    # "silent within the first weeks": silent before age 28
PREDICT_AGE = 90   # the first week is scored on predicting "still talking at age 90"
COLUMNS = ("start_size", "first_week_share", "lifetime", "alive", "revived", "observed_days")


def group_keys(daily: pd.DataFrame) -> list[str]:
    """The columns that name one group in ``daily``."""
    return [c for c in (*RUN_KEYS, "group") if c in daily.columns]


def group_lifetimes(daily: pd.DataFrame) -> pd.DataFrame:
    """One row per group: its key columns and ``COLUMNS`` (see the module docstring)."""
    keys = group_keys(daily)
    run_keys = [c for c in RUN_KEYS if c in daily.columns]
    if daily.empty:
        return pd.DataFrame(columns=[*keys, *COLUMNS])
    rows = daily[[*keys, "day", "member_posts", "members"]]
    groups = rows.groupby(keys, sort=True, dropna=False) if keys else None
    ids = groups.ngroup().to_numpy() if keys else np.zeros(len(rows), np.int64)
    day = rows["day"].to_numpy(dtype=np.int64)
    first = _per_id(ids, day, np.minimum, np.iinfo(np.int64).max)
    run_end = rows.groupby(run_keys, dropna=False)["day"].transform("max").to_numpy() if run_keys else np.full(len(rows), day.max())
    observed = _per_id(ids, run_end - first[ids] + 1, np.maximum, 0)
    age = day - first[ids]
    n, span = len(observed), int(observed.max())
    posts, members = np.zeros((n, span)), np.zeros((n, span))
    np.add.at(posts, (ids, age), rows["member_posts"].to_numpy(dtype=float))
    np.add.at(members, (ids, age), rows["members"].to_numpy(dtype=float))
    share = np.divide(posts, members, out=np.zeros_like(posts), where=members > 0)
    lifetime, alive, revived = _silence(share, observed)
    week = slice(0, WINDOW)
    week_members = members[:, week].sum(axis=1)
    out = groups.size().reset_index()[keys] if keys else pd.DataFrame(index=[0])
    return out.assign(start_size=members[:, 0].astype(np.int64),
                      first_week_share=np.divide(posts[:, week].sum(axis=1), week_members,
                                                 out=np.zeros(n), where=week_members > 0),
                      lifetime=lifetime, alive=alive, revived=revived, observed_days=observed)


def _per_id(ids: np.ndarray, values: np.ndarray, op, start) -> np.ndarray:
    out = np.full(ids.max() + 1, start, dtype=np.int64)
    op.at(out, ids, values)
    return out


def _silence(share: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lifetime, alive, revived) of each row of daily shares (groups × ages)."""
    n, span = share.shape
    if span < WINDOW:
        return observed.copy(), np.ones(n, bool), np.zeros(n, bool)
    means = np.lib.stride_tricks.sliding_window_view(share, WINDOW, axis=1).mean(axis=-1)
    ages = np.arange(WINDOW - 1, span)                     # the age each trailing mean ends on
    seen = ages[None, :] < observed[:, None]
    silent = (means < SILENT_SHARE) & seen
    alive = ~silent.any(axis=1)
    first_silent = silent.argmax(axis=1)
    lifetime = np.where(alive, observed, ages[first_silent])
    later = (ages[None, :] > lifetime[:, None]) & seen & (means >= SILENT_SHARE)
    return lifetime.astype(np.int64), alive, ~alive & later.any(axis=1)


def rank_auc(scores, labels) -> float:
    """P(score of a random positive > score of a random negative), ties counting half:
    the Mann-Whitney U over the product of the class sizes, from average ranks. 0.5 is
    no better than chance, 1 (or 0) a perfect threshold; NaN when a class is empty."""
    scores = pd.Series(np.asarray(scores, dtype=float))
    labels = np.asarray(labels, dtype=bool)
    keep = scores.notna().to_numpy()
    scores, labels = scores[keep], labels[keep]
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if not positives or not negatives:
        return float("nan")
    ranks = scores.rank(method="average").to_numpy()
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def talking_at(table: pd.DataFrame, age: int) -> pd.Series:
    """Whether each group was still talking at ``age`` (not yet silent); NaN where a group
    was neither silent before ``age`` nor observed that long."""
    talking = table["lifetime"] > age
    known = ~table["alive"].astype(bool) | (table["observed_days"] > age)
    return talking.where(known)


def lifetime_summary(table: pd.DataFrame, days: int) -> dict[str, float]:
    """The shape and predictability of a ``group_lifetimes`` table of runs of ``days`` days.

    - ``groups``: groups in the table;
    - ``silent_early``: share of groups silent within the first four weeks (age < 28);
    - ``alive_end``: share still talking when the run ended (censored);
    - ``in_between``: share silent after four weeks but before the end. A bimodal
      distribution (Qiu et al.) has ``in_between`` well under both ends;
    - ``median_silent_lifetime``: median lifetime (days) of the groups that went silent;
    - ``predict_age``: the age predicted, 90 days (or ``days - 1`` for shorter runs);
    - ``talking_at_predict_age``: share of groups still talking then;
    - ``first_week_auc``: how well the first week's post share ranks groups still talking
      at ``predict_age`` above those silent by then: the chance a random talking group had
      the higher first-week share (0.5: no information; 1: a threshold separates them).
    """
    n = len(table)
    silent = ~table["alive"].astype(bool)
    early = silent & (table["lifetime"] < EARLY_DAYS)
    age = min(PREDICT_AGE, days - 1)
    talking = talking_at(table, age)
    known = talking.notna()
    share = (lambda mask: float(mask.sum() / n)) if n else (lambda mask: float("nan"))
    return {
        "groups": float(n),
        "silent_early": share(early),
        "alive_end": share(~silent),
        "in_between": share(silent & ~early),
        "median_silent_lifetime": float(table.loc[silent, "lifetime"].median()) if silent.any() else float("nan"),
        "predict_age": float(age),
        "talking_at_predict_age": float(talking[known].mean()) if known.any() else float("nan"),
        "first_week_auc": rank_auc(table.loc[known, "first_week_share"], talking[known].astype(bool)),
    }
