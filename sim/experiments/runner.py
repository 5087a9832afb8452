"""One run: a replication of a resolved scenario, from the model to its tables and KPIs.

Replication ``r`` of a scenario with seed ``s`` uses the streams keyed by (s, r), so the
same (scenario, seed, replication) always gives the same rows, in any process. Every
executor runs ``execute`` on a ``RunTask``; a run that raises becomes an ``Outcome``
with its error, never an exception, so one bad run cannot stop a sweep.
"""
from __future__ import annotations

import io
import json
import os
import resource
import sys
import time
import traceback
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from ..analysis.cohorts import cohorts as cohort_table
from ..analysis.kpis import summarize
from ..engine.model import CommunityModel
from ..strategies import declared_kpis
from .plan import RunTask
from .scenario import Scenario, parse_scenario


@dataclass
class Outcome:
    """A finished run: its tables as Parquet bytes (made in the worker, so the process
    collecting outcomes only writes files) and its KPIs; or its error."""
    task: RunTask
    files: dict[str, bytes] | None = None
    summary: dict | None = None
    seconds: float = 0.0
    error: str | None = None
    detail: str = ""
    worker: dict | None = None  # pid and resident memory (MB) of the process that ran it


def run_replication(scenario: Scenario, replication: int,
                    seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """(daily, cohorts, members, KPIs) of one replication. Cohorts and retention are per
    person (still in at least one group); the ``membership_retention_*`` KPIs per membership."""
    model = CommunityModel(scenario, replication=replication, seed=seed)
    try:
        model.run()
        daily = model.recorder.daily()
        members = model.recorder.members()
        cohorts = cohort_table(members, model.day)
        memberships = model.recorder.memberships()
        by_membership = cohorts if len(memberships) == len(members) else cohort_table(memberships, model.day)
        kpis = summarize(daily, cohorts, model.day, declared_kpis(model.strategies), by_membership)
        return daily, cohorts, members, kpis
    finally:
        model.release()


@lru_cache(maxsize=64)
def _scenario(text: str) -> Scenario:
    return parse_scenario(json.loads(text), "run plan")


def execute(task: RunTask) -> Outcome:
    """Run one task; errors are returned, not raised."""
    start = time.perf_counter()
    try:
        daily, cohorts, members, summary = run_replication(_scenario(task.scenario_json), task.replication,
                                                           task.seed)
        files = {"daily.parquet": _parquet(daily), "cohorts.parquet": _parquet(cohorts),
                 "members.parquet": _parquet(members)}
        return Outcome(task, files, summary, time.perf_counter() - start, worker=worker_state())
    except Exception as e:  # recorded with the run, reported at the end of the sweep
        return Outcome(task, seconds=time.perf_counter() - start, error=f"{type(e).__name__}: {e}",
                       detail=traceback.format_exc())


def worker_state() -> dict:
    """This process's pid and resident memory in MB (Linux; elsewhere its peak)."""
    try:
        with open("/proc/self/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return {"pid": os.getpid(), "rss_mb": round(rss / 2**20, 1)}


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()
