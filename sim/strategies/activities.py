"""Activities: the weekly calendar of group activities (活动日历, SOP) that gives members
something to expect: sign-in (打卡), relay (接龙), quiz, member-led and expert-led sharing
sessions (嘉宾分享会).

One instance is one activity ``kind``, held on the days its ``when`` allows (usually
``when.weekdays``; ``when.stage`` for a lifecycle stage) in the groups its ``where`` allows;
a calendar is a list of instances (``scenarios/sop_calendar.yaml``). Seeds 000 and 001:
sign-ins, relays and small rewarded tasks keep the mood up; seeds 001 and 004: points +
welfare and a weekly activity calendar give members something to expect, so scheduled
activities raise return probability on those days; seed 004: sharing sessions where
members share beat expert talks.

**What an activity does, on its day, in its groups:**
- ``participation``: log-odds of posting (members sign in, add to the relay, answer);
- ``return_boost``: log-odds of waking for silent members (the announcement brings them
  back) and the same against lapsing for the engaged (they have a reason to read today);
- ``value``: value messages it adds, on the operator's channel ``value`` read at its
  ``hour``'s reach (``sim.strategies.messaging.REACH``), so content, trust and fatigue take
  it as they take the operator's useful messages (``sim.engine.rules``);
- ``talk``: messages its host writes (prompts, questions, a guest's talk) on the channel
  ``activity``, each counting ``proof`` of a member's message toward the group's liveliness
  (``sim.engine.rules.Contagion``): a member sharing is a peer talking (1), an invited expert
  a lecture members hear rather than join in (0.3);
- cost: ``prize`` CNY per group and activity (points redeemed for welfare, prizes, a gift to
  the sharing member, an expert's fee), booked as ``activity_prizes``, and ``staff_hours`` at
  ``hourly_rate`` (default 50 CNY, as ``messaging``'s 2 CNY a 2-3 minute message), booked as
  ``activity_staff``.
Nothing carries over by itself: later days move only through what the day did to
liveliness, lapse, trust and fatigue.

**Defaults by kind** (a field left out takes its kind's value; every number is a stylized
fact, none a published figure; the ordering follows the seeds: sign-in and relay are cheap
talk-makers with no content, a quiz adds some, sharing sessions are the content events, and
member-led sessions count more as value and as social proof than expert-led ones, seed 004):

| kind | hour | participation | return_boost | value | talk | proof | prize CNY | staff h |
|---|---|---|---|---|---|---|---|---|
| sign_in | 8 | 1.0 | 0.3 | 0 | 1 | 0 | 2 | 0.05 |
| relay | 20 | 0.8 | 0.3 | 0 | 1 | 0 | 10 | 0.25 |
| quiz | 20 | 0.6 | 0.5 | 1 | 5 | 0 | 20 | 0.5 |
| member_sharing | 20 | 0.5 | 1.0 | 2 | 30 | 1.0 | 50 | 1.5 |
| expert_sharing | 20 | 0.5 | 1.0 | 1 | 30 | 0.3 | 300 | 1.5 |

Participation 1.0 is red packets' same-day boost (``sim.strategies.red_packets``), for the
activity whose whole point is that everyone posts; return 1.0 a third of a red packet's
wake boost (no money at stake). Prizes: a sign-in's points redeemed at about 60 CNY a group
and month; a gift to the sharing member; an expert's fee of a few hundred CNY.

Output ``activities_held`` per (day, group) (summed over instances); the host's messages
are ``activity_msgs``. KPIs: ``activity_prize_spend``, ``activity_staff_spend``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from ..analysis.kpis import Kpi
from ..engine.day import Channel, Output
from ..engine.rules import LOGIT_MAX, MONEY_MAX
from .base import Strategy, StrategyParams, register
from .messaging import REACH

Kind = Literal["sign_in", "relay", "quiz", "member_sharing", "expert_sharing"]


@dataclass(frozen=True)
class Setting:
    """One activity's effective settings (its own, or its kind's defaults)."""
    hour: int
    participation: float
    return_boost: float
    value: float
    talk: float
    proof: float
    prize: float
    staff_hours: float


# stylized facts; see the module docstring's table
KINDS: dict[str, Setting] = {
    "sign_in": Setting(8, 1.0, 0.3, 0.0, 1.0, 0.0, 2.0, 0.05),
    "relay": Setting(20, 0.8, 0.3, 0.0, 1.0, 0.0, 10.0, 0.25),
    "quiz": Setting(20, 0.6, 0.5, 1.0, 5.0, 0.0, 20.0, 0.5),
    "member_sharing": Setting(20, 0.5, 1.0, 2.0, 30.0, 1.0, 50.0, 1.5),
    "expert_sharing": Setting(20, 0.5, 1.0, 1.0, 30.0, 0.3, 300.0, 1.5),
}
BY_KIND = " (none: the kind's default)"


class ActivityParams(StrategyParams):
    kind: Kind = Field("sign_in", description="the activity: sign_in, relay, quiz, member_sharing, expert_sharing")
    hour: int | None = Field(None, ge=0, le=23, description="hour it is held (0-23)" + BY_KIND)
    participation: float | None = Field(None, ge=0, le=LOGIT_MAX,
                                        description="log-odds of posting on its day" + BY_KIND)
    return_boost: float | None = Field(None, ge=0, le=LOGIT_MAX, description="log-odds of waking for silent "
                                       "members, and against lapsing, on its day" + BY_KIND)
    value: float | None = Field(None, ge=0, le=50, description="value messages it adds, read at its hour's "
                                "reach" + BY_KIND)
    talk: float | None = Field(None, ge=0, le=1000, description="messages its host writes (channel activity)" + BY_KIND)
    proof: float | None = Field(None, ge=0, le=1, description="social proof of a host message, in members' "
                                "messages (1: a peer)" + BY_KIND)
    prize: float | None = Field(None, ge=0, le=MONEY_MAX, description="CNY of prizes / welfare / fees per group "
                                "and activity" + BY_KIND)
    staff_hours: float | None = Field(None, ge=0, le=24, description="staff hours per group and activity" + BY_KIND)
    hourly_rate: float = Field(50.0, ge=0, le=MONEY_MAX, description="CNY per staff hour")

    def setting(self) -> Setting:
        """The settings in effect: each field given, else the kind's default."""
        kind = KINDS[self.kind]
        return Setting(**{f: getattr(kind, f) if getattr(self, f) is None else getattr(self, f)
                          for f in Setting.__dataclass_fields__})


