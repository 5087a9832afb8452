"""Conformity (``behavior.conformity``, ``sim.engine.purchase``): purchases in a group raise
the other members' buying the next day (seed 000: payment relays, screenshots), so purchases
cluster in groups and days; shills' purchase screenshots seed it.

Measured on groups of about a hundred members over 40 days (days 5-39), buying propensity
ten times the baseline's: the index of dispersion (variance over mean) of a group's daily
purchases and the lag-1 correlation of a group's purchases with its purchases the day before,
each averaged over groups. Paired replications, one-sided 99% bounds, on ``TEST_SEEDS``.
With ``strength`` 0 the runs are exactly those with conformity off.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.engine.purchase import Conformity, conformity_lift
from stats_helpers import TEST_SEEDS, lower_bound, replicate

BASELINE = "scenarios/baseline.yaml"
GROUPS = ("days=40", "members.purchase.beta=[1, 100]", "recruitment.initial_members=600",
          "recruitment.arrivals_per_day=10", "groups.capacity=100")
ON = "behavior.conformity.enabled=true"


def clustering(daily: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per replication: mean over groups of (dispersion index, lag-1 correlation) of daily purchases."""
    dispersion, lag = [], []
    for _, d in daily[daily["day"] >= 5].groupby("replication"):
        by_group = [g.sort_values("day")["purchases"].to_numpy(float) for _, g in d.groupby("group")]
        by_group = [p for p in by_group if len(p) > 10 and p.std() > 0]
        dispersion.append(np.mean([p.var(ddof=1) / p.mean() for p in by_group]))
        lag.append(np.mean([np.corrcoef(p[1:], p[:-1])[0, 1] for p in by_group]))
    return np.array(dispersion), np.array(lag)


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_conformity_clusters_purchases_in_groups_and_days(seed):
    off = replicate(BASELINE, list(GROUPS), 6, seed)
    on = replicate(BASELINE, [*GROUPS, ON], 6, seed)
    for a, b in zip(clustering(on.daily), clustering(off.daily)):
        assert lower_bound(a - b) > 0
    assert lower_bound(on.summary["purchases"].to_numpy(float) - off.summary["purchases"].to_numpy(float)) > 0
    nil = replicate(BASELINE, [*GROUPS, ON, "behavior.conformity.strength=0"], 6, seed)  # the effect is gone
    pd.testing.assert_frame_equal(nil.daily, off.daily)


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_shill_screenshots_seed_conformity_and_risk_being_found_out(seed):
    shills = [*GROUPS, "strategies.shills={accounts: 2}"]
    def run(extra):
        r = replicate(BASELINE, [*shills, *extra], 4, seed)
        return r.summary["purchases"].to_numpy(float), r.daily.groupby("replication")["shills_noticed"].sum().to_numpy(float)
    plain_buys, plain_noticed = run([ON])
    shot_buys, shot_noticed = run([ON, "strategies.shills.screenshots_per_day=2"])
    assert lower_bound(shot_buys - plain_buys) > 0 and lower_bound(shot_noticed - plain_noticed) > 0
    off_plain, _ = run([])
    off_shot, _ = run(["strategies.shills.screenshots_per_day=2"])  # conformity off: screenshots persuade nobody
    assert not lower_bound(off_shot - off_plain) > 0


def test_the_term_is_capped_and_diminishing():
    c = Conformity(enabled=True, strength=1.0, cap=1.5)
    lift = conformity_lift(np.array([0, 1, 2, 50, 5]), np.array([100, 100, 100, 100, 0]), c)
    assert lift[0] == 0 and lift[1] == pytest.approx(np.log(2)) and lift[2] == pytest.approx(np.log(3))
    assert lift[3] == 1.5 and lift[4] == 1.5  # capped; an empty group counts as one member
    assert lift[2] - lift[1] < lift[1] - lift[0]


def test_conformity_is_off_by_default_and_left_out_of_the_digest():
    plain = sim.load_scenario(BASELINE)
    assert not plain.behavior.conformity.enabled and "conformity" not in plain.canonical()
    assert "conformity" in sim.load_scenario(BASELINE, [ON]).canonical()
