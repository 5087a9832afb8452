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
        write_tables(out, self.daily, self.cohorts, self.summary)
        write_json(out / "manifest.json", self.manifest(command))
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


KEYS = ["scenario", "point", "replication"]


def keys_first(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames concatenated, with the run keys (scenario, point, replication) first."""
    if not frames:
        return pd.DataFrame(columns=KEYS)
    frame = pd.concat(frames, ignore_index=True)
    return frame[KEYS + [c for c in frame.columns if c not in KEYS]]


def write_tables(out: Path, daily: pd.DataFrame, cohorts: pd.DataFrame, summary: pd.DataFrame) -> None:
    """The three tables of a results folder, each written aside and renamed."""
    _atomic(out / "daily.parquet", lambda p: daily.to_parquet(p, index=False))
    _atomic(out / "cohorts.parquet", lambda p: cohorts.to_parquet(p, index=False))
    _atomic(out / "summary.csv", lambda p: summary.to_csv(p, index=False, float_format="%.10g"))


def write_json(path: Path, data: dict) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, default=_plain) + "\n"
    _atomic(path, lambda p: Path(p).write_text(text))


def _plain(value):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


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

