"""Guides by source (``sim.strategies.guides``): KOCs emerge from members' talk and orders,
and a peer's recommendation converts better than an official one by default (seed 004).

Per recommendation: (purchases with one source of guides − purchases without guides) /
that source's recommendations, in paired replications on ``TEST_SEEDS`` (one-sided 99%
bounds). With the peer lift at 0 the peer's advantage turns into a deficit.
"""
from __future__ import annotations

import numpy as np
import pytest

import sim
from stats_helpers import TEST_SEEDS, lower_bound, replicate, upper_bound

BASELINE = "scenarios/baseline.yaml"
MONTHS = ("days=45", "members.purchase.beta=[1, 100]")
OFFICIAL = "strategies.guides={peer: {rate: 0}}"             # official recommendations only
PEER = "strategies.guides={official: {per_day: 0}}"          # KOC recommendations only


def per_recommendation(seed: int, extra=()) -> tuple[np.ndarray, np.ndarray]:
    def run(over):
        return replicate(BASELINE, [*MONTHS, *over, *extra], 5, seed)
    none = run([]).summary["purchases"].to_numpy(float)
    official, peer = run([OFFICIAL]), run([PEER])
    recs = {r: d.daily.groupby("replication")[c].sum().to_numpy(float)
            for r, d, c in (("official", official, "official_recs"), ("peer", peer, "koc_recs"))}
    assert (recs["peer"] > 0).all() and (recs["official"] > 0).all()
    return ((official.summary["purchases"].to_numpy(float) - none) / recs["official"],
            (peer.summary["purchases"].to_numpy(float) - none) / recs["peer"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_a_peer_recommendation_converts_better_than_an_official_one(seed):
    official, peer = per_recommendation(seed)
    assert lower_bound(official) > 0 and lower_bound(peer - official) > 0
    official, peer = per_recommendation(seed, ["strategies.guides.peer.lift=0"])  # peers persuade nobody
    assert upper_bound(peer - official) < 0


def test_kocs_emerge_from_talk_and_orders_at_reviews():
    over = [*MONTHS, "strategies.guides={peer: {window: 7, messages: 5, purchases: 1}}"]
    model = sim.CommunityModel(sim.load_scenario(BASELINE, over), seed=3).run()
    m, d = model.members, model.recorder.daily()
    koc = m.column("koc") == 1
    assert koc.any() and (m.purchases[koc] >= 1).all()
    assert (d.loc[(d["day"] + 1) % 7 != 0, ["kocs", "new_kocs"]] == 0).all().all()
    assert d["new_kocs"].sum() >= koc[m.present].sum() > 0
    strict = sim.CommunityModel(sim.load_scenario(BASELINE, [*over, "strategies.guides.peer.purchases=10000"]),
                                seed=3).run()
    assert strict.recorder.daily()["kocs"].sum() == 0 and strict.recorder.daily()["koc_recs"].sum() == 0


def test_staff_hours_and_koc_rewards_are_booked():
    over = [*MONTHS, "strategies.guides={shill: {per_day: 1}}"]
    d = sim.run(sim.load_scenario(BASELINE, over), reps=1, seed=4).daily
    assert d["spend_guides"].sum() == pytest.approx(2.5 * (d["official_recs"] + d["shill_recs"]).sum())
    assert d["spend_koc_rewards"].sum() == pytest.approx(5.0 * d["koc_recs"].sum()) and d["koc_recs"].sum() > 0
    assert (d["shill_msgs"] == d["shill_recs"]).all()
