"""Sweeps and comparisons: executing a plan into a results folder, and reading it back.

``execute_plan`` runs every run of a plan that the folder's store does not hold yet
(``sim.store``), on the chosen executor (``sim.executors``), with a progress bar, then
writes the results folder: ``daily.parquet``, ``cohorts.parquet``, ``summary.csv`` (one
row per scenario, point, replication, with the varied parameters' values),
``manifest.json`` (the plan: experiment, points, scenario texts and hashes, seed; it
decides the results, so it is the same whatever ran them), ``log.json`` (command,
executor, workers, timing, run counts), ``failures.csv`` when runs failed, the charts in
``charts/`` and ``report.html``. ``Study`` is that folder as pandas tables, with the
paired comparison, the ranking and the charts.
"""
from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .errors import InputError
from .executors import default_workers, outcomes
from .kpis import CATALOG
from .paired import ranking, uplift_table
from .plan import Plan
from .progress import progress_bar
from .results import PACKAGES, _atomic, _num, _version, write_json, write_tables
from .stats import mean_ci
from .store import RunStore, gather

TABLES = ("daily.parquet", "cohorts.parquet", "summary.csv", "manifest.json")


@dataclass
class Study:
    manifest: dict
    daily: pd.DataFrame
    cohorts: pd.DataFrame
    summary: pd.DataFrame
    failures: pd.DataFrame = field(default_factory=pd.DataFrame)
    log: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)  # tables derived from summary

    # -- what the plan was ------------------------------------------------------------
    @property
    def experiment(self) -> dict:
        return self.manifest["experiment"]

    @property
    def kpis(self) -> list[str]:
        return list(self.experiment["kpis"])

    @property
    def params(self) -> list[str]:
        return list(self.experiment["vary"])

    @property
    def baseline(self) -> tuple[str, int]:
        return (self.manifest["baseline"], 0)

    @property
    def arms(self) -> list[tuple[str, int]]:
        return [(a["scenario"], a["point"]) for a in self.manifest["arms"]]

    @property
    def scenario_names(self) -> list[str]:
        """Scenarios in the experiment's order (manifest.json stores its mappings sorted)."""
        return list(dict.fromkeys(a["scenario"] for a in self.manifest["arms"]))

    def label(self, arm: tuple[str, int]) -> str:
        scenario, point = arm
        if not self.params:
            return scenario
        if point == 0:
            return f"{scenario} (as written)"
        values = self.manifest["points"][point]
        return f"{scenario} [" + ", ".join(f"{p.rsplit('.', 1)[-1]}={_value(values[p])}" for p in self.params) + "]"

    # -- what the runs say --------------------------------------------------------------
    def kpi_table(self) -> pd.DataFrame:
        """Mean and 95% CI of each KPI per arm."""
        rows = []
        for (scenario, point), runs in self.summary.groupby(["scenario", "point"], sort=False):
            for kpi in self.kpis:
                mean, low, high = mean_ci(runs[kpi])
                rows.append({"scenario": scenario, "point": point, "kpi": kpi, "mean": mean, "low": low,
                             "high": high, "reps": len(runs)})
        return pd.DataFrame(rows)

    def uplift(self) -> pd.DataFrame:
        """Paired uplift of every arm vs the baseline, per KPI (see ``sim.paired``)."""
        if "uplift" not in self._cache:
            self._cache["uplift"] = uplift_table(self.summary, self.arms, self.baseline, self.kpis)
        return self._cache["uplift"]

    def ranking(self, kpi: str | None = None) -> pd.DataFrame:
        """Arms from best to worst on ``kpi`` (default: the first KPI), neighbours compared pairwise."""
        kpi = kpi or self.kpis[0]
        if ("ranking", kpi) not in self._cache:
            self._cache["ranking", kpi] = ranking(self.summary, self.arms, kpi)
        return self._cache["ranking", kpi]

    def plot(self, folder: str | Path | None = None) -> dict:
        """Every chart of the study as {name: Figure}; saved as PNGs when a folder is given."""
        from .plots_study import study_charts
        return study_charts(self, folder)

    # -- the folder ---------------------------------------------------------------------
    def save(self, out: str | Path, report: bool = True) -> Path:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        write_tables(out, self.daily, self.cohorts, self.summary)
        write_json(out / "manifest.json", self.manifest)
        write_json(out / "log.json", self.log)
        if len(self.failures):
            _atomic(out / "failures.csv", lambda p: self.failures.to_csv(p, index=False))
        else:
            (out / "failures.csv").unlink(missing_ok=True)
        if report:
            self.write_report(out)
        return out

    def write_report(self, out: str | Path) -> Path:
        from .report import write_report
        charts = Path(out) / "charts"
        charts.mkdir(exist_ok=True)
        figures = self.plot(charts) if len(self.summary) else {}
        return write_report(self, Path(out), {name: charts / f"{name}.png" for name in figures})

    @classmethod
    def load(cls, out: str | Path) -> "Study":
        out = Path(out)
        missing = [f for f in TABLES if not (out / f).is_file()]
        if missing:
            raise InputError(str(out), "", f"not a sweep or comparison results folder (no {missing[0]})")
        manifest = json.loads((out / "manifest.json").read_text())
        if "experiment" not in manifest:
            raise InputError(str(out), "", "a 'groupsim run' folder has no comparison to report; "
                                           "use 'groupsim compare' or 'groupsim sweep'")
        failures = pd.read_csv(out / "failures.csv") if (out / "failures.csv").is_file() else pd.DataFrame()
        log = json.loads((out / "log.json").read_text()) if (out / "log.json").is_file() else {}
        return cls(manifest, pd.read_parquet(out / "daily.parquet"), pd.read_parquet(out / "cohorts.parquet"),
                   pd.read_csv(out / "summary.csv"), failures, log)


