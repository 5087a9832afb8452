"""The conformance checks every registered strategy must pass (``tests/test_strategies.py``).

``checks(name)`` yields (check name, check) pairs, each a function of the strategy's
registered name that raises ``AssertionError`` saying what is wrong; the test suite
runs each as a named test for every strategy in the registry, so a new strategy is
checked the moment it is registered. Run them on your own strategy with::

    for check_name, check in checks("my_strategy"):
        check("my_strategy")

Each check runs a small scenario (two groups, recruits every day, 20 days) with the
strategy at its defaults, alone, unless said otherwise.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from ..analysis.cohorts import cohorts
from ..engine.model import CommunityModel
from ..engine.streams import Streams
from ..strategies import REGISTRY
from .scenario import Scenario, parse_scenario

BASE = {"name": "conformance", "days": 20, "seed": 4,
        "recruitment": {"initial_members": 400, "arrivals_per_day": 30},
        "groups": {"capacity": 500}}  # group 0 takes recruits until day 4: newcomers where the target check looks
IDENTITY = ("joined", "segment", "source")  # of each person, whatever else a strategy brings in


def scenario(strategies: dict, days: int = 20) -> Scenario:
    """BASE with ``strategies``, and the sections they need (``Strategy.needs``)."""
    needs = {}
    for name in strategies:
        needs.update(REGISTRY[name].needs)
    return parse_scenario({**BASE, **needs, "days": days, "strategies": strategies}, "conformance")


def run(strategies: dict, replication: int = 0, days: int = 20) -> CommunityModel:
    return CommunityModel(scenario(strategies, days), replication=replication).run()


def check_builds_from_its_defaults(name: str) -> None:
    cls = REGISTRY[name]
    params = cls.Params()
    assert cls(params).params is params, "the constructor must keep the parameters as given"
    assert scenario({name: {}}).strategy(name) == params, "{name: {}} in a scenario must give the defaults"
    two = scenario({name: [{}, {}]}).make_strategies()
    assert [s.index for s in two] == [0, 1] and two[0].purpose != two[1].purpose, \
        "two instances need streams of their own"


def check_is_deterministic(name: str) -> None:
    a, b = run({name: {}}, replication=1), run({name: {}}, replication=1)
    pd.testing.assert_frame_equal(a.recorder.daily(), b.recorder.daily())


def check_conserves_members(name: str) -> None:
    d = run({name: {}}).recorder.daily()
    last = d[d["day"] == d["day"].max()]
    came = d["joined"].sum() + d["enrolled"].sum() - d["moved_out"].sum()
    assert came - d["left"].sum() == (last["members"] - last["left"]).sum(), \
        "memberships that began (joins, enrolments less moves out) minus those that ended must be those at the end"


def check_never_books_negative_spend(name: str) -> None:
    spend = run({name: {}}).recorder.daily().filter(like="spend")
    assert (spend >= 0).all().all(), "spend must never be negative"


def check_draws_only_from_its_own_streams(name: str) -> None:
    """Every random number its hooks ask for is keyed by its own purpose (any purpose
    name, not only ``strategy.*``), so it cannot share luck with members or arrivals."""
    model = CommunityModel(scenario({name: [{}, {}]}))
    foreign: list[str] = []
    key = Streams.key

    def spy(streams, purpose, day):
        if model.acting is not None and not _own(purpose, model.acting):
            foreign.append(f"{model.acting.purpose} drew '{purpose}'")
        return key(streams, purpose, day)

    with _patched(Streams, "key", spy), _tracking(model):
        model.run()
    assert not foreign, "; ".join(sorted(set(foreign))[:5])


def check_declares_every_column_it_writes(name: str) -> None:
    """Member columns its hooks change are declared (``columns`` or ``writes``); the
    daily table holds only the engine's columns and what it declares."""
    cls = REGISTRY[name]
    plain = run({})
    model = CommunityModel(scenario({name: {}}))
    allowed = {c.name for c in cls.columns} | set(cls.writes)
    changed: set[str] = set()
    with _tracking(model, lambda *_: {c: model.members.column(c).copy() for c in model.members.columns},
                   lambda before, *_: changed.update(c for c, v in before.items()
                                                     if not np.array_equal(v, model.members.column(c)))):
        model.run()
    assert changed <= allowed, f"changes member columns it does not declare: {sorted(changed - allowed)}"
    added = set(model.members.columns) - set(plain.members.columns)
    assert added == {c.name for c in cls.columns}, f"member columns {sorted(added)} vs declared"
    declared = {o.name for o in cls.outputs} | {f"spend_{c}" for c in cls.costs} | \
               {f"{c.name}_msgs" for c in cls.channels}
    extra = set(model.recorder.daily().columns) - set(plain.recorder.daily().columns)
    assert extra <= declared, f"daily columns it does not declare: {sorted(extra - declared)}"


