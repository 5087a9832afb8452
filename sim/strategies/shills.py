"""Shills (托, 水军, 马甲, 小号): accounts the operator runs in a group, not members.

Each group in scope has ``accounts`` shill accounts. Every day each posts ``posts_per_day``
scheduled messages (a topic, an answer, a purchase screenshot) and replies to real
members' posts, up to ``replies_per_day`` replies an account (seeds 000, 001, 004: a few
accounts that answer at once set the example; 托儿 are "the advanced treasure" of retention).
Their messages go to the channel ``shill`` and count toward the group's liveliness as social
proof like members' own talk (``sim.engine.rules.Contagion``, weight ``proof_weight``), times
youth (below): in a new group members take the accounts' talk at face value; in an
established one they know who is real.

**Seeded response.** Members of a group whose posts the shills answered yesterday post more
today: log-odds + ln(1 + ``lift`` · covered · youth), covered the share of yesterday's
posting members who got a reply (0-1) and youth = exp(−age / ``young_days``), age the
group's age in days. Default ``lift`` 0.32: one seeded positive response raised later
positive responses by about 32% (Muchnik, Aral & Taylor, Science 2013), whose viewers rated
rarely: for a member who posts on a few percent of days a 32% higher odds is a 32% higher
probability (a superuser who posts most days anyway rises less). Young
groups respond most (seed 004: the first month of a group is when its habits form;
Muchnik et al. found herding on the first votes): default ``young_days`` 30, a stylized
fact, so the effect is a third after a month and 5% after three.

**Being found out.** The more of a group's talk the shills write, the likelier members
notice: each member who read the group today notices with probability ``notice`` · s², s the
shills' share of today's messages (shill, operator and member); the square because a couple
of accounts among hundreds of members pass unnoticed while accounts that write most of the
talk are soon obvious. Noticing is remembered
(column ``shills_noticed``: the day, −1 never): it multiplies her trust by 1 − ``trust_loss``
once and adds ``leave_boost`` to her log-odds of leaving on every day the shills act in
her group. Defaults (stylized facts, seeds 000, 001: "too many is detectable and costs
trust"): ``notice`` 0.03 a day at s = 1, so where shills write a fifth of the talk one reader
in a thousand notices a day, and where they write two thirds about a third notice within a
month; ``trust_loss`` 0.5; ``leave_boost``
1.1 ≈ ln 3 (a member who feels played leaves at about three times the rate).

**Cost.** Staff time: ``hours_per_account`` (default 0.3 h a day: three posts and up to five
replies at about two minutes each, as ``messaging`` assumes for an operator message) at
``hourly_rate`` (default 50 CNY, as ``messaging``'s 2 CNY a message), booked as
``shills``. Outputs: ``shill_replies`` (replies per group and day), ``shills_noticed``
(members who noticed that day). KPI: ``shill_spend``.

**Purchase screenshots** (seed 000: screenshots are the accelerator of conformity): each account
posts ``screenshots_per_day`` of them (default 0: none), messages of the channel ``shill`` like
its other posts (so they add to the shills' share of the talk, and to the risk of being
found out, above), each shown to members as one more buyer in the group's conformity term
(``behavior.conformity``, ``sim.engine.purchase``: today's term counts yesterday's buyers plus
today's screenshots, the cap included). With conformity off they persuade nobody.
Staff time is in ``hours_per_account``.
"""
from __future__ import annotations

import numpy as np
from pydantic import Field

from ..analysis.kpis import Kpi
from ..engine.day import Channel, Output
from ..engine.groups import sized
from ..engine.members import Column
from ..engine.rules import LOGIT_MAX, MONEY_MAX
from .base import Strategy, StrategyParams, register


class ShillParams(StrategyParams):
    accounts: int = Field(2, ge=0, le=50, description="shill accounts per group")
    posts_per_day: float = Field(3.0, ge=0, le=100, description="scheduled messages per account and day")
    replies_per_day: float = Field(5.0, ge=0, le=500, description="most replies to members per account and day")
    lift: float = Field(0.32, ge=0, le=10, description="relative rise in posting at full reply coverage")
    young_days: float = Field(30.0, gt=0, le=3650, description="days over which a group's response fades (e-fold)")
    notice: float = Field(0.03, ge=0, le=1, description="daily chance to notice, at a shill share of 1")
    trust_loss: float = Field(0.5, ge=0, le=1, description="share of trust lost on noticing")
    leave_boost: float = Field(1.1, ge=0, le=LOGIT_MAX, description="log-odds of leaving once noticed")
    hours_per_account: float = Field(0.3, ge=0, le=24, description="staff hours per account and day")
    hourly_rate: float = Field(50.0, ge=0, le=MONEY_MAX, description="CNY per staff hour")
    screenshots_per_day: float = Field(0.0, ge=0, le=100, description="purchase screenshots per account and "
                                       "day, shown as buyers to behavior.conformity")


