"""Cohort retention: the share of each weekly join cohort still in the group, by days
since joining (line: mean of replications; band: middle 95%)."""
from __future__ import annotations

from .arms import arm_colors, runs_of
from .style import band, figure, finish, retention


def retention_chart(study):
    fig, axes = figure()
    ax = axes[0, 0]
    colors = arm_colors(study)
    for arm, color in colors.items():
        cohorts = runs_of(study.cohorts, arm)
        if len(cohorts):
            x, runs = retention(cohorts, "present")
            band(ax, x, runs, color, study.label(arm))
    finish(ax, "Cohort retention: members still in the group", "days since joining", "% of the cohort")
    ax.set_ylim(0, 101)
    return fig
