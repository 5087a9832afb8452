"""Activity over time: active members (posted or read), messages a day by source
(members, the operator, and any account a strategy runs) and purchases a day (trailing
7-day mean, as in ``sales``), all groups together."""
from __future__ import annotations

from .arms import arm_colors, runs_of
from .sales import WINDOW, trailing_mean
from .style import band, figure, finish, per_day, sources


def activity_chart(study):
    fig, axes = figure(1, 3, (16, 4.6))
    left, right, sales = axes[0]
    lines = sources(study.daily)
    for arm, color in arm_colors(study).items():
        daily = runs_of(study.daily, arm)
        x, runs = per_day(daily, "active")
        band(left, x, runs, color, study.label(arm))
        if "purchases" in daily:
            x, runs = per_day(daily, "purchases")
            band(sales, x, trailing_mean(runs), color, study.label(arm))
        for col, (style, _) in lines.items():
            x, runs = per_day(daily, col)
            if runs.any():
                band(right, x, runs, color, study.label(arm) if col == "member_posts" else None, style)
    for style, name in lines.values():  # one legend entry per line style
        right.plot([], [], style, color="#555555", label=f"({name})")
    finish(left, "Active members (posted or read)", "day", "members")
    finish(right, "Messages a day by source", "day", "messages / day (all groups)")
    finish(sales, f"Purchases a day ({WINDOW}-day mean)", "day", "orders / day (all groups)")
    return fig
