"""Conflict between opposed segments (``behavior.conflict``, ``sim.engine.conflict``; seed 004:
mixing physical shops and online sellers starts fights, mixed groups churn more than segmented).

Exposure is counted exactly on hand-made groups; the leave draws with its term are the
exact draws (gates opened wide give the same run); mixed groups lose members faster and
trust less than the same recruits routed by segment, on both ``TEST_SEEDS`` with bounds
from the replication spread, and with conflict's coefficients at 0 the gap is gone; it
grows with the mix; routed by segment, conflict changes nothing at all."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import sim
import sim.engine.draws as draws
from sim.engine.conflict import Conflict, ConflictRule
from sim.engine.members import Members
from sim.engine.model import CommunityModel
from sim.experiments.errors import InputError
from stats_helpers import TEST_SEEDS, lower_bound, upper_bound

MIXED, SEGMENTED = "scenarios/mixed.yaml", "scenarios/segmented.yaml"
SMALL = ["days=60", "recruitment.arrivals_per_day=20", "groups.capacity=200"]
OFF = ["behavior.conflict.leave=0", "behavior.conflict.trust=0"]
REPS = 6


def tiny_day(groups, segments, opposed):
    """A day of hand-made groups: ``groups`` is a list of groups, each a list of (segment,
    present) members; rows are in group order, as the engine keeps them."""
    rows = [(g, segments.index(s), present) for g, members in enumerate(groups) for s, present in members]
    m = Members(capacity=16)
    m.add(len(rows), group=np.array([r[0] for r in rows]), segment=np.array([r[1] for r in rows]),
          left=np.array([-1 if r[2] else 0 for r in rows]), uid=np.arange(len(rows)), person=np.arange(len(rows)))
    m.order(len(groups))
    spec = SimpleNamespace(members=SimpleNamespace(segment_names=lambda: segments))
    day = SimpleNamespace(members=m, present=m.present, model=SimpleNamespace(spec=spec))
    return day, ConflictRule(Conflict(opposed=opposed))


def test_exposure_is_the_share_of_the_others_in_an_opposed_segment():
    groups = [
        [("shop", True), ("shop", True), ("online", True)],                  # 2 shops, 1 online seller
        [("online", True), ("online", True)],                                # one segment: no conflict
        [("shop", True), ("online", True), ("other", True), ("online", False)],  # one online seller left
        [("shop", True)],                                                    # alone
    ]
    day, rule = tiny_day(groups, ["shop", "online", "other"], [("shop", "online")])
    expected = [1 / 2, 1 / 2, 2 / 2, 0, 0, 1 / 2, 1 / 2, 0, 1 / 2, 0]  # the left row: as an online seller there
    assert rule.exposure(day) == pytest.approx(expected)
    assert rule.exposure(day).dtype == np.float32
    day, rule = tiny_day(groups, ["shop", "online", "other"], [("shop", "online"), ("other", "online")])
    assert rule.exposure(day)[5:9] == pytest.approx([1 / 2, 2 / 2, 1 / 2, 2 / 2])  # group 2: three sides


def test_trust_wears_by_exposure_for_those_who_saw_the_group():
    day, rule = tiny_day([[("shop", True), ("online", True), ("online", True)]], ["shop", "online"],
                         [("shop", "online")])
    day.members.trust[:] = 0.5
    seen = np.array([True, True, False])
    rule.wear_trust(day, seen, trust_on=True)
    assert day.members.trust == pytest.approx([0.5 * (1 - 0.02), 0.5 * (1 - 0.02 * 0.5), 0.5])
    rule.wear_trust(day, seen, trust_on=False)  # behavior.trust off: nothing
    assert day.members.trust[2] == 0.5 and day.members.trust[0] == pytest.approx(0.49)


@pytest.mark.parametrize("leave", [1.5, 6.0])
def test_leave_draws_with_conflict_are_the_exact_draws(monkeypatch, leave):
    """The gates skip only rows that would not leave: the same run with every row tested exactly."""
    over = ["days=30", "recruitment.arrivals_per_day=30", "groups.capacity=100", f"behavior.conflict.leave={leave}"]
    gated = sim.run(sim.load_scenario(MIXED, over), reps=1, seed=5).daily
    monkeypatch.setattr(draws, "K_FREE", 1e12)  # every gate wide open, no row over the bound
    exact = sim.run(sim.load_scenario(MIXED, over), reps=1, seed=5).daily
    assert gated["left"].sum() > 0
    pd.testing.assert_frame_equal(gated, exact)


def churn(path: str, extra, seed: int) -> dict[str, np.ndarray]:
    """Per replication: leavers per 100 member-days, and mean trust of the members present at the end."""
    out = {"leave": [], "trust": []}
    for r in range(REPS):
        model = CommunityModel(sim.load_scenario(path, SMALL + list(extra)), replication=r, seed=seed).run()
        d = model.recorder.daily()
        out["leave"].append(100 * d["left"].sum() / d["members"].sum())
        out["trust"].append(float(model.members.trust[model.members.present].mean()))
    return {k: np.array(v) for k, v in out.items()}


def gap(extra, seed: int) -> dict[str, np.ndarray]:
    """Per replication: how much more mixed groups lose (leave rate) and how much less their
    members trust than the same recruits routed by segment (same seeds: paired)."""
    mixed, segmented = churn(MIXED, extra, seed), churn(SEGMENTED, extra, seed)
    return {"leave": mixed["leave"] - segmented["leave"], "trust": segmented["trust"] - mixed["trust"]}


def near_none(off: np.ndarray, on: np.ndarray) -> bool:
    """The 99% bounds of a gap with the mechanism off lie within a tenth of the gap with it on."""
    tolerance = 0.1 * abs(on.mean())
    return -tolerance < lower_bound(off) and upper_bound(off) < tolerance


@pytest.mark.slow
@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_mixed_groups_churn_more_and_trust_less_than_segmented_ones(seed):
    on, off = gap([], seed), gap(OFF, seed)
    assert lower_bound(on["leave"]) > 0 and lower_bound(on["trust"]) > 0
    # off: the same recruits in the same groups, conflict's coefficients at 0: no gap
    assert near_none(off["leave"], on["leave"]) and near_none(off["trust"], on["trust"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_conflict_grows_with_the_mix(seed):
    """Extra leavers from conflict (on minus off, the same runs otherwise) in groups split
    evenly exceed those in groups of 90% shops (mean exposure 0.5 against 0.18)."""
    lopsided = ["members.segments={shop: {share: 0.9}, online: {share: 0.1}}"]
    even = churn(MIXED, [], seed)["leave"] - churn(MIXED, OFF, seed)["leave"]
    skewed = churn(MIXED, lopsided, seed)["leave"] - churn(MIXED, lopsided + OFF, seed)["leave"]
    assert lower_bound(skewed) > 0 and lower_bound(even - skewed) > 0


def test_routed_by_segment_conflict_changes_nothing():
    over = ["days=40", "recruitment.arrivals_per_day=20"]
    on = sim.run(sim.load_scenario(SEGMENTED, over), reps=1, seed=9).daily
    off = sim.run(sim.load_scenario(SEGMENTED, over + ["behavior.conflict.opposed=[]"]), reps=1, seed=9).daily
    pd.testing.assert_frame_equal(on, off)


def test_scenarios_without_conflict_keep_their_digest():
    plain = sim.load_scenario(MIXED, ["behavior.conflict.opposed=[]"])
    assert "conflict" not in plain.canonical() and "conflict" in sim.load_scenario(MIXED).canonical()


@pytest.mark.parametrize("value, message", [
    ("[[shop, retail]]", r"behavior\.conflict\.opposed: no segment 'retail'; the segments are shop, online"),
    ("[[shop, shop]]", r"behavior\.conflict\.opposed.*not opposed to itself \('shop'\)"),
    ("[[shop]]", r"behavior\.conflict\.opposed"),
])
def test_bad_opposed_segments_are_one_line_errors(value, message):
    with pytest.raises(InputError, match=message) as info:
        sim.load_scenario(MIXED, [f"behavior.conflict.opposed={value}"])
    assert "\n" not in str(info.value)
