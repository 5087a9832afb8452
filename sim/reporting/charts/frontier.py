"""The objective against spend per option, with the efficient frontier: the options no
other option beats on both (cheaper or as cheap, and better on the objective). The
recommended option (``sim.analysis.decision``) is starred; options the decision found
dominated are drawn hollow. Error bars: 95% CIs of the means (``sim.analysis.stats``)."""
from __future__ import annotations

import numpy as np

from ...analysis.stats import bounded_ci, kpi_ci
from .arms import arm_colors, runs_of
from .style import figure, finish

COST = "spend"


def efficient_frontier(points, higher_is_better: bool) -> list:
    """The (spend, outcome, arm) points nothing cheaper (or as cheap) beats, by spend."""
    best, out = None, []
    for x, y, arm in sorted(points, key=lambda p: (p[0], -p[1] if higher_is_better else p[1])):
        if best is None or (y > best if higher_is_better else y < best):
            out.append((x, y, arm))
            best = y
    return out


def spend_points(ax, study, kpi: str, marker=None) -> list:
    """Each option's mean spend (x) and ``kpi`` (y) with their 95% CIs on ``ax``; returns the
    (spend, kpi, arm) points. ``marker(arm, shown)`` gives (format, size, hollow, label) in place
    of a plain dot, labelled when the option has a colour of its own."""
    spec, cost = study.catalog[kpi], study.catalog.get(COST)
    colors = arm_colors(study)
    points = []
    for arm in study.arms:
        runs = runs_of(study.summary, arm)
        sx = kpi_ci(runs[COST], cost) if cost is not None else bounded_ci(runs[COST])  # spend is never negative
        sy = tuple(spec.shown(v) for v in kpi_ci(runs[kpi], spec))
        if np.isnan(sy[0]) or np.isnan(sx[0]):
            continue
        points.append((sx[0], sy[0], arm))
        xerr = None if np.isnan(sx[1]) else [[sx[0] - sx[1]], [sx[2] - sx[0]]]
        yerr = None if np.isnan(sy[1]) else [[sy[0] - sy[1]], [sy[2] - sy[0]]]
        shown = arm in colors
        fmt, size, hollow, label = (marker or (lambda a, s: ("o", 6 if s else 3, False, None)))(arm, shown)
        color = colors.get(arm, "#999999")
        ax.errorbar(sx[0], sy[0], xerr=xerr, yerr=yerr, fmt=fmt, capsize=3, ms=size, color=color,
                    mfc="none" if hollow else color, label=label if label else study.label(arm) if shown else None)
        if not shown and not label:  # past the legend's colours: named beside the point
            ax.annotate(study.label(arm), (sx[0], sy[0]), xytext=(4, 3), textcoords="offset points", fontsize=7,
                        color="#555555")
    return points


def frontier_chart(study):
    objective, higher = study.objective
    if len(study.arms) < 2 or objective == COST or COST not in study.summary or objective not in study.summary \
            or COST not in study.catalog or not (study.summary[COST] > 0).any():
        return None
    spec, cost = study.catalog[objective], study.catalog[COST]
    decision = study.decision()
    dominated = {o.arm for o in decision.options if o.dominated_by is not None}
    fig, axes = figure(1, 1, (8, 5))
    ax = axes[0, 0]

    def marker(arm, shown):
        if arm == decision.recommended:
            return "*", 13, False, f"{study.label(arm)} (recommended)"
        return "o", 6 if shown else 3, arm in dominated, None

    line = efficient_frontier(spend_points(ax, study, objective, marker), higher)
    ax.plot([p[0] for p in line], [p[1] for p in line], "-", color="#333333", lw=1, alpha=0.6,
            label="efficient frontier")
    finish(ax, f"{spec.label} against spend per option ({'higher' if higher else 'lower'} is better)",
           f"{cost.label} over the run ({cost.unit})", f"{spec.label} ({'%' if spec.percent else spec.unit})")
    return fig
