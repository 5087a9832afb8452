"""Golden regression: the results of a few scenarios at fixed seeds, pinned.

The summary, daily and cohort tables of each case are stored in ``tests/golden/``; a
change that alters any count, or any number beyond float rounding, fails here. A change
of behaviour that is meant regenerates them in a commit of its own that says why:

    python tests/test_golden.py --write

Cases cover every mechanism and the messaging strategy, member segments with their own
social susceptibility, initial members, several groups, a full group turning recruits
away, and two instances of a strategy, one with a schedule and a target. Columns that a later version no longer writes are named in ``DROPPED``
with the reason; every other stored column must match.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
TABLES = ("summary", "daily", "cohorts")

# (scenario file, overrides, replications, seed)
CASES = {
    "baseline": ("scenarios/baseline.yaml", ["days=60"], 2, 7),
    "push_hard": ("scenarios/push_hard.yaml", ["days=45", "recruitment.arrivals_per_day=25"], 1, 23),
    "segments_full_group": ("scenarios/well_run.yaml", [
        "days=40", "recruitment.initial_members=250", "recruitment.arrivals_per_day=12", "groups.capacity=300",
        "members.segments={fans: {share: 0.3, activity: {beta: [2, 20]}, social: {gamma: [2, 1]}}, "
        "lurkers: {share: 0.7, purchase: {beta: [1, 200]}, leave: {beta: [1, 30]}}}",
        "strategies.messaging={per_day: 4.5, slots: [7, 13, 21], value_share: 0.5}",
    ], 2, 101),
    # added after the move (pins what it made possible): two messaging instances, one on a schedule
    "scheduled_instances": ("scenarios/baseline.yaml", [
        "days=35", "start_weekday=4", "recruitment.arrivals_per_day=30",
        "strategies.messaging=[{per_day: 2, value_share: 0.8}, "
        "{per_day: 3, value_share: 0, when: {weekdays: [5, 6], group_age: [0, 20]}, where: {min_size: 50}}]",
    ], 2, 17),
}
# columns pinned here that the results no longer hold, and why
DROPPED: dict[str, str] = {
    "shill_posts": "always 0: no strategy ran shills; accounts a strategy declares now get <channel>_msgs columns",
}


def results(case: str) -> dict[str, pd.DataFrame]:
    import sim

    path, overrides, reps, seed = CASES[case]
    res = sim.run(sim.load_scenario(ROOT / path, overrides), reps=reps, seed=seed)
    return {name: getattr(res, name).reset_index(drop=True) for name in TABLES}


def write(case: str) -> None:
    folder = GOLDEN / case
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in results(case).items():
        frame.to_csv(folder / f"{name}.csv", index=False, float_format="%.17g")


@pytest.mark.parametrize("case", sorted(CASES))
def test_results_are_unchanged(case):
    now = results(case)
    for name in TABLES:
        pinned = pd.read_csv(GOLDEN / case / f"{name}.csv")
        columns = [c for c in pinned.columns if c not in DROPPED]
        missing = [c for c in columns if c not in now[name].columns]
        assert not missing, f"{case}/{name}: columns missing: {missing}"
        assert len(now[name]) == len(pinned), f"{case}/{name}: {len(now[name])} rows, pinned {len(pinned)}"
        for c in columns:
            got, want = now[name][c], pinned[c]
            if not pd.api.types.is_numeric_dtype(want):
                assert (got.astype(str).to_numpy() == want.astype(str).to_numpy()).all(), f"{case}/{name}.{c}"
            else:  # counts exactly; fractions and money to float rounding
                rtol = 0 if want.dtype.kind in "iub" else 1e-12
                assert np.allclose(got.to_numpy(float), want.to_numpy(float), rtol=rtol, atol=0, equal_nan=True), \
                    f"{case}/{name}.{c}"


def test_cases_cover_the_mechanisms():
    """The pinned tables are not trivial: people join, post, lapse, mute, buy, leave,
    several groups exist, and a full group turns recruits away."""
    daily = pd.concat([pd.read_csv(GOLDEN / c / "daily.csv") for c in CASES])
    for column in ("joined", "left", "member_posts", "lapsed", "muted", "purchases", "lost_full", "operator_msgs"):
        assert daily[column].sum() > 0, column
    assert daily["group"].max() >= 2


if __name__ == "__main__" and "--write" in sys.argv:
    sys.path.insert(0, str(ROOT))
    for name in CASES:
        write(name)
        print(f"wrote {GOLDEN / name}")