def execute_plan(plan: Plan, out: str | Path, executor: str = "local", workers: int | None = None,
                 scheduler: str | None = None, fresh: bool = False, progress: bool | None = None,
                 command: str = "", report: bool = True) -> Study:
    """Run what the store lacks, then write and return the results folder (see module doc).

    ``report=False`` skips the charts and report.html (``groupsim report DIR`` makes them later).
    """
    out = Path(out)
    _check_out(out, plan, fresh)
    store = RunStore(out)
    store.prepare(fresh)
    manifest = {**plan.manifest(), "python": platform.python_version(),
                "packages": {p: _version(p) for p in PACKAGES}}
    write_json(out / "manifest.json", manifest)
    unique = list({t.key: t for t in plan.tasks()}.values())  # an arm equal to another runs once
    todo = [t for t in unique if not store.is_done(t)]
    quiet = progress is False
    if len(todo) < len(unique) and not quiet:
        print(f"resuming: {len(unique) - len(todo)} of {len(unique)} runs are stored in {out / 'runs'}; "
              f"running the other {len(todo)}", file=sys.stderr)
    workers = workers or default_workers()
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    failed = 0
    bar = None
    try:
        with outcomes(todo, executor, workers, scheduler) as finished:
            # the bar after the pool: its monitor thread must not exist when workers fork
            bar = progress_bar(total=len(todo), desc=plan.spec.name[:40], progress=progress)
            bar.set_postfix(failed=0)
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
    log = {"command": command, "executor": executor, "workers": workers, "scheduler": scheduler,
           "started": started.isoformat(timespec="seconds"), "seconds": round(time.perf_counter() - clock, 2),
           "runs": len(unique), "ran": len(todo), "stored_before": len(unique) - len(todo),
           "failed": sum(not store.is_done(t) for t in unique)}
    study = Study(manifest, daily, cohorts, summary, failures, log)
    study.save(out, report=False)
    study = Study.load(out)  # charts and report read only the folder, as `groupsim report` does
    if report:
        study.write_report(out)
    return study


def _check_out(out: Path, plan: Plan, fresh: bool) -> None:
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


def describe(study: Study, limit: int = 12) -> str:
    """The study as text: KPI means per arm and the paired uplift vs the baseline."""
    up = study.uplift()
    if up.empty:
        return "no finished runs"
    reps = int(study.summary.groupby(["scenario", "point"]).size().min())
    lines = [f"{study.experiment['name']}: {len(study.arms)} arm(s), {reps} paired replication(s) each; "
             f"uplift vs {study.label(study.baseline)}, mean [95% CI], P(better)"]
    ranked = study.ranking()
    shown = [(r.scenario, r.point) for r in ranked.itertuples()][:limit]
    for kpi in study.kpis:
        spec = CATALOG[kpi]
        lines.append(f"  {spec.label} ({spec.unit})")
        for arm in shown:
            row = up[(up["scenario"] == arm[0]) & (up["point"] == arm[1]) & (up["kpi"] == kpi)]
            if row.empty:
                continue
            r = row.iloc[0]
            text = f"    {study.label(arm)[:44]:<44} {_num(spec.shown(r['mean'])):>11}"
            if r["verdict"] != "baseline" and r["pairs"] >= 2:
                text += (f"  {_signed(spec.shown(r['uplift']))} [{_signed(spec.shown(r['low']))}, "
                         f"{_signed(spec.shown(r['high']))}]  P={r['p_better']:.2f}  {r['verdict']}")
            elif r["verdict"] == "baseline":
                text += "  (baseline)"
            lines.append(text)
    if len(study.arms) > limit:
        lines.append(f"  ... {len(study.arms) - limit} more arm(s) in summary.csv and the report")
    return "\n".join(lines)


def _value(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _signed(x: float) -> str:
    return "n/a" if pd.isna(x) else ("+" if x >= 0 else "") + _num(x)
