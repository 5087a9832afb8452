"""Membership as a relation (``sim.engine.members``, ``CommunityModel.enroll``): a person
can be in several groups at once and can be moved, her person state shared and her
history kept; rows stay ordered and members are conserved."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.engine.members import MEMBERSHIP_COLUMNS, Members
from sim.strategies import Strategy

PROMOTE_DAY, MOVE_DAY, DAYS = 5, 10, 20
BASE = {"name": "tiers", "days": DAYS, "seed": 5, "recruitment": {"initial_members": 800, "arrivals_per_day": 0},
        "groups": {"capacity": 500}, "strategies": {"messaging": {"per_day": 6, "value_share": 0.5}}}


class Promote(Strategy):
    """On PROMOTE_DAY adds group 0's 50 most talkative members to group 1; on MOVE_DAY
    moves 30 others of group 0 to group 1."""
    name = "promote"

    def after(self, day):
        m = day.members
        home = np.flatnonzero((m.group == 0) & m.present & (m.uid == m.person))
        if day.t == PROMOTE_DAY:
            self.promoted = m.person[home[np.argsort(-m.messages[home], kind="stable")[:50]]].copy()
            day.enroll(home[np.isin(m.person[home], self.promoted)], 1)
        if day.t == MOVE_DAY:
            rest = home[~np.isin(m.person[home], self.promoted)]
            self.moved = m.person[rest[:30]].copy()
            day.enroll(rest[:30], 1, move=True)


def build(extra: dict | None = None):
    scenario = sim.parse_scenario({**BASE, **(extra or {})})
    strategies = [*scenario.make_strategies(), Promote(Promote.Params())]
    return sim.CommunityModel(scenario, strategies=strategies)


def stepped(model, check=lambda model: None):
    for _ in range(DAYS):
        model.step()
        model.members.order(model.groups.count)  # what the next day starts with
        check(model)
    return model


def rows_of(m, persons):
    return np.flatnonzero(np.isin(m.person, persons) & m.present)


def test_rows_stay_ordered_and_members_are_conserved():
    def check(model):
        m = model.members
        assert (np.diff(m.group) >= 0).all()
        assert (m.row_counts == np.bincount(m.group, minlength=model.groups.count)).all()
        assert (model.groups.size == np.bincount(m.group[m.present], minlength=model.groups.count)).all()
    model = stepped(build(), check)
    d = model.recorder.daily().set_index(["day", "group"])
    for t in range(1, DAYS):
        for g in (0, 1):
            before, now = d.loc[(t - 1, g)], d.loc[(t, g)]
            assert now["members"] == before["members"] - before["left"] + now["joined"] + now["enrolled"] \
                - now["moved_out"]
    ships = model.recorder.memberships()
    added = ships[ships["joined"] > 0]  # no recruits: every later membership was enrolled
    assert d["enrolled"].sum() == len(added) and 70 <= len(added) <= 80  # a few left before their day
    in_0 = (ships["group"] == 0) & (ships["left"] == MOVE_DAY)
    assert d.loc[(MOVE_DAY + 1, 0), "moved_out"] == in_0.sum() - d.loc[(MOVE_DAY, 0), "left"] > 0


def test_an_added_membership_shares_the_persons_state_and_has_its_own_luck():
    model = build()
    strategy = model.strategies[-1]
    posted_apart = []

    def check(model):
        if model.day > PROMOTE_DAY + 1:
            m = model.members
            rows = rows_of(m, strategy.promoted)
            twice = np.flatnonzero(np.bincount(m.person[rows]) == 2)
            rows = rows[np.isin(m.person[rows], twice)]
            order = np.lexsort((m.group[rows], m.person[rows]))
            pairs = rows[order].reshape(-1, 2)  # each promoted person: (home row, added row)
            for col in m.columns:
                same = (m.column(col)[pairs[:, 0]] == m.column(col)[pairs[:, 1]]).all()
                assert same == (col not in MEMBERSHIP_COLUMNS) or col in ("lapsed_day", "first_lapsed",
                                                                         "last_active", "muted", "messages",
                                                                         "talk", "talk_day", "left"), col
            posted_apart.append((m.messages[pairs[:, 0]] != m.messages[pairs[:, 1]]).any())
    stepped(model, check)
    assert any(posted_apart)  # her two memberships draw apart: she does not post alike in both


def test_a_move_ends_the_old_membership_and_keeps_her_history():
    model = stepped(build())
    moved = model.strategies[-1].moved
    ships = model.recorder.memberships()
    theirs = ships[ships["person"].isin(moved)]
    new = theirs[theirs["group"] == 1]
    old = theirs[(theirs["group"] == 0) & theirs["person"].isin(new["person"])]
    assert len(old) == len(new) >= 25  # a few left before (or on the day of) their move
    assert (old["left"] == MOVE_DAY).all() and (new["joined"] == MOVE_DAY + 1).all()
    moved = new["person"].to_numpy()
    people = model.recorder.members().set_index("person").loc[moved]
    assert (people["groups"] == 2).all()
    assert (people["messages"].to_numpy() == theirs.groupby("person")["messages"].sum().loc[moved].to_numpy()).all()
    # still in a group: present as a person, though one membership ended
    assert (people["left"][new.set_index("person")["left"].loc[moved] < 0] == -1).all()


def test_retention_is_per_person_and_per_membership():
    model = stepped(build())
    people, ships = model.recorder.members(), model.recorder.memberships()
    assert len(people) == 800 and 800 + 70 <= len(ships) <= 800 + 80
    assert people["person"].is_unique
    in_any = ships.assign(here=ships["left"] < 0).groupby("person")["here"].any()
    assert ((people.set_index("person")["left"] < 0) == in_any).all()


def test_fatigue_adds_up_over_a_persons_groups():
    # no muting, no leaving, no tolerance: every operator message counts, in each group
    extra = {"members": {"tolerance": 0}, "behavior": {"muting": {"enabled": False}, "leaving": {"enabled": False}}}
    model = stepped(build(extra))
    m, f = model.members, model.spec.behavior.fatigue
    load = 3 + f.value_weight * 3  # 6 messages a day, half of them ads
    decay = f.decay ** np.arange(DAYS)[::-1]
    alone = load * decay.sum()
    both = alone + load * decay[PROMOTE_DAY + 1:].sum()
    promoted = rows_of(m, model.strategies[-1].promoted)
    single = np.flatnonzero(m.present & (m.group == 1) & (m.uid == m.person))
    assert np.allclose(m.fatigue[single], alone, rtol=1e-4)
    assert np.allclose(m.fatigue[promoted], both, rtol=1e-4)


def test_a_person_orders_at_most_once_a_day_whichever_group_pushed():
    extra = {"members": {"purchase": 0.3}}
    model = stepped(build(extra))
    d, people = model.recorder.daily(), model.recorder.members()
    assert d["purchases"].sum() == people["purchases"].sum()
    promoted = model.strategies[-1].promoted
    assert people.set_index("person").loc[promoted, "purchases"].max() <= DAYS


@pytest.mark.parametrize("move", [False, True])
def test_enrolling_asks_for_live_rows_and_existing_groups(move):
    model = build()
    model.step()
    with pytest.raises(IndexError, match="live member rows"):
        model.enroll([model.members.n], 1, move)
    with pytest.raises(IndexError, match="no group 7"):
        model.enroll([0], 7, move)


class FillNewest(Strategy):
    """On day 3 moves 200 members of group 0 into the newest group, which is still taking recruits."""
    name = "fill_newest"

    def after(self, day):
        if day.t == 3:
            m = day.members
            day.enroll(np.flatnonzero((m.group == 0) & m.present)[:200], day.groups.count - 1, move=True)


def test_moving_members_into_the_group_taking_recruits_never_overfills_it():
    """An enrolment takes one of the places the open invitation hands out (``Groups.admitted``),
    so recruits arriving after it go to the next group instead of past the capacity."""
    spec = {**BASE, "groups": {"capacity": 300}, "recruitment": {"initial_members": 400, "arrivals_per_day": 60}}
    scenario = sim.parse_scenario(spec)
    model = sim.CommunityModel(scenario, strategies=[*scenario.make_strategies(), FillNewest(FillNewest.Params())])
    d = model.run().recorder.daily()
    assert d.loc[d["day"] == 4, "enrolled"].sum() > 100  # as many as had seats
    assert (d["members"] <= 300).all() and d["group"].nunique() > 2


@settings(max_examples=200, deadline=None)
@given(old=st.lists(st.integers(0, 20), min_size=1, max_size=200), new=st.lists(st.integers(0, 20), max_size=60))
def test_restoring_the_order_by_group_is_a_full_stable_sort(old, new):
    """``Members.order`` re-sorts only the rows from the first one out of place (slotting a few
    in, or sorting the tail): whatever rows came, the result is the stable sort by group."""
    m = Members(capacity=16)
    groups = np.array(sorted(old) + new, np.int32)
    m.add(len(old), group=groups[: len(old)], uid=np.arange(len(old), dtype=np.uint32))
    if new:
        m.add(len(new), group=groups[len(old):], uid=np.arange(len(old), len(groups), dtype=np.uint32))
    m.order(21)
    expected = np.argsort(groups, kind="stable")
    assert np.array_equal(m.group, groups[expected]) and np.array_equal(m.uid, expected.astype(np.uint32))
    assert list(m.row_counts) == list(np.bincount(groups, minlength=21))
