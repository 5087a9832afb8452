"""Messaging: the operator's daily posting schedule (SOP 推送).

Each group gets ``per_day`` operator messages a day (a fraction spreads them: 0.5 is one
every other day), sent in turn at the hours in ``slots``; a ``value_share`` of them are
value content (useful information, service, answers) and the rest are ads / product
pushes, interleaved evenly. Seeds 000 and 001: post too much and the group calls you a
spammer, too little and it dies; fixed daily push slots (001, 004).

How a message lands depends on its hour: ``REACH`` is the share of members who read a
message sent at that hour, relative to the evening peak (a stylised curve of a messaging
app's daily use: quiet at night, peaks at lunch and 20-21 h). Reach scales what value and
pushes do for members (see ``sim.engine.rules``); notifications annoy at any hour.

Parameters: ``per_day`` (messages/day/group, default 3, 0-50), ``slots`` (hours 0-23,
distinct, default [9, 12, 20]), ``value_share`` (0-1, default 0.6), ``cost_per_message``
(CNY of staff time to write and send one message to one group, default 2: about
2-3 minutes at 50 CNY an hour), booked in the cost ledger as ``staff``; ``content_cost`` (CNY
to produce one piece of useful content: copywriting, design, a guest's fee; default 0, a
stylized fact: the operator writes her own within the staff minutes), booked as ``content``
once per piece, shared among the groups it goes to that day; and the shared
``when`` / ``where`` (``sim.strategies.schedule``). Messages go to the operator's
channels ``value`` and ``ad``, only in groups with members that day (nobody posts to an empty
group: a tier before its first promotion, a group everyone left). KPI: ``staff_spend`` (CNY over
the run).
"""
from __future__ import annotations

import math

from pydantic import Field

from ..analysis.kpis import Kpi
from ..engine.rules import MONEY_MAX
from .base import Strategy, StrategyParams, register
from .schedule import Hours

REACH = (0.35, 0.2, 0.12, 0.08, 0.08, 0.12, 0.3, 0.6, 0.8, 0.85, 0.8, 0.85,
         0.95, 0.85, 0.7, 0.7, 0.7, 0.75, 0.8, 0.9, 1.0, 1.0, 0.85, 0.6)


class MessagingParams(StrategyParams):
    per_day: float = Field(3.0, ge=0, le=50, description="operator messages a day per group (0.5: every other day)")
    slots: Hours = Field((9, 12, 20), min_length=1, max_length=24, description="hours they go out (0-23)")
    value_share: float = Field(0.6, ge=0, le=1, description="share of useful content; the rest are ads / pushes")
    cost_per_message: float = Field(2.0, ge=0, le=MONEY_MAX, description="CNY of staff time per message and group")
    content_cost: float = Field(0.0, ge=0, le=MONEY_MAX, description="CNY to produce one piece of useful content, "
                                "shared among the groups it goes to (0: written within the staff time)")


@register
class Messaging(Strategy):
    name = "messaging"
    Params = MessagingParams
    costs = ("staff", "content")
    kpis = (Kpi("staff_spend", "Staff spend on operator messages", "CNY", higher_is_better=False,
                total="spend_staff"),)

    def messages_on(self, t: int) -> tuple[float, float, float, float]:
        """(value messages, ads, reach-weighted value, reach-weighted ads) on day ``t``."""
        p = self.params
        first, last = math.floor(p.per_day * t), math.floor(p.per_day * (t + 1))
        value = ads = value_reach = ad_reach = 0.0
        for m in range(first, last):
            reach = REACH[p.slots[m % len(p.slots)]]
            if math.floor((m + 1) * p.value_share) > math.floor(m * p.value_share):
                value, value_reach = value + 1, value_reach + reach
            else:
                ads, ad_reach = ads + 1, ad_reach + reach
        return value, ads, value_reach, ad_reach

    def plan(self, day) -> None:
        value, ads, value_reach, ad_reach = self.messages_on(day.t)
        if value or ads:
            peopled = day.groups.size > 0  # nobody to post to (a tier before its first promotion)
            day.send("value", value * peopled, value_reach * peopled)
            day.send("ad", ads * peopled, ad_reach * peopled)
            day.cost("staff", (value + ads) * self.params.cost_per_message * peopled)
            if value and self.params.content_cost:  # one piece of content, posted to every group in scope
                groups = int((peopled if day.scope is None else peopled & day.scope).sum())
                day.cost("content", value * self.params.content_cost / max(groups, 1) * peopled)