def check_respects_its_schedule_and_target(name: str) -> None:
    """Scheduled on days 3 and 4 in group 0 only, it sends, books and records nothing
    elsewhere, and changes the member columns it writes only for members of group 0."""
    cls = REGISTRY[name]
    direct = ["operator_msgs", "spend", *(o.name for o in cls.outputs), *(f"{c.name}_msgs" for c in cls.channels)]
    free = run({name: {}}).recorder.daily()
    model = CommunityModel(scenario({name: {"when": {"days": [3, 4]}, "where": {"groups": [0]}}}))
    written = [c.name for c in cls.columns] + list(cls.writes)
    strays: list[str] = []

    def outside(before, day=None):
        if day is None or before is None:
            return
        m = model.members
        out_of_scope = ~m.per_member(model.strategies[0].scope(day), bool)  # as the engine set it
        strays.extend(c for c, v in before.items() if (v != m.column(c))[out_of_scope].any())

    with _tracking(model, lambda *args: {c: model.members.column(c).copy() for c in written} if args and
                   hasattr(args[0], "scope") else None, outside):
        model.run()
    assert not strays, f"changed {sorted(set(strays))} of members outside its target"
    d = model.recorder.daily()
    outside = d[~d["day"].isin([3, 4]) | (d["group"] != 0)]
    assert (outside[direct] == 0).all().all(), "acted outside its schedule or target"
    if (free[direct] != 0).any().any():  # what it does at all, it still does where it may
        inside = d[d["day"].isin([3, 4]) & (d["group"] == 0)]
        assert (inside[direct] != 0).any().any(), "did nothing where its schedule and target allow"


def check_leaves_arrivals_and_traits_unchanged(name: str) -> None:
    """Who the recruits are does not depend on it: a strategy may bring more in (a welcome
    offer, re-invites, attracted recruits), but every member of the plain run arrives the same
    day with the same segment and source, and every shared member has the same traits."""
    plain, with_it = run({}), run({name: {}})
    arrivals = [pd.DataFrame({c: m.members.everyone(c) for c in ("person", *IDENTITY)}).groupby("person")
                .agg({"joined": "min", "segment": "first", "source": "first"}) for m in (plain, with_it)]
    missing = arrivals[0].index.difference(arrivals[1].index)
    assert not len(missing), f"{len(missing)} members of the run without it are missing"
    for column in IDENTITY:
        assert arrivals[0][column].equals(arrivals[1][column].loc[arrivals[0].index]), f"arrivals differ ({column})"
    first = [CommunityModel(scenario(s, days=1)).run() for s in ({}, {name: {}})]
    traits = [c for c in first[0].members.columns if c.endswith(("_odds", "_gate")) or c in ("tolerance", "social")]
    shared, *rows = np.intersect1d(first[0].members.uid, first[1].members.uid, return_indices=True)
    assert len(shared) == first[0].members.n, "members of the run without it are missing on day 0"
    for c in traits:
        assert np.array_equal(first[0].members.column(c)[rows[0]], first[1].members.column(c)[rows[1]]), \
            f"trait column '{c}' differs"


def check_cohorts_are_consistent(name: str) -> None:
    model = run({name: {}})
    table = cohorts(model.recorder.members(), model.day)
    assert (table["present"] <= table["joined"]).all() and (table["engaged"] <= table["present"]).all()


CHECKS: list[Callable[[str], None]] = [
    check_builds_from_its_defaults, check_is_deterministic, check_conserves_members,
    check_never_books_negative_spend, check_draws_only_from_its_own_streams,
    check_declares_every_column_it_writes, check_respects_its_schedule_and_target,
    check_leaves_arrivals_and_traits_unchanged, check_cohorts_are_consistent,
]


def checks(name: str) -> Iterator[tuple[str, Callable[[str], None]]]:
    """(check name, check) for the strategy registered as ``name``."""
    if name not in REGISTRY:
        raise KeyError(f"no strategy '{name}' is registered")
    for check in CHECKS:
        yield check.__name__.removeprefix("check_"), check


def _own(purpose: str, strategy) -> bool:
    return purpose == strategy.purpose or purpose.startswith(strategy.purpose + ".")


@contextmanager
def _patched(owner, attribute: str, value):
    old = getattr(owner, attribute)
    setattr(owner, attribute, value)
    try:
        yield
    finally:
        setattr(owner, attribute, old)


@contextmanager
def _tracking(model, before=lambda *args: None, after=lambda state, *args: None):
    """Sets ``model.acting`` to the strategy whose hook runs (None otherwise), and calls
    ``before()`` / ``after(state)`` around every hook."""
    model.acting = None
    for s in model.strategies:
        for hook in ("setup", "plan", "after"):
            setattr(s, hook, _watched(model, s, getattr(s, hook), before, after))
    yield


def _watched(model, strategy, hook, before, after):
    def call(*args):
        state = before(*args)
        model.acting = strategy
        try:
            return hook(*args)
        finally:
            model.acting = None
            after(state, *args)
    return call
