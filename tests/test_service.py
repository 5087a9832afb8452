"""Service replies (``sim.strategies.service``): an answered first post brings the newcomer
back about 12 points more often (Joyce & Kraut 2006: 56% against 44%), auto-replies less,
and the spend is booked per reply or per bot-day.

Answered and unanswered newcomers are a random split (``coverage`` 0.5), as in the study;
bounds from the replication spread on ``TEST_SEEDS``; switched off, the gap is gone."""
import numpy as np
import pytest

import sim
from stats_helpers import TEST_SEEDS, lower_bound, upper_bound

SERVICE = "scenarios/service.yaml"


def came_back_gap(seed: int, extra=()) -> np.ndarray:
    """Per replication: share of answered newcomers who posted again within 30 days, minus
    the share of unanswered ones."""
    over = ["days=150", "strategies.service.coverage=0.5", *extra]
    d = sim.run(sim.load_scenario(SERVICE, over), reps=8, seed=seed).daily
    g = d.groupby("replication")[["followed_replied", "again_replied", "followed_unreplied", "again_unreplied"]].sum()
    return (g["again_replied"] / g["followed_replied"] - g["again_unreplied"] / g["followed_unreplied"]).to_numpy()


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_an_answered_first_post_brings_newcomers_back_12_points_more(seed):
    gap = came_back_gap(seed)
    assert 0.08 < lower_bound(gap) and upper_bound(gap) < 0.16  # 12 points within 4
    assert upper_bound(came_back_gap(seed, ["strategies.service.lift=0"])) < 0.04  # no effect: no gap


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_auto_replies_help_less(seed):
    staff, auto = came_back_gap(seed), came_back_gap(seed, ["strategies.service.mode=auto"])
    assert lower_bound(staff - auto) > 0 and lower_bound(auto) > 0


def test_spend_is_booked_per_reply_or_per_bot_day():
    over = ["days=30", "recruitment.arrivals_per_day=30"]
    staff = sim.run(sim.load_scenario(SERVICE, over), reps=1, seed=3).daily
    assert staff["spend_service"].sum() == pytest.approx(2.0 * staff["first_replies"].sum())
    assert staff["first_replies"].sum() <= staff["first_posts"].sum() and staff["first_replies"].sum() > 0
    auto = sim.run(sim.load_scenario(SERVICE, over + ["strategies.service.mode=auto"]), reps=1, seed=3).daily
    assert auto["spend_service"].sum() == pytest.approx(1.0 * len(auto))  # one CNY a group and day
