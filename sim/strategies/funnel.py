"""Recruitment funnel (拉新漏斗, seed 004: a 7-step funnel from app users to the right group, a
metric on every step; the app-to-WeChat jump loses most): stages, a pass rate and a cost per
person at each, and re-invites of non-joiners (seed 001). Registered (and written in scenarios)
as ``recruitment_funnel``.

**Stages** (fixed names, so the outputs are the same in every scenario). The scenario's recruits
(``recruitment.arrivals_per_day``) are the top of the funnel: people *reached* (an ad
impression, an app user shown the offer). A reached person adds the operator as a WeChat friend
(*added*, 加好友: seed 004's landing page and app-to-WeChat jump) with probability ``add_rate``;
an added friend passes the identity check (*verified*, 身份核验: seed 004 checks the
registration phone and shop photos, and keeps consumers out) with ``verify_rate``; a verified
friend joins the group (*joined*) with ``join_rate``. The funnel replaces
``recruitment.join_probability``: a recruit joins with the product of the three rates.

**One draw per person.** The engine decides joining by ``uniform("join", t, uid) < p``
(``sim.engine.arrivals``); the strategy sets ``p`` = ``add_rate`` · ``verify_rate`` ·
``join_rate`` for each day of its schedule (``Day.invite``), and counts a recruit as passing
stage k when the same draw is under the product of the first k rates. So counts never rise from
stage to stage, the joined equal the engine's joiners exactly (a recruit the draw admits but a
full group turns away, ``lost_full``, is verified and not joined), and a higher rate at any stage
admits a superset of the same people (common random numbers).

**Re-invites** (seed 001: a manual private follow-up adds about 10 points of join rate).
Verified friends who did not join are invited again ``reinvite_after`` days later (default 2,
"a couple of days"; as ``onboarding``) and join then with probability ``rejoin``; those who never
added the friend cannot be messaged and those who failed the check are not wanted, so only
verified non-joiners are re-invited. Default ``rejoin`` 0 (no follow-up: it costs staff time, so
it is a choice); seed 001's figure is 1/3 at a 70% join rate (10 of the 30 points who stayed out),
as ``scenarios/funnel.yaml`` sets it. Each day's non-joiners are re-invited once and a re-invited
joiner is counted once (``funnel_rejoined``, not again in ``funnel_joined``).

**Defaults** are the scenario's recruitment, counted: ``add_rate`` and ``verify_rate`` 1 (no
such stage: the seeds give no figure, only that the jump loses most; ``scenarios/funnel.yaml``
sets stylized ones), ``join_rate`` None (the scenario's ``recruitment.join_probability``, whose
0.7 in the ready scenarios is seed 001's "up to ~70% of added friends join with a welcome
coupon"). Costs (CNY per person reaching the stage, default 0: the baseline books no recruiting
spend): ``cost_reached`` (an impression; 0 for the app's own placements, seed 004's pop-ups and
banners), ``cost_added`` (per added friend: the auto-reply's small red packet and the identity
check's staff minutes), ``cost_verified`` (entering her record, seed 004's 信息审核记录),
``cost_joined`` (the welcome coupon, per joiner, re-invited ones too), ``reinvite_cost`` per
re-invite (default 2 CNY, a private message, as ``messaging`` and ``onboarding``).

**Where counts go.** Per (day, group) outputs are attributed to the groups receiving the day's
joiners: a joiner to her group, anyone else to the group of the next joiner in arrival order (the
invitation she saw), else the day's last one, else the newest open group; re-invites the same way
among that day's re-invited. Costs follow the counts. A day before any group exists (nobody has
joined yet) records nothing.

**Composition.** The funnel is the programme's invitation, not a group's: with any stage or
re-invite on, ``where``, ``when.stage`` and ``when.group_age`` are refused (one-line error). Only
one strategy may set the funnel: ``onboarding`` with a welcome offer or re-invites beside a
funnel that sets it is refused when the run starts (``Day.invite``); leave the offer
(``onboarding.join_probability: null, rejoin: 0``) and put its rate in ``join_rate``. With the
funnel off (the defaults) it only counts, whatever sets the join rate.

Outputs per (day, group): ``funnel_reached``, ``funnel_added``, ``funnel_verified``,
``funnel_joined``, ``funnel_reinvited``, ``funnel_rejoined`` and ``funnel_spend`` (CNY, the sum of
its cost categories). KPIs: the same, summed over the run.
"""
from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from ..analysis.kpis import Kpi
from ..engine.day import Day, Output
from ..engine.rules import MONEY_MAX
from .base import Strategy, StrategyParams, register