@register
class Activities(Strategy):
    name = "activities"
    Params = ActivityParams
    channels = (Channel("activity", social_proof=True,
                        meaning="messages of an activity's host (prompts, a sharing guest's talk), each "
                                "counting its proof weight toward liveliness"),)
    outputs = (Output("activities_held", meaning="activities held in the group that day (all kinds)"),)
    costs = ("activity_prizes", "activity_staff")
    kpis = (Kpi("activity_prize_spend", "Spend on activity prizes, welfare and fees", "CNY",
                higher_is_better=False, total="spend_activity_prizes"),
            Kpi("activity_staff_spend", "Staff spend on activities", "CNY", higher_is_better=False,
                total="spend_activity_staff"))

    def __init__(self, params: ActivityParams, index: int = 0):
        super().__init__(params, index)
        self.setting = params.setting()

    def plan(self, day) -> None:
        s = self.setting
        day.add_output("activities_held", 1.0)
        if s.participation:
            day.add_group_term("post", s.participation)
        if s.return_boost:
            day.add_group_term("wake", s.return_boost)
            day.add_group_term("lapse", -s.return_boost)
        if s.value:
            day.send("value", s.value, s.value * REACH[s.hour])
        if s.talk:
            day.send("activity", s.talk, proof=s.talk * s.proof)
        day.cost("activity_prizes", s.prize)
        day.cost("activity_staff", s.staff_hours * self.params.hourly_rate)
