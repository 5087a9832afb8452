"""How much common random numbers (CRN) narrow a paired comparison of two scenarios.

Scenario A is scenarios/baseline.yaml with ``strategies.messaging.per_day=3``, B the same
with ``=4`` (nothing else differs). For each KPI, the 95% CI width of the mean
difference B - A over R replications:

(a) CRN: A and B both run with seed S and replication r; CI of the mean of the R
    per-r differences (Student t, ``sim.analysis.stats.mean_ci``);
(b) independent: B run with another seed S' (replication r), A as in (a); the same
    paired-by-index CI of the R differences of unpaired runs, and for comparison the
    Welch CI of the difference of the two means.

The ratio independent / CRN is how many times narrower CRN makes the interval (about
its square is the factor of replications it saves).

    python benchmarks/crn_width.py [--reps 20] [--days 90] [--seed 1]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from scipy import stats

import sim
from sim.analysis.stats import mean_ci

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
KPIS = ("active_end", "retention_d30", "members_end", "purchases")


def width(values) -> float:
    _, low, high = mean_ci(values)
    return high - low


def welch_width(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> float:
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return float(2 * stats.t.ppf(0.5 + level / 2, df) * np.sqrt(va + vb))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=20, help="replications per scenario (default 20)")
    ap.add_argument("--days", type=int, default=90, help="days simulated (default 90)")
    ap.add_argument("--seed", type=int, default=1, help="seed S of A and of B under CRN (B independent: S + 1000)")
    args = ap.parse_args(argv)

    days = f"days={args.days}"
    a = sim.load_scenario(BASELINE, [days, "strategies.messaging.per_day=3"])
    b = sim.load_scenario(BASELINE, [days, "strategies.messaging.per_day=4"])
    t0 = time.perf_counter()
    ra = sim.run(a, reps=args.reps, seed=args.seed).summary
    rb = sim.run(b, reps=args.reps, seed=args.seed).summary
    rb_ind = sim.run(b, reps=args.reps, seed=args.seed + 1000).summary
    elapsed = time.perf_counter() - t0

    print(f"baseline, messaging.per_day 3 (A) vs 4 (B), {args.days} days, {args.reps} replications each; "
          f"seed {args.seed} (B independent: seed {args.seed + 1000}); 95% CI widths of mean(B - A)")
    print(f"{'kpi':<15}{'mean A':>10}{'mean B':>10}{'mean B-A':>10}{'CRN':>10}{'indep.':>10}{'ratio':>8}"
          f"{'Welch':>10}{'ratio':>8}{'corr A,B':>10}")
    for k in KPIS:
        xa, xb, xi = (r[k].to_numpy(float) for r in (ra, rb, rb_ind))
        crn, ind, welch = width(xb - xa), width(xi - xa), welch_width(xi, xa)
        corr = np.corrcoef(xa, xb)[0, 1]
        print(f"{k:<15}{_num(xa.mean()):>10}{_num(xb.mean()):>10}{_num((xb - xa).mean()):>10}{_num(crn):>10}"
              f"{_num(ind):>10}{ind / crn:>8.1f}{_num(welch):>10}{welch / crn:>8.1f}{corr:>10.3f}")
    print("CRN: paired differences, same seed and replication; indep.: paired-by-index differences of runs "
          "with independent seeds (Student t); Welch: two-sample interval of the independent runs; "
          "ratio = that width / CRN width")
    print(f"({3 * args.reps} runs in {elapsed:.1f} s)")


def _num(x: float) -> str:
    return f"{x:.4f}" if abs(x) < 10 else f"{x:,.1f}"


if __name__ == "__main__":
    main()
