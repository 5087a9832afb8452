"""The vectorised engine against the per-agent reference (``sim.engine.reference``).

Statistical agreement: R replications of ``CommunityModel`` (replications 0..R-1 of one
seed) and R runs of ``ReferenceModel`` (seeds 0..R-1) on the minimal scenario; on every
10th day (and the last), the mean daily present members and posters must agree within
a Welch interval: |mean_vec - mean_ref| <= t_q(df) * sqrt(var_vec/R + var_ref/R), df by
Welch-Satterthwaite. The tolerance comes from the run-to-run spread only.

Calibration: the quantile q is Bonferroni-adjusted over the k = 18 comparisons (6 days, 3 columns) (q = 1 -
0.005/k, a family-wise false alarm rate of at most 1%). Unadjusted (q = 0.995 per
comparison, as first planned), 3 of 40 independent seed sets had at least one
comparison out of bounds (0.6% of all comparisons, nominal 1%): too flaky for a
fixed-seed test that any change of the engine's random streams reshuffles. Adjusted,
none of those 40 sets failed (largest statistic 0.94 of its bound). The negative
control below (contagion off in the reference only: about 30% fewer posts) exceeds its
bound 1.7-3.4 times on every checked day, so the check keeps its power.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import sim
from sim.engine.reference import ReferenceModel

MINIMAL = Path(__file__).resolve().parents[1] / "benchmarks" / "minimal.yaml"
N, DAYS, R, SEED = 2000, 60, 10, 7
CHECK_DAYS = [10, 20, 30, 40, 50, DAYS - 1]
OVERRIDES = [f"recruitment.initial_members={N}", f"days={DAYS}"]
COLUMNS = ["members", "member_posts", "member_msgs"]


def scenario(*extra: str):
    return sim.load_scenario(MINIMAL, OVERRIDES + list(extra))


def vectorised_runs(s) -> np.ndarray:
    """(R, days, 2): daily totals of present members and posters, one row per replication."""
    out = []
    for r in range(R):
        daily = sim.CommunityModel(s, replication=r, seed=SEED).run().recorder.daily()
        out.append(daily.groupby("day")[COLUMNS].sum().to_numpy())
    return np.array(out, float)


def reference_runs(s) -> np.ndarray:
    return np.array([ReferenceModel(s, seed=k).run().daily()[COLUMNS].to_numpy() for k in range(R)], float)


def welch_ratio(a: np.ndarray, b: np.ndarray, comparisons: int) -> np.ndarray:
    """|mean_a - mean_b| over its Welch bound, per day and column (> 1: disagreement)."""
    va, vb = a.var(0, ddof=1) / len(a), b.var(0, ddof=1) / len(b)
    se2 = va + vb
    with np.errstate(invalid="ignore", divide="ignore"):
        df = se2**2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    df = np.where(np.isfinite(df), np.maximum(df, 1.0), 1.0)
    bound = stats.t.ppf(1 - 0.005 / comparisons, df) * np.sqrt(se2)
    diff = np.abs(a.mean(0) - b.mean(0))
    return np.where(bound > 0, diff / np.where(bound > 0, bound, 1), np.where(diff > 0, np.inf, 0.0))


@pytest.fixture(scope="module")
def vec() -> np.ndarray:
    return vectorised_runs(scenario())


@pytest.fixture(scope="module")
def ref() -> np.ndarray:
    return reference_runs(scenario())


def test_day_zero_is_the_initial_population(vec, ref):
    assert (vec[:, 0, 0] == N).all() and (ref[:, 0, 0] == N).all()


def test_vectorised_and_reference_agree(vec, ref):
    k = len(CHECK_DAYS) * len(COLUMNS)
    ratio = welch_ratio(vec, ref, k)[CHECK_DAYS]
    assert (ratio <= 1).all(), f"out of bounds (day x [members, posts]):\n{ratio.round(2)}"
    # the check is not vacuous: the runs do vary, and members do leave and post
    assert (vec[:, CHECK_DAYS].std(0, ddof=1) > 0).all()
    assert vec[:, -1, 0].mean() < 0.7 * N and vec[:, CHECK_DAYS, 1].min() > 50


def test_negative_control_contagion_off_is_rejected(vec):
    """Same check, reference without contagion: posting must be rejected on every day."""
    off = reference_runs(scenario("behavior.contagion.enabled=false"))
    k = len(CHECK_DAYS) * len(COLUMNS)
    ratio = welch_ratio(vec, off, k)[CHECK_DAYS]
    assert (ratio[:, 1] > 1).all(), f"contagion off not detected on posts: {ratio[:, 1].round(2)}"
    # contagion visibly matters here (reference share 0.05 < mean activity 0.09) ...
    assert vec[:, CHECK_DAYS, 1].mean() > 1.2 * off[:, CHECK_DAYS, 1].mean()
    # ... and only posting changes: leaving does not depend on contagion
    assert (ratio[:, 0] <= 1).all()


def test_reference_is_reproducible():
    s = sim.load_scenario(MINIMAL, ["recruitment.initial_members=700", "days=15"])
    a, b = ReferenceModel(s, seed=3).run().daily(), ReferenceModel(s, seed=3).run().daily()
    assert a.equals(b)
    assert not a.equals(ReferenceModel(s, seed=4).run().daily())
    assert len(a) == 15 and a["members"].iloc[0] == 700


def test_reference_refuses_other_mechanisms():
    s = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml")
    with pytest.raises(ValueError, match="minimal rules only"):
        ReferenceModel(s)
