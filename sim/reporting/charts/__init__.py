"""Charts by topic (matplotlib's object interface), one colour per arm throughout:
``retention``, ``activity`` (with purchases), ``sales`` (purchases and GMV a day), ``uplift``,
``cost``, ``frontier`` (the objective against spend, when several arms), for sweeps ``sweep_<parameter>``
and ``heatmap``, ``lifetimes`` when the folder holds enough groups, and ``referral`` when friends were referred. Lines are means over replications, bands the middle 95% of
replications, error bars 95% confidence intervals of the mean."""
from __future__ import annotations

from .activity import activity_chart
from .cost import cost_chart
from .frontier import frontier_chart
from .funnel import funnel_chart
from .lifetimes import lifetime_chart
from .referral import referral_chart
from .retention import retention_chart
from .sales import sales_chart
from .style import literal_text, save as save_charts
from .sweep import sweep_charts
from .uplift import uplift_chart

__all__ = ["all_charts", "save_charts"]


def all_charts(results) -> dict:
    """{name: Figure} of every chart that applies to these results."""
    with literal_text():
        return _charts(results)


def _charts(results) -> dict:
    charts = {"retention": retention_chart(results), "activity": activity_chart(results),
              "sales": sales_chart(results), "uplift": uplift_chart(results) if len(results.arms) > 1 else None,
              "cost": cost_chart(results), "frontier": frontier_chart(results), **sweep_charts(results), "lifetimes": lifetime_chart(results),
              "referral": referral_chart(results)}
    charts["funnel"] = funnel_chart(results)  # sim.strategies.funnel: None without it
    return {k: v for k, v in charts.items() if v is not None}
