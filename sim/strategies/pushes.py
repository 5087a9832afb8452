"""Product pushes (推品, seeds 001, 004): a push schedule per group, with flash sales.

Each group in scope gets ``per_day`` product pushes a day (a fraction spreads them: 0.5 is one
every other day), sent in turn at the hours in ``slots`` (reach by hour: ``messaging.REACH``).
Campaign days and which groups: the shared ``when`` / ``where`` (one instance per campaign,
``sim.strategies.schedule``). A push goes to the operator's ``ad`` channel, so it is an
exposure and an annoyance through the member rules that read that channel: it raises buying
(``behavior.purchase.push_response``·ln exposure, ``sim.engine.purchase``), adds to fatigue
(``behavior.fatigue``: muting and leaving) and wears trust down (``behavior.trust.ad_loss``).
Muted and lapsed members are reached less because they see the group less
(``sim.engine.purchase``: only members who looked today may buy).

**Flash sales** (秒杀, seed 001's welfare group): on the days of ``flash_sale.when`` (required; without
``flash_sale``, the default, no sale), the pushed groups' members' log-odds of buying rise by ``flash_sale.urgency``
(stylized default 0.7: about double the odds, for a time-limited discount), and the sale gives
``flash_sale.discount`` (share of the order value, stylized default 0.2: 八折) off every order
placed in those groups that day: recorded in the output ``discounts`` (CNY off = discount ×
the day's orders at list value, priced as the recorder books them: ``sim.engine.money``), which
the money columns take off revenue.

Cost: ``cost_per_push`` (default 2 CNY of staff time, as ``messaging``'s message) per push and
group, booked as ``pushes``. Outputs: ``pushes`` (pushes sent), ``flash_orders`` (orders in
flash-sale groups), ``discounts`` (CNY). KPIs: ``push_spend``, ``discount_total``.
"""
from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..analysis.kpis import Kpi
from ..engine.day import Output
from ..engine.rules import LOGIT_MAX, MONEY_MAX
from .base import Strategy, StrategyParams, register
from .messaging import REACH
from .schedule import Hours, Schedule


class FlashSale(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    when: Schedule = Field(description="days of the sale (within the strategy's own when), e.g. {every: 7}")
    urgency: float = Field(0.7, ge=0, le=LOGIT_MAX, description="log-odds of buying added on sale days")
    discount: float = Field(0.2, ge=0, le=1, description="share of the order value given off on sale days")


class PushParams(StrategyParams):
    per_day: float = Field(1.0, ge=0, le=50, description="product pushes a day per group (0.5: every other day)")
    slots: Hours = Field((20,), min_length=1, max_length=24, description="hours they go out (0-23)")
    cost_per_push: float = Field(2.0, ge=0, le=MONEY_MAX, description="CNY of staff time per push and group")
    flash_sale: FlashSale | None = Field(None, description="flash-sale days with urgency and a discount (none: no sale)")


@register
class Pushes(Strategy):
    name = "pushes"
    Params = PushParams
    outputs = (Output("pushes", meaning="product pushes sent"),
               Output("flash_orders", meaning="orders in groups on a flash-sale day"),
               Output("discounts", kind="amount", meaning="CNY off orders on flash-sale days"))
    costs = ("pushes",)
    kpis = (Kpi("push_spend", "Staff spend on product pushes", "CNY", higher_is_better=False, total="spend_pushes"),
            Kpi("discount_total", "Flash-sale discounts", "CNY", higher_is_better=False, total="discounts"))

    def pushes_on(self, t: int) -> tuple[int, float]:
        """(pushes, reach-weighted pushes) on day ``t``."""
        p = self.params
        first, last = math.floor(p.per_day * t), math.floor(p.per_day * (t + 1))
        return last - first, sum(REACH[p.slots[k % len(p.slots)]] for k in range(first, last))

    def _sale_today(self, day) -> bool:
        sale = self.params.flash_sale
        return sale is not None and sale.when.today(day.t, day.weekday)

    def plan(self, day) -> None:
        count, reach = self.pushes_on(day.t)
        if count:
            day.send("ad", count, reach)
            day.add_output("pushes", count)
            day.cost("pushes", count * self.params.cost_per_push)
        if self._sale_today(day) and self.params.flash_sale.urgency:
            day.add_group_term("buy", self.params.flash_sale.urgency)

    def after(self, day) -> None:
        if not self._sale_today(day):
            return
        m = day.members
        orders = np.bincount(m.group[day.bought], minlength=day.groups.count)
        day.add_output("flash_orders", orders)
        day.add_output("discounts", self.params.flash_sale.discount * day.model.recorder.accounts.sales(day))
