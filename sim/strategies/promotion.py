"""Promotion into tiers (用户分层, seed 003): heavy users are picked out and added to a
higher-tier group, a VIP or core group with its own treatment.

**Rule.** On each day its ``when`` allows (by default every 14th day from day 13: the end of each
fortnight), each present member of a group in scope who is not in a tier group already is
reviewed, after the day's choices, on what she did since her previous review (or since she
joined): she is promoted if she wrote at least ``min_messages`` messages there and placed at
least ``min_purchases`` orders. She joins a group of the tier kind ``to`` (a kind of ``groups.kinds``
with ``routable: false``, whose groups open on day 0) from the next day, in the oldest tier group
with a free seat (none left: she waits for the next review); with ``move`` she leaves her home
group (moved, her history kept: ``sim.engine.model.CommunityModel.enroll``), without it she is in
both. Being chosen raises her trust to at least the tier kind's ``trust`` (status, seed 003).

**Treatment.** The tier's groups are a kind: their ``ties``, ``buy``, ``refer``, ``trust`` and
``effort`` (``sim.engine.kinds``) are the tier's standing treatment, and any strategy can be
aimed at them alone with ``where: {kinds: [vip]}`` (better rewards, a staff member answering).
The trade-off seed 003 warns of follows from the model: promoted members retain and buy more,
and the source group loses its most active talkers (with ``move``), so its liveliness falls.

**Parameters** (defaults; stylized facts, seed 003 gives no figures):

- ``to`` ``vip``: the tier kind;
- ``when`` ``{start: 13, every: 14}``: a review at the end of every fortnight (as weekly or
  fortnightly reviews run); ``where`` every group (the tier's own are never reviewed);
- ``min_messages`` 10: in the baseline programme about the top 5% of members by messages over
  their first fortnight (measured on calibration seed 1000: 5.1% wrote 10 or more), the few a
  tier group is for (KOL and core users);
- ``min_purchases`` 0: no purchase needed;
- ``move`` true: seed 003 moves heavy users into a separate group.

Output per (day, group): ``promoted``, members promoted out of the group that day (they start in
the tier group the next day, where they count as ``enrolled``). KPI ``promoted``. Deterministic:
no random draw.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from ..analysis.kpis import Kpi
from ..engine.day import Output
from ..engine.members import Column
from .base import Strategy, StrategyParams, register
from .schedule import Schedule


class PromotionParams(StrategyParams):
    KIND_FIELDS: ClassVar[tuple[str, ...]] = ("to",)  # checked against groups.kinds (a kind that is not routable)
    to: str = Field("vip", description="the tier kind (groups.kinds, routable: false) promoted members join")
    when: Schedule = Schedule(start=13, every=14)  # a review at the end of each fortnight
    min_messages: int = Field(10, ge=0, le=100_000, description="messages written since her last review to be promoted")
    min_purchases: int = Field(0, ge=0, le=10_000, description="orders placed since her last review to be promoted")
    move: bool = Field(True, description="she leaves her home group (false: she is in both)")


@register
class Promotion(Strategy):
    name = "promotion"
    Params = PromotionParams
    columns = (Column("reviewed_msgs", np.uint32, 0, "messages she had written in the group at her last review"),
               Column("reviewed_buys", np.uint16, 0, "orders she had placed at her last review"))
    outputs = (Output("promoted", meaning="members promoted out of the group into a tier group today"),)
    kpis = (Kpi("promoted", "Members promoted into a tier", "members", total="promoted"),)
    writes = ("trust",)
    needs = {"groups": {"capacity": 500, "kinds": [{"name": "member"}, {"name": "vip", "routable": False}]}}

    def setup(self, model) -> None:
        kinds = model.groups.kinds
        self.tier = kinds.names.index(self.params.to)
        self.tier_trust = float(kinds.trust[self.tier])

    def after(self, day) -> None:
        p = self.params
        m, g = day.members, day.groups
        in_tier = g.kind[m.group] == self.tier
        rows = np.flatnonzero(day.present & ~day.leaving & ~in_tier & m.per_member(day.scope, bool))
        msgs = m.messages[rows] - m.reviewed_msgs[rows]
        buys = m.purchases[rows].astype(np.int64) - m.reviewed_buys[rows]
        m.reviewed_msgs[rows] = m.messages[rows]
        m.reviewed_buys[rows] = m.purchases[rows]
        heavy = rows[(msgs >= p.min_messages) & (buys >= p.min_purchases)]
        if m.several:  # a person in a tier group already is not promoted again
            heavy = heavy[~np.isin(m.person[heavy], m.person[day.present & in_tier])]  # tier rows: a few
        heavy = heavy[np.unique(m.person[heavy], return_index=True)[1]] if m.several else heavy
        tier_groups = np.flatnonzero((g.kind == self.tier) & ~g.closed)
        seats = np.maximum(g.seats() - day.model.asked_seats(), 0)[tier_groups]
        places = np.repeat(tier_groups, seats)[: len(heavy)]  # oldest tier group first
        chosen = np.sort(heavy)[: len(places)]
        if not len(chosen):
            return
        day.enroll(chosen, places, move=p.move)
        day.add_output("promoted", np.bincount(m.group[chosen], minlength=g.count))
        raised = np.flatnonzero(m.of_persons(m.person[chosen])) if m.several else chosen  # trust is a person's
        m.trust[raised] = np.maximum(m.trust[raised], np.float32(self.tier_trust))
