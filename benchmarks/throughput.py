"""Throughput of the engine in present member-days per second, and peak memory.

For the minimal scenario (benchmarks/minimal.yaml), scenarios/baseline.yaml (with its
arrivals and messaging), benchmarks/all_levers.yaml (every engagement strategy on) and
benchmarks/structure.yaml (group kinds, routing by segment, a promoted tier, referral), at
10^4, 10^5 and 10^6 initial members over 90 days, and for the per-agent reference (sim.engine.reference) on the minimal scenario. Member-days are the
sum of the daily ``members`` column (members present each day, summed over days and
groups). Only ``run()`` is timed; construction is reported separately. Each repeat of
a configuration runs in a fresh subprocess, which reports its timings and its peak RSS
(``ru_maxrss``: one model's, with the imports) as JSON. Prints a table and writes benchmarks/out/throughput.json.

At 10^6 members each repeat is followed by one run of the yardstick (a bare numpy loop,
``../shared/bench/yardstick.py`` or ``--yardstick PATH``) in its own process, so engine and
yardstick see the same machine load; the ratio quoted is the median engine rate over the
median yardstick rate of those interleaved runs.

    python benchmarks/throughput.py            # full (about 4 minutes on 2 cores)
    python benchmarks/throughput.py --quick    # smoke run (about 20 seconds)
    python benchmarks/throughput.py --only structure levers --sizes 1000000   # some of them
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {"minimal": ROOT / "benchmarks" / "minimal.yaml", "baseline": ROOT / "scenarios" / "baseline.yaml",
             "levers": ROOT / "benchmarks" / "all_levers.yaml",  # every engagement strategy on
             "structure": ROOT / "benchmarks" / "structure.yaml"}  # kinds, routing, tiers, referral
DAYS = 90
REF_BUDGET_S = 120.0  # run the reference at 10^5 only if its estimated time is below this
YARDSTICK = ROOT.parent / "shared" / "bench" / "yardstick.py"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def one(cfg: dict) -> dict:
    """Run replication ``cfg["replication"]`` of one configuration in this process."""
    import sim
    from sim.engine.reference import ReferenceModel

    scenario = sim.load_scenario(SCENARIOS[cfg["scenario"]],
                                 [f"recruitment.initial_members={cfg['n']}", f"days={cfg['days']}"])
    rss_start = peak_rss_mb()
    r = cfg["replication"]
    t0 = time.perf_counter()
    if cfg["engine"] == "vectorised":
        model = sim.CommunityModel(scenario, replication=r)
    else:
        model = ReferenceModel(scenario, seed=[scenario.seed, r])
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    daily = model.recorder.daily() if cfg["engine"] == "vectorised" else model.daily()
    return {"build_s": t1 - t0, "run_s": t2 - t1, "member_days": int(daily["members"].sum()),
            "rss_start_mb": rss_start, "peak_rss_mb": peak_rss_mb()}


def yardstick(path: Path | None, n: int) -> float | None:
    """One run of the yardstick at ``n`` members: present member-days per second."""
    if path is None:
        return None
    out = subprocess.run([sys.executable, str(path), "--n", str(n), "--days", str(DAYS), "--repeats", "1"],
                         capture_output=True, text=True)
    found = re.search(r"median ([\d.,]+) M", out.stdout)
    if out.returncode or not found:
        raise SystemExit(f"yardstick {path} failed:\n{out.stdout}{out.stderr}")
    return float(found.group(1).replace(",", "")) * 1e6


def spawn(cfg: dict, yard: Path | None = None) -> dict:
    """Each repeat in a fresh process, so its peak RSS is one model's alone; with ``yard``,
    each followed by a yardstick run."""
    runs, yards = [], []
    for r in range(cfg["repeats"]):
        out = subprocess.run([sys.executable, __file__, "--one", json.dumps({**cfg, "replication": r})],
                             capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            raise SystemExit(f"configuration {cfg} failed:\n{out.stderr}")
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        if yard is not None:
            yards.append(yardstick(yard, cfg["n"]))
    res = {**cfg, **{k: [run[k] for run in runs] for k in ("build_s", "run_s", "member_days")},
           "rss_start_mb": max(run["rss_start_mb"] for run in runs),
           "peak_rss_mb": max(run["peak_rss_mb"] for run in runs)}
    rates = [md / s for md, s in zip(res["member_days"], res["run_s"])]
    res.update(rate_median=statistics.median(rates), rate_min=min(rates), rate_max=max(rates),
               run_median_s=statistics.median(res["run_s"]), build_median_s=statistics.median(res["build_s"]))
    if yards:
        res.update(yardstick=yards, yardstick_median=statistics.median(yards),
                   yardstick_ratio=res["rate_median"] / statistics.median(yards))
    return res


def machine() -> dict:
    import mesa
    import numpy

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "numpy": numpy.__version__,
            "mesa": mesa.__version__, "platform": platform.platform(), "load_avg_start": os.getloadavg()}


def row(r: dict) -> str:
    rng = f"[{r['rate_min'] / 1e6:.2f}-{r['rate_max'] / 1e6:.2f}]"
    runs = f"{r['run_median_s']:.2f} [{min(r['run_s']):.2f}-{max(r['run_s']):.2f}]"
    return (f"{r['scenario']:<9}{r['engine']:<11}{r['n']:>9,}{len(r['run_s']):>4}  {r['build_median_s']:>8.2f}"
            f"  {runs:>22}  {statistics.median(r['member_days']):>13,.0f}  {r['rate_median'] / 1e6:>8.3f} {rng:<13}"
            f"{r['peak_rss_mb']:>8.0f}{r['rss_start_mb']:>8.0f}")


HEADER = (f"{'scenario':<9}{'engine':<11}{'members':>9}{'rep':>4}  {'build s':>8}  {'run s median [range]':>22}"
          f"  {'member-days':>13}  {'M md/s':>8} {'[range]':<13}{'RSS MB':>8}{'import':>8}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 10^4 and 10^5 members, one repeat")
    ap.add_argument("--out", type=Path, default=None, help="JSON output (default benchmarks/out/throughput[-quick].json)")
    ap.add_argument("--yardstick", type=Path, default=YARDSTICK if YARDSTICK.exists() else None,
                    help="yardstick script run after each repeat at 10^6 members (default %(default)s)")
    ap.add_argument("--only", nargs="+", choices=list(SCENARIOS), help="only these scenarios")
    ap.add_argument("--sizes", nargs="+", type=int, help="only these member counts (10000, 100000, 1000000)")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(json.loads(args.one))))
        return

    sizes = {10_000: 1, 100_000: 1} if args.quick else {10_000: 5, 100_000: 3, 1_000_000: 5}
    sizes = {n: r for n, r in sizes.items() if not args.sizes or n in args.sizes}
    info = machine()
    print("machine: {cpus} cpus ({cpu}), python {python}, numpy {numpy}, mesa {mesa}; load avg at start "
          "{load_avg_start[0]:.2f}".format(**info))
    print(f"{DAYS} days; throughput in million present member-days per second of run(); "
          "RSS = peak resident set of the configuration's process (import: after imports, before the first model)\n")
    print(HEADER)
    results = []
    for name in args.only or SCENARIOS:
        for n, repeats in sizes.items():
            results.append(spawn({"scenario": name, "engine": "vectorised", "n": n, "days": DAYS, "repeats": repeats},
                                 args.yardstick if n == 1_000_000 else None))
            print(row(results[-1]), flush=True)

    ref_repeats = 1 if args.quick else 3
    ref, notes = [], []
    if "minimal" in (args.only or SCENARIOS):
        ref.append(spawn({"scenario": "minimal", "engine": "reference", "n": 10_000, "days": DAYS,
                          "repeats": ref_repeats}))
        print(row(ref[-1]), flush=True)
        estimate = 10 * (ref[0]["run_median_s"] + ref[0]["build_median_s"])
        if args.quick:
            notes.append(f"reference at 10^5 skipped (--quick; estimated {estimate:.0f} s)")
        elif estimate < REF_BUDGET_S:
            ref.append(spawn({"scenario": "minimal", "engine": "reference", "n": 100_000, "days": DAYS, "repeats": 1}))
            print(row(ref[-1]), flush=True)
        else:
            notes.append(f"reference at 10^5 skipped: estimated {estimate:.0f} s > {REF_BUDGET_S:.0f} s")

    print()
    print("(the vectorised model places and draws its initial members on day 0, inside run(); "
          "the reference creates its agents at construction)")
    ratios = {}
    for r in ref:
        vec = next((v for v in results if v["scenario"] == "minimal" and v["n"] == r["n"]), None)
        if vec is None:  # that size not run (--sizes)
            continue
        ratios[r["n"]] = vec["rate_median"] / r["rate_median"]
        total = (r["run_median_s"] + r["build_median_s"]) / (vec["run_median_s"] + vec["build_median_s"])
        print(f"speed ratio vectorised / per-agent, minimal scenario, {r['n']:,} members: {ratios[r['n']]:.0f}x "
              f"({vec['rate_median'] / 1e6:.3f} vs {r['rate_median'] / 1e6:.4f} M member-days/s of run()); "
              f"{total:.0f}x counting construction")
    for r in results:
        if "yardstick_ratio" in r:
            print(f"{r['scenario']} at {r['n']:,} members: {r['rate_median'] / 1e6:.1f} M member-days/s against the "
                  f"yardstick's {r['yardstick_median'] / 1e6:.1f} M (interleaved runs, medians): "
                  f"{r['yardstick_ratio']:.2f}x the yardstick")
    for note in notes:
        print(note)

    out = args.out or ROOT / "benchmarks" / "out" / ("throughput-quick.json" if args.quick else "throughput.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": info, "days": DAYS, "quick": args.quick, "vectorised": results,
                               "reference": ref, "speed_ratio": ratios, "notes": notes}, indent=2) + "\n")
    print(f"\nwritten {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()
