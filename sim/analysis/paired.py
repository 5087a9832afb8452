"""Paired comparisons of arms that ran on the same replication seeds.

Replication r of every arm shares its recruits, traits and luck (common random numbers),
so the difference d_r = KPI(arm, r) - KPI(baseline, r) cancels most of the run-to-run
noise. For each KPI this gives:

- the mean uplift and its 95% Student-t confidence interval over the replications;
- P(better): the probability that the arm's true mean uplift is on the better side of 0,
  under a flat prior (the Student-t posterior of the mean difference); 0.5 is a coin toss;
- a verdict: better / worse when the interval excludes 0, otherwise too close to call,
  with the replications that would make an uplift of the observed size and spread
  resolvable (interval half-width below the uplift).

Runs where a KPI is undefined (ROI without spend, D90 retention in a short run) are
left out of that KPI's pairs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from .kpis import CATALOG, Kpi

LEVEL = 0.95
MAX_REPS = 1_000_000


@dataclass
class Paired:
    n: int
    mean: float
    low: float
    high: float
    p_better: float
    reps_needed: float  # 0 when resolved already; inf when no number of replications would do

    @property
    def resolved(self) -> bool:
        return self.n >= 2 and (self.low > 0 or self.high < 0)


@lru_cache(maxsize=4096)
def _t(df: int) -> float:
    """The two-sided critical value of Student's t at LEVEL with ``df`` degrees of freedom."""
    from scipy import stats
    return float(stats.t.ppf(0.5 + LEVEL / 2, df))


def paired(base: np.ndarray, other: np.ndarray, higher_is_better: bool = True) -> Paired:
    from scipy import stats

    base, other = np.asarray(base, float), np.asarray(other, float)
    keep = ~(np.isnan(base) | np.isnan(other))
    d = other[keep] - base[keep]
    n = len(d)
    if n == 0:
        return Paired(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    mean = float(d.mean())
    if n < 2:
        return Paired(n, mean, math.nan, math.nan, math.nan, math.nan)
    sd = float(d.std(ddof=1))
    se = sd / math.sqrt(n)
    sign = 1 if higher_is_better else -1
    if se == 0:
        p = 0.5 if mean == 0 else float(sign * mean > 0)
        return Paired(n, mean, mean, mean, p, 0.0 if mean != 0 else math.inf)
    half = _t(n - 1) * se
    p = float(stats.t.cdf(sign * mean / se, n - 1))
    out = Paired(n, mean, mean - half, mean + half, p, 0.0)
    if not out.resolved:
        out.reps_needed = reps_to_resolve(mean, sd)
    return out


def reps_to_resolve(mean: float, sd: float) -> float:
    """Replications n with t(n-1) * sd / sqrt(n) < |mean| (inf when mean is 0 or n is absurd)."""
    if mean == 0:
        return math.inf
    n = max(2, math.ceil((1.96 * sd / abs(mean)) ** 2))
    for _ in range(20):
        if n > MAX_REPS:
            return math.inf
        t = _t(n - 1)
        needed = max(2, math.ceil((t * sd / abs(mean)) ** 2) + 1)
        if needed <= n:
            return float(n)
        n = needed
    return float(n)


def verdict(p: Paired, better_is_higher: bool) -> str:
    if p.n < 2:
        return "n/a (needs 2+ paired replications)"
    if p.resolved:
        return "better" if (p.mean > 0) == better_is_higher else "worse"
    if p.mean == 0 and p.low == p.high:
        return "no difference (equal in every replication)"
    if math.isinf(p.reps_needed):
        return "no difference found"
    return f"too close to call (~{p.reps_needed:,.0f} replications needed)"


def uplift_table(summary: pd.DataFrame, arms: list[tuple[str, int]], baseline: tuple[str, int],
                 kpis: list[str], catalog: dict[str, Kpi] = CATALOG) -> pd.DataFrame:
    """Per arm and KPI: its mean, the baseline's, the paired uplift with CI, P(better), verdict."""
    by_arm = {key: runs.set_index("replication") for key, runs in summary.groupby(["scenario", "point"], sort=False)}
    base = by_arm.get(baseline)
    rows = []
    for arm in arms:
        runs = by_arm.get(arm)
        if runs is None or base is None:
            continue
        common = runs.index.intersection(base.index)
        for kpi in kpis:
            spec = catalog[kpi]
            p = paired(base.loc[common, kpi], runs.loc[common, kpi], spec.higher_is_better)
            rows.append({"scenario": arm[0], "point": arm[1], "kpi": kpi,
                         "mean": float(runs[kpi].mean()), "baseline_mean": float(base[kpi].mean()),
                         "uplift": p.mean, "low": p.low, "high": p.high, "p_better": p.p_better,
                         "pairs": p.n, "reps_needed": p.reps_needed,
                         "verdict": "baseline" if arm == baseline else verdict(p, spec.higher_is_better)})
    return pd.DataFrame(rows)


def ranking(summary: pd.DataFrame, arms: list[tuple[str, int]], kpi: str,
            catalog: dict[str, Kpi] = CATALOG) -> pd.DataFrame:
    """Arms from best to worst on one KPI, and whether each can be told apart from the next.

    Neighbours are compared pairwise (their own paired difference), so two arms whose
    intervals against the baseline overlap may still be ranked when their paired
    difference is clear.
    """
    spec = catalog[kpi]
    by_arm = {key: runs.set_index("replication")[kpi]
              for key, runs in summary.groupby(["scenario", "point"], sort=False)}
    present = [a for a in arms if a in by_arm and by_arm[a].notna().any()]
    order = sorted(present, key=lambda a: by_arm[a].mean(), reverse=spec.higher_is_better)
    rows = []
    for i, arm in enumerate(order):
        row = {"rank": i + 1, "scenario": arm[0], "point": arm[1], "kpi": kpi, "mean": float(by_arm[arm].mean())}
        if i + 1 < len(order):
            nxt = order[i + 1]
            common = by_arm[arm].index.intersection(by_arm[nxt].index)
            p = paired(by_arm[nxt].loc[common], by_arm[arm].loc[common], spec.higher_is_better)
            row.update({"ahead_by": p.mean, "ahead_low": p.low, "ahead_high": p.high,
                        "separated": p.resolved, "reps_needed": p.reps_needed})
        rows.append(row)
    return pd.DataFrame(rows)
