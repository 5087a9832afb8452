"""Red packets (红包): the operator drops money into a group for members to grab.

**A drop.** On its days (``when``), or only in groups that have been quiet (``quiet_days``:
no member posted for that many days), the operator drops ``drops_per_day`` packets of
``amount`` CNY a group, each split into ``shares`` parts. Members grab them first come,
first served among those reading at the drop's ``hour``: a member who saw the group today
is online then with probability ``online`` · reach(hour) (reach as for operator messages,
``sim.strategies.messaging.REACH``), and the online ones grab in a random order until the
shares run out. The split is WeChat's random one (拼手气): each grab draws uniformly between
0.01 CNY and twice the mean of what is left, the last takes the rest. The money grabbed is
booked as ``red_packets`` (shares nobody grabs go back to the operator, as WeChat returns
them after a day) and each member's takings in her column ``received`` (CNY;
``members.parquet``).

**What a drop does** (seeds 000, 001: red packets, sign-ins and small rewarded tasks keep
the mood up, in short spikes unless paired with value):
- that day, members' log-odds of posting rise by ``boost`` (thanks, banter, "boss is
  generous"): a stylized fact; default 1.0, about 2.7 times the odds on a drop day;
- silent members' log-odds of waking rise by ``wake_boost`` (default 3.0: a member who wakes
  on 1 day in 200 wakes on about 1 in 10 on a drop day; the grab notification reaches her);
- nothing carries over: retention moves only through what the extra talk does to liveliness.

**Gift contagion.** Members who grabbed send packets of their own within a day: in
expectation ``reciprocity`` times what they received (default 0.18, Yuan et al.,
Management Science 2024: a recipient of 1 unit sends about 0.18 back to the group within
24 hours), ``luckiest`` times more for the biggest share of a drop (default 1.5, the same
study). Members' packets are not the operator's cost (output ``member_packets``, CNY) but
move activity: each is grabbed like the operator's, one grab (and its thanks) per share, so
they go to the channel ``gift`` as many messages as the operator's packets drew grabs per
CNY that day, times their CNY, and count toward the group's liveliness as social proof: the
days after a drop are a little livelier (``sim.engine.rules.Contagion``).

**Freebie hunters** (羊毛党, seeds 001, 002: people who join for giveaways and leave or go
silent when they stop). With ``hunters`` naming a segment of the scenario (usually one of
share 0: they come only for packets), each drop draws ``hunters_per_drop`` recruits of it
into the group, arriving the next day (a Poisson number; ``sim.engine.arrivals``, source
``giveaway``). On drop days they stay for the money: log-odds of leaving and of going silent
fall by ``hold`` (default 2.0, a stylized fact: about a seventh of their usual rate). When
the packets stop, their segment's own traits (declare them quick to leave and lapse) take
over. Defaults: no segment (nobody is attracted); ``hunters_per_drop`` 2.

Outputs: ``packets_grabbed`` (shares taken), ``packet_money`` (CNY members received from
the operator), ``member_packets``. KPI: ``red_packet_spend``.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field, model_validator

from ..analysis.kpis import Kpi
from ..engine.day import Channel, Output
from ..engine.groups import sized
from ..engine.members import Column
from ..engine.rules import LOGIT_MAX, MONEY_MAX
from .base import Strategy, StrategyParams, register
from .messaging import REACH

FLOOR = 0.01  # CNY: the smallest share WeChat gives


class RedPacketParams(StrategyParams):
    amount: float = Field(20.0, gt=0, le=MONEY_MAX, description="CNY per packet")
    shares: int = Field(20, ge=1, le=200, description="parts a packet splits into")
    drops_per_day: int = Field(1, ge=0, le=20, description="packets a group and drop day")
    hour: int = Field(20, ge=0, le=23, description="hour of the drop")
    online: float = Field(0.5, ge=0, le=1, description="share of readers online at the peak hour")
    quiet_days: int | None = Field(None, ge=1, le=365, description="drop only where no member posted for this many days")
    boost: float = Field(1.0, ge=0, le=LOGIT_MAX, description="log-odds of posting on a drop day")
    wake_boost: float = Field(3.0, ge=0, le=LOGIT_MAX, description="log-odds of waking on a drop day")
    reciprocity: float = Field(0.18, ge=0, le=10, description="CNY members send back per CNY received")
    luckiest: float = Field(1.5, ge=0, le=10, description="how many times more the biggest share sends back")
    SEGMENT_FIELDS: ClassVar[tuple[str, ...]] = ("hunters",)  # must name a segment of the scenario
    hunters: str | None = Field(None, description="segment of freebie hunters the packets attract")
    hunters_per_drop: float = Field(2.0, ge=0, le=1000, description="hunters a drop draws into the group")
    hold: float = Field(2.0, ge=0, le=LOGIT_MAX, description="log-odds against hunters leaving or lapsing on drop days")

    @model_validator(mode="after")
    def _a_fen_a_share(self):
        if self.amount < FLOOR * self.shares:
            raise ValueError(f"amount {self.amount} CNY cannot give each of {self.shares} shares 0.01 CNY")
        return self


@register
class RedPackets(Strategy):
    name = "red_packets"
    Params = RedPacketParams
    channels = (Channel("gift", social_proof=True, meaning="red packets members send, one a share-sized packet"),)
    columns = (Column("received", np.float32, 0.0, "CNY she received in red packets", per_person=True),)
    outputs = (Output("packets_grabbed", meaning="red packet shares members grabbed"),
               Output("packet_money", "amount", "CNY members received from the operator's red packets"),
               Output("member_packets", "amount", "CNY members sent in red packets of their own"))
    costs = ("red_packets",)
    kpis = (Kpi("red_packet_spend", "Spend on red packets", "CNY", higher_is_better=False,
                total="spend_red_packets"),)

    def __init__(self, params: RedPacketParams, index: int = 0):
        super().__init__(params, index)
        self._quiet: np.ndarray = np.zeros(0, np.int64)  # per group: days since a member last posted
        self._today = np.zeros(0)  # packets per group on the day being played

    def plan(self, day) -> None:
        p, g = self.params, day.groups
        drops = self._drops(day)
        if drops.any():
            day.add_group_term("post", p.boost * (drops > 0))
            day.add_group_term("wake", p.wake_boost * (drops > 0))
            if p.hunters is not None and p.hold:
                names = day.model.spec.members.segment_names()
                hunters = np.flatnonzero((day.members.segment == names.index(p.hunters))
                                         & day.members.per_member(drops > 0, bool))
                day.add_member_term("leave", -p.hold, rows=hunters)
                day.add_member_term("lapse", -p.hold, rows=hunters)
        self._today = drops

    def _drops(self, day) -> np.ndarray:
        """Packets per group today (the quiet trigger, if set, on top of ``when`` / ``where``)."""
        p = self.params
        drops = np.where(day.scope, float(p.drops_per_day), 0.0)
        if p.quiet_days is not None:
            drops[sized(self._quiet, day.groups.count) < p.quiet_days] = 0
        return drops

    def after(self, day) -> None:
        p, m, g = self.params, day.members, day.groups
        self._quiet = np.where(day.posts_by_group[: g.count] > 0, 0, sized(self._quiet, g.count) + 1)
        drops = self._today
        if drops.any() and p.hunters is not None and p.hunters_per_drop:
            expected = drops * p.hunters_per_drop
            day.attract(p.hunters, day.stream().generator(day.t, "hunters").poisson(expected))
        if drops.any():
            sent, grabs, taken = self._grab(day, drops)
            day.cost("red_packets", taken)  # what nobody grabs goes back to the operator's wallet
            day.add_output("member_packets", sent)
            day.send("gift", sent * grabs / np.maximum(drops * p.amount, FLOOR))

    def _grab(self, day, drops: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Shares grabbed first come, first served; returns (members' packets sent back, CNY;
        shares grabbed; CNY grabbed), per group."""
        p, m = self.params, day.members
        stream = day.stream()
        rows = np.flatnonzero(day.seen & m.per_member(drops > 0, bool))
        # one uniform each: online if u < q, and among the online, the smaller u the quicker
        q = p.online * REACH[p.hour]
        u = stream.uniform(day.t, m.uid[rows], "grab")
        group_of = m.group[rows]
        online = m.group_runs(rows[u < q])[: len(drops)]
        # only the quickest few per group can grab: keep those under a bound that leaves at
        # least twice the shares on average, and every online member of a group it would starve
        bound = q * np.minimum(2 * p.shares / np.maximum(online, 1), 1.0)
        quick = u < bound[group_of]
        starved = m.group_runs(rows[quick])[: len(drops)] < np.minimum(online, p.shares)
        if starved.any():
            quick |= (u < q) & starved[group_of]
        rows, u, group_of = rows[quick], u[quick], group_of[quick]
        kept = m.group_runs(rows)[: len(drops)]  # rows are still in row order
        rows = rows[np.argsort(group_of + u.astype(np.float64), kind="stable")]  # by group, then quickest
        starts = np.cumsum(kept) - kept
        group = np.repeat(np.flatnonzero(drops), drops[drops > 0].astype(np.int64))  # one entry a packet
        amounts = split(p.amount, p.shares, len(group), stream.generator(day.t, "split"))
        k = np.minimum(online[group], p.shares)  # shares nobody online grabs go back to the operator
        packet = np.repeat(np.arange(len(group)), k)
        place = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)  # 0..k-1 within each packet
        got = np.bincount(np.repeat(starts[group], k) + place, weights=amounts[packet, place], minlength=len(rows))
        grabbed = amounts.copy()
        grabbed[np.arange(p.shares) >= k[:, None]] = -1
        luckiest = np.zeros(len(rows), bool)
        luckiest[(starts[group] + grabbed.argmax(axis=1))[k > 0]] = True
        taken = got > 0
        m.column("received")[rows[taken]] += got[taken].astype(np.float32)
        n_groups = len(drops)
        grabs = np.bincount(group, weights=k, minlength=n_groups)
        day.add_output("packets_grabbed", grabs)
        money = np.bincount(m.group[rows], weights=got, minlength=n_groups)
        day.add_output("packet_money", money)
        back = p.reciprocity * got * np.where(luckiest, p.luckiest, 1.0)
        return np.bincount(m.group[rows], weights=back, minlength=n_groups), grabs, money


def split(amount: float, shares: int, packets: int, gen: np.random.Generator) -> np.ndarray:
    """WeChat's random split (拼手气) of ``packets`` packets, one row each: every grab draws
    uniformly between 0.01 CNY and twice the mean of what is left, in whole fen, leaving
    each later share at least a fen; the last share takes the rest. Rows sum to ``amount``."""
    fen = np.full(packets, int(round(amount * 100)), np.int64)
    out = np.zeros((packets, shares))
    for i in range(shares - 1):
        left = shares - i
        top = np.maximum(2 * fen // left, 1)
        draw = np.minimum(1 + (gen.random(packets) * top).astype(np.int64), fen - (left - 1))
        out[:, i] = draw / 100
        fen -= draw
    out[:, -1] = fen / 100
    return out
