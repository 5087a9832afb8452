"""KPIs: the catalogue (label, unit, which way is better, how shown) and their computation.

Every KPI is a column of ``summary.csv``, computed by ``summarize`` from a run's daily
rows and cohort table alone (so it serves a user's own data too). Shares are stored as
fractions and shown as percentages (``percent``); an uplift of a share is shown in
percentage points. Strategies declare KPIs of their own: a ``Kpi`` with ``total``, the
daily column summed over the run. The money KPIs (margin, profit, ROI on margin, costs per
member, value per member) and the ledger's per-run totals by category (``spend_<category>``)
come from ``sim.analysis.ledger``; ``roi`` keeps its first meaning, ROI on GMV, which counts
the cost of goods as profit: ``roi_margin`` is the one to rank on.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .ledger import money_kpis

SILENT_SHARE = 0.01  # a group is silent when under 1% of its members post (7-day mean)
RETENTION_AGES = (1, 7, 30, 90)


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    unit: str
    higher_is_better: bool = True
    percent: bool = False
    total: str | None = None  # a declared KPI: this daily column summed over the run
    # the values a run can take (None: unbounded), so an interval of the mean stays inside
    # them (``sim.analysis.stats.kpi_ci``); a share (``percent``) is at most 1 unless told
    lower: float | None = 0.0
    upper: float | None = None

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        return self.lower, (1.0 if self.percent and self.upper is None else self.upper)

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
    *(Kpi(f"membership_retention_d{age}", f"D{age} retention per membership", "% of memberships", percent=True)
      for age in (1, 7, 30, 90)),
    Kpi("members_end", "Members at the end", "members"),
    Kpi("active_end", "Active members (last week)", "members"),
    Kpi("post_share_end", "Members posting a day (last week)", "% of members", percent=True),
    Kpi("messages_per_day_end", "Member messages a day (last week)", "messages"),
    Kpi("silent_groups_end", "Silent groups at the end (of those with members: a dissolved group is not counted)",
        "groups", higher_is_better=False),
    Kpi("purchases", "Purchases", "orders"),
    Kpi("conversion_rate", "Conversion (buyers / joiners)", "% of joiners", percent=True),
    Kpi("gmv", "GMV", "CNY"),
    Kpi("spend", "Spend", "CNY", higher_is_better=False),
    Kpi("roi", "ROI on GMV ((GMV - spend) / spend)", "x spend", lower=-1.0),  # GMV >= 0
    # money: orders, margin and the ledger (sim.analysis.ledger; sim.engine.money)
    Kpi("revenue", "Net revenue (GMV - discounts - refunds)", "CNY", lower=None),
    Kpi("discounts", "Discounts on orders", "CNY", higher_is_better=False),
    Kpi("refunds", "Refunds", "CNY", higher_is_better=False),
    Kpi("cogs", "Cost of goods", "CNY", higher_is_better=False),
    Kpi("margin", "Gross margin (revenue - cost of goods)", "CNY", lower=None),
    Kpi("profit", "Profit (margin - spend)", "CNY", lower=None),
    Kpi("roi_margin", "ROI on margin ((margin - spend) / spend)", "x spend", lower=None),
    Kpi("acquisition_spend", "Acquisition spend (funnel, welcome coupons, re-invites, referral rewards)", "CNY",
        higher_is_better=False),
    Kpi("acquisition_cost", "Acquisition cost (acquisition spend / joiners)", "CNY per joiner",
        higher_is_better=False),
    Kpi("cost_per_retained", "Cost per retained member (spend / members at the end)", "CNY per member",
        higher_is_better=False),
    Kpi("cost_per_buyer", "Cost per converted member (spend / buyers)", "CNY per buyer", higher_is_better=False),
    Kpi("value_per_member", "Value per member (margin discounted to day 0 / joiners)", "CNY per joiner",
        lower=None),
    Kpi("repeat_buyers", "Repeat buyers (ordered at least twice)", "members"),
    Kpi("repeat_rate", "Repeat buyers (of buyers)", "% of buyers", percent=True),
    Kpi("orders_per_buyer", "Orders per buyer", "orders"),
    Kpi("muted_share_end", "Muted members at the end", "% of members", higher_is_better=False, percent=True),
    Kpi("lapsed_share_end", "Silent (lapsed) members at the end", "% of members", higher_is_better=False,
        percent=True),
    Kpi("left", "Members who left", "members", higher_is_better=False),
]
CATALOG: dict[str, Kpi] = {k.name: k for k in _ALL}  # the engine's KPIs; strategies add theirs

# the KPIs printed by ``run`` and the default KPIs of an experiment, in this order
RUN_KPIS = ("retention_d1", "retention_d7", "retention_d30", "retention_d90", "members_end", "active_end",
            "post_share_end", "silent_groups_end", "purchases", "conversion_rate", "gmv", "spend", "roi",
            "margin", "profit", "roi_margin")
DEFAULT_EXPERIMENT_KPIS = ("active_end", "retention_d7", "retention_d30", "retention_d90", "purchases",
                           "conversion_rate", "gmv", "spend", "roi", "margin", "profit", "roi_margin")


# every column summarize writes (a strategy's KPI may not take one of these names)
SUMMARY = ("scenario", "point", "replication", "seed", *CATALOG, "joined", "lost_full", "groups", "posts_per_day_end",
           "buyers", "operator_msgs", "member_msgs", "woke")


def summarize(daily: pd.DataFrame, cohorts: pd.DataFrame, days: int, declared=(),
              membership_cohorts: pd.DataFrame | None = None) -> dict[str, float]:
    """KPIs of one run of ``days`` days, from its daily rows and cohort tables; ``declared``:
    further ``Kpi``s with a ``total`` column. Retention: ``retention_d*`` per person (still
    in at least one group, from ``cohorts``), ``membership_retention_d*`` per membership
    (still in that group, from ``membership_cohorts``; the same table when each person
    has one group, the default)."""
    per_day = daily.groupby("day").sum(numeric_only=True).reindex(range(days), fill_value=0)
    last = days - 1
    tail = per_day.loc[per_day.index > last - 7]
    members_end = float(per_day["members"].iloc[-1] - per_day["left"].iloc[-1])
    joined = float(per_day["joined"].sum())
    spend = float(per_day["spend"].sum())
    gmv = float(per_day["gmv"].sum())
    share = daily.assign(share=daily["member_posts"] / daily["members"].where(daily["members"] > 0))
    recent = share[share["day"] > last - 7].groupby("group")["share"].mean()
    out = {
        "members_end": members_end,
        "joined": joined,
        "left": float(per_day["left"].sum()),
        "lost_full": float(per_day["lost_full"].sum()),
        "groups": float(daily["group"].nunique()),
        "silent_groups_end": float((recent.dropna() < SILENT_SHARE).sum()),  # groups with members only
        "active_end": float(tail["active"].mean()),
        "posts_per_day_end": float(tail["member_posts"].mean()),
        "messages_per_day_end": float(tail["member_msgs"].mean()),
        "member_msgs": float(per_day["member_msgs"].sum()),
        "woke": float(per_day["woke"].sum()),
        "post_share_end": float(tail["member_posts"].sum() / max(tail["members"].sum(), 1)),
        "muted_share_end": float(tail["muted"].iloc[-1] / max(tail["members"].iloc[-1], 1)),
        "lapsed_share_end": float(tail["lapsed"].iloc[-1] / max(tail["members"].iloc[-1], 1)),
    }
    by_membership = cohorts if membership_cohorts is None else membership_cohorts
    for age in RETENTION_AGES:
        for name, table in ((f"retention_d{age}", cohorts), (f"membership_retention_d{age}", by_membership)):
            at = table[table["age"] == age]
            out[name] = float(at["present"].sum() / at["joined"].sum()) if len(at) else float("nan")
    buyers = float(per_day["first_buyers"].sum())
    out.update({
        "purchases": float(per_day["purchases"].sum()),
        "buyers": buyers,
        "conversion_rate": buyers / joined if joined else float("nan"),
        "gmv": gmv,
        "spend": spend,
        "roi": (gmv - spend) / spend if spend > 0 else float("nan"),
        "operator_msgs": float(per_day["operator_msgs"].sum()),
    })
    out.update(money_kpis(per_day, joined, members_end, buyers))  # margin, profit, the ledger by category
    for kpi in declared:
        out[kpi.name] = float(per_day[kpi.total].sum())  # a missing column is an error, never 0
    return out