STAGES = ("reached", "added", "verified", "joined")  # in order; each a subset of the one before
COSTS = ("funnel_reach", "funnel_add", "funnel_verify", "funnel_join", "funnel_reinvite")


class FunnelParams(StrategyParams):
    add_rate: float = Field(1.0, ge=0, le=1, description="share of people reached who add the friend (1: no "
                            "such stage; seed 004: the app-to-WeChat jump loses most)")
    verify_rate: float = Field(1.0, ge=0, le=1, description="share of added friends passing the identity "
                               "check (1: no check)")
    join_rate: float | None = Field(None, ge=0, le=1, description="share of verified friends who join the "
                                    "group (None: recruitment.join_probability; seed 001: up to ~0.7)")
    cost_reached: float = Field(0.0, ge=0, le=MONEY_MAX, description="CNY per person reached (impression)")
    cost_added: float = Field(0.0, ge=0, le=MONEY_MAX, description="CNY per added friend (auto-reply, check)")
    cost_verified: float = Field(0.0, ge=0, le=MONEY_MAX, description="CNY per verified friend (record entry)")
    cost_joined: float = Field(0.0, ge=0, le=MONEY_MAX, description="CNY per joiner (welcome coupon)")
    reinvite_after: int = Field(2, ge=1, le=365, description="days until verified non-joiners are invited again")
    rejoin: float = Field(0.0, ge=0, le=1, description="share of re-invited who join (0: no re-invites; "
                          "seed 001: 1/3 at a 70% join rate, +10 points)")
    reinvite_cost: float = Field(2.0, ge=0, le=MONEY_MAX, description="CNY of staff time per re-invite")

    @property
    def sets_funnel(self) -> bool:
        """Whether it changes who joins (else it only counts the scenario's recruitment)."""
        return self.add_rate < 1 or self.verify_rate < 1 or self.join_rate is not None or self.rejoin > 0

    @model_validator(mode="after")
    def _funnel_is_the_programmes(self):
        if self.sets_funnel and (self.where != type(self.where)() or self.when.stage is not None
                                 or self.when.group_age is not None):
            raise ValueError("the funnel is the programme's invitation, not a group's: leave where, when.stage "
                             "and when.group_age unset (or leave every rate at its default to only count)")
        return self


def thresholds(add_rate: float, verify_rate: float, join_rate: float) -> tuple[float, float, float]:
    """The join-draw thresholds of added, verified and joined: running products of the rates
    (non-increasing, the last the engine's join probability)."""
    added = add_rate
    verified = added * verify_rate
    return added, verified, verified * join_rate


def attribute(count: int, placed: np.ndarray, groups: np.ndarray, fallback: int) -> np.ndarray:
    """Group per person 0 .. count - 1 (in arrival order): the placed (positions ``placed``,
    ascending, in ``groups``) their own, anyone else the next placed one's, else the last's,
    else ``fallback``."""
    if not len(placed):
        return np.full(count, fallback, np.int64)
    after = np.searchsorted(placed, np.arange(count))
    return groups[np.minimum(after, len(placed) - 1)].astype(np.int64)


def stage_counts(draws: np.ndarray, cuts: tuple[float, float, float], joined: np.ndarray, group_of: np.ndarray,
                 n_groups: int) -> dict[str, np.ndarray]:
    """Per group, the people reaching each stage: a draw under the k-th cut passed stage k;
    ``joined`` marks those who also got a seat (the engine's joiners)."""
    masks = {"reached": np.ones(len(draws), bool), "added": draws < cuts[0], "verified": draws < cuts[1],
             "joined": joined}
    return {s: np.bincount(group_of[m], minlength=n_groups) for s, m in masks.items()}


