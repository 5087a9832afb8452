"""Where a run's peak memory goes: peak RSS (``ru_maxrss``) after building the model,
after chosen days, and after ``recorder.daily()``, for one scenario at 10^6 members.

    python benchmarks/peak_memory.py [SCENARIO] [--members N] [--days D]

Run it also with ``MALLOC_MMAP_THRESHOLD_=131072`` in the environment to see how much of
the growth after the first compaction is the allocator keeping freed day temporaries.
"""
from __future__ import annotations

import argparse
import resource
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parents[1]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=90)
    args = ap.parse_args()
    print(f"imports: {peak_mb():.0f} MB")
    s = sim.load_scenario(args.scenario, [f"recruitment.initial_members={args.members}", f"days={args.days}"])
    model = sim.CommunityModel(s, 0, 1)
    m = model.members
    print(f"built: {peak_mb():.0f} MB (columns {sum(m.column(c).nbytes for c in m.columns) / 2**20:.0f} MB)")
    marks = {0, 1, args.days // 4, args.days // 2, 3 * args.days // 4, args.days - 1}
    for day in range(args.days):
        rows = m.n
        model.step()
        if day in marks or m.n < rows - rows // 10:
            print(f"day {day}: {peak_mb():.0f} MB, {m.n:,} rows" + (" (compacted)" if m.n < rows - rows // 10 else ""))
    model.recorder.daily()
    print(f"after daily(): {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
