"""Orders and money (``sim.engine.money``) and the vertical presets (``sim.experiments.presets``).

Exact tests for the accounting of one run (every order priced, per segment, discounts,
refunds, discounting, repeat buyers); statistical tests on ``TEST_SEEDS`` for what the
declared distributions and presets make members do, each also run with the feature off
(the list price; no preset), where the effect is gone."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.engine.day import Output
from sim.engine.model import CommunityModel
from sim.engine.money import Accounts, Money
from sim.engine.streams import Streams
from sim.experiments.errors import InputError
from sim.experiments.presets import PRESETS
from sim.experiments.scenario import parse_scenario
from sim.experiments.yamlfile import read_yaml
from sim.strategies.base import Strategy
from stats_helpers import TEST_SEEDS, lower_bound, upper_bound

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
LOGNORMAL = {"lognormal": [math.log(120), 0.5]}  # mean 120 e^0.125 = 135.98 CNY
SEGMENTS = {"fans": {"share": 0.3, "purchase": {"beta": [1, 200]}}, "others": {"share": 0.7}}


def baseline(*overrides):
    return sim.load_scenario(BASELINE, ["days=40", *overrides])


def run(scenario, seed=5, strategies=None):
    model = CommunityModel(scenario, seed=seed, strategies=strategies).run()
    return model, model.recorder.daily()


def orders_of(model):
    """Wrap the recorder: every day's orders as (day, group, person, segment) rows."""
    seen, record = [], model.recorder.record

    def spy(day, *args):
        m, rows = model.members, np.flatnonzero(day.bought)
        seen.append(np.column_stack([np.full(len(rows), day.t), m.group[rows], m.person[rows], m.segment[rows]]))
        return record(day, *args)
    model.recorder.record = spy
    return seen


def test_by_default_every_order_is_worth_the_list_price_and_keeps_the_default_margin():
    _, d = run(baseline())
    assert d["purchases"].sum() > 20
    assert (d["gmv"] == d["purchases"] * 99.0).all()
    assert (d["revenue"] == d["gmv"]).all() and (d["refunds"] == 0).all()
    assert np.allclose(d["margin"], 0.4 * d["gmv"], rtol=1e-12) and np.allclose(d["cogs"], 0.6 * d["gmv"])
    written = baseline("money={margin: 0.4, refund_rate: 0, discount_rate_per_year: 0.1}")
    assert written.digest == baseline().digest  # the defaults written out change nothing


def test_order_values_are_drawn_per_person_and_day_whoever_else_orders():
    accounts = Accounts(Money(order_value=LOGNORMAL), ["member"], 99.0, Streams(7))
    persons, segments = np.arange(1000, dtype=np.uint32), np.zeros(1000, np.int8)
    everyone = accounts.order_values(3, persons, segments)
    assert np.array_equal(accounts.order_values(3, persons[::7], segments[::7]), everyone[::7])
    assert np.array_equal(Accounts(Money(order_value=LOGNORMAL), ["member"], 99.0, Streams(7))
                          .order_values(3, persons, segments), everyone)  # the same in another run
    assert not np.isclose(accounts.order_values(4, persons, segments), everyone).any()  # a fresh basket a day
    assert (everyone > 0).all() and 100 < np.median(everyone) < 140


def test_gmv_is_the_sum_of_the_orders_each_priced_by_its_segment():
    money = {"order_value": LOGNORMAL, "margin": 0.3,
             "segments": {"fans": {"order_value": 200, "margin": 0.6}}}
    scenario = parse_scenario({**read_yaml(BASELINE)[0], "days": 40, "money": money,
                               "members": {"segments": SEGMENTS}})
    model = CommunityModel(scenario, seed=5)
    seen = orders_of(model)
    model.run()
    d, orders = model.recorder.daily(), np.concatenate(seen)
    assert len(orders) == d["purchases"].sum() and (orders[:, 3] == 0).sum() > 20 and (orders[:, 3] == 1).sum() > 20
    prices = Accounts(scenario.money, ["fans", "others"], 99.0, Streams(5))  # the run's streams: seed 5
    values = np.concatenate([prices.order_values(int(day[0, 0]), day[:, 2].astype(np.uint32), day[:, 3])
                             for day in seen if len(day)])
    assert (values[orders[:, 3] == 0] == 200).all()  # fans' orders: their constant
    keep = np.where(orders[:, 3] == 0, 0.6, 0.3)
    for column, amounts in (("gmv", values), ("cogs", values * (1 - keep))):
        expected = np.zeros((40, d["group"].max() + 1))
        np.add.at(expected, (orders[:, 0], orders[:, 1]), amounts)
        assert np.allclose(d[column], expected[d["day"], d["group"]], rtol=1e-12, atol=1e-9), column


class Discounter(Strategy):
    """A flash sale that takes 20 CNY off every order, as a declared output ``discounts``."""
    name = "test_discounter"
    outputs = (Output("discounts", "amount", "CNY taken off orders"),)

    def after(self, day):
        day.add_output("discounts", 20.0 * np.bincount(day.members.group[day.bought], minlength=day.groups.count))


def test_discounts_lower_revenue_and_margin_by_their_amount_and_refunds_return_goods():
    plain = baseline()
    _, d0 = run(plain)
    _, d = run(plain, strategies=[*plain.make_strategies(), Discounter(Strategy.Params())])
    assert d["purchases"].equals(d0["purchases"]) and (d["discounts"] == 20 * d["purchases"]).all()
    assert np.allclose(d["gmv"], d0["gmv"]) and np.allclose(d["cogs"], d0["cogs"])
    assert np.allclose(d["revenue"], d0["revenue"] - d["discounts"])
    assert np.allclose(d["margin"], d0["margin"] - d["discounts"]) and d["discounts"].sum() > 0
    _, refunded = run(baseline("money.refund_rate=0.1"))
    assert np.allclose(refunded["revenue"], 0.9 * d0["gmv"]) and np.allclose(refunded["margin"], 0.9 * d0["margin"])


