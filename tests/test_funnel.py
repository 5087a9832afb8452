"""Recruitment funnel (``sim.strategies.funnel``, registered as ``recruitment_funnel``): exact
counting (stages nest, the joined are the engine's joiners, re-invites are the verified
non-joiners, each once, spend is the costs times the counts), a property test over random rates,
and direction tests on ``TEST_SEEDS`` with bounds from the replication spread (paired runs, 99%),
each shown to fail with its mechanism off inside the test. Settings need no calibration: the
rates are the scenario's, the checks compare the model with what it was told."""
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import sim
from sim.engine.arrivals import SOURCE_REINVITED
from sim.engine.model import CommunityModel
from sim.experiments.errors import InputError
from sim.reporting.charts.funnel import funnel_chart, funnel_table
from sim.strategies.funnel import attribute, stage_counts, thresholds
from stats_helpers import TEST_SEEDS, lower_bound, upper_bound

BASE = "scenarios/baseline.yaml"
KEY = "strategies.recruitment_funnel"
STAGES = ["funnel_reached", "funnel_added", "funnel_verified", "funnel_joined"]
# seed 004's shape: the jump to WeChat loses most; seed 001: 70% of the verified join, a third
# of those who stayed out join when re-invited
FUNNEL = {"add_rate": 0.3, "verify_rate": 0.8, "join_rate": 0.7, "rejoin": 1 / 3, "cost_reached": 0.1,
          "cost_added": 1.0, "cost_verified": 0.5, "cost_joined": 2.0}
SMALL = ["recruitment.arrivals_per_day=300"]


def funnel(**params) -> str:
    return f"{KEY}=" + "{" + ", ".join(f"{k}: {v}" for k, v in params.items()) + "}"


def model(days: int, seed: int = 3, extra=(), **params) -> CommunityModel:
    scenario = sim.load_scenario(BASE, [f"days={days}", *SMALL, *extra, funnel(**{**FUNNEL, **params})])
    return CommunityModel(scenario, seed=seed).run()


@lru_cache(maxsize=16)
def replicated(seed: int, days: int, params: tuple, reps: int = 6) -> sim.Results:
    over = [f"days={days}", *SMALL, funnel(**{**FUNNEL, **dict(params)})]
    return sim.run(sim.load_scenario(BASE, over), reps=reps, seed=seed)


def per_rep(daily: pd.DataFrame, column: str) -> np.ndarray:
    return daily.groupby("replication")[column].sum().to_numpy(dtype=float)


def kpi(res: sim.Results, name: str) -> np.ndarray:
    """Per replication, a column of summary.csv (0, not missing, for a run where nobody joined)."""
    return res.summary.sort_values("replication")[name].to_numpy(dtype=float)


# -- exact counting -------------------------------------------------------------------------
def test_stages_nest_and_the_joined_are_the_engines_joiners():
    m = model(15)
    d = m.recorder.daily()
    for upper, lower in zip(STAGES, STAGES[1:]):
        assert (d[upper] >= d[lower]).all(), (upper, lower)  # every (day, group), not only in total
    assert (d["funnel_reinvited"] >= d["funnel_rejoined"]).all()
    assert np.array_equal(d["funnel_joined"] + d["funnel_rejoined"], d["joined"])  # per (day, group)
    assert d["funnel_reached"].sum() == sum(count for _, count, _, _ in m.recruiting.recruited.values())
    assert d["funnel_added"].sum() < d["funnel_reached"].sum() / 2  # the jump loses most
    members = m.recorder.members()
    assert (members["source"] == SOURCE_REINVITED).sum() == d["funnel_rejoined"].sum() > 0


def test_reinvites_are_the_verified_non_joiners_each_once_and_joiners_count_once():
    days = 15
    m = model(days)
    d = m.recorder.daily().groupby("day").sum(numeric_only=True)
    stayed_out = (d["funnel_verified"] - d["funnel_joined"]).loc[: days - 3]  # re-invited 2 days later
    assert d["funnel_reinvited"].sum() == stayed_out.sum()
    assert (d["funnel_reinvited"].shift(-2).loc[: days - 3] == stayed_out).all()  # each day's, on its day
    spans = m.recorder.memberships()
    assert spans["person"].is_unique  # nobody joins twice: a re-invited joiner had not joined before
    assert spans["person"].isin(m.recorder.members().query("source == @SOURCE_REINVITED")["person"]).sum() \
        == d["funnel_rejoined"].sum() > 0


