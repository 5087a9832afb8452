"""Group kinds (seed 001): what kind of group a member is routed into, and what that does.

Seed 001 names three kinds a programme runs, often at once: basic welfare / flash-sale groups
(福利群, 秒杀群: weak ties, heavy operations), precise / VIP groups (会员群, 精英群: strong ties,
light operations, members who already know and buy the brand) and distribution / class groups
(商学院, 班级群: heavy operations, high return: they convert and they bring new members). A
scenario declares its kinds under ``groups.kinds``; without them every group is one kind,
``group``, with no effect (today's model). Each kind sets, for its groups:

- ``capacity`` — members per group (None: ``groups.capacity``; seed 003: 200-300 for intensive
  operations, 400-500 typical);
- ``trust`` — the trust of a member who joins one of them (0..1; None: ``behavior.trust.initial``):
  the baseline trust of the kind (only read when ``behavior.trust`` is on);
- ``ties`` — log-odds against leaving, a day, for every member of its groups (strong ties > 0,
  weak ties < 0);
- ``buy`` — log-odds of ordering when pushed (conversion);
- ``refer`` — multiple of members' odds of inviting a friend (read by a campaign of invitations, 裂变);
- ``effort`` — the operator's staff cost of running one of its groups, CNY a group-day, booked in
  the ledger under ``operations`` for every open group with members;
- ``routable`` — recruits are routed to it (false: a tier or VIP group members reach only when a
  strategy enrols them (heavy users moved up a tier); ``groups`` of them open on day 0);
- ``share`` — its weight among the routable kinds for recruits no ``groups.routing`` rule sends.

``like`` starts a kind from a preset (``PRESETS``), any field written overriding it. The presets
are stylized facts with the direction seed 001 gives and sizes of the same order as the other
levers (seed 001 gives no figures): a VIP group keeps its members (``ties`` 0.4: a daily leaving
hazard about a third lower) and converts (``buy`` 0.5) on a third of a welfare group's staff time;
a class group converts and refers most on the most staff time. Efforts: a welfare group is about an
hour of an operator's day (30 CNY), a class group two, a VIP group a third of one.

**Routing** (seeds 003, 004: split groups by region, loyalty, identity type, channel):
``groups.routing`` maps a segment to a routable kind; recruits of other segments go to a routable
kind drawn by ``share`` (purpose ``kind``, keyed by uid: the same recruit picks the same kind in
every scenario with the same kinds). Each routable kind keeps its own invitation and its own run of
groups (``sim.engine.groups``).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

import numpy as np

DEFAULT_KIND = "group"  # the one kind of a scenario that declares none
LOGIT = 10.0  # bound of a kind's log-odds terms

PRESETS: dict[str, dict] = {  # stylized facts (see the module docstring)
    "welfare": {"ties": -0.2, "buy": 0.0, "refer": 1.0, "effort": 30.0},
    "vip": {"ties": 0.4, "buy": 0.5, "refer": 1.5, "effort": 10.0, "capacity": 200},
    "class": {"ties": 0.2, "buy": 0.7, "refer": 2.0, "effort": 60.0, "capacity": 300},
}


class GroupKind(BaseModel):
    """One kind of group (see the module docstring)."""
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    name: str = Field(pattern=r"^[A-Za-z_][\w-]{0,39}$", description="the kind's name, as tables show it")
    like: str | None = Field(None, description=f"start from a preset: {', '.join(PRESETS)}")
    share: float = Field(1.0, ge=0, le=1e6, description="weight among routable kinds for recruits no routing "
                                                        "rule sends")
    routable: bool = Field(True, description="recruits are routed to it (false: a tier group strategies enrol into)")
    groups: int = Field(1, ge=0, le=10_000, description="groups of a kind that is not routable, opened on day 0")
    capacity: int | None = Field(None, ge=1, le=2000, description="members per group (none: groups.capacity)")
    trust: float | None = Field(None, ge=0, le=1, description="trust of a member joining it (none: "
                                                              "behavior.trust.initial)")
    ties: float = Field(0.0, ge=-LOGIT, le=LOGIT, description="log-odds against leaving a day (strong ties > 0)")
    buy: float = Field(0.0, ge=-LOGIT, le=LOGIT, description="log-odds of ordering when pushed")
    refer: float = Field(1.0, ge=0, le=100, description="multiple of members' odds of inviting a friend")
    effort: float = Field(0.0, ge=0, le=1e6, description="staff cost, CNY per group-day with members")

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data):
        if isinstance(data, dict) and data.get("like") is not None:
            if data["like"] not in PRESETS:
                raise ValueError(f"like: no preset '{data['like']}'; presets are {', '.join(PRESETS)}")
            return {**PRESETS[data["like"]], **data}
        return data


class KindTable:
    """The scenario's kinds as per-kind arrays (index = position in ``groups.kinds``)."""

    def __init__(self, kinds: tuple[GroupKind, ...] | None, capacity: int, trust: float):
        kinds = kinds or (GroupKind(name=DEFAULT_KIND),)
        self.kinds = kinds
        self.names = [k.name for k in kinds]
        self.capacity = np.array([k.capacity or capacity for k in kinds], np.int64)
        self.trust = np.array([trust if k.trust is None else k.trust for k in kinds], np.float32)
        self.ties = np.array([k.ties for k in kinds])
        self.buy = np.array([k.buy for k in kinds])
        self.refer = np.array([k.refer for k in kinds])
        self.effort = np.array([k.effort for k in kinds])
        self.routable = np.array([k.routable for k in kinds])
        self.share = np.array([k.share if k.routable else 0.0 for k in kinds])

    @property
    def active(self) -> bool:
        """Whether any kind changes what members do or what the operator spends."""
        return bool(self.ties.any() or self.buy.any() or self.effort.any())

    def route_kinds(self, streams, uids: np.ndarray, segments: np.ndarray | None,
                    routing: dict[int, int]) -> np.ndarray | None:
        """Each recruit's kind (None: all go to the one routable kind, no draw made)."""
        routable = np.flatnonzero(self.routable)
        if len(routable) == 1 and not routing:
            return None
        kind = np.full(len(uids), -1, np.int64)
        for segment, k in routing.items():
            kind[segments == segment] = k
        rest = kind < 0
        if rest.any():
            weights = self.share[routable] / self.share[routable].sum()
            u = streams.uniform("kind", 0, uids[rest])
            kind[rest] = routable[np.minimum(np.searchsorted(np.cumsum(weights), u, side="right"),
                                             len(routable) - 1)]
        return kind

    def apply(self, day, kind_of_group: np.ndarray) -> None:
        """Today's terms and staff cost of each group's kind (open groups with members)."""
        if self.ties.any():
            day.add_group_term("leave", -self.ties[kind_of_group])
        if self.buy.any():
            day.add_group_term("buy", self.buy[kind_of_group])
        if self.effort.any():
            running = (day.groups.size > 0) & ~day.groups.closed
            day.cost("operations", np.where(running, self.effort[kind_of_group], 0.0))
