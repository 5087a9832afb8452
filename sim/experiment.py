"""Running replications of a scenario.

Replication ``r`` of a scenario with seed ``s`` uses the streams keyed by (s, r), so
the same (scenario, seed, replication) always gives the same rows, in any process.
"""
from __future__ import annotations

import pandas as pd

from .metrics import summarize
from .model import CommunityModel
from .progress import progress_bar
from .results import Results, keys_first


def run_replication(scenario, replication: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    model = CommunityModel(scenario, replication=replication, seed=seed).run()
    daily, cohorts = model.recorder.daily(), model.recorder.cohorts()
    return daily, cohorts, summarize(daily, cohorts, model.day)


def run(scenario, reps: int = 1, seed: int | None = None, progress: bool | None = False) -> Results:
    """Run ``reps`` replications of ``scenario``; ``seed`` overrides the scenario's seed."""
    seed = scenario.seed if seed is None else int(seed)
    dailies, cohorts, summaries = [], [], []
    bar = progress_bar(range(reps), desc=scenario.name, unit="rep", progress=progress)
    for r in bar:
        d, c, s = run_replication(scenario, r, seed)
        keys = {"scenario": scenario.name, "point": 0, "replication": r}
        dailies.append(d.assign(**keys))
        cohorts.append(c.assign(**keys))
        summaries.append({**keys, "seed": seed, **s})
    return Results(
        daily=keys_first(dailies),
        cohorts=keys_first(cohorts),
        summary=pd.DataFrame(summaries),
        scenarios={scenario.name: scenario},
        seed=seed,
    )


def sweep(experiment, out=None, executor: str = "local", workers: int | None = None,
          scheduler: str | None = None, fresh: bool = False, progress: bool | None = False, command: str = "",
          report: bool = True):
    """Run an experiment file (or a ``Plan``) into a resumable results folder; returns a ``Study``.

    ``out`` defaults to ``results/<experiment file name>``. See ``sim.study`` for the folder.
    """
    from pathlib import Path

    from .plan import Plan, load_experiment
    from .study import execute_plan

    plan = experiment if isinstance(experiment, Plan) else load_experiment(experiment)
    if out is None:
        out = Path("results") / (Path(experiment).stem if not isinstance(experiment, Plan) else _slug(plan.spec.name))
    return execute_plan(plan, out, executor, workers, scheduler, fresh, progress, command, report)


def compare(*scenarios, reps: int = 10, seed: int | None = None, baseline: str | None = None,
            overrides=(), kpis=None, question: str = "", out=None, **run_options):
    """Run scenario files on the same replication seeds and compare them with the first (or ``baseline``).

    ``seed`` defaults to the first scenario's. Returns a ``Study`` (``.uplift()``, ``.plot()``).
    """
    from .plan import plan_from_scenarios

    plan = plan_from_scenarios([str(s) for s in scenarios], list(overrides), replications=reps, seed=seed,
                               baseline=baseline, kpis=kpis, question=question)
    return sweep(plan, out if out is not None else f"results/{_slug(plan.spec.name)}", **run_options)


def _slug(name: str) -> str:
    import re
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:80] or "study"
