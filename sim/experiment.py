"""Running replications of a scenario.

Replication ``r`` of a scenario with seed ``s`` uses the streams keyed by (s, r), so
the same (scenario, seed, replication) always gives the same rows, in any process.
"""
from __future__ import annotations

import pandas as pd
from tqdm import tqdm

from .metrics import summarize
from .model import CommunityModel
from .results import Results


def run_replication(scenario, replication: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    model = CommunityModel(scenario, replication=replication, seed=seed).run()
    daily, cohorts = model.recorder.daily(), model.recorder.cohorts()
    return daily, cohorts, summarize(daily, cohorts, model.day)


def run(scenario, reps: int = 1, seed: int | None = None, progress: bool | None = False) -> Results:
    """Run ``reps`` replications of ``scenario``; ``seed`` overrides the scenario's seed."""
    seed = scenario.seed if seed is None else int(seed)
    dailies, cohorts, summaries = [], [], []
    bar = tqdm(range(reps), desc=scenario.name, unit="rep", disable=None if progress is None else not progress)
    for r in bar:
        d, c, s = run_replication(scenario, r, seed)
        keys = {"scenario": scenario.name, "point": 0, "replication": r}
        dailies.append(d.assign(**keys))
        cohorts.append(c.assign(**keys))
        summaries.append({**keys, "seed": seed, **s})
    return Results(
        daily=_keys_first(pd.concat(dailies, ignore_index=True)),
        cohorts=_keys_first(pd.concat(cohorts, ignore_index=True)),
        summary=pd.DataFrame(summaries),
        scenarios={scenario.name: scenario},
        seed=seed,
    )


def _keys_first(frame: pd.DataFrame) -> pd.DataFrame:
    keys = ["scenario", "point", "replication"]
    return frame[keys + [c for c in frame.columns if c not in keys]]