@register
class RecruitmentFunnel(Strategy):
    name = "recruitment_funnel"  # not "funnel": the engine's invitation funnel (Day.invite) has that word
    Params = FunnelParams
    outputs = (*(Output(f"funnel_{s}", meaning=m) for s, m in (
        ("reached", "people reached (the scenario's recruits: impressions, app users shown the offer)"),
        ("added", "of them, added the operator as a WeChat friend"),
        ("verified", "of them, passed the identity check"),
        ("joined", "of them, joined a group (the engine's fresh joiners)"),
        ("reinvited", "verified non-joiners of an earlier day invited again"),
        ("rejoined", "of them, joined"))),
        Output("funnel_spend", kind="amount", meaning="CNY booked by the funnel (all its cost categories)"))
    costs = COSTS
    kpis = (*(Kpi(f"funnel_{s}", f"Funnel: {s}", "people", total=f"funnel_{s}") for s in (*STAGES, "reinvited")),
            Kpi("funnel_rejoined", "Funnel: joined when re-invited", "people", total="funnel_rejoined"),
            Kpi("funnel_spend", "Spend on the recruitment funnel", "CNY", higher_is_better=False,
                total="funnel_spend"))

    def __init__(self, params: FunnelParams, index: int = 0):
        super().__init__(params, index)
        self._set_days: set[int] = set()  # days whose funnel it set

    def _cuts(self, scenario_p: float) -> tuple[float, float, float]:
        p = self.params
        return thresholds(p.add_rate, p.verify_rate, scenario_p if p.join_rate is None else p.join_rate)

    def setup(self, model) -> None:
        """Set the funnel of every day of its schedule now, day 0 too (recruits arrive before
        strategies plan; and a day without a group, when it is not called, keeps its funnel)."""
        p = self.params
        if not p.sets_funnel:
            return
        cuts = self._cuts(model.spec.recruitment.join_probability)
        for t in range(model.spec.days):
            if p.when.today(t, (t + model.spec.start_weekday) % 7):
                eve = Day(model, t - 1)  # the invitation for day t is set the day before
                eve.actor = self
                eve.invite(cuts[2], p.reinvite_after if p.rejoin else None, p.rejoin, reachable=cuts[1])
                self._set_days.add(t)

    def plan(self, day) -> None:
        p, today = self.params, day.model.recruiting.today
        if p.sets_funnel and day.t not in self._set_days:
            return  # the day's recruits met the scenario's invitation, not this funnel
        cuts = self._cuts(day.model.spec.recruitment.join_probability) if p.sets_funnel \
            else (1.0, 1.0, today.join_probability)  # off: the stages pass everyone, the join is whatever it was
        if p.sets_funnel and cuts[2] != today.join_probability:
            raise RuntimeError(f"funnel: day {day.t} joined with {today.join_probability}, not its {cuts[2]}")
        n_groups, fallback = day.groups.count, int(np.flatnonzero(day.scope)[-1])
        fresh = today.placed >= today.first_uid if len(today.placed) else np.zeros(0, bool)
        position = (today.placed[fresh] - today.first_uid).astype(np.int64)
        order = np.argsort(position, kind="stable")
        position, groups = position[order], today.placed_groups[fresh][order]
        joined = np.zeros(today.recruits, bool)
        joined[position] = True
        counts = stage_counts(today.draws, cuts, joined, attribute(today.recruits, position, groups, fallback),
                              n_groups)
        back, back_groups = today.placed[~fresh], today.placed_groups[~fresh]
        where = np.searchsorted(today.reinvitees, back)
        order = np.argsort(where, kind="stable")
        group_of = attribute(len(today.reinvitees), where[order], back_groups[order], fallback)
        counts["reinvited"] = np.bincount(group_of, minlength=n_groups)
        counts["rejoined"] = np.bincount(back_groups, minlength=n_groups)
        for stage, values in counts.items():
            day.add_output(f"funnel_{stage}", values)
        self._book(day, counts)

    def _book(self, day, counts: dict[str, np.ndarray]) -> None:
        p = self.params
        spend = {"funnel_reach": p.cost_reached * counts["reached"], "funnel_add": p.cost_added * counts["added"],
                 "funnel_verify": p.cost_verified * counts["verified"],
                 "funnel_join": p.cost_joined * (counts["joined"] + counts["rejoined"]),
                 "funnel_reinvite": p.reinvite_cost * counts["reinvited"] * (p.rejoin > 0)}  # its own re-invites
        for category, amount in spend.items():
            day.cost(category, amount)
        day.add_output("funnel_spend", sum(spend.values()))
