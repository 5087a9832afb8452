"""Lifecycle stages (``stages:`` and ``when.stage``, ``sim.strategies.schedule``): a strategy
acts on a group only while the group's age is in one of its stages, so one strategy's
parameters change by stage (several instances); stage names and ranges are checked with
one-line errors naming the file, line and field."""
import json
import subprocess
import sys

import pytest

import sim
from sim.cli import main
from sim.experiments.errors import InputError
from sim.strategies.schedule import STAGES

# recruits every day into groups of 60: a new group about every three days, so groups of
# every age run side by side
BASE = {"name": "stages", "days": 40, "seed": 5, "recruitment": {"arrivals_per_day": 20},
        "groups": {"capacity": 60}}
STAGED = {"launch": [0, 9], "daily": [10, 24], "light": [25, 3650]}


def daily(strategies, stages=None):
    spec = sim.parse_scenario({**BASE, "strategies": strategies, **({"stages": stages} if stages else {})})
    return sim.CommunityModel(spec).run().recorder.daily()


def test_messages_follow_each_groups_stage():
    d = daily({"messaging": [{"per_day": 4, "when": {"stage": "launch"}},
                             {"per_day": 2, "when": {"stage": "daily"}},
                             {"per_day": 1, "when": {"stage": ["light"]}}],
               "activities": {"kind": "relay", "when": {"stage": ["launch", "light"]}}}, STAGED)
    age = d["group_age"]
    expected = (4 * (age <= 9) + 2 * age.between(10, 24) + 1 * (age >= 25))
    assert (d["operator_msgs"] == expected).all()
    assert ((d["activities_held"] == 1) == ((age <= 9) | (age >= 25))).all()
    assert d["group"].nunique() > 5 and (age >= 25).any()  # groups in every stage at once
    assert d.groupby("day")["group_age"].nunique().max() >= 3


def test_default_stages_are_seed_004s():
    assert STAGES == {"launch": (0, 29), "daily": (30, 179), "light": (180, 3650)}
    d = daily({"messaging": {"per_day": 2, "when": {"stage": "daily"}}})
    assert ((d["operator_msgs"] > 0) == (d["group_age"] >= 30)).all() and (d["group_age"] >= 30).any()
    spec = sim.parse_scenario(BASE)
    assert spec.stage_ranges() == STAGES and "stages" not in json.loads(spec.canonical())  # unwritten: unchanged


@pytest.mark.parametrize("strategies, field, words", [
    ({"messaging": {"when": {"stage": "lunch"}}}, "strategies.messaging.when.stage",
     "no stage 'lunch'; the stages are launch, daily, light"),
    ({"messaging": [{"per_day": 1}, {"when": {"stage": ["daily", "lite"]}}]}, "strategies.messaging.1.when.stage",
     "no stage 'lite'; the stages are launch, daily, light"),
    ({"activities": {"when": {"stage": []}}}, "strategies.activities.when.stage", "at least 1 item"),
])
def test_an_unknown_stage_is_refused(strategies, field, words):
    with pytest.raises(InputError) as e:
        sim.parse_scenario({**BASE, "strategies": strategies}, "x.yaml")
    assert e.value.field == field and words in e.value.message, str(e.value)


@pytest.mark.parametrize("stages, words", [
    ({"a": [0, 10], "b": [10, 20]}, "stages 'a' and 'b' overlap"),
    ({"b": [30, 40], "a": [0, 35]}, "stages 'a' and 'b' overlap"),
    ({"a": [9, 3]}, "stage 'a': [9, 3] must be [from, to]"),
    ({"a": [0, 4000]}, "<= 3650"),
    ({}, "name at least one stage"),
])
def test_stage_ranges_are_ordered_and_apart(stages, words):
    with pytest.raises(InputError) as e:
        sim.parse_scenario({**BASE, "stages": stages}, "x.yaml")
    assert e.value.field == "stages" and words in e.value.message, str(e.value)


def test_scenario_stages_replace_the_defaults():
    with pytest.raises(InputError, match="no stage 'launch'; the stages are early, late"):
        sim.parse_scenario({**BASE, "stages": {"early": [0, 5], "late": [6, 99]},
                            "strategies": {"messaging": {"when": {"stage": "launch"}}}}, "x.yaml")


BAD = """name: bad
recruitment: {arrivals_per_day: 10}
strategies:
  messaging:
    - {per_day: 2}
    - per_day: 1
      when: {stage: lunch}
"""


def test_the_cli_refuses_an_unknown_stage_in_one_line_with_the_line(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (f"groupsim: error: {path}:7: strategies.messaging.1.when.stage: no stage 'lunch'; "
                                 "the stages are launch, daily, light\n")
    proc = subprocess.run([sys.executable, "-m", "sim", "run", str(path), "--out", str(tmp_path / "res")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no stage 'lunch'" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "res").exists()


def test_the_shipped_calendar_is_valid():
    spec = sim.load_scenario("scenarios/sop_calendar.yaml")
    stages = [p.when.stage for name, p in spec.strategy_params() if name == "messaging"]
    assert stages == [("launch",), ("daily",), ("light",)] and set(spec.stage_ranges()) == {"launch", "daily", "light"}
