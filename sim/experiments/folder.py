"""Writing a results folder: its tables, JSON files and the versions that made them.

Results folder (the contract): ``daily.parquet`` (one row per scenario, point,
replication, day, group), ``summary.csv`` (one row per scenario, point, replication:
the run's KPIs, numbers written to round-trip exactly), ``cohorts.parquet`` (retention
by weekly join cohort, per person), ``members.parquet`` (one row per scenario, point,
replication and person: ``sim.engine.recorder``), ``manifest.json`` (the plan: scenario texts and hashes, seeds,
KPI labels and units, package versions). Every file is written to a temporary name and
renamed, so a folder never holds a half-written file.
"""
from __future__ import annotations

import json
import os
import platform
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import pandas as pd

PACKAGES = ("groupsim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "pydantic", "matplotlib")
KEYS = ["scenario", "point", "replication"]


def package_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


GROUPSIM_VERSION = package_version("groupsim")


@lru_cache(maxsize=1)
def _versions() -> tuple:
    # looking versions up costs ~25 ms; they cannot change while this process runs
    return platform.python_version(), tuple((p, package_version(p)) for p in PACKAGES)


def versions() -> dict:
    """Python's and the packages' versions, for a manifest."""
    python, packages = _versions()
    return {"python": python, "packages": dict(packages)}


def atomic_write(path: Path, write) -> None:
    """``write(temporary path)``, then rename it to ``path``: readers never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def keys_first(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames concatenated, with the run keys (scenario, point, replication) first."""
    if not frames:
        return pd.DataFrame(columns=KEYS)
    frame = pd.concat(frames, ignore_index=True)
    return frame[KEYS + [c for c in frame.columns if c not in KEYS]]


def write_tables(out: Path, daily: pd.DataFrame, cohorts: pd.DataFrame, members: pd.DataFrame,
                 summary: pd.DataFrame) -> None:
    """The four tables of a results folder, each written aside and renamed."""
    atomic_write(out / "daily.parquet", lambda p: daily.to_parquet(p, index=False))
    atomic_write(out / "cohorts.parquet", lambda p: cohorts.to_parquet(p, index=False))
    atomic_write(out / "members.parquet", lambda p: members.to_parquet(p, index=False))
    atomic_write(out / "summary.csv", lambda p: summary.to_csv(p, index=False))


def write_json(path: Path, data: dict) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, default=_plain, ensure_ascii=False) + "\n"
    atomic_write(path, lambda p: Path(p).write_text(text, encoding="utf-8"))


def _plain(value):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")
