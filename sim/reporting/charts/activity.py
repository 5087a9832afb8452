"""Activity over time: active members (posted or read) and messages a day by source
(members, the operator, and any account a strategy runs), all groups together."""
from __future__ import annotations

from .arms import arm_colors, runs_of
from .style import band, figure, finish, per_day, sources


def activity_chart(study):
    fig, axes = figure(1, 2, (12, 4.6))
    left, right = axes[0]
    lines = sources(study.daily)
    for arm, color in arm_colors(study).items():
        daily = runs_of(study.daily, arm)
        x, runs = per_day(daily, "active")
        band(left, x, runs, color, study.label(arm))
        for col, (style, _) in lines.items():
            x, runs = per_day(daily, col)
            if runs.any():
                band(right, x, runs, color, study.label(arm) if col == "member_posts" else None, style)
    for style, name in lines.values():  # one legend entry per line style
        right.plot([], [], style, color="#555555", label=f"({name})")
    finish(left, "Active members (posted or read)", "day", "members")
    finish(right, "Messages a day by source", "day", "messages / day (all groups)")
    return fig
