"""Retention by join cohort, from members' join, leave and lapse days.

Works on any table of members (simulated, or a user's own export): ``joined``, ``left``
and ``lapsed`` days, -1 (or any negative number) where it has not happened. Cohorts are
weeks of joining; a cohort's ages are listed only while the whole week is observed, so
each curve is over a fixed set of members.

Columns: cohort (first join day of the week), age (days since joining), joined (cohort
size), present (still in the group at the end of day joined + age), engaged (present and
not yet gone silent: a member woken later counts as lapsed from her first silence). For
people in several groups (``sim.engine.recorder.members``) "in the group" is "in any group".
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def cohorts(members: pd.DataFrame, days: int) -> pd.DataFrame:
    """The cohort table of ``members`` (columns joined, left, lapsed) over ``days`` days."""
    return cohort_table(members["joined"].to_numpy(), members["left"].to_numpy(), members["lapsed"].to_numpy(),
                        days)


def cohort_table(joined: np.ndarray, left: np.ndarray, lapsed: np.ndarray, days: int) -> pd.DataFrame:
    """Weekly cohorts' retention by age, from each member's join, leave and lapse days."""
    last = days - 1
    n_weeks = last // 7 + 1
    horizon = days + 1
    week = joined // 7

    def by_age(event: np.ndarray) -> np.ndarray:
        # members of each week cohort whose event happened at or before each age
        age = np.where(event >= 0, event - joined, horizon - 1).clip(0, horizon - 1)
        counts = np.bincount(week * horizon + age, minlength=n_weeks * horizon).reshape(n_weeks, horizon)
        return np.cumsum(counts, axis=1)

    size = np.bincount(week, minlength=n_weeks)
    gone = by_age(left)
    lapsed_or_gone = by_age(np.where((lapsed >= 0) & ((left < 0) | (lapsed < left)), lapsed, left))
    rows = []
    for w in range(n_weeks):
        if not size[w]:
            continue
        max_age = last - min(7 * w + 6, last)
        ages = np.arange(max_age + 1)
        rows.append(pd.DataFrame({"cohort": 7 * w, "age": ages, "joined": size[w],
                                  "present": size[w] - gone[w, ages],
                                  "engaged": size[w] - lapsed_or_gone[w, ages]}))
    if not rows:
        return pd.DataFrame(columns=["cohort", "age", "joined", "present", "engaged"], dtype=np.int64)
    return pd.concat(rows, ignore_index=True)
