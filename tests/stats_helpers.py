"""Shared helpers for statistical tests: replicated KPIs and paired CIs."""
from __future__ import annotations

import numpy as np
from scipy import stats

import sim

# Seeds of the statistical tests: never used to choose a default or a test's settings (those
# were chosen on other seeds), so passing here is a fresh check, not a fit.
TEST_SEEDS = (101, 202)


def replicate(path: str, overrides: list[str], reps: int, seed: int) -> sim.Results:
    return sim.run(sim.load_scenario(path, overrides), reps=reps, seed=seed)


def lower_bound(diffs: np.ndarray, confidence: float = 0.99) -> float:
    """One-sided lower confidence bound of the mean of paired differences (Student t)."""
    diffs = np.asarray(diffs, dtype=float)
    sem = diffs.std(ddof=1) / np.sqrt(len(diffs))
    return float(diffs.mean() - stats.t.ppf(confidence, len(diffs) - 1) * sem)


def upper_bound(values: np.ndarray, confidence: float = 0.99) -> float:
    return -lower_bound(-np.asarray(values, dtype=float), confidence)


def post_share(results: sim.Results, first_day: int, last_day: int) -> np.ndarray:
    """Per replication: share of members who posted, over days first_day..last_day."""
    d = results.daily[(results.daily["day"] >= first_day) & (results.daily["day"] <= last_day)]
    per_rep = d.groupby("replication")[["member_posts", "members"]].sum()
    return (per_rep["member_posts"] / per_rep["members"]).to_numpy()


def daily_ratio(results: sim.Results, numerator: str, denominator: str) -> np.ndarray:
    """Per replication: a daily count summed over days and groups, over another one summed
    the same way (e.g. purchases per member-day that saw the group)."""
    per_rep = results.daily.groupby("replication")[[numerator, denominator]].sum()
    return (per_rep[numerator] / per_rep[denominator]).to_numpy()
