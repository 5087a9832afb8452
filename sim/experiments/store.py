"""The resumable results store: one folder per finished run, under ``<out>/runs/``.

A run is keyed by what decides its rows: the hash of its resolved scenario, its seed and
replication (``RunTask.key``); ``run.json`` also records the scenario name, point and
package version. A finished run is written to a temporary folder and renamed into place,
so a killed sweep leaves only whole runs behind and loses at most the runs in flight.
Each ``run.json`` records the SHA-256 of each of the run's files, the versions that made
it, and a checksum of itself; a rerun skips a run only when all of these check out, and
runs again one whose files are missing, truncated, edited, swapped in from another run,
or made by another groupsim version (``check`` says why). A run that raised leaves
``<key>.failed.json`` with its error and is tried again on the next rerun. A lock file
keeps a second sweep out of a folder (``sim.experiments.execute``).

``gather`` puts the stored runs of a plan together in plan order (scenario, point,
replication), which is what makes the results folder independent of the executor.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from pathlib import Path

import pandas as pd

from .folder import GROUPSIM_VERSION, KEYS, atomic_write, keys_first, versions
from .plan import Plan, RunTask
from .runner import Outcome


class RunStore:
    def __init__(self, out: str | Path):
        self.root = Path(out) / "runs"
        self._checked: dict[str, tuple[dict | None, str]] = {}  # key -> (record, why not usable)

    def _folder(self, task: RunTask) -> Path:
        return self.root / task.key

    def _failure(self, task: RunTask) -> Path:
        return self.root / f"{task.key}.failed.json"

    def check(self, task: RunTask) -> tuple[dict | None, str]:
        """(the run's record, "") when it is stored whole; else (None, why): "" when it was
        never stored, or what is wrong (a missing, truncated, edited or foreign file, or
        another version)."""
        if task.key not in self._checked:
            self._checked[task.key] = self._verify(task)
        return self._checked[task.key]

    def _verify(self, task: RunTask) -> tuple[dict | None, str]:
        folder = self._folder(task)
        if not folder.is_dir():
            return None, ""
        try:
            record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return None, "run.json missing or unreadable"
        if not isinstance(record, dict) or record.get("checksum") != _checksum(record):
            return None, "run.json edited"
        if record.get("key") != task.key:
            return None, "run.json of another run"
        if record.get("version") != GROUPSIM_VERSION:
            return None, f"stored by groupsim {record.get('version')}"
        for name, digest in record.get("files", {}).items():
            try:
                data = (folder / name).read_bytes()
            except OSError:
                return None, f"{name} missing"
            if hashlib.sha256(data).hexdigest() != digest:
                return None, f"{name} truncated, edited or swapped"
        if set(record.get("files", {})) != set(FILES):
            return None, "run.json lists other files"
        return record, ""

    def is_done(self, task: RunTask) -> bool:
        return self.check(task)[0] is not None

    def prepare(self) -> None:
        """Make the store; drop half-written runs of a killed sweep."""
        self.root.mkdir(parents=True, exist_ok=True)
        for tmp in self.root.glob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)

    def save(self, outcome: Outcome) -> None:
        task = outcome.task
        self._checked.pop(task.key, None)
        base = {"key": task.key, "scenario": task.scenario, "point": task.point, "replication": task.replication,
                "seed": task.seed, "hash": task.digest, "version": GROUPSIM_VERSION, "versions": versions()}
        if outcome.error is not None:
            text = json.dumps({**base, "error": outcome.error, "detail": outcome.detail}, indent=1)
            atomic_write(self._failure(task), lambda p: Path(p).write_text(text))
            return
        tmp = self.root / f".tmp-{task.key}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        for name, data in outcome.files.items():
            (tmp / name).write_bytes(data)
        record = {**base, "seconds": round(outcome.seconds, 3), "worker": outcome.worker, "summary": outcome.summary,
                  "files": {name: hashlib.sha256(data).hexdigest() for name, data in outcome.files.items()}}
        record["checksum"] = _checksum(record)
        (tmp / "run.json").write_text(json.dumps(record, indent=1))
        final = self._folder(task)
        if final.exists():  # a run that failed its checks, or of another version
            shutil.rmtree(final)
        os.rename(tmp, final)
        self._failure(task).unlink(missing_ok=True)

    def failure(self, task: RunTask) -> dict | None:
        try:
            record = json.loads(self._failure(task).read_text())
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        return record if isinstance(record, dict) and "error" in record else None

    def load(self, task: RunTask) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict] | None:
        """(daily, cohorts, members, KPIs) of a stored run that passes its checks, or None."""
        record = self.check(task)[0]
        if record is None:
            return None
        folder = self._folder(task)
        daily, cohorts, members = (pd.read_parquet(folder / name) for name in FILES)
        return daily, cohorts, members, record["summary"]

    def owned(self, path: Path) -> bool:
        """Whether a path under runs/ is one groupsim writes (a run, its failure, a half-written run)."""
        return bool(RUN_NAME.fullmatch(path.name))


FILES = ("daily.parquet", "cohorts.parquet", "members.parquet")
RUN_NAME = re.compile(r"\.?(\.tmp-)?[0-9a-f]{16}-s\d+-r\d+(\.failed\.json(\.\d+\.tmp)?|-[0-9a-f]{8})?")


def _checksum(record: dict) -> str:
    """SHA-256 of the record without its own checksum: an edited summary value shows."""
    body = {k: v for k, v in record.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def gather(plan: Plan, store: RunStore) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame,
                                                 pd.DataFrame]:
    """(daily, cohorts, members, summary, failures) of the plan's stored runs, in plan order."""
    dailies, cohorts, members, summaries, failures = [], [], [], [], []
    for task in plan.tasks():
        keys = {"scenario": task.scenario, "point": task.point, "replication": task.replication}
        stored = store.load(task)
        if stored is None:
            failed = store.failure(task) or {"error": "not run"}
            failures.append({**keys, "seed": task.seed, "error": failed["error"]})
            continue
        d, c, m, s = stored
        dailies.append(d.assign(**keys))
        cohorts.append(c.assign(**keys))
        members.append(m.assign(**keys))
        summaries.append({**keys, "seed": task.seed, **plan.values_at(task.scenario, task.point), **s})
    summary = pd.DataFrame(summaries) if summaries else pd.DataFrame(columns=KEYS + ["seed"])
    return (keys_first(dailies), keys_first(cohorts), keys_first(members), summary,
            pd.DataFrame(failures, columns=KEYS + ["seed", "error"]))


