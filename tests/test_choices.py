"""Member choices as declarations (``sim.engine.choices``): declaring one is all it takes
for scenario files, trait draws, gates, draws and the recorder to follow it."""
import numpy as np
import pytest
from pandas.testing import assert_frame_equal

import sim
from sim.engine.choices import Choice, declare, undeclare
from sim.engine.traits import Trait
from sim.experiments.errors import InputError
from sim.strategies import Strategy, register
from sim.strategies.base import unregister

BASE = {"name": "choices", "days": 40, "seed": 12,
        "recruitment": {"initial_members": 3000, "arrivals_per_day": 30}, "groups": {"capacity": 500}}
RECALL = Trait("recall", "probability", "daily probability that a silent member comes back", {"beta": [1, 20]})


@pytest.fixture
def recall():
    declare(Choice("recall", eligible="lapsed", count="recalled"), trait=RECALL)
    yield
    undeclare("recall")


@pytest.fixture
def invite():
    declare(Choice("invite", base=0.05, eligible="present", count="invited"))
    yield
    undeclare("invite")


def run(extra=None, seed=12):
    return sim.CommunityModel(sim.parse_scenario({**BASE, "seed": seed, **(extra or {})})).run()


def test_a_declared_choice_is_a_trait_of_scenario_files(recall):
    s = sim.parse_scenario({**BASE, "members": {"recall": {"beta": [2, 30]},
                                                "segments": {"a": {"share": 0.5, "recall": 0.2}, "b": {"share": 0.5}}}})
    assert s.members.recall.beta == (2, 30) and s.members.segments["a"].recall.constant == 0.2
    with pytest.raises(InputError) as e:
        sim.parse_scenario({**BASE, "members": {"recall": {"gamma": [2, 1]}}}, "x.yaml")
    assert e.value.field == "members.recall" and "is a probability" in e.value.message
    undeclare("recall")
    with pytest.raises(InputError) as e:
        sim.parse_scenario({**BASE, "members": {"recall": {"beta": [2, 30]}}}, "x.yaml")
    assert "unknown field" in e.value.message
    declare(Choice("recall", eligible="lapsed", count="recalled"), trait=RECALL)


def test_a_choice_may_not_take_another_choices_byte():
    with pytest.raises(ValueError, match="correlated"):
        declare(Choice("copycat", base=0.1, word="rare", byte=2))


def test_members_carry_its_odds_and_gate_and_the_recorder_counts_it(recall):
    model = run()
    m = model.members
    assert {"recall_odds", "recall_gate"} <= set(m.columns)
    p = m.recall_odds / (1 + m.recall_odds)
    assert abs(p.mean() - 1 / 21) < 0.01  # the trait's mean, Beta(1, 20)
    d = model.recorder.daily()
    assert d["recalled"].sum() > 0
    # only silent members can recall: never more than were silent the day before
    lapsed_before = d.groupby("day")["lapsed"].sum().shift(1, fill_value=0)
    assert (d.groupby("day")["recalled"].sum() <= lapsed_before).all()


def test_declaring_choices_changes_nobody_elses_luck(recall):
    with_recall = run().recorder.daily()
    undeclare("recall")
    without = run().recorder.daily()
    declare(Choice("recall", eligible="lapsed", count="recalled"), trait=RECALL)
    assert_frame_equal(with_recall.drop(columns=["recalled"]), without)


def test_a_choice_draws_alike_whatever_else_is_declared(recall, invite):
    both = run().recorder.daily()
    undeclare("invite")
    alone = run().recorder.daily()
    declare(Choice("invite", base=0.05, eligible="present", count="invited"))
    assert_frame_equal(both.drop(columns=["invited"]), alone)


@pytest.mark.parametrize("seed", [31, 57])
def test_a_generic_choice_has_its_probability(invite, seed):
    d = run(seed=seed).recorder.daily()
    n = d["members"].sum()
    z = (d["invited"].sum() - 0.05 * n) / np.sqrt(n * 0.05 * 0.95)
    assert abs(z) < 4.5, z


class Nudge(Strategy):
    """Adds log-odds to the declared choice ``invite`` (a strategy's lever on it)."""
    name = "nudge"

    def plan(self, day):
        day.add_group_term("invite", 2.0)


def test_strategies_move_a_declared_choice_and_switched_off_it_does_not(invite):
    register(Nudge)
    try:
        plain = run().recorder.daily()["invited"].sum()
        nudged = run({"strategies": {"nudge": {}}}).recorder.daily()["invited"].sum()
        off = run({"strategies": {"nudge": {"when": {"days": [999]}}}}).recorder.daily()["invited"].sum()
    finally:
        unregister("nudge")
    assert nudged > 4 * plain and off == plain  # e^2 times the odds at p = 0.05: about 6x
