"""The lifetime distribution of heterogeneous groups, and what decides it.

Runs ``experiments/group_lifetimes.yaml`` (each design point is one group with its own
start size, member mix and operator effort), or reads a results folder of it, and prints:

- the distribution of lifetimes (``sim.analysis.lifetimes``): a text histogram by week
  of the day each group went silent, and the groups still talking at the end;
- its shape: shares silent within four weeks, in between, still talking at the end
  (bimodal, as Qiu et al. WWW 2016 found: both ends well above the middle);
- how well the first week predicts: the AUC of the first week's post share for "still
  talking at day 90";
- how much each input decides on its own: for every varied input, the AUC of its value
  for "still talking at day 90" (and at the end) and its Spearman correlation with
  lifetime. An input that decided alone would have an AUC near 1 (or 0): a threshold on
  it would split the groups that live from those that die.

    python benchmarks/group_lifetimes.py [RESULTS_FOLDER] [--out DIR] [--workers N]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.analysis.lifetimes import RUN_KEYS, lifetime_summary, rank_auc, talking_at
from sim.reporting.results import Results

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = ROOT / "experiments" / "group_lifetimes.yaml"
BAR = 50  # characters of the longest histogram bar
DECIDES_ALONE = 0.9  # an input whose AUC alone (either direction) reaches this decides the outcome by itself


def histogram(table: pd.DataFrame, days: int) -> list[str]:
    """One line per week of the day groups went silent, and one for those still talking."""
    silent = table.loc[~table["alive"], "lifetime"]
    weeks = np.bincount((silent // 7).astype(int), minlength=(days + 6) // 7)
    counts = [(f"week {w + 1:>2} (days {7 * w:>3}-{min(7 * w + 6, days - 1):>3})", int(n)) for w, n in enumerate(weeks)]
    counts.append(("still talking at the end", int(table["alive"].sum())))
    top = max(n for _, n in counts) or 1
    return [f"  {label:<27} {n:>4} {'#' * round(BAR * n / top)}" for label, n in counts]


def input_table(table: pd.DataFrame, summary: pd.DataFrame, params: list[str], age: int) -> pd.DataFrame:
    """Per input (and the first week's share, for comparison): AUC for still talking at
    ``age`` and at the end, and Spearman's rho with lifetime."""
    joined = table.merge(summary[[*RUN_KEYS, *params]], on=list(RUN_KEYS))
    talking = talking_at(joined, age)
    known = talking.notna()
    rows = []
    for column in [*params, "first_week_share"]:
        values = pd.to_numeric(joined[column], errors="coerce")
        rows.append({"input": column,
                     f"AUC talking at day {age}": rank_auc(values[known], talking[known].astype(bool)),
                     "AUC talking at the end": rank_auc(values, joined["alive"]),
                     "rho with lifetime": values.corr(joined["lifetime"], method="spearman")})
    return pd.DataFrame(rows)


def report(results: Results) -> None:
    days = results.days
    table = results.lifetimes()  # point 0 (the base scenario as written) is one group like the others
    shape = lifetime_summary(table, days)
    age = int(shape["predict_age"])
    print(f"{len(table)} groups over {days} days; silent = under 1% of members posting (7-day mean)\n")
    print("Lifetimes (day the group went silent, by week):")
    print("\n".join(histogram(table, days)))
    print(f"\nShape: silent within 4 weeks {shape['silent_early']:.0%}, in between {shape['in_between']:.0%}, "
          f"still talking at the end {shape['alive_end']:.0%} (median lifetime of the silent: "
          f"{shape['median_silent_lifetime']:.0f} days; {int(table['revived'].sum())} silent groups talked again)")
    print(f"First week predicts day {age}: AUC {shape['first_week_auc']:.3f} "
          f"({shape['talking_at_predict_age']:.0%} of groups still talking on day {age})\n")
    inputs = input_table(table, results.summary, results.params, age)
    print("What each input decides on its own (AUC 0.5: nothing, 1 or 0: alone; first week for comparison):")
    print(inputs.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    params = inputs[inputs["input"].isin(results.params)].set_index("input")[f"AUC talking at day {age}"]
    folded = (params - 0.5).abs() + 0.5  # an AUC of 0.1 decides as much as 0.9, the other way round
    strongest = folded.idxmax()
    verdict = "It decides alone" if folded[strongest] >= DECIDES_ALONE else "No single input decides alone"
    print(f"\nStrongest single input: {strongest}, AUC {folded[strongest]:.3f} (either direction) for day {age}; "
          f"first week {shape['first_week_auc']:.3f}. {verdict} (alone: an AUC of {DECIDES_ALONE} or more)")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", help="a results folder of the experiment (default: run it)")
    ap.add_argument("--out", help="where to run the experiment (default: a temporary folder)")
    ap.add_argument("--workers", type=int, help="local workers (default: one per core)")
    args = ap.parse_args(argv)
    if args.folder:
        report(Results.load(args.folder))
        return
    with tempfile.TemporaryDirectory(prefix="groupsim-lifetimes-") as tmp:
        t0 = time.perf_counter()
        results = sim.sweep(EXPERIMENT, out=args.out or Path(tmp) / "res", report=False, workers=args.workers)
        print(f"ran {EXPERIMENT.name}: {len(results.summary)} runs in {time.perf_counter() - t0:.0f} s\n")
        report(results)


if __name__ == "__main__":
    main()
