"""Spend against the first outcome KPI per arm, with the cost-effectiveness frontier
(the arms no other arm beats on both: cheaper and better); error bars are 95% CIs."""
from __future__ import annotations

import numpy as np

from ...analysis.stats import mean_ci
from .arms import arm_colors, runs_of
from .style import figure, finish

COSTLESS = {"spend", "roi"}


def cost_chart(study):
    outcome = next((k for k in study.kpis if k not in COSTLESS), None)
    if outcome is None or not (study.summary["spend"] > 0).any():
        return None
    spec = study.catalog[outcome]
    fig, axes = figure(1, 1, (8, 5))
    ax = axes[0, 0]
    colors = arm_colors(study)
    points = []
    for arm in study.arms:
        runs = runs_of(study.summary, arm)
        sx, sy = mean_ci(runs["spend"]), mean_ci(spec.shown(runs[outcome]))
        if np.isnan(sy[0]):
            continue
        points.append((sx[0], sy[0], arm))
        xerr = None if np.isnan(sx[1]) else [[sx[0] - sx[1]], [sx[2] - sx[0]]]
        yerr = None if np.isnan(sy[1]) else [[sy[0] - sy[1]], [sy[2] - sy[0]]]
        shown = arm in colors
        ax.errorbar(sx[0], sy[0], xerr=xerr, yerr=yerr, fmt="o", capsize=3, ms=6 if shown else 3,
                    color=colors.get(arm, "#999999"), label=study.label(arm) if shown else None)
    frontier = _frontier(points, spec.higher_is_better)
    ax.plot([p[0] for p in frontier], [p[1] for p in frontier], "-", color="#333333", lw=1, alpha=0.6,
            label="frontier (nothing cheaper does better)")
    finish(ax, f"Cost vs {spec.label}", "spend over the run (CNY)", spec.unit)
    return fig


def _frontier(points, higher_is_better: bool) -> list:
    best, out = None, []
    for x, y, arm in sorted(points, key=lambda p: (p[0], -p[1] if higher_is_better else p[1])):
        if best is None or (y > best if higher_is_better else y < best):
            out.append((x, y, arm))
            best = y
    return out
