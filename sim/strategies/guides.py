"""Guides by source (导购, seed 004): product recommendations by official staff (官方导购), by peers —
KOCs, 同行导购, 店主代言 — and by shills (水军导购), each with its own conversion effect.

On a day a group gets R_s recommendations from source s, its members' log-odds of buying rise by
Σ_s ``lift``_s · ln(1 + R_s) (diminishing, as for value content). A recommendation sells what
members are exposed to that day — a product push, or content and peers' talk when
``behavior.purchase`` weighs them (``sim.engine.purchase``): with no exposure nobody buys.

- **official**: ``official.per_day`` recommendations a day per group (a fraction spreads them),
  ``lift`` 0.3 — staff time ``hours_per_recommendation`` (0.05 h: three minutes) at
  ``hourly_rate`` (50 CNY, as ``messaging``'s 2 CNY a message), booked as ``guides``;
- **peer** (KOCs): a member becomes a KOC at a review (every ``peer.window`` days, from day 0)
  when she wrote at least ``peer.messages`` messages in the group since the last review and has
  ordered at least ``peer.purchases`` times (seed 004: KOCs are members who talk and who use the
  product, 店主代言); she stays one while she keeps it up (each review decides again). Each KOC
  who is present and not lapsed recommends with probability ``peer.rate`` a day (stream of this
  strategy); ``lift`` 0.6; ``peer.reward`` CNY per recommendation (a gift or commission: 5 CNY,
  stylized) booked as ``koc_rewards``. Defaults of the review (10 messages in 14 days, one
  order: about the top tenth of posters among buyers) are stylized facts;
- **shill**: ``shill.per_day`` recommendations a day per group posted by operator-run accounts
  (default 0), ``lift`` 0.45; messages of the channel ``shill`` (the same as
  ``sim.strategies.shills``', so with that strategy on they add to the risk of being found
  out), staff time booked as ``guides``.

Defaults: peer above official (seed 004; word of mouth converts better than the firm's own
messages: Trusov, Bucklin & Pauwels 2009, J. Marketing 73(5), long-run elasticity of referrals
about 20 times that of marketing events; 83% trust recommendations of people they know,
Nielsen Global Trust in Advertising 2015). The size, a peer recommendation worth twice an
official one in log-odds, is a stylized fact (the elasticity ratio measures sign-ups, not
one message); a shill passes for a peer until found out, so its lift is set between.

Outputs: ``official_recs``, ``koc_recs``, ``shill_recs`` (recommendations), ``kocs`` (KOCs
present, counted at each review), ``new_kocs`` (members who became KOCs at a review).
KPIs: ``guide_spend`` (staff), ``koc_reward_spend``.
"""
from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..analysis.kpis import Kpi
from ..engine.day import Output
from ..engine.members import Column
from ..engine.rules import LOGIT_MAX, MONEY_MAX
from .base import Strategy, StrategyParams, register
from .shills import Shills


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Official(_Part):
    per_day: float = Field(1.0, ge=0, le=50, description="staff recommendations a day per group")
    lift: float = Field(0.3, ge=0, le=LOGIT_MAX, description="log-odds of buying per ln(1 + recommendations)")
    hours_per_recommendation: float = Field(0.05, ge=0, le=24, description="staff hours per recommendation")
    hourly_rate: float = Field(50.0, ge=0, le=MONEY_MAX, description="CNY per staff hour")


class Peer(_Part):
    lift: float = Field(0.6, ge=0, le=LOGIT_MAX, description="log-odds of buying per ln(1 + KOC recommendations)")
    window: int = Field(14, ge=1, le=365, description="days between KOC reviews")
    messages: int = Field(10, ge=0, le=100_000, description="messages since the last review to be a KOC")
    purchases: int = Field(1, ge=0, le=10_000, description="orders ever to be a KOC")
    rate: float = Field(0.2, ge=0, le=1, description="daily probability a KOC recommends")
    reward: float = Field(5.0, ge=0, le=MONEY_MAX, description="CNY reward per KOC recommendation")


