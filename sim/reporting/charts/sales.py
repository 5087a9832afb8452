"""Sales over time: purchases (orders) and GMV a day, all groups together, as trailing
7-day means (purchases follow the weekly push calendar, so raw days zig-zag and hide the
trend); line: mean of replications; band: middle 95% of replications; one colour per arm."""
from __future__ import annotations

import numpy as np

from .arms import arm_colors, runs_of
from .style import band, figure, finish, per_day

WINDOW = 7  # days


def trailing_mean(runs: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Each day's mean over itself and the ``window - 1`` days before (fewer at the start)."""
    sums = np.cumsum(runs, axis=1)
    lagged = np.concatenate([np.zeros((len(runs), window)), sums[:, :-window]], axis=1)[:, :runs.shape[1]]
    return (sums - lagged) / np.minimum(np.arange(1, runs.shape[1] + 1), window)


def sales_chart(study):
    if "purchases" not in study.daily or "gmv" not in study.daily:
        return None
    fig, axes = figure(1, 2, (12, 4.6))
    left, right = axes[0]
    for arm, color in arm_colors(study).items():
        daily = runs_of(study.daily, arm)
        if not len(daily):
            continue
        for ax, column in ((left, "purchases"), (right, "gmv")):
            x, runs = per_day(daily, column)
            band(ax, x, trailing_mean(runs), color, study.label(arm))
    finish(left, f"Purchases a day ({WINDOW}-day mean)", "day", "orders / day (all groups)")
    finish(right, f"GMV a day ({WINDOW}-day mean)", "day", "CNY / day (all groups)")
    return fig
