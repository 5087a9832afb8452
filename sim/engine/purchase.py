"""Buying: step 5 of the member rules (``sim.engine.rules``), with its parameters.

``Purchase`` (``behavior.purchase``) and ``Conformity`` (``behavior.conformity``) are the
mechanisms; ``PurchaseRule`` draws who buys today. Who may buy: the members who saw the
group today (``day.seen``). So muted and lapsed members are reached less, by the rules that
already decide who looks (seeds 000, 001: folded or muted groups lose exposure): a lapsed
member sees nothing until she wakes; a muted one looks on ``muting.open_probability`` of days
(default 15%) and buys only then. A person orders at most once a day, in the first group
that sold her. The rows that bought today are ``day.bought``; ``m.purchases`` counts orders.

Member i of group g buys with log-odds
  trait ``purchase`` + ``trust.buy``·trust_i + ``push_response``·ln A_g + C_g + strategies' terms,
with A_g the group's **exposure** today and C_g its **conformity** term (0 when off). No
exposure (A_g = 0): no purchase.
"""
from __future__ import annotations

import numpy as np
from pydantic import Field

from .groups import sized
from .mechanism import LOGIT_MAX, MONEY_MAX, Mechanism


class Purchase(Mechanism):
    """Buying from product push messages (推品, seeds 001, 004) and, when switched on, from content and
    peers' recommendations on any day (seed 004: the chain of trust is built from content and
    many-way interaction). Exposure A_g = P_g + ``content_weight``·V_g + ``peer_weight``·T_g:
    P_g the reach-weighted push messages (channel ``ad``; one at the peak hour: 1), V_g the
    reach-weighted value messages, T_g the group's talk today — members' messages and those
    of accounts that pass as members (social proof) — per present member, over an ordinary
    day's (``contagion.reference``; an ordinary day: 1). A day without a push then sells
    when the group read useful content or talked; with both weights 0 (the defaults, so
    every existing scenario keeps its results) only push days sell. A weight is what that
    exposure is worth in push messages at the peak hour: no published figure, set them per
    programme (the product-push scenario in ``scenarios/`` uses 0.2 and 0.3, a stylized fact: a day of
    useful content or of ordinary talk sells a fifth or a third of what a push does)."""
    push_response: float = Field(0.5, ge=0, le=LOGIT_MAX, description="log-odds per ln(exposure), "
                                 "exposure in reach-weighted push messages")
    order_value: float = Field(99.0, ge=0, le=MONEY_MAX, description="CNY per order")
    content_weight: float = Field(0.0, ge=0, le=100, description="exposure of a reach-weighted value message, "
                                  "in push messages (0: content sells nothing by itself)")
    peer_weight: float = Field(0.0, ge=0, le=100, description="exposure of an ordinary day's talk of peers, "
                               "in push messages (0: peers' talk sells nothing by itself)")


class Conformity(Mechanism):
    """Conformity (从众心理, seed 000: payment relays 接龙 and purchase screenshots are the
    accelerator): purchases in a group raise the other members' odds of buying the **next**
    day (the relay and the screenshots are read after the orders are placed; a next-day
    effect also keeps one draw per member and day). With B_g the buyers in group g
    yesterday (plus purchase screenshots that operator-run accounts show: a strategy adds them
    with ``conformity_lift``) and
    N_g its present members then, the log-odds of buying rise by
      C_g = min(``cap``, ``strength``·ln(1 + 100·B_g / N_g))
    (diminishing in buyers per hundred members; capped, as a relay persuades only so far).
    Off by default (``enabled: false``), so existing scenarios keep their results. When on,
    defaults are stylized: ``strength`` 1 (one buyer per hundred members yesterday: odds
    ×2 today; Muchnik, Aral & Taylor 2013 found one seeded up-vote raised later positive
    votes by 32%, a single visible act among many) and ``cap`` 1.5 (odds at most ×4.5)."""
    enabled: bool = Field(False, description="purchases in a group raise others' buying the next day")
    strength: float = Field(1.0, ge=0, le=LOGIT_MAX, description="log-odds per ln(1 + buyers per 100 members)")
    cap: float = Field(1.5, ge=0, le=LOGIT_MAX, description="most log-odds conformity adds")


