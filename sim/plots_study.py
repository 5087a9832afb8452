"""Comparison charts of a study (matplotlib), one colour per arm throughout.

- ``retention``: cohort retention by days since joining;
- ``activity``: active members and messages a day by source over time;
- ``uplift``: forest plot of each KPI's paired uplift vs the baseline, with 95% CIs;
- ``cost``: spend against the first outcome KPI, with the cost-effectiveness frontier
  (the arms no other arm beats on both: cheaper and better);
- sweeps add the charts of ``sim.plots_sweep``.

Lines are means over replications, bands the middle 95% of replications, error bars
95% confidence intervals of the mean. Sweeps with many points show the baseline, the
best and the worst arms in the time charts (``MAX_LINES``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .kpis import CATALOG
from .plots import PALETTE, SOURCES, _band, _per_day, _retention, plt
from .stats import mean_ci

MAX_LINES = 6
SOURCE_NAMES = {"member_posts": "solid: members", "operator_msgs": "dashed: operator", "shill_posts": "dotted: shills"}
COSTLESS = {"spend", "roi"}


def arm_colors(study) -> dict:
    """Scenarios keep their colour across charts; a sweep's shown points take the next ones."""
    arms = shown_arms(study)
    return {arm: PALETTE[i % len(PALETTE)] for i, arm in enumerate(arms)}


def unique_arms(study) -> list:
    """Arms, each scenario drawn once: a grid point equal to the scenario as written is skipped."""
    seen, arms = set(), []
    for a in study.manifest["arms"]:
        if a["hash"] not in seen:
            seen.add(a["hash"])
            arms.append((a["scenario"], a["point"]))
    return arms


def shown_arms(study) -> list:
    """The arms drawn in time charts: all of a comparison; a big sweep's baseline, best and worst."""
    arms = unique_arms(study)
    if len(arms) <= MAX_LINES:
        return arms
    order = [(r.scenario, r.point) for r in study.ranking().itertuples() if (r.scenario, r.point) in arms]
    keep = [study.baseline] + [a for a in order if a != study.baseline][:MAX_LINES - 2]
    worst = next((a for a in reversed(order) if a not in keep), None)
    return keep + ([worst] if worst else [])


def _runs(frame, arm):
    return frame[(frame["scenario"] == arm[0]) & (frame["point"] == arm[1])]


def retention_chart(study):
    fig, ax = plt.subplots(figsize=(8, 4.6), constrained_layout=True)
    colors = arm_colors(study)
    for arm, color in colors.items():
        cohorts = _runs(study.cohorts, arm)
        if len(cohorts):
            x, runs = _retention(cohorts, "present")
            _band(ax, x, runs, color, study.label(arm))
    _style(ax, "Cohort retention: members still in the group", "days since joining", "% of the cohort")
    ax.set_ylim(0, 101)
    return fig


def activity_chart(study):
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6), constrained_layout=True)
    for arm, color in arm_colors(study).items():
        daily = _runs(study.daily, arm)
        x, runs = _per_day(daily, "active")
        _band(left, x, runs, color, study.label(arm))
        for col, style in SOURCES.items():
            x, runs = _per_day(daily, col)
            if runs.any():
                _band(right, x, runs, color, study.label(arm) if col == "member_posts" else None, style)
    for col, style in SOURCES.items():  # one legend entry per line style
        right.plot([], [], style, color="#555555", label=f"({SOURCE_NAMES[col]})")
    _style(left, "Active members (posted or read)", "day", "members")
    _style(right, "Messages a day by source", "day", "messages / day (all groups)")
    return fig


def uplift_chart(study):
    up = study.uplift()
    many = len(study.arms) > 2 * MAX_LINES  # a forest of every point of a big sweep is unreadable
    arms = [a for a in (shown_arms(study) if many else unique_arms(study)) if a != study.baseline]
    colors = arm_colors(study)
    kpis = study.kpis
    cols = min(3, len(kpis))
    rows = -(-len(kpis) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 0.5 + (0.42 * len(arms) + 1.3) * rows),
                             constrained_layout=True, squeeze=False)
    for ax, kpi in zip(axes.flat, kpis):
        spec = CATALOG[kpi]
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
        _style(ax, f"{spec.label}", f"uplift ({spec.uplift_unit}); better: {better}", None, legend=False)
    for ax in list(axes.flat)[len(kpis):]:
        ax.set_visible(False)
    fig.suptitle(f"Paired uplift vs {study.label(study.baseline)} (95% CI)", fontsize=10, x=0.01, ha="left")
    return fig


def cost_chart(study):
    outcome = next((k for k in study.kpis if k not in COSTLESS), None)
    if outcome is None or not (study.summary["spend"] > 0).any():
        return None
    spec = CATALOG[outcome]
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    colors = arm_colors(study)
    points = []
    for arm in study.arms:
        runs = _runs(study.summary, arm)
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
    _style(ax, f"Cost vs {spec.label}", "spend over the run (CNY)", spec.unit)
    return fig


def _frontier(points, higher_is_better: bool) -> list:
    best, out = None, []
    for x, y, arm in sorted(points, key=lambda p: (p[0], -p[1] if higher_is_better else p[1])):
        if best is None or (y > best if higher_is_better else y < best):
            out.append((x, y, arm))
            best = y
    return out


def _style(ax, title, xlabel, ylabel, legend=True):
    ax.set_title(title, fontsize=10.5, loc="left")
    ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7.5, frameon=False)


def study_charts(study, folder: str | Path | None = None) -> dict:
    from .plots_sweep import sweep_charts

    charts = {"retention": retention_chart(study), "activity": activity_chart(study),
              "uplift": uplift_chart(study), "cost": cost_chart(study), **sweep_charts(study)}
    charts = {k: v for k, v in charts.items() if v is not None}
    if folder is not None:
        for name, fig in charts.items():
            fig.savefig(Path(folder) / f"{name}.png", format="png", dpi=100, metadata={"Software": None})
            plt.close(fig)
    return charts
