"""Results of runs: pandas tables, the results folder, and the KPI table.

Results folder (the contract): ``daily.parquet`` (one row per scenario, point,
replication, day, group; columns in ``sim.metrics``), ``summary.csv`` (one row per
scenario, point, replication: the run's KPIs), ``cohorts.parquet`` (retention by weekly
join cohort), ``manifest.json`` (scenario text and hash, seeds, package versions,
command) and ``overview.png``. Files are written to a temporary name and renamed, so a
folder never holds a half-written file, and nothing is written before the runs succeed.
"""
from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .kpis import KPIS
from .stats import mean_ci

PACKAGES = ("groupsim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "pydantic", "matplotlib")


@dataclass
class Results:
    daily: pd.DataFrame
    cohorts: pd.DataFrame
    summary: pd.DataFrame
    scenarios: dict = field(default_factory=dict)
    seed: int = 0

    def kpi_table(self) -> pd.DataFrame:
        """Mean and 95% CI of each KPI across replications, per scenario."""
        rows = []
        for name, runs in self.summary.groupby("scenario", sort=False):
            for kpi in KPIS:
                mean, low, high = mean_ci(runs[kpi])
                rows.append({"scenario": name, "kpi": kpi, "mean": mean, "low": low, "high": high, "reps": len(runs)})
        return pd.DataFrame(rows)

    def plot(self, path: str | Path | None = None):
        from .plots import overview
        return overview(self, path)

    def save(self, out: str | Path, command: str = "") -> Path:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        _atomic(out / "daily.parquet", lambda p: self.daily.to_parquet(p, index=False))
        _atomic(out / "cohorts.parquet", lambda p: self.cohorts.to_parquet(p, index=False))
        _atomic(out / "summary.csv", lambda p: self.summary.to_csv(p, index=False, float_format="%.10g"))
        manifest = json.dumps(self.manifest(command), indent=2, sort_keys=True)
        _atomic(out / "manifest.json", lambda p: Path(p).write_text(manifest + "\n"))
        _atomic(out / "overview.png", lambda p: self.plot(p))
        return out

    def manifest(self, command: str = "") -> dict:
        return {
            "command": command,
            "seed": self.seed,
            "replications": int(self.summary["replication"].nunique()) if len(self.summary) else 0,
            "scenarios": {name: {"hash": s.digest, "scenario": json.loads(s.canonical())}
                          for name, s in self.scenarios.items()},
            "python": platform.python_version(),
            "packages": {p: _version(p) for p in PACKAGES},
        }


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def format_kpis(table: pd.DataFrame) -> str:
    """The KPI table as text: mean and 95% CI per scenario."""
    lines = []
    for name, rows in table.groupby("scenario", sort=False):
        reps = int(rows["reps"].iloc[0])
        lines.append(f"{name}  ({reps} replication{'s' if reps > 1 else ''}; mean [95% CI])")
        for r in rows.itertuples():
            ci = "" if np.isnan(r.low) else f"  [{_num(r.low)}, {_num(r.high)}]"
            lines.append(f"  {r.kpi:<20} {_num(r.mean):>12}{ci}")
    return "\n".join(lines)


def _num(x: float | None) -> str:
    """A number for tables: three decimals when small, thousands separators when large."""
    if x is None or np.isnan(x):
        return "n/a"
    return f"{x:.3f}" if abs(x) < 10 else f"{x:,.1f}"

