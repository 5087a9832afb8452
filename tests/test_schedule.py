"""When and where strategies act (``when`` / ``where``), and several instances of one
strategy in a declared order."""
import json

import numpy as np
import pytest

import sim
import sim.strategies
import sim.strategies.base
from sim.experiments.errors import InputError
from sim.experiments.plan import load_experiment

BASE = {"name": "schedule", "days": 21, "seed": 8, "start_weekday": 2,
        "recruitment": {"initial_members": 700, "arrivals_per_day": 20}, "groups": {"capacity": 300}}


def daily(strategies):
    model = sim.CommunityModel(sim.parse_scenario({**BASE, "strategies": strategies})).run()
    return model.recorder.daily()


def messages_by(d, key):
    return d.groupby(key)["operator_msgs"].sum()


def test_days_window_every_and_weekdays():
    d = daily({"messaging": {"per_day": 2, "when": {"start": 3, "end": 15, "every": 3}}})
    assert sorted(messages_by(d, "day").loc[lambda s: s > 0].index) == [3, 6, 9, 12, 15]
    d = daily({"messaging": {"per_day": 2, "when": {"days": [0, 5, 20]}}})
    assert sorted(messages_by(d, "day").loc[lambda s: s > 0].index) == [0, 5, 20]
    # day 0 is a Wednesday (start_weekday 2): Saturdays and Sundays are days 3-4, 10-11, 17-18
    d = daily({"messaging": {"per_day": 2, "when": {"weekdays": [5, 6]}}})
    assert sorted(messages_by(d, "day").loc[lambda s: s > 0].index) == [3, 4, 10, 11, 17, 18]


def test_target_groups_and_sizes_and_lifecycle_stage():
    d = daily({"messaging": {"per_day": 2, "where": {"groups": [1]}}})
    assert set(d.loc[d["operator_msgs"] > 0, "group"]) == {1}
    d = daily({"messaging": {"per_day": 2, "where": {"max_size": 250}}})
    sent = d[d["operator_msgs"] > 0]
    assert len(sent) and (sent["members"] <= 250).all() and (d.loc[d["operator_msgs"] == 0, "members"] > 250).all()
    d = daily({"messaging": {"per_day": 2, "when": {"group_age": [0, 4]}}})  # a group's first five days
    assert (d.loc[d["operator_msgs"] > 0, "group_age"] <= 4).all()
    assert set(d.loc[d["operator_msgs"] > 0, "group"]) == set(d["group"])  # every group, while young


def test_two_instances_act_in_order_and_add_up():
    both = daily({"messaging": [{"per_day": 1, "value_share": 1, "cost_per_message": 1},
                                {"per_day": 2, "value_share": 0, "when": {"start": 10}}]})
    first = daily({"messaging": {"per_day": 1, "value_share": 1, "cost_per_message": 1}})
    early, late = both[both["day"] < 10], both[both["day"] >= 10]
    assert (early["operator_msgs"] == first.loc[first["day"] < 10, "operator_msgs"].to_numpy()).all()
    assert (late["ad_msgs"] == 2).all() and (late["value_msgs"] == 1).all()
    assert both["spend_staff"].sum() == early["operator_msgs"].sum() + late["value_msgs"].sum() + \
        2 * late["ad_msgs"].sum()


def test_the_declared_order_is_kept_through_the_run_plan():
    a = sim.parse_scenario({**BASE, "strategies": {"messaging": [{"per_day": 1}, {"per_day": 2}]}})
    b = sim.parse_scenario({**BASE, "strategies": {"messaging": [{"per_day": 2}, {"per_day": 1}]}})
    assert [p.per_day for _, p in a.strategy_params()] == [1, 2]
    assert a.digest != b.digest  # order is part of the scenario
    again = sim.parse_scenario(json.loads(a.canonical()))
    assert again.canonical() == a.canonical() and [p.per_day for _, p in again.strategy_params()] == [1, 2]
    one = sim.parse_scenario({**BASE, "strategies": {"messaging": {"per_day": 4}}})
    assert json.loads(one.canonical())["strategies"]["messaging"]["per_day"] == 4  # one instance: a mapping


