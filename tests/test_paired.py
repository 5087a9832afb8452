"""Paired comparison statistics: uplift CI, P(better), verdicts and replications needed."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis.paired import paired, ranking, reps_to_resolve, uplift_table, verdict


def test_uplift_is_the_mean_paired_difference_with_a_t_interval():
    rng = np.random.default_rng(1)
    base = rng.normal(100, 20, 12)
    other = base + rng.normal(3, 1, 12)  # shared noise cancels in the pairs
    p = paired(base, other)
    d = other - base
    half = stats.t.ppf(0.975, 11) * d.std(ddof=1) / math.sqrt(12)
    assert p.mean == pytest.approx(d.mean()) and p.high - p.mean == pytest.approx(half)
    assert p.resolved and p.p_better > 0.999 and verdict(p, True) == "better"
    # unpaired, the same runs could not tell the arms apart (the CRN gain)
    welch = stats.ttest_ind(other, base, equal_var=False)
    assert welch.pvalue > 0.05


def test_lower_is_better_flips_p_and_verdict():
    base, other = np.array([10.0, 12, 11, 13]), np.array([8.0, 10.5, 9, 11.2])
    p = paired(base, other, higher_is_better=False)
    assert p.p_better > 0.99 and verdict(p, False) == "better"
    assert verdict(paired(base, other, True), True) == "worse"


def test_p_better_is_calibrated_on_a_null_difference():
    """With no true difference, P(better) is uniform: about 5% of trials under 0.05."""
    rng = np.random.default_rng(7)
    ps = [paired(rng.normal(0, 1, 10), rng.normal(0, 1, 10)).p_better for _ in range(2000)]
    share = np.mean(np.array(ps) < 0.05)
    assert abs(share - 0.05) < 4 * math.sqrt(0.05 * 0.95 / 2000)


def test_too_close_to_call_says_how_many_replications_would_resolve_it():
    rng = np.random.default_rng(3)
    base = rng.normal(0, 1, 6)
    other = base + rng.normal(0.2, 1, 6)
    p = paired(base, other)
    assert not p.resolved  # fixed seed: an unresolved draw
    assert verdict(p, True).startswith("too close to call (~")
    n = reps_to_resolve(p.mean, np.std(other - base, ddof=1))
    sd = np.std(other - base, ddof=1)
    assert stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) < abs(p.mean)
    assert stats.t.ppf(0.975, n - 3) * sd / math.sqrt(n - 2) >= abs(p.mean)  # and not much fewer would do
    assert p.reps_needed == n


def test_undefined_values_are_left_out_of_pairs():
    p = paired([1.0, np.nan, 3, 4], [2.0, 5, np.nan, 6])
    assert p.n == 2 and p.mean == pytest.approx(1.5)
    assert verdict(paired([1.0], [2.0]), True).startswith("n/a")


def test_tables_pair_by_replication_and_rank_neighbours():
    summary = pd.DataFrame({
        "scenario": ["a"] * 4 + ["b"] * 4 + ["c"] * 4, "point": 0, "replication": [0, 1, 2, 3] * 3,
        "gmv": [10, 20, 30, 40, 12, 22, 31, 43, 12.1, 22.2, 31.2, 42.5]})
    up = uplift_table(summary, [("a", 0), ("b", 0), ("c", 0)], ("a", 0), ["gmv"]).set_index("scenario")
    assert up.loc["a", "verdict"] == "baseline"
    assert up.loc["b", "uplift"] == pytest.approx(2.0) and up.loc["b", "verdict"] == "better"
    ranked = ranking(summary, [("a", 0), ("b", 0), ("c", 0)], "gmv")
    assert list(ranked["scenario"]) == ["b", "c", "a"]
    assert not ranked.loc[0, "separated"] and ranked.loc[1, "separated"]
