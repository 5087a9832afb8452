"""Properties every registered strategy keeps at any parameters its schema allows, not only
its defaults (the conformance suite's): spend is never negative nor infinite, and members
are conserved, whatever it moves, removes, attracts or dissolves.

Parameters are drawn within each field's declared bounds (``ge``/``gt``/``le``), choices
from its ``Literal``, and optional fields may be None; draws the schema refuses as a whole
(a check across fields) are skipped."""
import types
import typing

import annotated_types as at
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from pydantic import ValidationError

from sim.engine.model import CommunityModel
from sim.experiments.conformance import BASE
from sim.experiments.scenario import parse_scenario
from sim.strategies import REGISTRY

SHARED = ("when", "where")
# the conformance scenario with a few spammers, so that moderation has someone to remove
WORLD = {**BASE, "days": 12, "members": {"segments": {"regular": {"share": 0.9},
                                                      "spammers": {"share": 0.1, "activity": {"beta": [1, 3]}}}},
         "behavior": {"spam": {"segment": "spammers"}}}


def _bounds(metadata) -> tuple[float, float]:
    low, high = 0.0, 1e4  # money and counts past 10^4 a day add nothing to these properties
    for m in metadata:
        if isinstance(m, at.Ge):
            low = float(m.ge)
        elif isinstance(m, at.Gt):
            low = float(m.gt) + 1e-6
        elif isinstance(m, at.Le):
            high = min(high, float(m.le))
    return low, high


def _values(field) -> st.SearchStrategy | None:
    """Values of one parameter, or None to leave it at its default."""
    tp, optional = field.annotation, False
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        optional, tp = len(args) < len(typing.get_args(tp)), args[0]
    if typing.get_origin(tp) is typing.Literal:
        found = st.sampled_from(typing.get_args(tp))
    elif tp in (int, float):
        low, high = _bounds(field.metadata)
        found = st.integers(int(np.ceil(low)), int(high)) if tp is int else \
            st.floats(low, high, allow_nan=False, allow_infinity=False)
    else:
        return None
    return st.one_of(st.none(), found) if optional else found


def parameters(name: str) -> st.SearchStrategy:
    params = REGISTRY[name].Params
    named = (*SHARED, *getattr(params, "SEGMENT_FIELDS", ()))  # a segment must exist: left at its default
    fields = {f: _values(info) for f, info in params.model_fields.items() if f not in named}
    return st.fixed_dictionaries({f: v for f, v in fields.items() if v is not None})


@pytest.mark.parametrize("name", sorted(REGISTRY))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_spend_is_never_negative_and_members_are_conserved(name, data):
    params = data.draw(parameters(name))
    try:
        REGISTRY[name].Params(**params)
    except ValidationError:
        assume(False)
    world = {**WORLD, **REGISTRY[name].needs}  # the sections it cannot run without (a tier kind)
    model = CommunityModel(parse_scenario({**world, "strategies": {name: params}}, "properties")).run()
    d = model.recorder.daily()
    spend = d.filter(like="spend").to_numpy()
    assert np.isfinite(spend).all() and (spend >= 0).all()
    assert (d["members"] >= 0).all()
    for t in range(int(d["day"].max())):  # members(t+1) = members(t) - left(t) + arrivals(t+1)
        today, tomorrow = d[d["day"] == t], d[d["day"] == t + 1]
        came = tomorrow["joined"].sum() + tomorrow["enrolled"].sum() - tomorrow["moved_out"].sum()
        assert tomorrow["members"].sum() == today["members"].sum() - today["left"].sum() + came
