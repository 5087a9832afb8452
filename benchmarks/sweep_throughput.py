"""Sweep throughput (runs per minute) by executor, and the per-run overhead of each.

1. Throughput: a sweep of scenarios/baseline.yaml over 120 days (messages a day 1..7,
   4 replications: 32 runs of about a second each) with 1 and 2 local workers; each
   sweep starts from an empty folder and includes starting the pool. Median of repeats,
   and the speed-up of 2 workers over 1.
2. Overhead: sweeps of tiny runs (1 day, 10 members) at two sizes on each executor
   (in-process, local pool of 2, Dask LocalCluster of 2); the slope of wall time against
   the number of runs is the cost each run adds beyond its simulation (scheduling,
   transfer, storing its files), the intercept the start-up (pool or cluster).

Charts and report.html are not made (report=False): this measures execution only.

    python benchmarks/sweep_throughput.py           # about 4 minutes on 2 cores
    python benchmarks/sweep_throughput.py --quick   # one repeat, smaller sweeps
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parents[1]


def experiment(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\nscenarios: [{ROOT / 'scenarios' / 'baseline.yaml'}]\n{body}")
    return path


def timed_sweep(exp: Path, **options) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        sim.sweep(exp, Path(out) / "res", report=False, **options)
        return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    repeats = 1 if args.quick else 3
    folder = Path(tempfile.mkdtemp())
    per_day = "[1, 2, 4, 5, 6, 7, 8]"  # 3 is the scenario as written (point 0)
    reps = 2 if args.quick else 4
    big = experiment(folder, "throughput", f"set: {{days: 120}}\nvary: {{strategies.messaging.per_day: {per_day}}}\n"
                                           f"replications: {reps}\n")
    runs = 8 * reps
    result = {"runs": runs, "throughput": {}, "overhead": {}}
    print(f"throughput: {runs} runs of baseline.yaml, 120 days; {repeats} repeat(s)")
    for workers in (1, 2):
        walls = [timed_sweep(big, workers=workers) for _ in range(repeats)]
        med = statistics.median(walls)
        result["throughput"][workers] = {"wall_s": walls, "runs_per_min": 60 * runs / med}
        print(f"  local, {workers} worker(s): {60 * runs / med:6.1f} runs/min  (median wall {med:.1f} s "
              f"of {', '.join(f'{w:.1f}' for w in walls)})")
    speedup = result["throughput"][2]["runs_per_min"] / result["throughput"][1]["runs_per_min"]
    result["speedup_2_vs_1"] = speedup
    print(f"  speed-up, 2 workers vs 1: {speedup:.2f}x")

    sizes = (20, 60) if args.quick else (50, 250)
    tiny = {n: experiment(folder, f"tiny{n}", "set: {days: 1, recruitment.initial_members: 10, "
                                             "recruitment.arrivals_per_day: 0}\n"
                                             f"replications: {n}\n") for n in sizes}
    print(f"overhead: tiny runs (1 day, 10 members), {sizes[0]} and {sizes[1]} runs")
    for label, options in (("in-process", {"workers": 1}), ("local pool, 2 workers", {"workers": 2}),
                           ("dask LocalCluster, 2 workers", {"executor": "dask", "workers": 2})):
        walls = {n: statistics.median(timed_sweep(tiny[n], **options) for _ in range(repeats)) for n in sizes}
        per_run = (walls[sizes[1]] - walls[sizes[0]]) / (sizes[1] - sizes[0])
        start = walls[sizes[0]] - per_run * sizes[0]
        result["overhead"][label] = {"wall_s": walls, "per_run_ms": 1000 * per_run, "startup_s": start}
        print(f"  {label:<30} {1000 * per_run:7.1f} ms a run, start-up {start:5.1f} s")
    out = ROOT / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    (out / "sweep_throughput.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
