"""Executing a plan into a results folder: the one run path of ``run``, ``compare`` and ``sweep``.

``execute_plan`` runs every run of a plan that the folder's store does not hold whole
(``sim.experiments.store``), on the chosen executor (``sim.experiments.executors``),
with a progress bar, then writes the folder: ``daily.parquet``, ``cohorts.parquet``,
``members.parquet``, ``summary.csv`` (one row per scenario, point, replication, with the varied parameters'
values), ``manifest.json`` (the plan: experiment, points, scenario texts and hashes, each
scenario's segments, group kinds and tiers by name in index order, seed, KPI labels and
units, versions; it decides the results, so it is the same
whatever ran them), ``log.json`` (command, executor, workers, timing, run counts),
``failures.csv`` when runs failed, and ``checksums.json`` (SHA-256 of the tables and the
manifest, which ``groupsim report`` checks). The tables per group, kind, tier and segment
are derived from daily and members when read (``sim.reporting.results``), not stored
twice. Charts and the report come from the
``finish`` callback (``sim.reporting``).

What groupsim promises about a results folder:
- it writes only into a new or empty folder, or one it made (its ``manifest.json`` says
  so); anything else is refused before a file is written;
- ``.groupsim.lock`` (an advisory lock, with the writer's pid) keeps a second command out
  of the folder while one writes; the system frees it when its holder dies;
- ``--fresh`` removes only what groupsim wrote; files of yours in the folder stay;
- the tables, charts and report are built aside (``.staging-<pid>/``) and moved in only
  when all of them are made (with Ctrl-C and SIGTERM held off while they move, the
  checksums last), so a failure leaves the previous results whole, never a mix; charts
  of yours in ``charts/`` stay.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

from .errors import InputError
from .executors import default_workers, outcomes
from .folder import atomic_write, versions, write_json, write_tables
from .limits import check_parallel
from .plan import Plan
from .progress import progress_bar
from .store import RunStore, gather

LOCK = ".groupsim.lock"
OWN_FILES = ("daily.parquet", "cohorts.parquet", "members.parquet", "summary.csv", "manifest.json", "log.json", "failures.csv",
             "report.html", "checksums.json")
CHECKED = ("daily.parquet", "cohorts.parquet", "members.parquet", "summary.csv", "manifest.json")
CHARTS = ("retention", "activity", "uplift", "cost", "heatmap", "lifetimes")  # and sweep_<parameter>


def execute_plan(plan: Plan, out: str | Path, executor: str = "local", workers: int | None = None,
                 scheduler: str | None = None, fresh: bool = False, progress: bool | None = None,
                 command: str = "", finish: Callable[[Path], None] | None = None) -> Path:
    """Run what the store lacks, then write the results folder (see the module docstring).
    ``finish(staging folder)`` adds charts and the report before the folder is swapped in."""
    out = Path(out)
    workers = workers or default_workers()
    unique = list({t.key: t for t in plan.tasks()}.values())  # an arm equal to another runs once
    if executor == "local":
        check_parallel([a.spec for a in plan.arms], min(workers, len(unique)))
    check_out(out, plan, fresh)
    out.mkdir(parents=True, exist_ok=True)
    with folder_lock(out):
        check_out(out, plan, fresh, locked=True)  # again, now that no one else writes here
        for stale in out.glob(".staging-*"):  # left by a killed command
            shutil.rmtree(stale, ignore_errors=True)
        if fresh:
            remove_own(out)
        manifest = {**plan.manifest(), **versions()}
        if not (out / "manifest.json").exists():
            write_json(out / "manifest.json", manifest)  # marks a new folder as ours; else swapped in at the end
        store = RunStore(out)
        store.prepare()
        todo = [t for t in unique if not store.is_done(t)]
        quiet = progress is False
        bad = [why for t in todo if (why := store.check(t)[1])]
        if bad:  # said even when quiet: results were not as stored
            reasons = ", ".join(f"{n} {why}" for why, n in pd.Series(bad).value_counts().items())
            print(f"redoing {len(bad)} stored run(s) that fail their checks: {reasons}", file=sys.stderr)
        if len(todo) < len(unique) and not quiet:
            print(f"resuming: {len(unique) - len(todo)} of {len(unique)} runs are stored in {out / 'runs'}; "
                  f"running the other {len(todo)}", file=sys.stderr)
        started, clock = datetime.now(timezone.utc), time.perf_counter()
        _run(plan, todo, store, executor, workers, scheduler, progress)
        daily, cohorts, members, summary, failures = gather(plan, store)
        log = {"command": command, "executor": executor, "workers": workers, "scheduler": scheduler,
               "started": started.isoformat(timespec="seconds"), "seconds": round(time.perf_counter() - clock, 2),
               "runs": len(unique), "ran": len(todo), "stored_before": len(unique) - len(todo),
               "failed": sum(not store.is_done(t) for t in unique)}
        staging = out / f".staging-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            write_json(staging / "manifest.json", manifest)
            write_tables(staging, daily, cohorts, members, summary)
            write_json(staging / "log.json", log)
            if len(failures):
                atomic_write(staging / "failures.csv", lambda p: failures.to_csv(p, index=False))
            write_json(staging / "checksums.json", checksums(staging))
            if finish is not None:
                finish(staging)
            swap_in(staging, out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return out


def _run(plan, todo, store, executor, workers, scheduler, progress) -> None:
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
        print(f"\ninterrupted: finished runs are stored in {store.root}; rerun the same command to resume",
              file=sys.stderr)
        raise
    finally:
        if bar is not None:
            bar.close()


def checksums(folder: Path) -> dict:
    """SHA-256 of the files ``groupsim report`` checks before it trusts a folder."""
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in CHECKED}


def verify(folder: Path) -> None:
    """Refuse a folder whose tables or manifest are not those it was written with."""
    try:
        recorded = json.loads((folder / "checksums.json").read_text())
    except (OSError, ValueError):
        raise InputError(str(folder / "checksums.json"), "", "missing or unreadable: not a complete results "
                                                             "folder (rerun the command that made it)") from None
    for name in CHECKED:
        try:
            digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        except OSError:
            digest = None
        if not isinstance(recorded, dict) or recorded.get(name) != digest:
            raise InputError(str(folder / name), "", "missing or changed since groupsim wrote it (its checksum "
                                                     "differs); rerun the command that made the folder")


def swap_in(staging: Path, out: Path, files: tuple[str, ...] = OWN_FILES) -> None:
    """Move the charts and ``files`` built in ``staging`` into ``out``, then drop what of
    those it did not replace; Ctrl-C and SIGTERM wait until it is done, and the
    checksums go last."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}) \
        if hasattr(signal, "pthread_sigmask") else None
    try:
        new_charts = {p.name for p in (staging / "charts").glob("*.png")}
        if new_charts:
            (out / "charts").mkdir(exist_ok=True)
            for name in sorted(new_charts):
                os.replace(staging / "charts" / name, out / "charts" / name)
        for png in _own_charts(out):
            if png.name not in new_charts:
                png.unlink()
        for name in files:
            if name != "checksums.json" and (staging / name).exists():
                os.replace(staging / name, out / name)
            elif name not in ("checksums.json", "manifest.json"):
                (out / name).unlink(missing_ok=True)  # e.g. last time's failures.csv, or a report not rebuilt
        if (staging / "checksums.json").exists():
            os.replace(staging / "checksums.json", out / "checksums.json")
    finally:
        if held is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _own_charts(out: Path) -> list[Path]:
    """The charts groupsim draws in ``out/charts`` (by name; other images there are yours)."""
    return [p for p in (out / "charts").glob("*.png") if p.stem in CHARTS or p.stem.startswith("sweep_")]


