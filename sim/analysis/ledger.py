"""The cost ledger and the money KPIs: what was spent on what, and what it earned.

Every CNY an operator spends is booked by the strategy that spends it (``Day.cost``) under
one of its declared categories, recorded per (day, group) as ``spend_<category>`` in
``daily`` (``spend`` is their sum). Each category belongs to one **class**:

- ``acquisition`` — bringing members in: the recruitment funnel's stages (``funnel_reach``,
  ``funnel_add``, ``funnel_verify``, ``funnel_join``, ``funnel_reinvite``), onboarding's
  welcome coupons and re-invites, referral rewards;
- ``incentives`` — money and prizes handed to members: red packets, activity prizes, KOCs'
  rewards per recommendation;
- ``staff`` — staff and shill hours (an hourly rate, or minutes per message): operator
  messages (``staff``), product pushes, official and shill recommendations (``guides``),
  activity hosts, opening ceremonies, answering questions, moderation, moving members, shill
  accounts;
- ``content`` — producing content (``content``: the messaging strategy's production cost
  per useful message, 0 by default);
- ``operations`` — running a group of a kind (``sim.engine.kinds``: effort per group-day).

A category no class names is counted under ``other`` (tests/test_ledger.py checks that every
registered strategy's categories are named here).

**Money KPIs** (CNY unless said), each a sum or ratio of recorded daily rows
(``sim.engine.money`` for the order columns): ``gmv`` (orders at list value), ``discounts``
(price cuts, a declared output), ``refunds``, ``revenue`` (net: gmv − discounts − refunds),
``cogs`` (cost of goods), ``margin`` (revenue − cogs), ``spend`` and ``spend_<category>``
(per-run totals of the ledger), ``acquisition_spend``, **``profit``** (margin − spend),
``roi_margin`` ((margin − spend) / spend), ``roi`` (the earlier KPI, kept with its meaning:
(GMV − spend) / spend, which counts the cost of goods as profit), ``cost_per_retained``
(spend / members at the end), ``cost_per_buyer`` (spend / buyers: members who ordered),
``acquisition_cost`` (acquisition spend / joiners), ``value_per_member`` (margin discounted
to day 0 at the scenario's ``money.discount_rate_per_year``, per joiner: column
``margin_pv``), ``repeat_buyers`` (members who ordered at least twice), ``repeat_rate``
(repeat buyers / buyers) and ``orders_per_buyer`` (purchases / buyers). Joiners are the
``joined`` column, day-0 members included (a programme that starts with members spreads its
acquisition spend over them too); members at the end are memberships (a person kept in two
groups counts twice).
"""
from __future__ import annotations

import pandas as pd

COST_CLASSES: dict[str, tuple[str, ...]] = {
    "acquisition": ("funnel_reach", "funnel_add", "funnel_verify", "funnel_join", "funnel_reinvite",
                    "welcome_coupons", "reinvites", "referral_rewards"),
    "incentives": ("red_packets", "activity_prizes", "koc_rewards"),
    "staff": ("staff", "pushes", "guides", "activity_staff", "ceremonies", "service", "moderation", "migration",
              "shills"),
    "content": ("content",),
    "operations": ("operations",),
}
CLASS_OF = {category: cls for cls, categories in COST_CLASSES.items() for category in categories}


def cost_class(category: str) -> str:
    """The class of a ledger category (``other`` if none names it)."""
    return CLASS_OF.get(category, "other")


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def money_kpis(per_day: pd.DataFrame, joined: float, members_end: float, buyers: float) -> dict[str, float]:
    """The money KPIs of one run (module docstring) from its daily rows summed by day."""
    total = {c: float(per_day[c].sum()) for c in per_day.columns}
    spend = total.get("spend", 0.0)
    out = {c: v for c, v in total.items() if c.startswith("spend_")}
    money = ("gmv", "discounts", "refunds", "revenue", "cogs", "margin")
    out.update({c: total.get(c, 0.0 if c == "discounts" else float("nan")) for c in money})
    acquisition = sum(v for c, v in out.items() if c.startswith("spend_") and cost_class(c[6:]) == "acquisition")
    repeat = total.get("repeat_buyers", float("nan"))
    out.update({
        "acquisition_spend": float(acquisition),
        "profit": out["margin"] - spend,
        "roi_margin": _ratio(out["margin"] - spend, spend),
        "cost_per_retained": _ratio(spend, members_end),
        "cost_per_buyer": _ratio(spend, buyers),
        "acquisition_cost": _ratio(acquisition, joined),
        "value_per_member": _ratio(total.get("margin_pv", float("nan")), joined),
        "repeat_buyers": repeat,
        "repeat_rate": _ratio(repeat, buyers),
        "orders_per_buyer": _ratio(total.get("purchases", 0.0), buyers),
    })
    return out