def test_spend_is_each_stages_cost_times_the_people_reaching_it():
    d = model(12).recorder.daily()
    p = FUNNEL
    expected = {"spend_funnel_reach": p["cost_reached"] * d["funnel_reached"],
                "spend_funnel_add": p["cost_added"] * d["funnel_added"],
                "spend_funnel_verify": p["cost_verified"] * d["funnel_verified"],
                "spend_funnel_join": p["cost_joined"] * (d["funnel_joined"] + d["funnel_rejoined"]),
                "spend_funnel_reinvite": 2.0 * d["funnel_reinvited"]}
    for column, values in expected.items():
        np.testing.assert_allclose(d[column], values, err_msg=column)
    np.testing.assert_allclose(d["funnel_spend"], sum(expected.values()))
    assert (d.filter(like="spend") >= 0).all().all()


def test_a_full_group_turns_verified_joiners_away_and_they_are_not_joined():
    d = model(6, extra=["groups.auto_switch=false", "groups.capacity=60"]).recorder.daily()
    assert d["lost_full"].sum() > 0
    assert np.array_equal(d["funnel_joined"] + d["funnel_rejoined"], d["joined"])
    assert (d["funnel_verified"] >= d["funnel_joined"]).all()


def test_at_its_defaults_it_only_counts_the_scenarios_recruitment():
    over = ["days=10", *SMALL]
    plain = CommunityModel(sim.load_scenario(BASE, over), seed=5).run().recorder.daily()
    counted = CommunityModel(sim.load_scenario(BASE, [*over, f"{KEY}={{}}"]), seed=5).run().recorder.daily()
    pd.testing.assert_frame_equal(plain, counted[plain.columns])  # nothing changes
    assert counted["funnel_reached"].equals(counted["funnel_added"]) and \
        counted["funnel_added"].equals(counted["funnel_verified"])
    assert counted["funnel_joined"].sum() == plain["joined"].sum()


def test_a_funnel_beside_an_onboarding_offer_is_refused_and_an_offer_free_onboarding_composes():
    for onboarding in ("{join_probability: 0.8}", "{rejoin: 0.3}"):
        for order in ((f"strategies.onboarding={onboarding}", funnel(add_rate=0.5)),
                      (funnel(add_rate=0.5), f"strategies.onboarding={onboarding}")):
            with pytest.raises(InputError, match="both set the invitation funnel") as err:
                sim.load_scenario(BASE, ["days=3", *order])  # refused as the file is read, in one line
            assert "strategies.onboarding" in str(err.value) and "\n" not in str(err.value)
    both = CommunityModel(sim.load_scenario(BASE, ["days=5", funnel(add_rate=0.5), "strategies.onboarding={}"])).run()
    assert both.recorder.daily()["funnel_added"].sum() > 0
    # the funnel only counting beside an offer: the offer's join rate is the joined stage
    offer = CommunityModel(sim.load_scenario(BASE, ["days=5", "strategies.onboarding={join_probability: 0.9}",
                                                   f"{KEY}={{}}"])).run().recorder.daily()
    assert offer["funnel_joined"].sum() == offer["joined"].sum()


def test_the_funnel_is_the_programmes_so_a_target_is_refused():
    with pytest.raises(InputError, match="programme's invitation"):
        sim.load_scenario(BASE, [funnel(add_rate=0.5, where="{groups: [0]}")])
    sim.load_scenario(BASE, [f"{KEY}={{where: {{groups: [0]}}}}"])  # counting only: a target is fine


def test_the_chart_and_table_show_the_stages_and_nothing_without_the_funnel():
    res = replicated(3, 12, (), reps=2)
    table = funnel_table(res)
    assert list(table["stage"]) == ["reached", "added friend", "verified", "joined", "joined with re-invites"]
    assert (np.diff(table["mean"].to_numpy()[:4]) <= 0).all()
    assert table["share_of_previous"].iloc[1] == pytest.approx(0.3, abs=0.05)
    assert funnel_chart(res) is not None
    plain = sim.run(sim.load_scenario(BASE, ["days=5"]), reps=1, seed=3)
    assert funnel_table(plain) is None and funnel_chart(plain) is None


# -- property --------------------------------------------------------------------------------
rate = st.floats(0, 1).map(lambda x: round(x, 3))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1, exclude_max=True), max_size=60), rate, rate, rate, st.integers(1, 3))
def test_stage_counts_never_rise_whatever_the_rates(draws, add, verify, join, n_groups):
    draws = np.array(draws)
    cuts = thresholds(add, verify, join)
    passed = draws < cuts[2]
    placed = np.flatnonzero(passed)
    groups = np.sort(np.arange(len(placed)) % n_groups)  # joiners fill groups in arrival order
    counts = stage_counts(draws, cuts, passed, attribute(len(draws), placed, groups, n_groups - 1), n_groups)
    stacked = np.vstack([counts[s] for s in ("reached", "added", "verified", "joined")])
    assert (np.diff(stacked, axis=0) <= 0).all()
    assert stacked[0].sum() == len(draws) and (counts["joined"] == np.bincount(groups, minlength=n_groups)).all()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rate, rate, rate, rate)
