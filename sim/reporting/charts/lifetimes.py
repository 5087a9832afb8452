"""Group lifetimes (``sim.analysis.lifetimes``), drawn when a folder holds enough groups.

Left: how many groups went silent in each week of their life (silent: under 1% of
members posting, 7-day mean), and beside them, as a bar of their own, the groups still
talking when the run ended (their lifetime is at least the run). Qiu et al. (WWW 2016)
found this bimodal for WeChat groups: many silent within weeks, many alive for months.
Right: each group's first-week post share against its lifetime (hollow: still talking at
the end; marker size: start size), with the AUC of the first week for "still talking at
day 90".
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...analysis.kpis import SILENT_SHARE
from ...analysis.lifetimes import EARLY_DAYS, lifetime_summary
from .style import PALETTE, figure, finish

MIN_GROUPS = 30  # fewer group lifetimes make no distribution worth drawing
SILENT_COLOR, ALIVE_COLOR = PALETTE[1], PALETTE[2]


def has_lifetimes(table: pd.DataFrame, days: int) -> bool:
    """Whether a lifetimes table is worth a chart: at least ``MIN_GROUPS`` groups, watched
    for at least the four weeks that tell early silence from later."""
    return len(table) >= MIN_GROUPS and days >= EARLY_DAYS


def lifetime_chart(study):
    """The chart of a results folder's group lifetimes, or None with too few groups."""
    table, days = study.lifetimes(), study.days
    return lifetimes_figure(table, days) if has_lifetimes(table, days) else None


def lifetimes_figure(table: pd.DataFrame, days: int):
    """Both panels from a ``group_lifetimes`` table of runs of ``days`` days."""
    shape = lifetime_summary(table, days)
    fig, axes = figure(1, 2, (12, 4.6))
    _histogram(axes[0, 0], table, days, shape)
    _first_week(axes[0, 1], table, shape)
    return fig


def _histogram(ax, table: pd.DataFrame, days: int, shape: dict) -> None:
    silent = table.loc[~table["alive"].astype(bool), "lifetime"].to_numpy()
    edges = np.arange(0, days + 7, 7)
    counts, _ = np.histogram(silent, bins=edges)
    ax.bar(edges[:-1], counts, width=7, align="edge", color=SILENT_COLOR, alpha=0.8,
           label=f"went silent that week: {shape['silent_early']:.0%} within 4 weeks (shaded), "
                 f"{shape['in_between']:.0%} later")
    end = edges[-1] + 14
    ax.bar(end, int(table["alive"].sum()), width=14, color=ALIVE_COLOR, alpha=0.8,
           label=f"still talking at the end: {shape['alive_end']:.0%}")
    ax.axvspan(0, EARLY_DAYS, color="#999999", alpha=0.12, lw=0)
    ticks = list(range(0, days + 1, 28 if days <= 400 else 91))
    ax.set_xticks([*ticks, end], [*map(str, ticks), "end"])
    finish(ax, f"Group lifetimes ({len(table)} groups)", "lifetime: days until the group went silent (a bar a week)",
           "groups", legend=False)
    ax.legend(fontsize=7.5, frameon=False, loc="upper center")


def _first_week(ax, table: pd.DataFrame, shape: dict) -> None:
    alive = table["alive"].astype(bool).to_numpy()
    share = 100 * table["first_week_share"].to_numpy(dtype=float)
    size = table["start_size"].to_numpy(dtype=float)
    area = 10 + 60 * size / max(size.max(), 1)
    ax.scatter(share[~alive], table["lifetime"][~alive], s=area[~alive], color=SILENT_COLOR, alpha=0.6, lw=0,
               label="went silent")
    ax.scatter(share[alive], table["lifetime"][alive], s=area[alive], facecolors="none", edgecolors=ALIVE_COLOR,
               label="still talking at the end (lifetime at least)")
    ax.axvline(100 * SILENT_SHARE, color="#555555", ls=":", lw=1, label=f"{100 * SILENT_SHARE:g}%: silent")
    ax.axhline(EARLY_DAYS, color="#999999", ls="--", lw=0.8)
    auc = shape["first_week_auc"]
    said = "n/a" if np.isnan(auc) else f"{auc:.2f}"
    finish(ax, f"First week vs lifetime — AUC for still talking at day {shape['predict_age']:.0f}: {said}",
           "first week: members posting a day (% of members)", "lifetime (days)", legend=False)
    ax.legend(fontsize=7.5, frameon=False, loc="best", title="marker size: members at the start",
              title_fontsize=7.5)
