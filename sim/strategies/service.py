"""Service: replies to newcomers' first posts, by staff or by keyword auto-replies (seed 004:
keyword auto-replies answer common questions at once; service is part of the chain of trust).

Each day, a newcomer's first post in a group is answered with probability ``coverage``
(members already in groups on day 0, ``recruitment.initial_members``, are not newcomers). A
newcomer who got an answer posts more: log-odds + ``lift`` (times ``auto_strength`` for
auto-replies, which answer at once but by rote) for ``days`` days after her first post.
Evidence for the default: newcomers whose first post got a reply posted again 56% of the time
against 44% without, +12 points (Joyce & Kraut 2006, J. Computer-Mediated Communication
11(3)); about 40% of first posts go unanswered where nobody is charged with answering (Burke
et al. 2007). ``lift`` 1.8 reproduces the +12 points among the baseline programme's
newcomers over ``days`` = 30 (chosen on calibration seeds 1000-1001, ``docs/calibration.md``;
``tests/test_service.py`` checks it on others). It is a large rise in odds because the
newcomers who post at all are mostly habitual posters: 81% of the unanswered post again
within 30 days, against 44% in the study's forums. ``auto_strength`` 0.5 is a stylized fact.

Costs: ``staff`` mode books ``cost_per_reply`` (default 2 CNY, as ``messaging`` a message)
per reply; ``auto`` mode books ``auto_cost_per_day`` (default 1 CNY a group and day: a
keyword bot) under ``service``.

Outputs, so users can check the effect as the study measured it: ``first_posts`` and
``first_replies`` per (day, group); and, on the day each newcomer's ``days``-day window
closes (or she leaves before; on the strategy's first day after, if it skips days; her
posts are seen on its days only, so schedule it every day, the default, for complete
counts), ``followed_replied`` / ``again_replied`` (answered newcomers,
and those of them who posted again in the window) and ``followed_unreplied`` /
``again_unreplied``. KPI: ``service_spend``.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from ..analysis.kpis import Kpi
from ..engine.day import Output
from ..engine.members import Column
from ..engine.rules import LOGIT_MAX, MONEY_MAX
from .base import Strategy, StrategyParams, register


class ServiceParams(StrategyParams):
    mode: Literal["staff", "auto"] = Field("staff", description="who answers: staff, or keyword auto-replies")
    coverage: float = Field(0.9, ge=0, le=1, description="share of first posts answered")
    lift: float = Field(1.8, ge=0, le=LOGIT_MAX, description="log-odds of posting for an answered newcomer")
    auto_strength: float = Field(0.5, ge=0, le=1, description="an auto-reply's effect as a share of a staff reply's")
    days: int = Field(30, ge=1, le=365, description="days the answer keeps its effect (and the follow-up window)")
    cost_per_reply: float = Field(2.0, ge=0, le=MONEY_MAX, description="CNY of staff time per reply")
    auto_cost_per_day: float = Field(1.0, ge=0, le=MONEY_MAX, description="CNY a group and day for the auto-reply bot")


@register
class Service(Strategy):
    name = "service"
    Params = ServiceParams
    columns = (Column("first_post", np.int16, -1, "day of her first post in the group (-1: none yet)"),
               Column("answered", np.int8, 0, "her first post got a reply (1) or not (0); -1 once followed up"),
               Column("posted_again", np.int16, -1, "day of her next post after the first (-1: none yet)"))
    outputs = tuple(Output(name, meaning=meaning) for name, meaning in (
        ("first_posts", "newcomers' first posts"), ("first_replies", "first posts answered"),
        ("followed_replied", "answered newcomers whose follow-up window closed"),
        ("again_replied", "of them, those who posted again in it"),
        ("followed_unreplied", "unanswered newcomers whose follow-up window closed"),
        ("again_unreplied", "of them, those who posted again in it")))
    costs = ("service",)
    kpis = (Kpi("service_spend", "Spend on service replies", "CNY", higher_is_better=False, total="spend_service"),)

    def plan(self, day) -> None:
        p, m = self.params, day.members
        lift = p.lift * (p.auto_strength if p.mode == "auto" else 1.0)
        first = m.column("first_post")
        helped = np.flatnonzero((m.column("answered") == 1) & (first >= day.t - p.days))
        if lift and len(helped):
            day.add_member_term("post", lift, rows=helped)
        if p.mode == "auto":
            day.cost("service", p.auto_cost_per_day)

    def after(self, day) -> None:
        p, m, n_groups = self.params, day.members, day.groups.count
        first, answered, again = m.column("first_post"), m.column("answered"), m.column("posted_again")
        rows, count = day.writers if day.writers is not None else (np.zeros(0, np.int64), np.zeros(0))
        inside = day.scope[m.group[rows]]
        rows, count = rows[inside], count[inside]
        back = rows[(first[rows] >= 0) & (again[rows] < 0)]
        again[back] = day.t
        new = rows[(m.messages[rows] == count) & (first[rows] < 0)]  # today's messages are all she wrote
        new = new[~day.model.recruiting.veteran(m.person[new], m.joined[new])]  # members since day 0: no newcomers
        first[new] = day.t
        replied = new[day.stream().uniform(day.t, m.uid[new]) < p.coverage]
        answered[replied] = 1
        day.add_output("first_posts", np.bincount(m.group[new], minlength=n_groups))
        day.add_output("first_replies", np.bincount(m.group[replied], minlength=n_groups))
        if p.mode == "staff":
            day.cost("service", p.cost_per_reply * np.bincount(m.group[replied], minlength=n_groups))
        self._follow_up(day, first, answered, again)

    def _follow_up(self, day, first, answered, again) -> None:
        """Newcomers whose window closes today, or who leave before it does."""
        m, n_groups = day.members, day.groups.count
        days = self.params.days
        closing = first <= day.t - days  # in place: a few passes over the rows, one mask
        closing |= day.leaving
        closing &= first >= 0
        closing &= answered >= 0
        closing = np.flatnonzero(closing)
        closing = closing[day.present[closing]]
        for label, value in (("replied", 1), ("unreplied", 0)):
            rows = closing[(answered[closing] == value) & day.scope[m.group[closing]]]
            day.add_output(f"followed_{label}", np.bincount(m.group[rows], minlength=n_groups))
            came_back = rows[(again[rows] >= 0) & (again[rows] <= first[rows] + self.params.days)]
            day.add_output(f"again_{label}", np.bincount(m.group[came_back], minlength=n_groups))
        answered[closing] = -1  # followed up: counted once
