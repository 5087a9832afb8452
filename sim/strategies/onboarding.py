"""Onboarding (承接, 入群, 开群仪式): how recruits are brought into a group and welcomed.

Six parts, each switched off by its coefficient at 0 (or ``None``), so a scenario runs any
subset. "Newcomers" are memberships in their first ``newcomer_days`` days (default 7, a
stylized fact: the first week, when the pinned rules and the welcome are fresh), except those
of members already in groups on day 0 (``recruitment.initial_members``: welcomed before).

**1. Welcome offer** (seed 001: a welcome message with a coupon gets up to ~70% of added
friends into the group). ``join_probability`` replaces the scenario's
``recruitment.join_probability`` for the recruits of every day after one the strategy acts on
and before the end of its schedule (arrivals come before strategies plan, so an offer made
today reaches tomorrow's recruits, as ``Day.attract``; ``sim.engine.arrivals``: ``Funnel``).
Default ``None``: the scenario's rate, already paid for (its ``0.7`` is the coupon's), and no
coupon is booked. With an offer, each joiner costs ``coupon_value`` × ``coupon_redeemed``
(default 10 CNY × 0.2 = 2 CNY: a new-member coupon that a fifth of joiners use; stylized)
under ``welcome_coupons``. The join draw is the engine's, so a higher offer admits a superset
of the same joiners (common random numbers).

**2. Re-invites** (seed 001: a manual private follow-up adds ~10 points of join rate;
automated reminders every few days). Recruits who did not join are invited again
``reinvite_after`` days later (default 2, "a couple of days") and join then with
probability ``rejoin``: 0 by default (no re-invites: a follow-up costs staff time, so it is a
choice); seed 001's figure is 1/3 at a 70% join rate, a follow-up adding 10 points (a third of
the 30% who stayed out), as ``scenarios/opening_ceremony.yaml`` sets it. A re-invited recruit is the same person (same uid and
traits), routed with that day's joiners (source 2, ``SOURCE_REINVITED``); non-joiners are in
no group. Each re-invite costs ``reinvite_cost`` (default 2 CNY, a private message, as
``messaging``'s 2 CNY a message) under ``reinvites``, booked on the group the invitation
points to (the newest). The invitation is the programme's, not a group's: with the offer or
re-invites on, ``where``, ``when.stage`` and ``when.group_age`` are refused (one-line error),
so every funnel it sets is booked; with several instances, give the offer and re-invites to
one (the last to set tomorrow's funnel wins, and each instance counts ``recruits``).

**3. Opening ceremony** (开群仪式, seeds 001, 004: welcome, value statement, group rules,
a 3-day closing activity; "newcomers' early churn hazard drops and activity rises while the
ritual runs"). For a group's first ``ceremony_days`` days (default 3, the seeds' activity),
its members' log-odds of leaving fall by ``ceremony_leave`` (default 1.0: about 2.7 times
lower odds) and of posting rise by ``ceremony_post`` (default 1.0); stylized facts. Staff
time ``ceremony_cost`` a group and ceremony day (default 50 CNY: an hour at the 50 CNY
rate of ``shills``), under ``ceremonies``.

**4. Posted group rules** (Matias 2019, PNAS 116(20): pinning the rules raised newcomers'
participation by 70% and their rule compliance by 8 points). *Participation:* newcomers'
log-odds of posting rise by ``rules_post``. Default 1.1, calibrated on seeds 1000-1099
(``docs/calibration.md``): in the baseline programme (180 days) with only the rules on,
newcomers' posting rate, the outputs ``newcomer_posts`` / ``newcomers`` (the share of
newcomer-days with a post: the closest the model has to the study's newcomer comments per
discussion), is 1.70 times the rate without (per-seed sd 0.03). It is more than ln 1.7
because the members who post at all are mostly habitual posters, whose probability cannot
rise 70%. *Compliance:* where members of a spam segment post ads (``behavior.spam``,
choice ``spam``), a posting newcomer of that segment's log-odds of posting ads fall by
``rules_spam``: default 0.32 = logit(0.5) − logit(0.42), 8 points fewer at the default
``behavior.spam.probability`` 0.5 (outputs ``newcomer_spammers`` / ``newcomer_spam_posters``).

**5. Do-not-disturb reminder** (seed 000: tell newcomers to set 消息免打扰). On her join day
a newcomer's log-odds of muting rise by ``dnd_mute`` (default 5.0: 23% of newcomers mute on
the day, against 0.2% a day otherwise; a stylized fact: a reminder most ignore). Muted, she
feels a tenth of the operator's load (fewer annoyance leaves) and opens the group less often
(fewer pushes seen): ``sim.engine.rules`` ``Muting``, ``Fatigue``.

**6. Nicknames and self-introductions** (仪式感, 归属感; seeds 000, 004: uniform nicknames
and a self-introduction give belonging). Newcomers' log-odds of leaving fall by
``belonging_leave`` (default 0.5, stylized); on her join day a newcomer's log-odds of
posting rise by ``intro_post`` (default 2.0, stylized: in the baseline programme with the
other parts on, 28% of newcomers post on their join day, against 16% without; seeds
1000-1009).

The welcome, rules, nickname request and DND reminder are one message of the group tool:
no cost of their own. Outputs: ``recruits`` and ``reinvited`` (on the invitation's group),
``rejoined``, ``newcomers`` (present newcomer-days) and ``newcomer_posts`` (of them, posted),
``newcomer_spam_posters`` and ``newcomer_spammers`` (zero without ``behavior.spam``).
KPIs: ``reinvite_joins``, ``welcome_coupon_spend``, ``reinvite_spend``, ``ceremony_spend``.
"""
from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from ..analysis.kpis import Kpi
from ..engine.day import Output
from ..engine.rules import LOGIT_MAX, MONEY_MAX
from .base import Strategy, StrategyParams, register


