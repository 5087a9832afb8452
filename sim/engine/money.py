"""Orders and money (变现): what each order is worth, what the seller keeps, and when.

A scenario's ``money:`` section (``Money``) says what the programme sells; the recorder
(``sim.engine.recorder``) turns each day's orders into money columns of ``daily`` with
``Accounts``. Nothing here draws a member's choice: whether she orders is the member
rules' (``sim.engine.rules``, purchase); this module only prices the orders.

**Order value** (CNY). ``order_value`` is a distribution (``{lognormal: [mu, sigma]}``,
``{gamma: [shape, scale]}`` or a constant), population-wide or per segment
(``segments.<name>.order_value``). Each order is a draw of its own, keyed by (person,
day) on the purpose ``order_value``: the same person ordering on the same day is charged
the same in every scenario of a comparison (common random numbers), and her next order
is a fresh draw (a basket, not a fixed price). Default ``None``: every order is worth
``behavior.purchase.order_value`` (99 CNY), as before this section existed, with no draw.

**Repeat orders.** A member who ordered may order again on any later day, with the same
daily chance as before (her trait ``purchase`` and the day's terms): nothing makes a
buyer more or less likely to buy again. The recorder counts ``first_buyers`` (a member's
first order) and ``repeat_buyers`` (her second: each repeat buyer once, the day she
becomes one); orders per buyer is ``purchases`` / buyers.

**Margin.** ``margin`` is the gross margin, the share of an order's list value the seller
keeps after the cost of goods (cost of goods = (1 − margin) × order value, per segment
with ``segments.<name>.margin``). Default 0.4, a stylized fact: a consumer-goods seller's
gross margin between fast-moving goods resold through groups (about 20-30%) and beauty
brands (60-70%: Yatsen, Perfect Diary's owner, reported about 64% for 2020); the vertical
presets (``sim.experiments.presets``) set their own.

**Discounts and coupons.** A price cut on an order lowers revenue, not the cost of goods:
any per-(day, group) output a strategy declares under the name ``discounts`` (CNY: flash
sales) is taken off revenue. A coupon handed out per joiner, whether or not she orders
(a welcome offer), is booked by its strategy in the cost ledger instead (an acquisition
cost); a CNY lowers profit by one CNY on either line, and no amount is on both.

**Refunds.** ``refund_rate`` (default 0: off) of what buyers paid comes back to them, in
expectation (an amount, not a draw); the goods come back too, so the cost of goods of
refunded orders is not incurred. Stylized: e-commerce refund rates run from a few percent
(consumables) to tens of percent (apparel).

**Daily money columns** (CNY, per day and group): ``gmv`` = Σ order values (list price);
``refunds`` = refund_rate × (gmv − discounts); ``revenue`` = gmv − discounts − refunds (net
revenue); ``cogs`` = (1 − refund_rate) × Σ (1 − margin) × order value; ``margin`` = revenue
− cogs (gross profit; negative when discounts exceed it); ``margin_pv`` = margin ×
(1 + ``discount_rate_per_year``)^(−day / 365), the margin's value on day 0. Default rate
0.1 a year, a stylized fact: a common corporate hurdle rate. Profit, ROI and the value per
member are derived from these and the ledger (``sim.analysis.ledger``).
"""
from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer

from .mechanism import MONEY_MAX
from .traits import Dist, quantile

MONEY_COLUMNS = ("gmv", "refunds", "revenue", "cogs", "margin", "margin_pv")
DISCOUNTS = "discounts"  # a declared output of this name is a revenue reduction (CNY)
PURPOSE = "order_value"  # the stream of per-order draws


def _order_value_range(dist):
    if dist is not None and (dist.family == "beta" or not 0 <= dist.mean() <= MONEY_MAX):
        raise ValueError(f"an order value is CNY: use lognormal, gamma or a constant, with a mean in "
                         f"[0, {MONEY_MAX:g}]")
    return dist


class SegmentMoney(BaseModel):
    """What one segment's orders are worth and keep (None: the scenario's)."""
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    order_value: Dist | None = Field(None, description="CNY per order, a distribution (None: money.order_value)")
    margin: float | None = Field(None, ge=0, le=1, description="gross margin share (None: money.margin)")
    _range = field_validator("order_value")(classmethod(lambda cls, v: _order_value_range(v)))


