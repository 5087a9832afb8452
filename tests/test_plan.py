"""Experiment files: validation with one-line errors, and the designs' points."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.cli import main
from sim.experiments.errors import InputError
from sim.experiments.plan import ExperimentSpec, design_points, load_experiment

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(f"name: t\nscenarios: [{BASELINE}]\n" + body)
    return path


@pytest.mark.parametrize("path", sorted((ROOT / "experiments").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_experiment_validates(path, capsys):
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: ok — experiment ") and " runs" in out


@pytest.mark.parametrize("body, field, needle", [
    ("replications: 0\n", "replications", "greater than or equal to 1"),
    ("desing: grid\n", "desing", "did you mean 'design'?"),
    ("design: lhs\nvary: {days: {low: 10, high: 20}}\n", "", "needs samples"),
    ("design: sobol\nsamples: 10\nvary: {days: {low: 10, high: 20}}\n", "", "power of two"),
    ("kpis: [active_end, happiness]\n", "kpis", "unknown KPI 'happiness'"),
    ("vary: {days: {low: 10}}\n", "vary.days", "needs both low and high"),
    ("vary: {days: {low: 20, high: 10, step: 1}}\n", "vary.days", "low must be below high"),
    ("vary: {days: 5}\n", "vary.days", "a list of values, or a range"),
    ("vary: {days: {low: 10, high: 20}}\n", "", "a grid needs values, or a range with step or count"),
    ("vary: {strategies.messaging.per_day: [1, 60]}\n", "vary.strategies.messaging.per_day",
     "per_day: Input should be less than or equal to 50 (got 60)"),
    ("vary: {strategies.messaging.per_dya: [1, 2]}\n", "vary.strategies.messaging.per_dya",
     "did you mean 'per_day'?"),
    ("set: {days: 0}\n", "set.days", "greater than or equal to 1"),
    ("baseline: nobody\n", "baseline", "'nobody' is not a scenario of the experiment; allowed: baseline"),
])
def test_bad_experiment_is_one_line_naming_file_and_field(tmp_path, capsys, body, field, needle):
    path = write(tmp_path, body)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"groupsim: error: {path}")
    assert f": {field}: " in err if field else True
    assert needle in err, err


def test_missing_and_duplicate_scenarios_are_named(tmp_path, capsys):
    path = tmp_path / "exp.yaml"
    path.write_text("name: t\nscenarios: [nowhere.yaml]\n")
    assert main(["validate", str(path)]) == 2
    assert "scenarios.0: no scenario file 'nowhere.yaml'" in capsys.readouterr().err
    path.write_text(f"name: t\nscenarios: [{BASELINE}, {BASELINE}]\n")
    assert main(["validate", str(path)]) == 2
    assert "two scenarios are named 'baseline'" in capsys.readouterr().err


def test_a_bad_scenario_names_the_scenario_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ndays: -1\n")
    path = tmp_path / "exp.yaml"
    path.write_text("name: t\nscenarios: [bad.yaml]\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "res")]) == 2
    assert f"{bad}:2: days:" in capsys.readouterr().err
    assert not (tmp_path / "res").exists()


def spec(**fields) -> ExperimentSpec:
    return ExperimentSpec.model_validate({"name": "t", "scenarios": ["x.yaml"], **fields})


def test_grid_is_every_combination_with_inclusive_ranges():
    points = design_points(spec(vary={"a": {"low": 0, "high": 1, "step": 0.25}, "b": ["x", "y"],
                                      "c": {"low": 1, "high": 100, "count": 3, "scale": "log"}}))
    assert len(points) == 5 * 2 * 3
    assert sorted({p["a"] for p in points}) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert sorted({p["c"] for p in points}) == [1.0, 10.0, 100.0]
    assert len({tuple(p.values()) for p in points}) == len(points)


@pytest.mark.parametrize("design, n", [("lhs", 12), ("sobol", 16)])
def test_sampled_designs_are_deterministic_and_fill_the_ranges(design, n):
    vary = {"a": {"low": 0, "high": 1}, "b": {"low": 2, "high": 5, "integer": True}, "c": ["p", "q"]}
    points = design_points(spec(design=design, samples=n, vary=vary))
    assert len(points) == n
    assert points == design_points(spec(design=design, samples=n, vary=vary))
    assert points != design_points(spec(design=design, samples=n, vary=vary, seed=2))
    a = np.array([p["a"] for p in points])
    assert ((0 <= a) & (a <= 1)).all()
    assert {p["b"] for p in points} <= {2, 3, 4, 5} and {p["c"] for p in points} == {"p", "q"}
    if design == "lhs":  # Latin: exactly one point in each of the n strata of every range
        assert sorted(np.floor(a * n).astype(int)) == list(range(n))
    else:  # a scrambled Sobol' set of 2^m points is balanced: half in each half of the range
        assert (a < 0.5).sum() == n // 2


def test_point_zero_is_the_scenario_as_written_and_runs_are_paired(tmp_path):
    path = write(tmp_path, "replications: 3\nseed: 9\nvary: {strategies.messaging.per_day: [2, 3]}\n")
    plan = load_experiment(path)
    assert plan.points == [{}, {"strategies.messaging.per_day": 2}, {"strategies.messaging.per_day": 3}]
    tasks = plan.tasks()
    assert len(tasks) == 9 and {t.seed for t in tasks} == {9}
    # per_day 3 is the baseline as written: the same run, stored once
    assert len({t.key for t in tasks}) == 6
    assert plan.values_at("baseline", 0) == {"strategies.messaging.per_day": 3.0}


# -- points that can never have a member ---------------------------------------------

NOBODY = "no member can ever join"
ALLOWED = "allowed: initial_members >= 1, or arrivals_per_day > 0 with join_probability > 0"


@pytest.mark.parametrize("body, line, message", [
    ("vary:\n  strategies.messaging.per_day: [2]\n  recruitment.arrivals_per_day: [10, 0]\n", 5,
     "vary.recruitment.arrivals_per_day: scenario 'baseline' at point 2 (strategies.messaging.per_day = 2, "
     "recruitment.arrivals_per_day = 0): recruitment: no member can ever join (initial_members 0, "
     "arrivals_per_day 0, join_probability 0.7)"),
    ("design: lhs\nsamples: 4\nvary:\n  recruitment.join_probability: {values: [0, 0]}\n", 6,
     "vary.recruitment.join_probability: scenario 'baseline' at point 1 (recruitment.join_probability = 0): "
     "recruitment: no member can ever join (initial_members 0, arrivals_per_day 60, join_probability 0)"),
    ("set:\n  recruitment.join_probability: 0\n", 4,
     "set.recruitment.join_probability: no member can ever join (initial_members 0, arrivals_per_day 60, "
     "join_probability 0)"),
])
def test_a_point_that_can_never_have_a_member_is_refused_at_plan_time(tmp_path, monkeypatch, body, line, message):
    """Every arm of a sweep is checked before any runs, even with --force, and the error
    names the point's values so the user can find it in the design."""
    path = write(tmp_path, body)
    monkeypatch.setenv("GROUPSIM_FORCE", "1")
    with pytest.raises(InputError) as info:
        load_experiment(path)
    assert str(info.value) == f"{path}:{line}: {message}; {ALLOWED}"


def test_a_design_whose_points_all_have_members_is_accepted(tmp_path):
    path = write(tmp_path, "vary:\n  recruitment.arrivals_per_day: [0, 10]\n  recruitment.initial_members: [5]\n")
    assert len(load_experiment(path).points) == 3


def test_python_api_refuses_a_scenario_without_members_and_writes_nothing(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("name: empty\nrecruitment: {arrivals_per_day: 0}\n")
    exp = write(tmp_path, "vary: {recruitment.arrivals_per_day: [0]}\n")
    for call in (lambda: sim.load_scenario(empty), lambda: sim.compare(BASELINE, empty, out=tmp_path / "res"),
                 lambda: sim.sweep(exp, out=tmp_path / "res")):
        with pytest.raises(InputError, match=NOBODY):
            call()
    assert not (tmp_path / "res").exists()
