"""Moderation: finding members who post ads (发小广告) and removing them from the group
(seeds 000, 004: spammers lower the value of the group for everyone; the operator's job
includes moderating). Spam itself is a member rule, ``behavior.spam``
(``sim.engine.spam.Spam``): without a spam segment there is nothing to find, and the
strategy only books its cost.

Two modes:

- ``staff`` (default): a moderator reads the group. A member whose ads the moderator has
  seen (she spammed on a day the strategy acted in her group) is found and removed on each
  later day, the day of her spam included, with probability 1 / (1 + ``delay_days``), so
  ``delay_days`` is the mean number of whole days from her first ads to her removal
  (geometric). Default 1 day: a moderator who checks every day finds the average spammer
  the day after (stylized fact). Cost: ``staff_cost_per_group_day`` (default 5 CNY: about
  ten minutes of a 30 CNY/hour moderator reading one group a day; stylized) plus
  ``cost_per_removal`` (default 1 CNY: a couple of minutes to remove her and tell the
  group; stylized).
- ``keyword``: a filter bot (as WeCom's anti-harassment rules) removes a spamming member
  at once, on the day she posts ads, when her ads carry a listed keyword, link or QR code:
  probability ``keyword_share`` each day she spams (default 0.5: half of ads are caught,
  the rest are worded around the list; stylized). Missed, she is caught only when she
  spams again: cheaper and weaker than staff. Cost: ``keyword_cost_per_group_day``
  (default 1 CNY a group and day, as the keyword auto-reply bot of ``service``).

Removed spammers leave the group that day (``Day.remove``): today's ads have had their
effect; from tomorrow they post none. All spend is booked under ``moderation``.
Output: ``spammers_removed`` per (day, group). KPI: ``moderation_spend``.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from ..analysis.kpis import Kpi
from ..engine.day import Output
from ..engine.members import Column
from ..engine.rules import MONEY_MAX
from .base import Strategy, StrategyParams, register


class ModerationParams(StrategyParams):
    mode: Literal["staff", "keyword"] = Field("staff", description="who finds spammers: a moderator reading "
                                              "the group, or a keyword filter bot")
    delay_days: float = Field(1.0, ge=0, le=365, description="staff: mean days from a member's first ads "
                                                            "to her removal")
    keyword_share: float = Field(0.5, ge=0, le=1, description="keyword: probability a spammer's ads of a day "
                                                             "are caught (she is removed at once)")
    staff_cost_per_group_day: float = Field(5.0, ge=0, le=MONEY_MAX, description="staff: CNY of moderator "
                                                                                 "time a group and day")
    cost_per_removal: float = Field(1.0, ge=0, le=MONEY_MAX, description="staff: CNY of staff time per removal")
    keyword_cost_per_group_day: float = Field(1.0, ge=0, le=MONEY_MAX, description="keyword: CNY a group and "
                                                                                   "day for the filter bot")


@register
class Moderation(Strategy):
    name = "moderation"
    Params = ModerationParams
    columns = (Column("spammed", np.int16, -1, "day the moderation first saw her post ads in the group "
                                               "(-1: never)"),)
    outputs = (Output("spammers_removed", meaning="spamming members removed from the group"),)
    costs = ("moderation",)
    kpis = (Kpi("moderation_spend", "Spend on moderation", "CNY", higher_is_better=False,
                total="spend_moderation"),)

    def after(self, day) -> None:
        p, m, n_groups = self.params, day.members, day.groups.count
        spammers = day.chosen.get("spam", np.zeros(0, np.int64))
        spammers = spammers[day.scope[m.group[spammers]]]  # ads in the groups it watches today
        seen = m.column("spammed")
        seen[spammers[seen[spammers] < 0]] = day.t
        stream = day.stream()
        if p.mode == "staff":
            suspects = np.flatnonzero(seen >= 0)  # few: filtered row by row, not by full-length masks
            suspects = suspects[day.present[suspects] & ~day.leaving[suspects] & day.scope[m.group[suspects]]]
            found = suspects[stream.uniform(day.t, m.uid[suspects]) < 1 / (1 + p.delay_days)]
        else:
            spammers = spammers[~day.leaving[spammers]]
            found = spammers[stream.uniform(day.t, m.uid[spammers], "keyword") < p.keyword_share]
        day.remove(found)
        removed = np.bincount(m.group[found], minlength=n_groups)
        day.add_output("spammers_removed", removed)
        if p.mode == "staff":
            day.cost("moderation", p.staff_cost_per_group_day + p.cost_per_removal * removed)
        else:
            day.cost("moderation", p.keyword_cost_per_group_day)
