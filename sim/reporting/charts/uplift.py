"""Forest plot of each KPI's paired uplift vs the baseline, with 95% confidence intervals."""
from __future__ import annotations

import numpy as np

from .arms import MAX_LINES, arm_colors, shown_arms, unique_arms
from .style import figure, finish


def uplift_chart(study):
    up = study.uplift()
    many = len(study.arms) > 2 * MAX_LINES  # a forest of every point of a big sweep is unreadable
    arms = [a for a in (shown_arms(study) if many else unique_arms(study)) if a != study.baseline]
    colors = arm_colors(study)
    kpis = study.kpis
    cols = min(3, len(kpis))
    rows = -(-len(kpis) // cols)
    fig, axes = figure(rows, cols, (4.4 * cols, 0.5 + (0.42 * len(arms) + 1.3) * rows))
    for ax, kpi in zip(axes.flat, kpis):
        spec = study.catalog[kpi]
        for y, arm in enumerate(arms):
            r = up[(up["scenario"] == arm[0]) & (up["point"] == arm[1]) & (up["kpi"] == kpi)]
            if r.empty or np.isnan(r["uplift"].iloc[0]):
                continue
            mean, low, high = (spec.shown(r[c].iloc[0]) for c in ("uplift", "low", "high"))
            err = None if np.isnan(low) else [[mean - low], [high - mean]]
            ax.errorbar(mean, y, xerr=err, fmt="o", color=colors.get(arm, "#555555"), capsize=3, ms=5)
        ax.axvline(0, color="#333333", lw=0.8)
        ax.set_yticks(range(len(arms)), [study.label(a)[:30] for a in arms], fontsize=8)
        ax.set_ylim(-0.6, len(arms) - 0.4)
        ax.invert_yaxis()
        better = "right" if spec.higher_is_better else "left"
        finish(ax, f"{spec.label}", f"uplift ({spec.uplift_unit}); better: {better}", None, legend=False)
    for ax in list(axes.flat)[len(kpis):]:
        ax.set_visible(False)
    fig.suptitle(f"Paired uplift vs {study.label(study.baseline)} (95% CI)", fontsize=10, x=0.01, ha="left")
    return fig
