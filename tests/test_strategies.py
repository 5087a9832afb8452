"""One conformance suite over every registered strategy: it builds from its defaults,
runs, is deterministic, conserves members, books no negative cost, and draws from no
stream but its own (so it cannot shift the luck of members or arrivals)."""
import numpy as np
import pytest
from pandas.testing import assert_frame_equal

import sim
from sim.engine.streams import Streams
from sim.strategies import REGISTRY

BASE = {"name": "conformance", "days": 20, "seed": 4,
        "recruitment": {"initial_members": 400, "arrivals_per_day": 30},
        "groups": {"capacity": 300}}


def scenario(strategies: dict) -> sim.Scenario:
    return sim.parse_scenario({**BASE, "strategies": strategies})


def run(strategies: dict, reps: int = 2) -> sim.Results:
    return sim.run(scenario(strategies), reps=reps)


@pytest.fixture(scope="module", params=sorted(REGISTRY))
def name(request):
    return request.param


def test_builds_from_its_defaults(name):
    cls = REGISTRY[name]
    params = cls.Params()
    assert cls(params).params is params  # parameters are kept as given
    assert scenario({name: {}}).strategy(name) == params


def test_is_deterministic(name):
    a, b = run({name: {}}), run({name: {}})
    assert_frame_equal(a.daily, b.daily)
    assert_frame_equal(a.summary, b.summary)


def test_conserves_members_and_books_no_negative_cost(name):
    d = run({name: {}}).daily
    per_rep = d.groupby("replication")
    joined, left = per_rep["joined"].sum(), per_rep["left"].sum()
    last = d[d["day"] == d["day"].max()]
    present_end = (last["members"] - last["left"]).groupby(last["replication"]).sum()
    assert (joined - left == present_end).all()
    spend = d.filter(like="spend")
    assert (spend >= 0).all().all() and spend.columns.size >= 1


def test_draws_only_from_its_own_stream(name, monkeypatch):
    """Arrivals, traits and every member rule's draws are those of a run without it:
    the strategy's randomness is all under 'strategy.<name>'."""
    seen: list[str] = []
    key = Streams.key

    def spy(self, purpose, day):
        seen.append(purpose)
        return key(self, purpose, day)

    monkeypatch.setattr(Streams, "key", spy)
    model = sim.CommunityModel(scenario({name: {}})).run()
    own = {p for p in seen if p.startswith("strategy.")}
    assert all(p.startswith(f"strategy.{name}") for p in own)
    # same recruits with the same traits as with no strategy at all
    plain = sim.CommunityModel(scenario({})).run()
    for column in ("uid", "joined", "segment"):
        assert np.array_equal(np.sort(model.members.everyone(column)), np.sort(plain.members.everyone(column)))