def conformity_lift(shown: np.ndarray, present: np.ndarray, c: Conformity) -> np.ndarray:
    """C_g of ``Conformity`` for ``shown`` buyers among ``present`` members, per group."""
    rate = 100.0 * np.asarray(shown, float) / np.maximum(np.asarray(present, float), 1.0)
    return np.minimum(c.cap, c.strength * np.log1p(rate))


class PurchaseRule:
    """Who buys today (module docstring), for one model's member rules; ``rare`` draws a rare
    choice (``Rules`` passes its own: strategies' terms and the gates apply as to any)."""

    def __init__(self, purchase: Purchase, conformity: Conformity, reference: float, rare):
        self.p, self.c = purchase, conformity
        self.reference = reference
        self.rare = rare
        self.buyers = np.zeros(0)   # per group: buyers on ``self.day``
        self.present = np.zeros(0)  # per group: present members then
        self.day = -1

    def exposure(self, day) -> np.ndarray:
        """A_g (``Purchase``) per group. At zero weights it is the push messages' reach, bit for bit."""
        p, a = self.p, day.reach["ad"]
        if p.content_weight:
            a = a + p.content_weight * day.reach["value"]
        if p.peer_weight:
            present = day.groups.size
            talk = day.member_msgs + day.proof_msgs
            per_member = np.divide(talk, present, out=np.zeros(len(talk)), where=present > 0)
            a = a + p.peer_weight * per_member / self.reference
        return a

    def conformity(self, day) -> np.ndarray:
        """C_g from yesterday's buyers (0 for a group without a yesterday)."""
        n = day.groups.count
        if self.day != day.t - 1:
            return np.zeros(n)
        return conformity_lift(sized(self.buyers, n, float), sized(self.present, n, float), self.c)

    def extra_lift(self, day, shown) -> np.ndarray:
        """Per group, what ``shown`` more buyers (purchase screenshots posted today) add to
        today's conformity term C_g, the cap included (0 with conformity off)."""
        n = day.groups.count
        if not self.c.enabled:
            return np.zeros(n)
        known = self.day == day.t - 1
        buyers = sized(self.buyers, n, float) if known else np.zeros(n)
        present = sized(self.present, n, float) if known else day.groups.size.astype(float)
        shown = np.broadcast_to(np.asarray(shown, float), (n,))
        return conformity_lift(buyers + shown, present, self.c) - conformity_lift(buyers, present, self.c)

    def apply(self, day, seen: np.ndarray) -> None:
        m = day.members
        day.bought = np.zeros(m.n, bool)
        exposure = self.exposure(day)
        if self.p.enabled and (exposure > 0).any():
            with np.errstate(divide="ignore"):  # no exposure: ln 0 = -inf, no purchase
                group = np.log(exposure) * self.p.push_response
            if self.c.enabled:
                group = group + self.conformity(day)
            rows = self.rare("buy", day, m.buy_gate, m.buy_odds, group, seen)
            if m.several:  # one order a day per person, in the first group that sold her
                _, first = np.unique(m.person[rows], return_index=True)
                rows = rows[np.sort(first)]
                m.purchases[m.of_persons(m.person[rows])] += 1
            else:
                m.purchases[rows] += 1
            day.bought[rows] = True
        if self.c.enabled:  # what tomorrow's members see
            self.buyers = np.bincount(m.group[day.bought], minlength=day.groups.count).astype(float)
            self.present, self.day = day.groups.size.astype(float), day.t


def without_new_defaults(data: dict, purchase: Purchase, conformity: Conformity) -> dict:
    """Leaves out of a serialized ``Behavior`` what this module added, while at its defaults
    (``content_weight``, ``peer_weight``, ``conformity``), so scenarios without it keep their digest."""
    bought = data.get("purchase")
    if isinstance(bought, dict):
        for name in ("content_weight", "peer_weight"):
            if getattr(purchase, name) == Purchase.model_fields[name].default:
                bought.pop(name, None)
    if conformity == Conformity():
        data.pop("conformity", None)
    return data
