"""One conformance suite over every registered strategy (``sim.experiments.conformance``):
each check is a named test for each strategy, in the manner of scikit-learn's
``parametrize_with_checks``, so a strategy is checked the moment it is registered.
The suite's own checks are shown to catch a strategy that breaks each rule."""
import numpy as np
import pytest

import sim
from sim.analysis.kpis import Kpi
from sim.engine.day import Output
from sim.engine.members import Column
from sim.experiments.conformance import CHECKS, checks
from sim.strategies import REGISTRY, Strategy, register
from sim.strategies.base import unregister


@pytest.mark.parametrize("name, check", [(n, c) for n in sorted(REGISTRY) for _, c in checks(n)],
                         ids=[f"{n}-{c}" for n in sorted(REGISTRY) for c, _ in checks(n)])
def test_strategy_conforms(name, check):
    check(name)


class Rogue(Strategy):
    """Breaks one rule at a time, chosen by ``flaw`` (set on the class by the test)."""
    name = "rogue"
    costs = ("staff",)
    columns = (Column("mood"),)
    flaw = ""

    def plan(self, day):
        flaw = type(self).flaw
        if flaw == "foreign stream":
            day.model.streams.uniform("post", day.t, day.members.uid)
        if flaw == "undeclared write":
            day.members.column("trust")[:] *= 0.5
        if flaw == "ignores schedule":
            day.scope = None
        if flaw == "writes outside its target":
            day.members.column("mood")[:] += 1
        day.cost("staff", 1.0)


@pytest.fixture
def rogue():
    register(Rogue)
    yield Rogue
    unregister("rogue")


@pytest.mark.parametrize("flaw, check_name", [("foreign stream", "draws_only_from_its_own_streams"),
                                              ("undeclared write", "declares_every_column_it_writes"),
                                              ("ignores schedule", "respects_its_schedule_and_target"),
                                              ("writes outside its target", "respects_its_schedule_and_target")])
def test_the_checks_catch_a_strategy_that_breaks_them(rogue, flaw, check_name):
    check = dict(checks("rogue"))[check_name]
    rogue.flaw = ""
    check("rogue")  # passes when it keeps the rule
    rogue.flaw = flaw
    with pytest.raises(AssertionError):
        check("rogue")
    rogue.flaw = ""


@pytest.mark.parametrize("declare, words", [
    ({"kpis": (Kpi("mood_total", "Mood", "points", total="mood"),)}, "needs total"),
    ({"outputs": (Output("joined_too"),), "kpis": (Kpi("joined", "Joined", "members", total="joined_too"),)},
     "exists already"),
])
def test_a_strategy_kpi_needs_its_own_column_and_a_free_name(declare, words):
    cls = type("Bad", (Strategy,), {"name": "bad", **declare})
    with pytest.raises(ValueError, match=words):
        register(cls)
    assert "bad" not in REGISTRY


def test_every_check_is_listed_once():
    assert len({c.__name__ for c in CHECKS}) == len(CHECKS) >= 9


class Nudge(Strategy):
    """Adds log-odds to every ``step``-th member's choices, as one value per row or for those rows only."""
    name = "nudge"
    sparse = False
    step = 3

    def plan(self, day):
        rows = np.arange(0, day.members.n, type(self).step)
        for choice, z in (("post", 0.8), ("leave", 1.5), ("lapse", -1.0), ("wake", 2.0)):
            if type(self).sparse:
                day.add_member_term(choice, z, rows=rows)
            else:
                dense = np.zeros(day.members.n, np.float32)
                dense[rows] = z
                day.add_member_term(choice, dense)


@pytest.fixture
def nudge():
    register(Nudge)
    yield Nudge
    unregister("nudge")


@pytest.mark.parametrize("step", [20, 3])  # kept as row terms; past an eighth of the rows, put in the column
def test_terms_for_a_few_rows_draw_as_terms_for_every_row(nudge, step):
    """Row terms (tested exactly) and the same values as a full column give the same members' choices."""
    nudge.step = step
    scenario = sim.load_scenario("scenarios/baseline.yaml", ["days=40", "recruitment.initial_members=2000"])
    scenario = scenario.model_copy(update={"strategies": scenario.strategies.model_copy(update={"nudge": [nudge.Params()]})})
    nudge.sparse = False
    dense = sim.CommunityModel(scenario, seed=3).run().recorder.daily()
    nudge.sparse = True
    rows = sim.CommunityModel(scenario, seed=3).run().recorder.daily()
    nudge.sparse = False
    assert dense.equals(rows) and dense["woke"].sum() > 0
