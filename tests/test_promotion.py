"""Promotion into tiers (``sim.strategies.promotion``, seed 003).

Exact: the members promoted at a review are the present heavy talkers since the last review, in the
oldest tier group with a seat, never past its capacity; memberships are conserved through
promotions and moves (a hypothesis property over random rules). Statistical, on both
``TEST_SEEDS`` (paired replications: the same recruits with and without the campaign, 99%
bounds from the replication spread): the members promoted at the first review stay longer and buy
more than the same people left in their groups, and not when the tier kind's terms are zero (the
off-check: a neutral tier leaves them as they were); the welfare groups lose activity when their
talkers move out, and lose less than half as much when promoted members keep their home group.
Settings (150 recruits a day, 60 days) were chosen on seeds 1000-1001."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.engine.model import CommunityModel
from stats_helpers import TEST_SEEDS, lower_bound

TIERED = "scenarios/tiered.yaml"
SMALL = ["days=60", "recruitment.arrivals_per_day=150"]
NO_PROMOTION = ["strategies.promotion.min_messages=100000"]
NEUTRAL_TIER = ["groups.kinds=[{name: welfare}, {name: vip, routable: false, capacity: 200}]"]
KEEP_HOME = ["strategies.promotion.move=false"]
REPS = 6


def model(overrides: list[str], seed: int, rep: int = 0) -> CommunityModel:
    return CommunityModel(sim.load_scenario(TIERED, [*SMALL, *overrides]), rep, seed)


def tier_persons(m: CommunityModel) -> np.ndarray:
    rows = m.members.present & (m.groups.kind[m.members.group] == 1)
    return np.unique(m.members.person[rows])


# -- exact ---------------------------------------------------------------------------------
def test_the_heavy_talkers_of_the_window_are_promoted_within_the_tier_capacity():
    m = model(["strategies.promotion.min_messages=2", "groups.kinds=[{name: welfare}, "
               "{name: vip, like: vip, routable: false, capacity: 40, groups: 2}]"], seed=7)
    asked = []
    ask = m.enroll
    m.enroll = lambda rows, groups, move=False: (asked.append((np.array(rows), np.array(groups), move,
                                                               m.members.messages[rows].copy())),
                                                 ask(rows, groups, move))
    m.run(13)
    assert not asked  # no review before the window closes (day 13)
    heavy_before = (m.members.messages >= 1).sum()
    m.run(1)
    rows, groups, move, messages = asked[0]
    assert move and len(rows) == 80 and heavy_before > 80  # more heavy talkers than the 80 seats
    tiers = np.flatnonzero(m.groups.kind == 1)
    assert (messages >= 2).all() and list(np.unique(groups, return_counts=True)[1]) == [40, 40]
    assert set(groups) == set(tiers) and list(m.groups.size[tiers]) == [40, 40] and len(tier_persons(m)) == 80
    m.run(14)  # the next review finds no seat (but those the promoted freed by leaving)
    assert (m.groups.size[tiers] <= 40).all() and len(asked) == 2
    assert (m.groups.kind[m.members.group[asked[1][0]]] == 0).all()  # nobody in a tier is reviewed again


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(window=st.integers(1, 10), threshold=st.integers(0, 6), move=st.booleans(), seats=st.integers(1, 30))
def test_memberships_are_conserved_through_promotions(window, threshold, move, seats):
    kinds = f"groups.kinds=[{{name: welfare}}, {{name: vip, routable: false, capacity: {seats}}}]"
    m = model(["days=25", "recruitment.arrivals_per_day=20", kinds, f"strategies.promotion.when={{start: {window - 1}, every: {window}}}",
               f"strategies.promotion.min_messages={threshold}", f"strategies.promotion.move={str(move).lower()}"],
              seed=11).run()
    d = m.recorder.daily().set_index(["group", "day"]).sort_index()
    for _, g in d.groupby(level="group"):
        now, before = g.iloc[1:], g.iloc[:-1]
        expected = before["members"].to_numpy() - before["left"].to_numpy() + (now["joined"] + now["enrolled"]
                                                                                - now["moved_out"]).to_numpy()
        assert np.array_equal(now["members"].to_numpy(), expected)
    tier = int(np.flatnonzero(m.groups.kind == 1)[0])
    assert (m.groups.size <= m.groups.cap).all() and (d.xs(tier, level="group")["members"] <= seats).all()
    mem = m.members
    tier = mem.present & (m.groups.kind[mem.group] == 1)
    assert len(np.unique(mem.person[tier])) == tier.sum()  # one tier membership a person at most
    if move:
        assert len(np.unique(mem.person[mem.present])) == mem.present.sum()  # a move leaves one membership


# -- statistical -----------------------------------------------------------------------------
def promoted_fate(seed: int, rep: int, overrides: list[str], persons=None):
    """(persons promoted at the first review, the mean days they stayed in some group from day 14,
    their mean orders, member messages per member-day in the welfare groups from day 14)."""
    m = model(overrides, seed, rep)
    m.run(14)
    persons = tier_persons(m) if persons is None else persons
    m.run(46)
    mem = m.members
    who, left, orders = mem.everyone("person"), mem.everyone("left"), mem.everyone("purchases")
    mine = np.isin(who, persons)
    last = np.zeros(len(persons))  # the last day she was in a group (a move: a membership ends, another starts)
    np.maximum.at(last, np.searchsorted(persons, who[mine]), np.where(left[mine] < 0, m.day, left[mine]))
    stay = (last - 14).mean()
    best = np.zeros(len(persons))
    np.maximum.at(best, np.searchsorted(persons, who[mine]), orders[mine])
    d = m.recorder.daily()
    welfare = (d["day"] >= 14).to_numpy() & (m.groups.kind[d["group"].to_numpy()] == 0)
    return persons, stay, best.mean(), d["member_msgs"][welfare].sum() / d["members"][welfare].sum()


def paired(seed: int, treatment: list[str]) -> np.ndarray:
    """Per replication, treatment minus no promotion, for the persons the treatment promoted
    at the first review: (stay, orders, welfare activity)."""
    rows = []
    for rep in range(REPS):
        persons, *on = promoted_fate(seed, rep, treatment)
        _, *off = promoted_fate(seed, rep, NO_PROMOTION, persons)
        rows.append(np.subtract(on, off))
    return np.array(rows)


@pytest.mark.slow
@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_promoted_members_stay_and_buy_more_and_their_groups_go_quieter(seed):
    moved = paired(seed, [])
    assert lower_bound(moved[:, 0]) > 0 and lower_bound(moved[:, 1]) > 0  # promoted: stay and buy more
    assert lower_bound(-moved[:, 2]) > 0  # the welfare groups lost their talkers
    neutral = paired(seed, NEUTRAL_TIER)  # off: a tier with no treatment of its own
    assert not lower_bound(neutral[:, 0]) > 0 and not lower_bound(neutral[:, 1]) > 0
    kept = paired(seed, KEEP_HOME)  # they stay in their home groups too: far less is lost there
    assert lower_bound(kept[:, 2] - moved[:, 2] / 2) > 0


def test_an_empty_tier_group_gets_no_messages_and_costs_no_staff_time():
    m = model(["days=20", "strategies.promotion.min_messages=100000"], seed=5).run()  # nobody promoted
    d = m.recorder.daily()
    tier = d[m.groups.kind[d["group"].to_numpy()] == 1]
    assert len(tier) and (tier["members"] == 0).all()
    assert (tier[["operator_msgs", "spend_staff"]] == 0).all().all() and d["spend_staff"].sum() > 0
