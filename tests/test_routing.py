"""WeChat's group limits and routing (``sim.engine.groups``, seed 002).

Exact checks on ``Groups.route`` (routing draws nothing: it depends only on the order of
arrival and on the groups' state): with ``auto_switch`` no recruit is lost while every group
stays within ``capacity`` and ``qr_limit``; without it the overflow is turned away and
counted; ``qr_days`` opens a new group (new code) every ``qr_days`` days while recruits
come; ``reuse_seats`` hands freed seats out again (``fill_oldest`` / ``fill_newest``) and
``none`` does not; closed groups take nobody. Then the same claims on whole runs (paired
replications on ``TEST_SEEDS``: reusing seats opens fewer groups, and with nobody leaving
the effect is gone), and a hypothesis property over random small programmes: no group
ever passes its capacity, recruits are conserved (joined + lost_full = routed joiners) and
routing is deterministic."""
from functools import lru_cache

import mesa
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.engine.groups import Groups
from stats_helpers import TEST_SEEDS, lower_bound

BASELINE = "scenarios/baseline.yaml"
SMALL = ["days=60", "recruitment.arrivals_per_day=30", "groups.capacity=120"]
NO_LEAVING = ["members.leave=0"]  # nobody frees a seat: reusing seats has nothing to reuse
REPS = 4


def groups(**kw) -> Groups:
    kw.setdefault("auto_switch", True)
    return Groups(mesa.Model(), kw.pop("capacity", 10), kw.pop("auto_switch"), **kw)


# -- exact: Groups.route -------------------------------------------------------------------
def test_qr_limit_with_auto_switch_loses_no_recruit_and_respects_the_limits():
    g = groups(capacity=10, qr_limit=4)
    placed, lost = g.route(23, day=0)
    assert lost == 0 and len(placed) == 23
    assert g.count == 6 and g.size.max() <= 4 and list(g.size) == [4, 4, 4, 4, 4, 3]
    assert np.all(np.diff(placed) >= 0)  # in order of arrival, group by group


def test_qr_limit_without_auto_switch_turns_the_overflow_away():
    g = groups(capacity=10, qr_limit=4, auto_switch=False)
    placed, lost = g.route(23, day=0)
    assert (len(placed), lost, g.count) == (4, 19, 1)
    unlimited = groups(capacity=10, auto_switch=False)  # off: the capacity alone
    assert unlimited.route(23, day=0)[1] == 13


def test_members_past_the_qr_limit_come_by_personal_invitation_up_to_capacity():
    g = groups(capacity=10, qr_limit=4)
    g.route(4, day=0)
    assert g.seats()[0] == 6  # enrolments, invitees and attracted recruits may still fill it to 10
    assert g.qr_seats(0)[0] == 0  # but its QR code admits nobody more


@pytest.mark.parametrize("reuse", ["none", "fill_oldest", "fill_newest"])
def test_qr_days_opens_a_new_group_every_week_while_recruits_come(reuse):
    g = groups(capacity=500, qr_days=7, reuse_seats=reuse)
    for day in range(30):
        assert g.route(5, day)[1] == 0
    assert list(g.opened) == [0, 7, 14, 21, 28]
    assert list(g.size) == [35, 35, 35, 35, 10]
    never = groups(capacity=500, reuse_seats=reuse)  # off: one code for ever
    for day in range(30):
        never.route(5, day)
    assert never.count == 1


def test_an_expired_code_without_auto_switch_turns_recruits_away():
    for reuse in ("none", "fill_oldest"):
        g = groups(capacity=500, qr_days=7, auto_switch=False, reuse_seats=reuse)
        lost = sum(g.route(5, day)[1] for day in range(10))
        assert lost == 15 and g.expired_lost == 15 and g.count == 1


def test_a_run_records_the_recruits_an_expired_code_turned_away():
    model = sim.CommunityModel(sim.load_scenario(BASELINE, ["days=20", "groups.qr_days=7",
                                                            "groups.auto_switch=false"]), seed=3).run()
    d = model.recorder.daily().groupby("day")[["lost_full", "lost_expired", "joined"]].sum()
    assert d["lost_expired"].sum() == model.groups.expired_lost > 0
    assert (d["lost_expired"] <= d["lost_full"]).all()
    assert (d.loc[:6, "lost_expired"] == 0).all() and (d.loc[7:, "joined"] == 0).all()  # the code works a week


def _route_with_leavers(reuse: str) -> Groups:
    """Two full groups lose members, then 12 more recruits come."""
    g = groups(capacity=10, reuse_seats=reuse)
    g.route(20, day=0)
    g.size -= np.array([3, 5])  # leavers free 8 seats
    g.route(12, day=1)
    return g


def test_fill_oldest_and_fill_newest_hand_freed_seats_out_again():
    oldest, newest, none = (_route_with_leavers(r) for r in ("fill_oldest", "fill_newest", "none"))
    assert list(oldest.size) == [10, 10, 4] and list(newest.size) == [10, 10, 4]
    assert list(oldest.admitted) == [13, 15, 4] and list(newest.admitted) == [13, 15, 4]
    assert list(none.size) == [7, 5, 10, 2] and none.count == 4  # freed seats stay empty
    g = groups(capacity=10, reuse_seats="fill_oldest")  # order: the oldest group's seats first
    g.route(20, 0)
    g.size -= np.array([3, 5])
    assert list(g.route(4, 1)[0]) == [0, 0, 0, 1]
    g = groups(capacity=10, reuse_seats="fill_newest")
    g.route(20, 0)
    g.size -= np.array([3, 5])
    assert list(g.route(6, 1)[0]) == [1, 1, 1, 1, 1, 0]