class OnboardingParams(StrategyParams):
    join_probability: float | None = Field(None, ge=0, le=1, description="join probability with the welcome "
                                           "offer (None: the scenario's, no coupon booked)")
    coupon_value: float = Field(10.0, ge=0, le=MONEY_MAX, description="CNY of the welcome coupon")
    coupon_redeemed: float = Field(0.2, ge=0, le=1, description="share of joiners who use the coupon")
    reinvite_after: int = Field(2, ge=1, le=365, description="days until non-joiners are invited again")
    rejoin: float = Field(0.0, ge=0, le=1, description="share of re-invited non-joiners who join (0: no "
                          "re-invites; seed 001: 1/3 at a 70% join rate, +10 points)")
    reinvite_cost: float = Field(2.0, ge=0, le=MONEY_MAX, description="CNY of staff time per re-invite")
    ceremony_days: int = Field(3, ge=0, le=365, description="days of a new group's opening ceremony")
    ceremony_leave: float = Field(1.0, ge=0, le=LOGIT_MAX, description="log-odds against leaving during it")
    ceremony_post: float = Field(1.0, ge=0, le=LOGIT_MAX, description="log-odds of posting during it")
    ceremony_cost: float = Field(50.0, ge=0, le=MONEY_MAX, description="CNY of staff time a group and ceremony day")
    newcomer_days: int = Field(7, ge=1, le=365, description="days after joining a member counts as a newcomer")
    rules_post: float = Field(1.1, ge=0, le=LOGIT_MAX, description="log-odds of posting for newcomers (posted rules)")
    rules_spam: float = Field(0.32, ge=0, le=LOGIT_MAX, description="log-odds against newcomers posting spam "
                              "(posted rules)")
    dnd_mute: float = Field(5.0, ge=0, le=LOGIT_MAX, description="log-odds of muting on the join day (DND reminder)")
    belonging_leave: float = Field(0.5, ge=0, le=LOGIT_MAX, description="log-odds against newcomers leaving")
    intro_post: float = Field(2.0, ge=0, le=LOGIT_MAX, description="log-odds of posting on the join day")

    @model_validator(mode="after")
    def _funnel_is_the_programmes(self):
        funnel = self.join_probability is not None or self.rejoin > 0
        if funnel and (self.where != type(self.where)() or self.when.stage is not None
                       or self.when.group_age is not None):
            raise ValueError("the welcome offer and re-invites act on the programme's invitation, not on "
                             "groups: leave where, when.stage and when.group_age unset, or switch them off "
                             "(join_probability: null, rejoin: 0)")
        return self


