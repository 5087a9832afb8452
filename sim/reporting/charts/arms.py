"""Which arms a chart draws, and their colours (the same in every chart).

Sweeps with many points show the baseline, the best and the worst arms in the time
charts (``MAX_LINES``).
"""
from __future__ import annotations

from .style import PALETTE

MAX_LINES = 6


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


def runs_of(frame, arm):
    return frame[(frame["scenario"] == arm[0]) & (frame["point"] == arm[1])]