@pytest.mark.parametrize("strategies, field, words", [
    ({"messaging": {"when": {"weekdays": [7]}}}, "strategies.messaging.when", "weekdays are 0 (Monday)"),
    ({"messaging": {"when": {"start": 9, "end": 3}}}, "strategies.messaging.when", "before start"),
    ({"messaging": {"when": {"evry": 3}}}, "strategies.messaging.when.evry", "did you mean 'every'"),
    ({"messaging": {"where": {"max_size": -1}}}, "strategies.messaging.where.max_size", "greater than or equal"),
    ({"messaging": [{"per_day": 1}, {"per_day": 99}]}, "strategies.messaging.1.per_day", "less than or equal"),
    ({"messaging": {"per_dya": 1}}, "strategies.messaging.per_dya", "did you mean 'per_day'"),
])
def test_bad_schedules_and_instances_name_the_field(strategies, field, words):
    with pytest.raises(InputError) as e:
        sim.parse_scenario({**BASE, "strategies": strategies}, "x.yaml")
    assert e.value.field == field and words in e.value.message, str(e.value)


def test_set_and_vary_reach_one_instance_and_refuse_a_path_without_one(tmp_path):
    file = tmp_path / "two.yaml"
    file.write_text("name: two\nrecruitment: {initial_members: 10}\n"
                    "strategies:\n  messaging:\n    - {per_day: 1}\n    - {per_day: 2, value_share: 1}\n")
    s = sim.load_scenario(file, ["strategies.messaging.1.per_day=5"])
    assert [(p.per_day, p.value_share) for _, p in s.strategy_params()] == [(1, 0.6), (5, 1)]
    for bad, words in (("strategies.messaging.per_day=5", "holds 2 instances; name one"),
                       ("strategies.messaging.2.per_day=5", "give 0 to 1")):
        with pytest.raises(InputError) as e:
            sim.load_scenario(file, [bad])
        assert e.value.field == f"--set {bad.split('=')[0]}" and words in e.value.message
    exp = tmp_path / "exp.yaml"
    exp.write_text(f"name: e\nscenarios: [{file.name}]\nreplications: 1\n"
                   "vary: {strategies.messaging.0.per_day: [3, 4]}\n")
    plan = load_experiment(exp)
    assert [plan.values_at("two", p)["strategies.messaging.0.per_day"] for p in range(3)] == [1, 3, 4]


def test_model_copy_keeps_every_strategy():
    s = sim.parse_scenario({**BASE, "strategies": {"messaging": {"per_day": 2}}})
    none = sim.parse_scenario(BASE)
    added = none.model_copy(update={"strategies": none.strategies.model_copy(update={"messaging": [
        s.strategy("messaging")]})})
    assert [p.per_day for _, p in added.strategy_params()] == [2]


def test_a_minus_infinite_term_stays_in_its_groups():
    """Scope confines a term by choosing, not multiplying: -inf outside it is no NaN."""
    class Nobody(sim.strategies.Strategy):
        name = "nobody_leaves"

        def plan(self, day):
            day.add_group_term("leave", -np.inf)
            day.add_member_term("mute", np.full(day.members.n, -np.inf, np.float32))

    sim.strategies.register(Nobody)
    try:
        d = daily({"nobody_leaves": {"where": {"groups": [0]}}})
    finally:
        sim.strategies.base.unregister("nobody_leaves")
    assert d.loc[d["group"] == 0, "left"].sum() == 0 and d.loc[d["group"] > 0, "left"].sum() > 0


def test_a_strategy_off_schedule_leaves_the_run_as_without_it():
    off = daily({"messaging": {"when": {"days": [3000]}}})
    none = daily({})
    assert np.array_equal(off.drop(columns=["spend_staff", "spend_content"]).to_numpy(), none.to_numpy())
