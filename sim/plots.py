"""Charts (matplotlib, no screen needed). One colour per scenario, units on every axis.

``overview``: members in groups, active members, messages a day by source, and cohort
retention by days since joining. Lines are the mean over replications; bands span
the middle 95% of replications.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
SOURCES = {"member_posts": "-", "operator_msgs": "--", "shill_posts": ":"}


def _band(ax, x, runs: np.ndarray, color, label, style="-"):
    """Mean line and a band over the middle 95% of replications (runs: reps × x)."""
    ax.plot(x, runs.mean(axis=0), style, color=color, label=label, lw=1.6)
    if len(runs) > 1:
        lo, hi = np.percentile(runs, [2.5, 97.5], axis=0)
        ax.fill_between(x, lo, hi, color=color, alpha=0.18, lw=0)


def _per_day(daily: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    wide = daily.groupby(["replication", "day"])[column].sum().unstack("day").fillna(0)
    return wide.columns.to_numpy(), wide.to_numpy(dtype=float)


def _retention(cohorts: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    pooled = cohorts.groupby(["replication", "age"])[[column, "joined"]].sum()
    wide = (pooled[column] / pooled["joined"]).unstack("age")
    wide = wide.loc[:, wide.notna().all()]
    return wide.columns.to_numpy(), 100 * wide.to_numpy(dtype=float)


def overview(results, path: str | Path | None = None):
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), constrained_layout=True)
    names = list(results.summary["scenario"].drop_duplicates())
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        daily = results.daily[results.daily["scenario"] == name]
        cohorts = results.cohorts[results.cohorts["scenario"] == name]
        x, runs = _per_day(daily, "members")
        _band(axes[0, 0], x, runs, color, name)
        x, runs = _per_day(daily, "active")
        _band(axes[0, 1], x, runs, color, name)
        for col, style in SOURCES.items():
            x, runs = _per_day(daily, col)
            if runs.any():
                _band(axes[1, 0], x, runs, color, f"{name}: {col.split('_')[0]}", style)
        if len(cohorts):
            x, runs = _retention(cohorts, "present")
            _band(axes[1, 1], x, runs, color, f"{name}: in the group")
            x, runs = _retention(cohorts, "engaged")
            _band(axes[1, 1], x, runs, color, f"{name}: not lapsed", "--")
    titles = [("Members in groups", "members"), ("Active members (posted or read)", "members"),
              ("Messages a day by source", "messages / day"), ("Cohort retention", "share of the cohort (%)")]
    for ax, (title, ylabel) in zip(axes.flat, titles):
        ax.set_title(title, fontsize=11, loc="left")
        ax.set_xlabel("days since joining" if "retention" in title else "day")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8, frameon=False)
    axes[1, 1].set_ylim(0, 101)
    fig.suptitle("groupsim overview — lines: mean of replications; bands: middle 95%", fontsize=10, x=0.01, ha="left")
    if path is not None:
        fig.savefig(path, format="png", dpi=110, metadata={"Software": None})
        plt.close(fig)
    return fig
