"""Group kinds and routing by segment (``sim.engine.kinds``, seeds 001, 003, 004).

Exact checks: each routable kind keeps its own invitation and run of groups within its own
capacity; a kind that is not routable takes no recruit; ``groups.routing`` sends every recruit
of a segment to her kind's groups; the kinds' staff effort is booked for each group-day with
members; a scenario without kinds routes exactly as before (the golden regression holds it
too); bad kinds are refused with one line. Statistical: a VIP kind (the preset: strong ties,
better conversion) keeps and converts its members better than welfare groups (weak ties)
recruiting the same people (recruits are split by a draw keyed by uid), on both ``TEST_SEEDS``
with 99% bounds from the replication spread, and the gap is gone when the kinds' terms are zero."""
import mesa
import numpy as np
import pytest

import sim
from sim.engine.groups import Groups
from sim.engine.kinds import GroupKind, KindTable
from sim.engine.model import CommunityModel
from sim.experiments.errors import InputError
from stats_helpers import TEST_SEEDS, lower_bound

BASE = "scenarios/baseline.yaml"
TWO_KINDS = ["groups.kinds=[{name: welfare, like: welfare, share: 1}, {name: vip, like: vip, share: 1}]"]
NEUTRAL = ["groups.kinds=[{name: welfare, like: welfare, share: 1, ties: 0}, "
           "{name: vip, like: vip, share: 1, ties: 0, buy: 0}]"]  # the kinds' terms at zero
SMALL = ["days=60", "recruitment.arrivals_per_day=40"]


def groups(kinds, capacity=10) -> Groups:
    return Groups(mesa.Model(), capacity, True, kinds=KindTable(kinds, capacity, 0.5))


# -- exact ---------------------------------------------------------------------------------
def test_each_kind_fills_its_own_groups_within_its_own_capacity():
    g = groups((GroupKind(name="a"), GroupKind(name="b", capacity=3), GroupKind(name="t", routable=False)))
    kinds = np.array([0, 1, 1, 0, 1, 1, 1, 0])
    gids, lost = g.route_kinds(kinds, day=0)
    assert lost == 0 and (gids >= 0).all()
    assert (g.kind[gids] == kinds).all()  # every joiner in a group of her kind
    # kind b opened a second group at 3; each kind's invitation (newest group) is numbered last
    assert list(g.kind) == [1, 0, 1] and list(g.size) == [3, 3, 2] and list(g.cap) == [3, 10, 3]
    gids, _ = g.route_kinds(np.array([1, 0]), day=1)
    assert list(gids) == [2, 1]  # each kind's invitation: its own newest group
    assert not (g.kind == 2).any()  # the tier kind took nobody


def test_a_scenario_without_kinds_has_one_neutral_kind():
    model = CommunityModel(sim.load_scenario(BASE, ["days=20"]), seed=5).run()
    assert model.spec.groups.kind_names() == ["group"] and (model.groups.kind == 0).all()
    assert not model.groups.kinds.active and "spend_operations" not in model.recorder.daily()


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_routing_sends_every_recruit_of_a_segment_to_her_kind(seed):
    scenario = sim.load_scenario(BASE, [*SMALL, "days=30",
                                        "members.segments={shop: {share: 0.5}, online: {share: 0.5}}",
                                        "groups.kinds=[{name: shops}, {name: sellers}]",
                                        "groups.routing={shop: shops, online: sellers}"])
    model = CommunityModel(scenario, seed=seed).run()
    m = model.members
    kind = model.groups.kind[m.group]
    assert (kind == m.segment).all() and set(np.unique(m.segment)) == {0, 1}  # shops: kind 0, online: kind 1
    unrouted = CommunityModel(sim.load_scenario(BASE, [*SMALL, "days=30",
                                                       "members.segments={shop: {share: 0.5}, online: {share: 0.5}}",
                                                       "groups.kinds=[{name: shops}, {name: sellers}]"]), seed=seed).run()
    u = unrouted.members  # off: kinds drawn by share, so both segments end up in both kinds
    assert len(set(zip(u.segment.tolist(), unrouted.groups.kind[u.group].tolist()))) == 4


def test_effort_is_booked_for_every_group_day_with_members():
    model = CommunityModel(sim.load_scenario(BASE, [*SMALL, *TWO_KINDS]), seed=3).run()
    d = model.recorder.daily()
    effort = np.array([30.0, 10.0])[model.groups.kind[d["group"].to_numpy()]]  # the presets' CNY a group-day
    expected = np.where(d["members"].to_numpy() > 0, effort, 0.0)
    assert np.allclose(d["spend_operations"].to_numpy(), expected) and expected.sum() > 0


@pytest.mark.parametrize("field, value, message", [
    ("groups.kinds", "[{name: a, routable: false}]", "no kind is routable"),
    ("groups.kinds", "[{name: a}, {name: a}]", "two kinds named 'a'"),
    ("groups.kinds", "[{name: a, like: gold}]", "no preset 'gold'"),
    ("groups.routing", "{member: vip}", "no kind 'vip'"),
])
def test_bad_kinds_are_refused_in_one_line(field, value, message):
    with pytest.raises(InputError) as err:
        sim.load_scenario(BASE, [f"{field}={value}"])
    assert message in str(err.value) and "\n" not in str(err.value)


# -- statistical ------------------------------------------------------------------------------
def per_kind(seed: int, overrides: list[str], reps: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Per replication, VIP minus welfare: (share of joiners still present at the end, orders
    per joiner)."""
    res = sim.run(sim.load_scenario(BASE, [*SMALL, *overrides]), reps=reps, seed=seed)
    per = res.daily.groupby(["replication", "kind"])[["joined", "left", "purchases"]].sum().unstack()
    stay = 1 - per["left"] / per["joined"]
    buys = per["purchases"] / per["joined"]
    return (stay[1] - stay[0]).to_numpy(), (buys[1] - buys[0]).to_numpy()


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_vip_groups_keep_and_convert_their_members_better(seed):
    stay, buys = per_kind(seed, TWO_KINDS)
    assert lower_bound(stay) > 0 and lower_bound(buys) > 0
    off_stay, off_buys = per_kind(seed, NEUTRAL)  # the kinds' terms at zero: no gap left
    assert not lower_bound(off_stay) > 0 and not lower_bound(off_buys) > 0


def test_a_single_declared_kind_sets_its_members_trust():
    one = CommunityModel(sim.load_scenario(BASE, ["days=2", "groups.kinds=[{name: vip, trust: 0.9}]"]), seed=4)
    one.run(1)
    plain = CommunityModel(sim.load_scenario(BASE, ["days=2"]), seed=4)
    plain.run(1)
    assert one.members.trust.min() > 0.8 and plain.members.trust.max() < 0.3  # after a day of messages
