"""Executing a plan into a results folder: the one run path of ``run``, ``compare`` and ``sweep``.

``execute_plan`` runs every run of a plan that the folder's store does not hold yet
(``sim.experiments.store``), on the chosen executor (``sim.experiments.executors``),
with a progress bar, then writes the folder: ``daily.parquet``, ``cohorts.parquet``,
``summary.csv`` (one row per scenario, point, replication, with the varied parameters'
values), ``manifest.json`` (the plan: experiment, points, scenario texts and hashes,
seed, KPI labels and units, versions; it decides the results, so it is the same
whatever ran them), ``log.json`` (command, executor, workers, timing, run counts) and
``failures.csv`` when runs failed. Charts and the report are ``sim.reporting``'s.
"""
from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .errors import InputError
from .executors import default_workers, outcomes
from .folder import atomic_write, versions, write_json, write_tables
from .plan import Plan
from .progress import progress_bar
from .store import RunStore, gather


def execute_plan(plan: Plan, out: str | Path, executor: str = "local", workers: int | None = None,
                 scheduler: str | None = None, fresh: bool = False, progress: bool | None = None,
                 command: str = "") -> Path:
    """Run what the store lacks, then write the results folder (see the module docstring)."""
    out = Path(out)
    check_out(out, plan, fresh)
    store = RunStore(out)
    store.prepare(fresh)
    manifest = {**plan.manifest(), **versions()}
    write_json(out / "manifest.json", manifest)
    unique = list({t.key: t for t in plan.tasks()}.values())  # an arm equal to another runs once
    todo = [t for t in unique if not store.is_done(t)]
    if len(todo) < len(unique) and progress is not False:
        print(f"resuming: {len(unique) - len(todo)} of {len(unique)} runs are stored in {out / 'runs'}; "
              f"running the other {len(todo)}", file=sys.stderr)
    workers = workers or default_workers()
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    bar = None
    try:
        with outcomes(todo, executor, workers, scheduler) as finished:
            # the bar after the pool: its monitor thread must not exist when workers fork
            bar = progress_bar(total=len(todo), desc=plan.spec.name[:40], progress=progress)
            bar.set_postfix(failed=0)
            failed = 0
            for outcome in finished:
                store.save(outcome)
                if outcome.error is not None:
                    failed += 1
                    bar.set_postfix(failed=failed)
                bar.update(1)
    except KeyboardInterrupt:
        print(f"\nfinished runs are stored in {store.root}; rerun the same command to resume", file=sys.stderr)
        raise
    finally:
        if bar is not None:
            bar.close()
    daily, cohorts, summary, failures = gather(plan, store)
    write_tables(out, daily, cohorts, summary)
    write_json(out / "log.json", {
        "command": command, "executor": executor, "workers": workers, "scheduler": scheduler,
        "started": started.isoformat(timespec="seconds"), "seconds": round(time.perf_counter() - clock, 2),
        "runs": len(unique), "ran": len(todo), "stored_before": len(unique) - len(todo),
        "failed": sum(not store.is_done(t) for t in unique)})
    write_failures(out, failures)
    return out


def write_failures(out: Path, failures: pd.DataFrame) -> None:
    if len(failures):
        atomic_write(out / "failures.csv", lambda p: failures.to_csv(p, index=False))
    else:
        (out / "failures.csv").unlink(missing_ok=True)


def check_out(out: Path, plan: Plan, fresh: bool) -> None:
    """Refuse to write over a folder that holds something else (unless --fresh)."""
    if out.exists() and not out.is_dir():
        raise InputError("--out", "", f"'{out}' exists and is not a folder")
    manifest = out / "manifest.json"
    if fresh or not manifest.is_file():
        return
    try:
        name = json.loads(manifest.read_text()).get("experiment", {}).get("name")
    except ValueError:
        name = None
    if name != plan.spec.name:
        what = f"experiment '{name}'" if name else "other results"
        raise InputError("--out", "", f"'{out}' holds {what}, not '{plan.spec.name}'; choose another folder "
                                      "or add --fresh to replace it")