@register
class Shills(Strategy):
    name = "shills"
    Params = ShillParams
    channels = (Channel("shill", social_proof=True, meaning="messages of operator-run shill accounts"),)
    columns = (Column("shills_noticed", np.int16, -1, "day she noticed the shills (-1: never)"),)
    writes = ("trust",)
    outputs = (Output("shill_replies", meaning="shill replies to members' posts"),
               Output("shills_noticed", meaning="members who noticed the shills that day"))
    costs = ("shills",)
    kpis = (Kpi("shill_spend", "Staff spend on shill accounts", "CNY", higher_is_better=False,
                total="spend_shills"),)

    def __init__(self, params: ShillParams, index: int = 0):
        super().__init__(params, index)
        self._covered: np.ndarray | None = None  # per group: share of yesterday's posters answered
        self._covered_day = -1

    def plan(self, day) -> None:
        p, g = self.params, day.groups
        if self._covered is not None and self._covered_day == day.t - 1 and p.lift:
            covered = sized(self._covered, g.count, float)
            day.add_group_term("post", np.log1p(p.lift * covered * self._youth(day)))
        if p.leave_boost:
            noticed = np.flatnonzero(day.members.column("shills_noticed") >= 0)
            if len(noticed):
                day.add_member_term("leave", p.leave_boost, rows=noticed)
        posts = p.accounts * p.posts_per_day
        day.send("shill", posts, proof=posts * self._youth(day))
        if p.screenshots_per_day:  # fake buyers for conformity, messages for being found out
            shots = p.accounts * p.screenshots_per_day
            day.send("shill", shots, proof=shots * self._youth(day))
            day.add_group_term("buy", day.model.rules.purchase.extra_lift(day, np.where(day.scope, shots, 0.0)))
        day.cost("shills", p.accounts * p.hours_per_account * p.hourly_rate)

    def after(self, day) -> None:
        p, g, scope = self.params, day.groups, day.scope
        posters = day.posts_by_group[: g.count].astype(float)
        replies = np.where(scope, np.minimum(p.accounts * p.replies_per_day, posters), 0.0)
        day.send("shill", replies, proof=replies * self._youth(day))
        day.add_output("shill_replies", replies)
        self._covered = np.divide(replies, posters, out=np.zeros(g.count), where=posters > 0)
        self._covered_day = day.t
        self._found_out(day, scope)

    def _youth(self, day) -> np.ndarray:
        """exp(−age / young_days) per group: how much the accounts still sway members."""
        return np.exp(-(day.t - day.groups.opened) / self.params.young_days)

    def _found_out(self, day, scope: np.ndarray) -> None:
        """Members who read the group today notice with probability notice · (shills' share of the talk)²."""
        p, m = self.params, day.members
        shill = day.messages["shill"]
        talk = day.all_msgs + day.member_msgs
        share = np.divide(shill, talk, out=np.zeros(len(talk)), where=talk > 0)
        chance = np.where(scope, p.notice * share**2, 0.0)
        if not p.notice or not chance.any():
            return
        noticed = m.column("shills_noticed")
        readers = day.seen & (noticed < 0)
        if not (chance > 0).all():
            readers &= m.per_member(chance > 0, bool)
        rows = np.flatnonzero(readers)
        u = day.stream().uniform(day.t, m.uid[rows])
        rows = rows[u < np.repeat(chance, m.group_runs(rows)[: len(chance)])]  # rows are sorted by group
        noticed[rows] = day.t
        day.add_output("shills_noticed", np.bincount(m.group[rows], minlength=len(chance)))
        if p.trust_loss and len(rows):
            hit = m.of_persons(m.person[rows]) if m.several else rows  # trust is a person's
            m.trust[hit] *= np.float32(1 - p.trust_loss)
