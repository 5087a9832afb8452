"""The recruitment funnel (``sim.strategies.funnel``): people at each stage per arm, from the
daily ``funnel_*`` columns (bars: mean over replications of the run's total; error bars: 95%
CI), each bar labelled with its share of the stage before. ``funnel_table`` gives the same
figures as a table (for the report's text); both are None when no arm ran the funnel."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...analysis.stats import bounded_ci
from .arms import arm_colors, runs_of
from .style import figure, finish

# (daily column, label) in funnel order; "with re-invites" adds the re-invited who joined
STAGES = (("funnel_reached", "reached"), ("funnel_added", "added friend"), ("funnel_verified", "verified"),
          ("funnel_joined", "joined"), ("funnel_rejoined", "joined with re-invites"))
CAPTION = ("Recruitment funnel: people reaching each stage over the run (mean of replications, 95% CI), "
           "each bar labelled with its share of the stage before; the last bar adds those who joined when "
           "re-invited to the joined, its share of the verified.")


def funnel_table(study) -> pd.DataFrame | None:
    """One row per (arm, stage) of the arms that ran the funnel: scenario, point, stage, mean,
    low, high (95% CI of the run totals), share of the stage before (mean over runs; NaN for
    the first) and, on the joined rows, the funnel's spend per joiner (CNY). None if no arm ran it."""
    daily = study.daily
    if "funnel_reached" not in daily.columns:
        return None
    rows = []
    for arm in arm_colors(study):
        runs = runs_of(daily, arm)
        totals = runs.groupby("replication")[[c for c, _ in STAGES] + ["funnel_spend"]].sum()
        if not len(totals) or not (totals["funnel_reached"] > 0).any():
            continue
        totals["funnel_rejoined"] += totals["funnel_joined"]  # joined, fresh and re-invited: each once
        previous = None
        for column, label in STAGES:
            mean, low, high = bounded_ci(totals[column])  # counts: never below 0
            share = np.nan if previous is None else float((totals[column] / totals[previous]).mean())
            per_joiner = float((totals["funnel_spend"] / totals[column]).mean()) \
                if column in ("funnel_joined", "funnel_rejoined") else np.nan
            rows.append({"scenario": arm[0], "point": arm[1], "stage": label, "mean": mean, "low": low, "high": high,
                         "share_of_previous": share, "spend_per_joiner": per_joiner})
            previous = column if column != "funnel_joined" else "funnel_verified"  # re-invites: of the verified
    return pd.DataFrame(rows) if rows else None


def funnel_chart(study):
    table = funnel_table(study)
    if table is None:
        return None
    fig, axes = figure(1, 1, (9, 4.8))
    ax = axes[0, 0]
    colors = arm_colors(study)
    arms = list(dict.fromkeys(zip(table["scenario"], table["point"])))
    width = 0.8 / len(arms)
    x = np.arange(len(STAGES))
    for i, arm in enumerate(arms):
        rows = table[(table["scenario"] == arm[0]) & (table["point"] == arm[1])]
        mean = rows["mean"].to_numpy()
        err = np.vstack([mean - rows["low"].to_numpy(), rows["high"].to_numpy() - mean])
        at = x + (i - (len(arms) - 1) / 2) * width
        ax.bar(at, mean, width, color=colors[arm], label=study.label(arm),
               yerr=None if np.isnan(err).all() else np.nan_to_num(err), capsize=3)
        for xi, yi, share in zip(at, mean, rows["share_of_previous"]):
            if not np.isnan(share):
                ax.annotate(f"{100 * share:.0f}%", (xi, yi), ha="center", va="bottom", fontsize=7,
                            xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(x, [label for _, label in STAGES])
    ax.set_yscale("log")  # stages lose a large share each: on a log scale every step shows
    finish(ax, "Recruitment funnel (share of the stage before)", "", "people over the run (log scale)")
    return fig
