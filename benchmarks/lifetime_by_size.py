"""Group lifetime against start size, neglected and well run, with no new arrivals.

For each start size (20, 30, 50, 100, 200, 500 members) and each operator effort —
neglected (``scenarios/dead_group.yaml``: no operator messages) and well run
(``scenarios/well_run.yaml``: three messages a day, 80% useful content) — runs R
replications of one group for 180 days without arrivals and prints:

- lifetime: median first day from which the 7-day mean share of present members posting
  stays under 1% (a silent group, ``sim.analysis.kpis.SILENT_SHARE``); 180+ if never;
- alive at 180: share of replications with at least 1% of present members posting on an
  average day of the last week;
- silent by day 28: share of replications under 1% over days 21-27.

Usage: python benchmarks/lifetime_by_size.py [--reps R] [--seed S] [--set key=value ...]
Seeds of tests and of calibration differ (docs/calibration.md).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import sim

ROOT = Path(__file__).resolve().parents[1]
SIZES = (20, 30, 50, 100, 200, 500)
EFFORTS = {"neglected": ROOT / "scenarios/dead_group.yaml", "well run": ROOT / "scenarios/well_run.yaml"}
DAYS, SILENT = 180, 0.01


def post_shares(path: Path, size: int, reps: int, seed: int, extra: list[str]) -> np.ndarray:
    """(reps, days) share of present members posting each day."""
    scenario = sim.load_scenario(path, [f"recruitment.initial_members={size}", "recruitment.arrivals_per_day=0",
                                        f"days={DAYS}", *extra])
    out = np.zeros((reps, DAYS))
    for r in range(reps):
        model = sim.CommunityModel(scenario, replication=r, seed=seed)
        daily = model.run().recorder.daily().groupby("day")[["member_posts", "members"]].sum()
        model.release()
        out[r] = (daily["member_posts"] / daily["members"].clip(lower=1)).to_numpy()
    return out


def lifetimes(shares: np.ndarray) -> np.ndarray:
    """First day from which the trailing 7-day mean stays under SILENT (DAYS if never)."""
    kernel = np.ones(7) / 7
    out = np.full(len(shares), DAYS)
    for i, s in enumerate(shares):
        week = np.convolve(s, kernel, "valid")  # week[k] = mean of days k..k+6
        quiet = week < SILENT
        loud = np.flatnonzero(~quiet)
        last_loud = loud[-1] if len(loud) else -1
        if last_loud < len(week) - 1:
            out[i] = last_loud + 1 + 6
    return out


def table(reps: int, seed: int, extra: list[str]) -> list[dict]:
    rows = []
    for size in SIZES:
        row = {"size": size}
        for name, path in EFFORTS.items():
            s = post_shares(path, size, reps, seed, extra)
            life = lifetimes(s)
            row[name] = {"median": float(np.median(life)), "alive180": float((s[:, -7:].mean(1) >= SILENT).mean()),
                         "silent28": float((s[:, 21:28].mean(1) < SILENT).mean())}
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1001)
    ap.add_argument("--set", action="append", default=[], metavar="key=value")
    args = ap.parse_args()
    print(f"{args.reps} replications a cell, seed {args.seed}, {DAYS} days, no arrivals")
    print(f"{'size':>5} | {'neglected: median life':>22} {'silent by 28':>12} | "
          f"{'well run: median life':>21} {'alive at 180':>12} {'silent by 28':>12}")
    for row in table(args.reps, args.seed, args.set):
        n, w = row["neglected"], row["well run"]
        print(f"{row['size']:>5} | {n['median']:>22.0f} {n['silent28']:>12.0%} | "
              f"{w['median']:>21.0f} {w['alive180']:>12.0%} {w['silent28']:>12.0%}")


if __name__ == "__main__":
    main()
