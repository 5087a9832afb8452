"""The KPIs a run reports: their labels, units, which way is better, and how they are shown.

Every KPI is a column of ``summary.csv`` (computed in ``sim.metrics.summarize``). Shares
are stored as fractions and shown as percentages (``percent``); an uplift of a share is
shown in percentage points.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    unit: str
    higher_is_better: bool = True
    percent: bool = False

    def shown(self, value: float) -> float:
        """The value in the unit it is shown in (percent for shares)."""
        return value * 100 if self.percent else value

    @property
    def uplift_unit(self) -> str:
        return "percentage points" if self.percent else self.unit


_ALL = [
    Kpi("retention_d1", "D1 retention", "% of joiners", percent=True),
    Kpi("retention_d7", "D7 retention", "% of joiners", percent=True),
    Kpi("retention_d30", "D30 retention", "% of joiners", percent=True),
    Kpi("retention_d90", "D90 retention", "% of joiners", percent=True),
    Kpi("members_end", "Members at the end", "members"),
    Kpi("active_end", "Active members (last week)", "members"),
    Kpi("post_share_end", "Members posting a day (last week)", "% of members", percent=True),
    Kpi("silent_groups_end", "Silent groups at the end", "groups", higher_is_better=False),
    Kpi("purchases", "Purchases", "orders"),
    Kpi("conversion_rate", "Conversion (buyers / joiners)", "% of joiners", percent=True),
    Kpi("gmv", "GMV", "CNY"),
    Kpi("spend", "Spend", "CNY", higher_is_better=False),
    Kpi("roi", "ROI ((GMV - spend) / spend)", "x spend"),
    Kpi("muted_share_end", "Muted members at the end", "% of members", higher_is_better=False, percent=True),
    Kpi("lapsed_share_end", "Silent (lapsed) members at the end", "% of members", higher_is_better=False,
        percent=True),
    Kpi("left", "Members who left", "members", higher_is_better=False),
]
CATALOG: dict[str, Kpi] = {k.name: k for k in _ALL}

# the KPIs printed by ``run`` and the default KPIs of an experiment, in this order
KPIS = ("retention_d1", "retention_d7", "retention_d30", "retention_d90", "members_end", "active_end",
        "post_share_end", "silent_groups_end", "purchases", "conversion_rate", "gmv", "spend", "roi")
DEFAULT_EXPERIMENT_KPIS = ("active_end", "retention_d7", "retention_d30", "retention_d90", "purchases",
                           "conversion_rate", "gmv", "spend", "roi")
