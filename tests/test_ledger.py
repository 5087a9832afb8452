"""The cost ledger and the money KPIs (``sim.analysis.ledger``): every category has a class,
the ledger sums to the totals in every ready scenario's run, the KPIs are what their
definitions say from the recorded rows, and no cost is negative at any parameters."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import sim
from sim.analysis.cohorts import cohorts
from sim.analysis.kpis import summarize
from sim.analysis.ledger import CLASS_OF, COST_CLASSES, cost_class
from sim.engine.model import CommunityModel
from sim.experiments.conformance import BASE
from sim.experiments.scenario import parse_scenario
from sim.strategies import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
COSTS = ("cogs", "refunds", "discounts")  # amounts that are costs besides the ledger's


def test_every_strategy_books_under_a_category_of_a_named_class():
    categories = {c for cls in REGISTRY.values() for c in cls.costs} | {"operations"}  # + the kinds' (engine)
    assert sorted(c for c in categories if c not in CLASS_OF) == []
    assert sum(len(v) for v in COST_CLASSES.values()) == len(CLASS_OF)  # each in one class
    assert cost_class("a_new_one") == "other"


def check_ledger(daily, summary) -> None:
    """The ledger's identities in one run's rows and its summary."""
    spend = [c for c in daily.columns if c.startswith("spend_")]
    assert np.allclose(daily["spend"], daily[spend].sum(axis=1), rtol=1e-12, atol=1e-9)
    for c in [*spend, *(c for c in COSTS if c in daily)]:
        assert (daily[c] >= 0).all(), c
        assert summary[c] == pytest.approx(daily[c].sum(), rel=1e-12, abs=1e-9), c
    s = summary
    assert s["spend"] == pytest.approx(sum(s[c] for c in spend), rel=1e-12, abs=1e-9)
    assert s["acquisition_spend"] == pytest.approx(sum(s[c] for c in spend if cost_class(c[6:]) == "acquisition"),
                                                   abs=1e-9)
    for c in ("gmv", "revenue", "margin"):
        assert s[c] == pytest.approx(daily[c].sum(), rel=1e-12, abs=1e-9), c
    assert s["revenue"] == pytest.approx(s["gmv"] - s["discounts"] - s["refunds"], abs=1e-6)
    assert s["margin"] == pytest.approx(s["revenue"] - s["cogs"], abs=1e-6)
    assert s["profit"] == pytest.approx(s["margin"] - s["spend"], abs=1e-6)
    ratios = {"roi_margin": (s["profit"], s["spend"]), "cost_per_retained": (s["spend"], s["members_end"]),
              "cost_per_buyer": (s["spend"], s["buyers"]), "acquisition_cost": (s["acquisition_spend"], s["joined"]),
              "value_per_member": (daily["margin_pv"].sum(), s["joined"])}
    for name, (a, b) in ratios.items():
        assert (math.isnan(s[name]) and b == 0) or s[name] == pytest.approx(a / b, rel=1e-9), name


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_the_ledger_sums_to_the_totals_in_every_ready_scenario(path):
    results = sim.run(sim.load_scenario(path, ["days=21"]), reps=1, seed=3)
    check_ledger(results.daily, results.summary.iloc[0])


def test_acquisition_cost_is_the_recruitment_spend_per_joiner():
    over = ["days=30", "strategies.recruitment_funnel.cost_reached=0.5", "strategies.recruitment_funnel.cost_joined=3"]
    s = sim.run(sim.load_scenario(ROOT / "scenarios" / "funnel.yaml", over), reps=1, seed=3).summary.iloc[0]
    funnel = sum(s[c] for c in s.index if c.startswith("spend_funnel_"))
    assert funnel > 0 and s["acquisition_spend"] >= funnel
    assert s["acquisition_cost"] == pytest.approx(s["acquisition_spend"] / s["joined"])


def test_content_production_is_booked_once_a_piece_shared_by_the_groups():
    data = {**BASE, "days": 10, "groups": {"capacity": 150},
            "strategies": {"messaging": {"per_day": 3, "value_share": 2 / 3, "content_cost": 30}}}
    d = CommunityModel(parse_scenario(data), seed=3).run().recorder.daily()
    by_day = d.groupby("day")
    assert (by_day["group"].count() >= 3).all()
    pieces = by_day["value_msgs"].max()  # every group gets the same pieces
    assert np.allclose(by_day["spend_content"].sum(), 30 * pieces) and pieces.sum() == 20
    off = CommunityModel(parse_scenario({**data, "strategies": {"messaging": {"per_day": 3}}}), seed=3).run()
    assert (off.recorder.daily()["spend_content"] == 0).all()  # default: written within the staff time


MONEY = st.fixed_dictionaries({
    "margin": st.floats(0, 1), "refund_rate": st.floats(0, 0.99), "discount_rate_per_year": st.floats(0, 1),
    "order_value": st.one_of(st.floats(0, 1e4), st.tuples(st.floats(-2, 9), st.floats(0, 3)).map(
        lambda p: {"lognormal": list(p)}))})
SPENDING = st.fixed_dictionaries({
    "messaging": st.fixed_dictionaries({"per_day": st.floats(0, 8), "cost_per_message": st.floats(0, 1e3),
                                        "content_cost": st.floats(0, 1e4)}),
    "onboarding": st.fixed_dictionaries({"join_probability": st.floats(0, 1), "coupon_value": st.floats(0, 1e3),
                                         "rejoin": st.floats(0, 1), "ceremony_cost": st.floats(0, 1e3)}),
    "red_packets": st.fixed_dictionaries({"amount": st.floats(0.5, 1e3)}),
    "referral": st.fixed_dictionaries({"reward": st.floats(0, 1e3)})})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(money=MONEY, strategies=SPENDING)
def test_no_cost_is_negative_and_the_ledger_holds_at_any_money_and_spending(money, strategies):
    scenario = parse_scenario({**BASE, "days": 12, "money": money, "strategies": strategies,
                               "groups": {"kinds": [{"name": "welfare", "like": "welfare"}]}})
    model = CommunityModel(scenario, seed=11).run()
    daily = model.recorder.daily()
    summary = summarize(daily, cohorts(model.recorder.members(), 12), 12)
    check_ledger(daily, summary)
    assert "spend_operations" in daily and (daily["spend_operations"] > 0).any()
