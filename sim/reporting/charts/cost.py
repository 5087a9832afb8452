"""Spend against the first outcome KPI per arm, with the cost-effectiveness frontier
(the arms no other arm beats on both: cheaper and better); error bars are 95% CIs."""
from __future__ import annotations

from .frontier import efficient_frontier, spend_points
from .style import figure, finish

COSTLESS = {"spend", "roi", "profit", "roi_margin"}


def cost_chart(study):
    outcome = next((k for k in study.kpis if k not in COSTLESS), None)
    if outcome is None or not (study.summary["spend"] > 0).any():
        return None
    spec = study.catalog[outcome]
    fig, axes = figure(1, 1, (8, 5))
    ax = axes[0, 0]
    frontier = efficient_frontier(spend_points(ax, study, outcome), spec.higher_is_better)
    ax.plot([p[0] for p in frontier], [p[1] for p in frontier], "-", color="#333333", lw=1, alpha=0.6,
            label="frontier (nothing cheaper does better)")
    finish(ax, f"Cost vs {spec.label}", "spend over the run (CNY)", spec.unit)
    return fig