class Money(BaseModel):
    """The ``money:`` section of a scenario (see the module docstring)."""
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    order_value: Dist | None = Field(None, description="CNY per order, a distribution drawn per order (None: "
                                     "every order is behavior.purchase.order_value)")
    margin: float = Field(0.4, ge=0, le=1, description="gross margin: share of the order value kept after the "
                          "cost of goods (stylized: 0.4)")
    refund_rate: float = Field(0.0, ge=0, lt=1, description="share of net sales refunded, goods returned (0: off)")
    discount_rate_per_year: float = Field(0.1, ge=0, le=1, description="annual rate the value per member is "
                                          "discounted at (stylized: 0.1)")
    segments: dict[str, SegmentMoney] = Field(default_factory=dict, description="segment -> its order value "
                                              "and margin")
    _range = field_validator("order_value")(classmethod(lambda cls, v: _order_value_range(v)))

    @model_serializer(mode="wrap")
    def _without_defaults(self, handler):
        """Only what differs from the defaults, so a scenario without the section keeps its digest."""
        data = handler(self)
        return {k: v for k, v in data.items() if getattr(self, k) != type(self).model_fields[k].get_default(
            call_default_factory=True)}

    def is_default(self) -> bool:
        return self == Money()


class Accounts:
    """One run's pricing of orders: per-segment order values and margins as arrays."""

    def __init__(self, money: Money, segment_names: list[str], list_price: float, streams):
        self.streams = streams
        own = [money.segments.get(s, SegmentMoney()) for s in segment_names]
        self.dists = [s.order_value if s.order_value is not None else money.order_value for s in own]
        self.fixed = [None if d is None else d.constant if d.family == "constant" else np.nan for d in self.dists]
        self.fixed = np.array([list_price if f is None else f for f in self.fixed], float)  # nan: drawn
        self.keep = np.array([money.margin if s.margin is None else s.margin for s in own])
        self.refund_rate = money.refund_rate
        self.yearly = money.discount_rate_per_year
        self.one_price = len(set(self.fixed.tolist())) == 1 and not np.isnan(self.fixed).any()

    def order_values(self, t: int, persons: np.ndarray, segments: np.ndarray) -> np.ndarray:
        """CNY of the orders of ``persons`` (their person ids; segment indices ``segments``)
        on day ``t``: one draw per (person, day) where the segment's value is a distribution."""
        values = self.fixed[segments] if len(self.fixed) > 1 else np.full(len(persons), self.fixed[0])
        drawn = np.flatnonzero(np.isnan(values))
        if len(drawn):
            u = self.streams.uniform(PURPOSE, t, persons[drawn])
            for k in np.unique(segments[drawn]):
                at = drawn[segments[drawn] == k]
                values[at] = quantile(self.dists[k], u[segments[drawn] == k])
        return values

    def sales(self, day) -> np.ndarray:
        """Today's orders at list value (CNY) per group, from ``day.bought``: what a strategy's
        discount on today's orders is a share of (the same values the recorder books)."""
        m, n = day.members, day.groups.count
        rows = np.flatnonzero(day.bought)
        if self.one_price:
            return np.bincount(m.group[rows], minlength=n) * self.fixed[0]
        values = self.order_values(day.t, m.person[rows], m.segment[rows])
        return np.bincount(m.group[rows], weights=values, minlength=n)

    def columns(self, t: int, groups: np.ndarray, persons: np.ndarray, segments: np.ndarray,
                purchases: np.ndarray, discounts: np.ndarray | None) -> dict[str, np.ndarray]:
        """Today's money columns per group (``MONEY_COLUMNS``) from the orders of the buyers
        (their groups, person ids and segments) and ``purchases`` (orders per group)."""
        n = len(purchases)
        if self.one_price:  # the common case: every order at one price, as ever
            gmv = purchases * self.fixed[0]
            kept = gmv * self.keep[0] if len(set(self.keep.tolist())) == 1 else \
                np.bincount(groups, weights=self.fixed[0] * self.keep[segments], minlength=n)
        else:
            values = self.order_values(t, persons, segments)
            gmv = np.bincount(groups, weights=values, minlength=n)
            kept = np.bincount(groups, weights=values * self.keep[segments], minlength=n)
        # discounts never pass what was sold (two sales on one day: at most everything off)
        off = np.zeros(n) if discounts is None else np.minimum(np.asarray(discounts, float), gmv)
        sold = np.maximum(gmv - off, 0.0)
        refunds = self.refund_rate * sold
        revenue = gmv - off - refunds
        cogs = (1 - self.refund_rate) * (gmv - kept)
        margin = revenue - cogs
        return {"gmv": gmv, "refunds": refunds, "revenue": revenue, "cogs": cogs, "margin": margin,
                "margin_pv": margin * (1 + self.yearly) ** (-t / 365)}