class ShillGuide(Official):
    """A staff member's recommendations as an operator-run account: the same fields, none by default."""
    per_day: float = Field(0.0, ge=0, le=50, description="shill recommendations a day per group")
    lift: float = Field(0.45, ge=0, le=LOGIT_MAX, description="log-odds of buying per ln(1 + recommendations)")


class GuideParams(StrategyParams):
    official: Official = Field(Official(), description="recommendations by official staff")
    peer: Peer = Field(Peer(), description="recommendations by KOCs who emerge from activity and orders")
    shill: ShillGuide = Field(ShillGuide(), description="recommendations by operator-run accounts")


def per_day(rate: float, t: int) -> int:
    """Whole recommendations on day ``t`` at ``rate`` a day (0.5: every other day)."""
    return math.floor(rate * (t + 1)) - math.floor(rate * t)


@register
class Guides(Strategy):
    name = "guides"
    Params = GuideParams
    channels = Shills.channels
    columns = (Column("koc", np.int8, 0, "a KOC since the last review (1) or not (0)"),
               Column("koc_mark", np.uint32, 0, "her messages in the group at the last review"))
    outputs = tuple(Output(n, meaning=s) for n, s in (
        ("official_recs", "official staff recommendations"), ("koc_recs", "KOC recommendations"),
        ("shill_recs", "shill recommendations"), ("kocs", "KOCs present at a review"),
        ("new_kocs", "members who became KOCs at a review")))
    costs = ("guides", "koc_rewards")
    kpis = (Kpi("guide_spend", "Staff spend on guides' recommendations", "CNY", higher_is_better=False,
                total="spend_guides"),
            Kpi("koc_reward_spend", "Rewards paid to KOCs", "CNY", higher_is_better=False, total="spend_koc_rewards"))

    def plan(self, day) -> None:
        p, m, n = self.params, day.members, day.groups.count
        official, shill = per_day(p.official.per_day, day.t), per_day(p.shill.per_day, day.t)
        kocs = np.flatnonzero((m.column("koc") == 1) & m.present & (m.lapsed_day < 0)
                              & day.scope[m.group])
        kocs = kocs[day.stream().uniform(day.t, m.uid[kocs]) < p.peer.rate]
        peer = np.bincount(m.group[kocs], minlength=n)
        term = p.official.lift * math.log1p(official) + p.shill.lift * math.log1p(shill) + p.peer.lift * np.log1p(peer)
        if term.any():
            day.add_group_term("buy", term)
        day.add_output("official_recs", official)
        day.add_output("koc_recs", peer)
        day.add_output("shill_recs", shill)
        if shill:
            day.send("shill", shill)
        hours = official * p.official.hours_per_recommendation * p.official.hourly_rate + \
            shill * p.shill.hours_per_recommendation * p.shill.hourly_rate
        if hours:
            day.cost("guides", hours)
        if len(kocs) and p.peer.reward:
            day.cost("koc_rewards", p.peer.reward * peer)

    def after(self, day) -> None:
        """Every ``peer.window`` days: who is a KOC now (from the messages since the last review)."""
        p, m = self.params.peer, day.members
        if (day.t + 1) % p.window:
            return
        rows = np.flatnonzero(day.present & day.scope[m.group])
        koc, mark = m.column("koc"), m.column("koc_mark")
        written = m.messages[rows].astype(np.int64) - mark[rows]
        now = (written >= p.messages) & (m.purchases[rows] >= p.purchases)
        day.add_output("new_kocs", np.bincount(m.group[rows[now & (koc[rows] == 0)]], minlength=day.groups.count))
        day.add_output("kocs", np.bincount(m.group[rows[now]], minlength=day.groups.count))
        koc[rows] = now
        mark[rows] = m.messages[rows]
