"""docs/architecture.md stays true: its worked example is a strategy of about thirty lines
that registers, passes the whole conformance suite, and does what it says."""
import re
import types
from pathlib import Path

import pytest

import sim
from sim.experiments.conformance import checks
from sim.strategies import REGISTRY
from sim.strategies.base import unregister

GUIDE = (Path(__file__).resolve().parent.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
EXAMPLE = re.search(r"## A strategy in thirty lines.*?```python\n(.*?)```", GUIDE, re.S).group(1)
BASE = {"name": "guide", "days": 30, "seed": 19, "recruitment": {"initial_members": 1500, "arrivals_per_day": 20}}


@pytest.fixture(scope="module")
def check_in():
    module = types.ModuleType("check_in_example")
    exec(compile(EXAMPLE, "docs/architecture.md", "exec"), module.__dict__)
    yield REGISTRY["check_in"]
    unregister("check_in")


def test_the_example_is_about_thirty_lines():
    code = [ln for ln in EXAMPLE.splitlines() if ln.strip()]
    assert len(code) <= 36, len(code)


def test_the_example_passes_the_conformance_suite(check_in):
    for _, check in checks("check_in"):
        check("check_in")


def test_the_example_books_its_rewards_and_lifts_posting(check_in, tmp_path):
    on = sim.run(sim.parse_scenario({**BASE, "strategies": {"check_in": {"reward": 2}}}), reps=2, seed=3)
    off = sim.run(sim.parse_scenario({**BASE, "strategies": {"check_in": {"reward": 2, "lift": 0}}}), reps=2, seed=3)
    d = on.daily
    assert d["check_ins"].sum() > 0 and (d["spend_rewards"] == 2 * d["check_ins"]).all()
    assert (on.summary["check_ins"] == d.groupby("replication")["check_ins"].sum().to_numpy()).all()
    assert on.catalog["check_ins"].label == "Check-ins rewarded"
    assert on.daily["member_posts"].sum() > 1.05 * off.daily["member_posts"].sum()
