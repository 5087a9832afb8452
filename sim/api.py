"""The notebook API: ``run``, ``compare`` and ``sweep``, one run path for all three.

Each builds a plan (``sim.experiments.plan``), executes it into a results folder (runs
on an executor, stored as they finish, resumable: ``sim.experiments.execute``) and
returns the folder read back as ``Results``. Replication ``r`` of every arm uses the
streams keyed by (seed, r), so arms are paired (common random numbers).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from .analysis.kpis import RUN_KPIS
from .experiments.execute import execute_plan
from .experiments.plan import Plan, default_folder, load_experiment, plan_of, plan_from_scenarios
from .experiments.scenario import Scenario
from .reporting.results import Results
from .strategies import declared_kpis


def run(scenario: Scenario, reps: int = 1, seed: int | None = None, out=None, progress: bool | None = False,
        report: bool = False, **execution) -> Results:
    """Run ``reps`` replications of ``scenario`` (``seed`` overrides the scenario's).

    With ``out`` the results folder stays there (resumable; ``report=True`` adds the
    charts and report.html; failed replications are in ``.failures``); without, it is
    made in a temporary folder, read back, and a failed replication raises RuntimeError.
    ``execution``: ``executor``, ``workers``, ``scheduler``, ``fresh``, ``command``.
    """
    declared = [k.name for k in declared_kpis(scenario.make_strategies())]
    plan = plan_of([scenario], replications=reps, seed=seed, kpis=[*RUN_KPIS, *declared])
    if out is not None:
        return _execute(plan, Path(out), progress, report, execution)
    with tempfile.TemporaryDirectory(prefix="groupsim-") as tmp:
        results = _execute(plan, Path(tmp), progress, False, {"workers": 1, **execution})
        results.members  # read now: the folder goes  # noqa: B018
    if len(results.failures):  # nothing kept to resume from: say it, as a plain run would
        first = results.failures.iloc[0]
        raise RuntimeError(f"{len(results.failures)} of {reps} replications failed (first: replication "
                           f"{first['replication']}: {first['error']})")
    results.folder = None
    return results


def sweep(experiment, out=None, progress: bool | None = False, report: bool = True, **execution) -> Results:
    """Run an experiment file (or a ``Plan``) into a resumable results folder.

    ``out`` defaults to ``results/<experiment file name>``."""
    plan = experiment if isinstance(experiment, Plan) else load_experiment(experiment)
    if out is None:
        out = default_folder(plan.spec.name if isinstance(experiment, Plan) else Path(experiment).stem)
    return _execute(plan, Path(out), progress, report, execution)


def compare(*scenarios, reps: int = 10, seed: int | None = None, baseline: str | None = None, overrides=(),
            kpis=None, question: str = "", out=None, objective=None, guardrails=None, **options) -> Results:
    """Run scenario files on the same replication seeds and compare them with the first
    (or ``baseline``). ``seed`` defaults to the first scenario's; ``out`` to
    ``results/compare-<a>-vs-<b>...``; ``objective`` and ``guardrails`` as in an experiment
    file (e.g. ``"profit"``, ``[{"kpi": "retention_d30", "max_loss": 0.02}]``)."""
    plan = compare_plan([str(s) for s in scenarios], list(overrides), reps=reps, seed=seed, baseline=baseline,
                        kpis=kpis, question=question, objective=objective, guardrails=guardrails)
    return sweep(plan, out if out is not None else default_folder(plan.spec.name), **options)


def compare_plan(paths: list[str], overrides: list[str], reps: int, **fields) -> Plan:
    """The plan of a comparison of scenario files, named after them."""
    name = "compare-" + "-vs-".join(Path(p).stem for p in paths)
    return plan_from_scenarios(paths, overrides, replications=reps, name=name, **fields)


def _execute(plan: Plan, out: Path, progress, report: bool, execution: dict) -> Results:
    # charts and report read only the folder, as `groupsim report` does, and are built
    # beside the tables before any of them replaces the folder's previous results
    finish = (lambda staging: Results.load(staging).write_report(staging)) if report else None
    execute_plan(plan, out, progress=progress, finish=finish, **execution)
    return Results.load(out)