@register
class Onboarding(Strategy):
    name = "onboarding"
    Params = OnboardingParams
    outputs = tuple(Output(name, meaning=meaning) for name, meaning in (
        ("recruits", "recruits reaching the invitation (on the invitation's group)"),
        ("reinvited", "earlier non-joiners invited again (on the invitation's group)"),
        ("rejoined", "re-invited recruits who joined"),
        ("newcomers", "present newcomers (first newcomer_days days)"),
        ("newcomer_posts", "newcomers who posted"),
        ("newcomer_spam_posters", "posting newcomers of the spam segment (behavior.spam)"),
        ("newcomer_spammers", "of them, those who posted ads")))
    costs = ("welcome_coupons", "reinvites", "ceremonies")
    kpis = (Kpi("reinvite_joins", "Joined when re-invited", "members", total="rejoined"),
            Kpi("welcome_coupon_spend", "Spend on welcome coupons", "CNY", higher_is_better=False,
                total="spend_welcome_coupons"),
            Kpi("reinvite_spend", "Staff spend on re-invites", "CNY", higher_is_better=False, total="spend_reinvites"),
            Kpi("ceremony_spend", "Staff spend on opening ceremonies", "CNY", higher_is_better=False,
                total="spend_ceremonies"))

    def __init__(self, params: OnboardingParams, index: int = 0):
        super().__init__(params, index)
        self._funnel_day = -1  # the day whose funnel it set (its costs are booked that day)
        self._new_rows, self._new_day = np.zeros(0, np.int64), -1

    @property
    def _funnel_on(self) -> bool:
        return self.params.join_probability is not None or self.params.rejoin > 0

    def plan(self, day) -> None:
        self._book_funnel(day)
        self._ceremony(day)
        self._newcomers(day)

    def _book_funnel(self, day) -> None:
        """Record and book today's funnel; set tomorrow's if it acts tomorrow (so every
        funnel it sets is booked, on the day it runs)."""
        p, g = self.params, day.groups
        today = day.model.recruiting.today  # today's funnel counts (sim.engine.arrivals)
        invitation = np.zeros(g.count)
        invitation[-1] = 1.0  # the newest group holds the invitation
        day.add_output("recruits", today.recruits * invitation)  # always: join rate = joined / recruits
        if not self._funnel_on:
            return
        mine = self._funnel_day == day.t  # it set today's funnel yesterday
        if p.when.today(day.t + 1, (day.weekday + 1) % 7):
            day.invite(p.join_probability, p.reinvite_after if p.rejoin else None, p.rejoin)
            self._funnel_day = day.t + 1
        if not mine:
            return
        joiners, rejoined = (np.pad(a, (0, g.count - len(a))) for a in (today.joiners, today.rejoined))
        day.add_output("rejoined", rejoined)
        day.add_output("reinvited", today.reinvited * invitation)
        day.cost("reinvites", p.reinvite_cost * today.reinvited * invitation)
        if p.join_probability is not None:
            day.cost("welcome_coupons", p.coupon_value * p.coupon_redeemed * (joiners + rejoined))

    def _ceremony(self, day) -> None:
        p, g = self.params, day.groups
        opening = (day.t - g.opened < p.ceremony_days).astype(float)
        if not p.ceremony_days or not opening.any():
            return
        if p.ceremony_leave:
            day.add_group_term("leave", -p.ceremony_leave * opening)
        if p.ceremony_post:
            day.add_group_term("post", p.ceremony_post * opening)
        day.cost("ceremonies", p.ceremony_cost * opening)

    def _newcomer_rows(self, day) -> np.ndarray:
        """Present newcomers' rows today (found once a day: rows do not move within a day)."""
        if self._new_day != day.t:
            m = day.members
            rows = np.flatnonzero(m.joined > day.t - self.params.newcomer_days)
            self._new_rows = rows[(m.left[rows] < 0) & ~day.model.recruiting.veteran(m.person[rows], m.joined[rows])]
            self._new_day = day.t
        return self._new_rows

    def _newcomers(self, day) -> None:
        """Posted rules, belonging, self-introductions and the DND reminder: terms for newcomers."""
        p, m = self.params, day.members
        new = self._newcomer_rows(day)
        first_day = m.joined[new] == day.t
        post = p.rules_post + p.intro_post * first_day
        if post.any():
            day.add_member_term("post", post, rows=new)
        if p.belonging_leave:
            day.add_member_term("leave", -p.belonging_leave, rows=new)
        if p.dnd_mute and first_day.any():
            day.add_member_term("mute", p.dnd_mute, rows=new[first_day])
        if p.rules_spam and day.model.spec.behavior.spam.active:
            day.add_member_term("spam", -p.rules_spam, rows=new)

    def after(self, day) -> None:
        m, n_groups = day.members, day.groups.count
        new = self._newcomer_rows(day)  # sorted rows: counted per group by runs
        posted = new[day.posted[new]]
        day.add_output("newcomers", m.group_runs(new)[:n_groups])
        day.add_output("newcomer_posts", m.group_runs(posted)[:n_groups])
        spam = day.model.spec.behavior.spam
        if spam.active:
            segment = day.model.spec.members.segment_names().index(spam.segment)
            posters = posted[m.segment[posted] == segment]
            spammers = posters[np.isin(posters, day.chosen["spam"], assume_unique=True)]
            day.add_output("newcomer_spam_posters", m.group_runs(posters)[:n_groups])
            day.add_output("newcomer_spammers", m.group_runs(spammers)[:n_groups])