def test_value_per_member_is_the_margin_discounted_to_day_0():
    results = sim.run(baseline("money.discount_rate_per_year=0.25"), reps=1, seed=5)
    d, s = results.daily, results.summary.iloc[0]
    assert np.allclose(d["margin_pv"], d["margin"] * 1.25 ** (-d["day"] / 365), rtol=1e-12)
    assert s["value_per_member"] == pytest.approx(d["margin_pv"].sum() / d["joined"].sum(), rel=1e-12)
    assert s["value_per_member"] < s["margin"] / s["joined"]  # later margin is worth less
    _, undiscounted = run(baseline("money.discount_rate_per_year=0"))
    assert (undiscounted["margin_pv"] == undiscounted["margin"]).all()


def test_repeat_buyers_are_the_members_who_ordered_at_least_twice():
    results = sim.run(baseline("days=90", "members.purchase={beta: [1, 100]}"), reps=1, seed=5)
    d, s, members = results.daily, results.summary.iloc[0], results.members
    repeat = int((members["purchases"] >= 2).sum())
    assert repeat > 10 and d["repeat_buyers"].sum() == repeat == s["repeat_buyers"]
    assert s["buyers"] == (members["purchases"] >= 1).sum()
    assert s["orders_per_buyer"] == pytest.approx(members["purchases"].sum() / s["buyers"])
    assert s["repeat_rate"] == pytest.approx(repeat / s["buyers"])


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_the_mean_order_value_is_the_declared_distributions(seed):
    def per_order(*over):
        d = sim.run(baseline("days=60", *over), reps=6, seed=seed).daily.groupby("replication").sum()
        return (d["gmv"] / d["purchases"]).to_numpy()
    drawn, mean = per_order("money.order_value={lognormal: [4.7875, 0.5]}"), math.exp(4.7875 + 0.125)
    assert lower_bound(drawn) < mean < upper_bound(drawn) and lower_bound(drawn - 99) > 0
    assert (per_order() == 99).all()  # no distribution: the list price, every order


def vertical(preset: str | None, seed: int, reps: int = 6):
    data = read_yaml(BASELINE)[0]
    data["members"] = {k: v for k, v in data["members"].items() if k != "purchase"}  # the preset's
    scenario = parse_scenario({**data, "days": 90, **({"preset": preset} if preset else {})})
    return sim.run(scenario, reps=reps, seed=seed).summary.set_index("replication")


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_fast_moving_goods_sell_cheaper_more_often_on_less_margin_than_knowledge(seed):
    fmcg, knowledge = vertical("fmcg", seed), vertical("knowledge", seed)
    assert lower_bound(fmcg["orders_per_buyer"] - knowledge["orders_per_buyer"]) > 0
    assert lower_bound(fmcg["repeat_rate"] - knowledge["repeat_rate"]) > 0
    value = lambda s: s["gmv"] / s["purchases"]  # noqa: E731
    assert lower_bound(value(knowledge) - value(fmcg)) > 0
    assert lower_bound(knowledge["margin"] / knowledge["revenue"] - fmcg["margin"] / fmcg["revenue"]) > 0
    plain, again = vertical(None, seed, reps=3), vertical(None, seed, reps=3)  # off: no preset, no gap
    assert (plain["orders_per_buyer"] - again["orders_per_buyer"]).abs().max() == 0


def test_a_preset_fills_in_under_what_the_file_writes():
    data = {"name": "x", "preset": "beauty",
            "money": {"margin": 0.5, "order_value": {"gamma": [2, 50]}}, "behavior": {"trust": {"gain": 0.05}}}
    s = parse_scenario(data)
    assert s.money.margin == 0.5 and s.money.order_value.family == "gamma"  # a distribution replaced whole
    assert s.money.refund_rate == PRESETS["beauty"]["money"]["refund_rate"]
    assert s.behavior.trust.gain == 0.05 and s.behavior.trust.buy == 2.5  # a mechanism field by field
    assert s.behavior.conformity.enabled and parse_scenario(data).digest == s.digest
    for name in PRESETS:
        assert parse_scenario({"name": "x", "preset": name}).money != Money()
    with pytest.raises(InputError, match="preset: no preset 'cosmetics'; presets are knowledge, beauty, fmcg"):
        parse_scenario({"name": "x", "preset": "cosmetics"})
    with pytest.raises(InputError, match="money.segments.fans: no segment 'fans'"):
        parse_scenario({"name": "x", "money": {"segments": {"fans": {"margin": 0.2}}}})


def test_two_sales_on_one_day_take_at_most_everything_off():
    sale = "{per_day: 1, flash_sale: {when: {every: 2}, discount: 0.6}}"
    d = CommunityModel(sim.load_scenario(BASELINE, ["days=10", f"strategies.pushes=[{sale}, {sale}]"]),
                       seed=3).run().recorder.daily()
    assert (d["revenue"] >= 0).all() and (d["revenue"] >= -1e-9).all()
    assert d.loc[d["purchases"] > 0, "revenue"].min() >= 0 and (d["discounts"] > d["gmv"]).any()


def test_an_order_value_whose_mean_passes_the_money_bound_is_refused():
    with pytest.raises(InputError, match="order value is CNY") as err:
        sim.load_scenario(BASELINE, ["money.order_value={lognormal: [20, 3]}"])
    assert "\n" not in str(err.value)