def test_whole_runs_count_nested_stages_for_any_rates(add, verify, join, rejoin):
    over = ["days=6", "recruitment.arrivals_per_day=40", "groups.capacity=50",
            funnel(add_rate=add, verify_rate=verify, join_rate=join, rejoin=rejoin, reinvite_after=1)]
    d = CommunityModel(sim.load_scenario(BASE, over), seed=7).run().recorder.daily()
    for upper, lower in zip(STAGES, STAGES[1:]):
        assert (d[upper] >= d[lower]).all()
    assert (d["funnel_joined"] + d["funnel_rejoined"] == d["joined"]).all()
    assert (d.filter(like="spend") >= 0).all().all()


# -- directions (TEST_SEEDS) ------------------------------------------------------------------
@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_a_higher_join_rate_at_the_last_stage_brings_more_joiners(seed):
    low, high = (replicated(seed, 40, (("join_rate", r), ("rejoin", 0))) for r in (0.5, 0.7))
    more = per_rep(high.daily, "funnel_joined") - per_rep(low.daily, "funnel_joined")
    assert lower_bound(more) > 0
    # the stage's rate: about 2,900 verified a run, a binomial sd of 0.009, so the 99% bound of
    # 6 runs is within about 1.2 points of the mean; 3 points leave room for chance
    rate = per_rep(high.daily, "funnel_joined") / per_rep(high.daily, "funnel_verified")
    assert 0.67 < lower_bound(rate) and upper_bound(rate) < 0.73
    # off: the stage before lets nobody through, so the higher join rate brings nobody
    shut = [replicated(seed, 40, (("join_rate", r), ("rejoin", 0), ("verify_rate", 0))) for r in (0.5, 0.7)]
    none = kpi(shut[1], "funnel_joined") - kpi(shut[0], "funnel_joined")
    assert not lower_bound(none) > 0 and upper_bound(np.abs(none)) < 1e-9


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_spend_rises_with_the_cost_per_person(seed):
    cheap, dear = (replicated(seed, 20, (("cost_added", c),)) for c in (1.0, 2.0))
    more = per_rep(dear.daily, "spend") - per_rep(cheap.daily, "spend")
    assert lower_bound(more - per_rep(cheap.daily, "funnel_added")) > -1e-6  # one more CNY an added friend
    assert lower_bound(more) > 0
    # off: nobody reaches the stage (add_rate 0), so its dearer cost adds nothing
    shut = [replicated(seed, 20, (("cost_added", c), ("add_rate", 0.0))) for c in (1.0, 2.0)]
    flat = kpi(shut[1], "spend") - kpi(shut[0], "spend")
    assert not lower_bound(flat) > 0 and upper_bound(np.abs(flat)) < 1e-9


DAYS_REINVITE = 30


def reinvite_gain(seed: int, rejoin: float) -> np.ndarray:
    """Per replication: joiners the re-invites added (paired: the first invitations are the same
    draws) over the verified of the days whose non-joiners were re-invited (all but the last 2)."""
    on = replicated(seed, DAYS_REINVITE, (("rejoin", rejoin),))
    off = replicated(seed, DAYS_REINVITE, (("rejoin", 0),))
    verified = on.daily[on.daily["day"] <= DAYS_REINVITE - 3]
    return (per_rep(on.daily, "joined") - per_rep(off.daily, "joined")) / per_rep(verified, "funnel_verified")


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_reinvites_add_10_points_of_the_verifieds_join_rate(seed):
    gain = reinvite_gain(seed, 1 / 3)
    assert 0.08 < lower_bound(gain) and upper_bound(gain) < 0.12  # seed 001: about 10 points
    # off: the re-invites are sent and paid for but nobody accepts (rejoin 1e-9; rejoin 0 sends none
    # and is the comparison run itself): the claim fails, nothing is added
    ignored = reinvite_gain(seed, 1e-9)
    sent = replicated(seed, DAYS_REINVITE, (("rejoin", 1e-9),)).daily
    assert sent["funnel_reinvited"].sum() > 0 and sent["spend_funnel_reinvite"].sum() > 0
    assert not (0.08 < lower_bound(ignored) and upper_bound(ignored) < 0.12)
    assert upper_bound(np.abs(ignored)) < 0.005


def test_two_staged_funnels_are_refused_as_the_file_is_read():
    with pytest.raises(InputError, match="one instance sets the stages"):
        sim.load_scenario(BASE, [f"{KEY}=[{{add_rate: 0.5}}, {{add_rate: 0.6, when: {{start: 3}}}}]"])