def test_reused_seats_respect_the_qr_limit_and_skip_closed_groups():
    g = groups(capacity=10, qr_limit=6, reuse_seats="fill_oldest")
    g.route(12, day=0)
    g.size -= np.array([4, 2])
    g.closed[0] = True
    placed, lost = g.route(5, day=1)
    assert lost == 0 and list(placed) == [1, 1, 2, 2, 2]
    assert g.size[1] == 6 and g.size[2] == 3


# -- whole runs ----------------------------------------------------------------------------
def run(seed: int, rep: int, extra=()):
    return sim.CommunityModel(sim.load_scenario(BASELINE, [*SMALL, *extra]), replication=rep, seed=seed).run()


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_auto_switch_loses_no_recruit_and_without_it_they_are_counted(seed):
    limits = ["groups.qr_limit=50", "groups.qr_days=7", "groups.reuse_seats=fill_oldest"]
    for rep in range(2):
        on = run(seed, rep, limits)
        daily = on.recorder.daily()
        assert daily["lost_full"].sum() == 0 and daily["joined"].sum() > 1000
        assert on.groups.count >= 60 // 7 and daily["members"].max() <= 120
        off = run(seed, rep, [*limits, "groups.auto_switch=false"])
        lost = off.recorder.daily()["lost_full"].sum()
        assert lost > 1000 and off.groups.count == 1  # the first week's code, then nobody gets in
        assert lost == daily["joined"].sum() - off.recorder.daily()["joined"].sum()  # same joiners, routed or lost


@lru_cache(maxsize=None)
def groups_opened(seed: int, reuse: str, extra: tuple = ()) -> np.ndarray:
    return np.array([run(seed, rep, [f"groups.reuse_seats={reuse}", *extra]).groups.count for rep in range(REPS)])


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_reusing_freed_seats_opens_fewer_groups(seed):
    assert lower_bound(groups_opened(seed, "none") - groups_opened(seed, "fill_oldest")) > 0.5
    assert lower_bound(groups_opened(seed, "none") - groups_opened(seed, "fill_newest")) > 0.5
    # nobody leaving frees no seat: reuse changes nothing
    still = tuple(NO_LEAVING)
    assert (groups_opened(seed, "none", still) == groups_opened(seed, "fill_oldest", still)).all()
    model = run(seed, 0, ["groups.reuse_seats=fill_oldest"])
    assert model.groups.admitted.max() > 120 >= model.groups.size.max()  # seats handed out twice, never over
    none = run(seed, 0)
    assert none.groups.admitted.max() <= 120  # none: a place is handed out once


# -- property ------------------------------------------------------------------------------
@st.composite
def programmes(draw) -> list[str]:
    capacity = draw(st.integers(3, 40))
    out = [f"days={draw(st.integers(3, 25))}", f"seed={draw(st.integers(0, 2**31))}",
           f"recruitment.initial_members={draw(st.integers(0, 60))}",
           f"recruitment.arrivals_per_day={draw(st.sampled_from([1, 3, 8, 30]))}",
           f"groups.capacity={capacity}", f"groups.auto_switch={draw(st.booleans())}",
           f"groups.reuse_seats={draw(st.sampled_from(['none', 'fill_oldest', 'fill_newest']))}",
           f"members.leave={{beta: [1, {draw(st.sampled_from([3, 20, 80]))}]}}"]
    if draw(st.booleans()):
        out.append(f"groups.qr_limit={draw(st.integers(1, 50))}")
    if draw(st.booleans()):
        out.append(f"groups.qr_days={draw(st.integers(1, 8))}")
    return out


def traced(overrides: list[str]):
    """Run step by step; returns (model, joiners asked to be routed, group sizes after each route
    and each day)."""
    model = sim.CommunityModel(sim.load_scenario(BASELINE, overrides))
    asked, sizes, route = [], [], model.groups.route

    def recording(count, day):
        out = route(count, day)
        asked.append(count)
        sizes.append(model.groups.size.copy())
        return out
    model.groups.route = recording
    for _ in range(model.spec.days):
        model.step()
        sizes.append(model.groups.size.copy())
    return model, sum(asked), sizes


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(programmes())
def test_capacity_conservation_and_determinism(overrides):
    model, asked, sizes = traced(overrides)
    capacity = model.spec.groups.capacity
    assert all((s <= capacity).all() and (s >= 0).all() for s in sizes)
    daily = model.recorder.daily()
    assert daily["joined"].sum() + daily["lost_full"].sum() == asked
    again, asked_again, sizes_again = traced(overrides)
    assert asked_again == asked and all(np.array_equal(a, b) for a, b in zip(sizes, sizes_again))
    assert np.array_equal(again.groups.opened, model.groups.opened)
    assert daily.equals(again.recorder.daily())
