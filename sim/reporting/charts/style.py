"""What every chart shares: one colour per arm, figures made with matplotlib's object
interface (no pyplot state, no global backend switch), mean lines with bands, and the
per-day and per-age tables the time charts draw. Text is drawn literally (no mathtext)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from ...engine.day import OPERATOR as OPERATOR_CHANNELS

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
OPERATOR = ("operator_msgs", *(f"{c}_msgs" for c in OPERATOR_CHANNELS))
STYLES = ("-", "--", ":", "-.")


def figure(rows: int = 1, cols: int = 1, size: tuple[float, float] = (8, 4.6)):
    """(figure, axes array) with constrained layout."""
    # matplotlib loads at the first chart: importing it costs ~0.5 s and 25 MB, which
    # runs, pool and Dask workers and the CLI's start-up need not pay
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.subplots(rows, cols, squeeze=False)


def literal_text():
    """Draw every text as written: a '$' in a scenario name is a dollar sign, not mathtext."""
    from matplotlib import rc_context  # see figure()
    return rc_context({"text.parse_math": False})


def colormap(name: str):
    from matplotlib import colormaps  # see figure()
    return colormaps[name]


def sources(daily: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Messages by source: {daily column: (line style, name)}: members, the operator, and
    each account channel a strategy declared (its ``<channel>_msgs`` column)."""
    out = {"member_posts": ("-", "members"), "operator_msgs": ("--", "operator")}
    accounts = [c for c in daily.columns if c.endswith("_msgs") and c not in OPERATOR]
    for i, column in enumerate(accounts):
        out[column] = (STYLES[(i + 2) % len(STYLES)], column.removesuffix("_msgs"))
    return out


def band(ax, x, runs: np.ndarray, color, label, style="-"):
    """Mean line and a band over the middle 95% of replications (runs: reps × x)."""
    ax.plot(x, runs.mean(axis=0), style, color=color, label=label, lw=1.6)
    if len(runs) > 1:
        lo, hi = np.percentile(runs, [2.5, 97.5], axis=0)
        ax.fill_between(x, lo, hi, color=color, alpha=0.18, lw=0)


def per_day(daily: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(days, replications × days) of a daily column summed over groups."""
    wide = daily.groupby(["replication", "day"])[column].sum().unstack("day").fillna(0)
    return wide.columns.to_numpy(), wide.to_numpy(dtype=float)


def retention(cohorts: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(ages, replications × ages) of the pooled share of cohorts ``column`` (%)."""
    pooled = cohorts.groupby(["replication", "age"])[[column, "joined"]].sum()
    wide = (pooled[column] / pooled["joined"]).unstack("age")
    wide = wide.loc[:, wide.notna().all()]
    return wide.columns.to_numpy(), 100 * wide.to_numpy(dtype=float)


def finish(ax, title, xlabel, ylabel, legend=True):
    ax.set_title(title, fontsize=10.5, loc="left")
    ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7.5, frameon=False)


def save(charts: dict, folder: Path) -> None:
    for name, fig in charts.items():
        fig.savefig(folder / f"{name}.png", format="png", dpi=100, metadata={"Software": None})
