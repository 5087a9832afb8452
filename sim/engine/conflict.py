"""Conflict between opposed segments sharing a group (``behavior.conflict``, ``sim.engine.rules``).

``Conflict`` is the mechanism's parameters; ``ConflictRule`` computes each member's daily
exposure and gives the member rules its term on leaving and its wear on trust.
"""
from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator

from .mechanism import LOGIT_MAX, Mechanism


class Conflict(Mechanism):
    """Conflict (群危机, seed 004): putting members of conflicting identities in one group —
    physical shops and online sellers, who undercut each other — starts fights; the
    playbook splits groups by region, loyalty, identity type and channel (seeds 003, 004)
    so that it does not happen. Off unless ``opposed`` names pairs of member segments.

    A member's **exposure** on a day is the share of the other present members of her
    group who belong to a segment opposed to hers: X_i = O_g,s / (N_g − 1), with N_g the
    group's present members and O_g,s those of them in segments opposed to her segment s
    (0 in a group of one). It is 0 in a group of one segment and for a member whose segment
    is opposed to none; in a group split evenly between two opposed segments it is about
    0.5 for everyone; a lone shop among online sellers has 1. A group's mean exposure is the
    chance that two of its members picked at random are opposed, so conflict grows with the
    mix (2p(1 − p) for shares p and 1 − p), the seed's claim. Exposure is counted per
    (group, segment), from present members before today's leavers go; it is not random.

    - every present member's log-odds of leaving rise by ``leave``·X_i that day. Default
      1.5 (stylized fact; seed 004 gives no figure): an evenly mixed group multiplies its
      members' daily odds of leaving by e^0.75 ≈ 2.1, about what heavy ad fatigue does:
      in ``scenarios/push_hard.yaml`` (six messages a day, 70% ads) members' mean factor
      from fatigue at day 120 is 2.8 against 1.2 in ``scenarios/baseline.yaml`` (×2.2;
      seed 1000), and a member alone among opponents has ×4.5;
    - members who saw the group lose trust as they do from ads: trust ×= 1 − ``trust``·X_i
      (when ``behavior.trust`` is on; a person in several groups takes the sum over them,
      at most 1). Default 0.02 (stylized fact): an evenly mixed group costs a member 1% of
      her trust a day, as one operator ad seen a day does (``Trust.ad_loss`` 0.01).

    Segmented routing (``groups.routing``: each segment its own kind of group) gives every
    member exposure 0 and removes both effects; strategies' terms on ``leave`` add as usual.
    At the defaults, ``scenarios/mixed.yaml`` loses 1.04 members per 100 member-days against
    0.54 for ``scenarios/segmented.yaml`` (the same recruits routed by segment; 0.04 of the
    gap is the trust term's) and 1.37 for push_hard (6 replications, seed 1010)."""
    opposed: tuple[tuple[str, str], ...] = Field((), max_length=100, description="pairs of member segments "
                                                 "at odds in one group, e.g. [[shop, online]] (none: no conflict)")
    leave: float = Field(1.5, ge=0, le=LOGIT_MAX, description="log-odds of leaving per unit of exposure "
                         "(exposure: share of the other present members of her group in an opposed segment)")
    trust: float = Field(0.02, ge=0, le=1, description="share of trust lost per day per unit of exposure")

    @field_validator("opposed")
    @classmethod
    def _two_segments(cls, pairs):
        same = next((a for a, b in pairs if a == b), None)
        if same is not None:
            raise ValueError(f"a segment is not opposed to itself ('{same}'); name two different segments")
        return pairs

    @property
    def active(self) -> bool:
        return self.enabled and bool(self.opposed)


def without_conflict_off(self, handler):
    """``Behavior``'s serializer (``self``: the Behavior): leaves ``conflict`` out while it is
    at its defaults, so scenarios without it keep their digest."""
    data = handler(self)
    if self.conflict == Conflict():
        data.pop("conflict", None)
    return data


class ConflictRule:
    """Each member's exposure to opposed segments (``Conflict``), for one model's member rules."""

    def __init__(self, conflict: Conflict):
        self.conflict = conflict
        self._opposed: np.ndarray | None = None  # S x S: segment a opposed to segment b, found on the first day
        self._day = None
        self._exposure: np.ndarray | None = None

    def terms(self, choice: str, day=None) -> list[tuple[float, np.ndarray | None, None]]:
        """Member log-odds terms of ``choice`` (as ``Rules._member_terms``): on ``leave``,
        ``leave``·exposure. Its column has no maximum given to the gates on purpose: a known
        maximum of 1 would widen every member's gate e^``leave`` times, mixed group or not;
        as an unbounded term only rows whose terms pass the gates' bound are tested exactly
        (``sim.engine.draws``). ``day`` None: the column is not needed (gates' bounds)."""
        if not self.conflict.active or choice != "leave":
            return []
        return [(self.conflict.leave, None if day is None else self.exposure(day), None)]

    def exposure(self, day) -> np.ndarray:
        """Every row's exposure today (float32; see ``Conflict``), computed once a day from
        counts per (group, segment) of present members."""
        if self._day is day:
            return self._exposure
        m = day.members
        opposed = self._matrix(day)
        involved = np.flatnonzero(opposed.any(axis=1))
        counts = np.zeros((len(m.row_counts), len(opposed)), np.float64)
        for s in involved:
            counts[:, s] = m.count_by_group(day.present & (m.segment == s))
        others = np.maximum(m.count_by_group(day.present) - 1, 1)
        table = (counts @ opposed.T.astype(np.float64)) / others[:, None]  # [g, s]: opposed to s, per other
        self._exposure = table.astype(np.float32).ravel()[m.group.astype(np.int64) * len(opposed) + m.segment]
        self._day = day
        return self._exposure

    def wear_trust(self, day, seen: np.ndarray, trust_on: bool) -> None:
        """Trust ×= 1 − ``trust``·exposure for members who saw the group (``Conflict``)."""
        c = self.conflict
        if not (c.active and trust_on and c.trust > 0):
            return
        m = day.members
        loss = self.exposure(day) * np.float32(c.trust)
        loss *= seen
        if m.several:  # her groups' losses add up, as trust is the person's
            loss = np.minimum(m.person_sum(loss, day.present), np.float32(1))
        trust = m.trust  # in place: assigning m.trust would pin a view of today's rows
        trust *= np.float32(1) - loss

    def _matrix(self, day) -> np.ndarray:
        if self._opposed is None:
            names = day.model.spec.members.segment_names()
            opposed = np.zeros((len(names), len(names)), bool)
            for a, b in self.conflict.opposed:
                for s in (a, b):
                    if s not in names:
                        raise KeyError(f"behavior.conflict.opposed: no segment '{s}'; the segments are {names}")
                opposed[names.index(a), names.index(b)] = opposed[names.index(b), names.index(a)] = True
            self._opposed = opposed
        return self._opposed