def rebuild_report(out: Path, build: Callable[[Path], None]) -> None:
    """``groupsim report``: ``build(staging)`` draws the charts and report.html aside (from
    the folder's own tables), under the lock; then they replace the old ones."""
    with folder_lock(out):
        staging = out / f".staging-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            build(staging)
            swap_in(staging, out, files=("report.html",))
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def owns(out: Path) -> bool:
    """Whether groupsim made this folder (its manifest is groupsim's)."""
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(manifest, dict) and isinstance(manifest.get("experiment"), dict) and "arms" in manifest


def check_out(out: Path, plan: Plan, fresh: bool, locked: bool = False) -> None:
    """Refuse a folder that is not ours, is being written, or holds another experiment
    (unless --fresh); ``locked``: this process holds the folder's lock already."""
    if out.exists() and not out.is_dir():
        raise InputError("--out", "", f"'{out}' exists and is not a folder")
    holder = None if locked else folder_lock.holder(out / LOCK)
    if holder is not None:
        raise InputError("--out", "", f"'{out}' is being written by another groupsim (pid {holder}); wait for it, "
                                      "or choose another folder")
    if not out.exists() or all(p.name.startswith(LOCK) for p in out.iterdir()):
        return  # new, empty, or just being made by another groupsim (its lock says so)
    if not owns(out):
        raise InputError("--out", "", f"'{out}' holds files groupsim did not write; choose a new or empty folder")
    name = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["experiment"].get("name")
    if name != plan.spec.name and not fresh:
        raise InputError("--out", "", f"'{out}' holds experiment '{name}', not '{plan.spec.name}'; choose another "
                                      "folder or add --fresh to replace it")


def remove_own(out: Path) -> None:
    """What groupsim wrote in ``out`` (results, charts, stored runs); nothing else."""
    for png in _own_charts(out):
        png.unlink()
    store = RunStore(out)
    for item in store.root.glob("*"):
        if store.owned(item):
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    for name in OWN_FILES:  # the manifest last: an interrupted --fresh leaves a folder still ours
        if name != "manifest.json":
            (out / name).unlink(missing_ok=True)
    (out / "manifest.json").unlink(missing_ok=True)


class folder_lock:
    """Holds ``.groupsim.lock`` (an advisory lock the system drops when its holder dies,
    so a lock left by a killed command is free again) while this process writes the folder."""

    def __init__(self, out: Path):
        self.path = out / LOCK
        self.file = None

    def __enter__(self):
        self.file = open(self.path, "a+")
        try:
            if fcntl is not None:
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                msvcrt.locking(self.file.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            self.file.seek(0)
            holder = self.file.read().strip() or "unknown"
            self.file.close()
            raise InputError("--out", "", f"'{self.path.parent}' is being written by another groupsim (pid "
                                          f"{holder}); wait for it, or choose another folder") from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(str(os.getpid()))
        self.file.flush()
        return self

    @staticmethod
    def holder(path: Path) -> str | None:
        """The pid written in a lock someone holds now; None when it is free (reads only)."""
        if fcntl is None or not path.is_file():
            return None
        with open(path) as f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return f.read().strip() or "unknown"
        return None

    def __exit__(self, *exc):
        self.file.close()  # closing releases the lock; the file stays, empty of meaning
