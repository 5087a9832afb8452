"""The resumable results store: one folder per finished run, under ``<out>/runs/``.

A run is keyed by what decides its rows: the hash of its resolved scenario, its seed and
replication (``RunTask.key``); ``run.json`` also records the scenario name, point and
package version. A finished run is written to a temporary folder and renamed into place,
so a killed sweep leaves only whole runs behind and loses at most the runs in flight. A
rerun skips every run already stored by the same groupsim version; a run stored by
another version is run again. A run that raised leaves ``<key>.failed.json`` with its
error and is tried again on the next rerun. One sweep writes to a folder at a time.

``gather`` puts the stored runs of a plan together in plan order (scenario, point,
replication), which is what makes the results folder independent of the executor.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import pandas as pd

from .folder import GROUPSIM_VERSION, KEYS, atomic_write, keys_first
from .plan import Plan, RunTask
from .runner import Outcome


class RunStore:
    def __init__(self, out: str | Path):
        self.root = Path(out) / "runs"

    def _folder(self, task: RunTask) -> Path:
        return self.root / task.key

    def _failure(self, task: RunTask) -> Path:
        return self.root / f"{task.key}.failed.json"

    def _meta(self, task: RunTask) -> dict | None:
        """The run's record when it is stored by this version, else None."""
        try:
            meta = json.loads((self._folder(task) / "run.json").read_text())
        except (OSError, ValueError):
            return None
        return meta if meta.get("version") == GROUPSIM_VERSION else None

    def is_done(self, task: RunTask) -> bool:
        return self._meta(task) is not None

    def prepare(self, fresh: bool = False) -> None:
        """Make the store; drop half-written runs of a killed sweep (and everything if fresh)."""
        if fresh and self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        for tmp in self.root.glob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)

    def save(self, outcome: Outcome) -> None:
        task = outcome.task
        if outcome.error is not None:
            record = {"scenario": task.scenario, "point": task.point, "replication": task.replication,
                      "seed": task.seed, "hash": task.digest, "version": GROUPSIM_VERSION,
                      "error": outcome.error, "detail": outcome.detail}
            text = json.dumps(record, indent=1)
            atomic_write(self._failure(task), lambda p: Path(p).write_text(text))
            return
        tmp = self.root / f".tmp-{task.key}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        for name, data in outcome.files.items():
            (tmp / name).write_bytes(data)
        meta = {"scenario": task.scenario, "point": task.point, "replication": task.replication,
                "seed": task.seed, "hash": task.digest, "version": GROUPSIM_VERSION,
                "seconds": round(outcome.seconds, 3), "summary": outcome.summary}
        (tmp / "run.json").write_text(json.dumps(meta, indent=1))
        final = self._folder(task)
        if final.exists():  # stored by another version
            shutil.rmtree(final)
        os.rename(tmp, final)
        self._failure(task).unlink(missing_ok=True)

    def failure(self, task: RunTask) -> dict | None:
        try:
            return json.loads(self._failure(task).read_text())
        except (OSError, ValueError):
            return None

    def load(self, task: RunTask) -> tuple[pd.DataFrame, pd.DataFrame, dict] | None:
        """(daily, cohorts, KPIs) of a stored run, or None when it is not stored."""
        meta = self._meta(task)
        if meta is None:
            return None
        folder = self._folder(task)
        return pd.read_parquet(folder / "daily.parquet"), pd.read_parquet(folder / "cohorts.parquet"), meta["summary"]


def gather(plan: Plan, store: RunStore) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(daily, cohorts, summary, failures) of the plan's stored runs, in plan order."""
    dailies, cohorts, summaries, failures = [], [], [], []
    for task in plan.tasks():
        keys = {"scenario": task.scenario, "point": task.point, "replication": task.replication}
        stored = store.load(task)
        if stored is None:
            failed = store.failure(task) or {"error": "not run"}
            failures.append({**keys, "seed": task.seed, "error": failed["error"]})
            continue
        d, c, s = stored
        dailies.append(d.assign(**keys))
        cohorts.append(c.assign(**keys))
        summaries.append({**keys, "seed": task.seed, **plan.values_at(task.scenario, task.point), **s})
    summary = pd.DataFrame(summaries) if summaries else pd.DataFrame(columns=KEYS + ["seed"])
    return (keys_first(dailies), keys_first(cohorts), summary,
            pd.DataFrame(failures, columns=KEYS + ["seed", "error"]))


