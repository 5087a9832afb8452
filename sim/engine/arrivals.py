"""Arrivals: recruitment inflow, join decisions and trait draws for newcomers.

Day 0 starts with ``recruitment.initial_members`` members already in groups. Every day,
a Poisson number of recruits (mean ``arrivals_per_day``) reaches the group invitation
(拉新); each joins with ``join_probability`` and is routed to a group
(``sim.engine.groups.Groups.route``). Every recruit, joining or not, takes the next ``uid``, so
a recruit's identity, luck and traits do not depend on the join rate or on what
happened to earlier recruits: scenarios that recruit alike get identical arrivals.

Arrivals keep their ``source`` (0 = recruitment) and join day; referral and giveaway
sources add their own codes.

**Attracted recruits.** A strategy can draw recruits of one segment straight into chosen
groups (``Day.attract``: freebie hunters drawn by red packets). They arrive the next day,
source ``SOURCE_GIVEAWAY``, as many as the group has seats for, with uids from a range of
their own (from ``ATTRACTED_UID``), so the programme's ordinary recruits keep their uids,
traits and luck whether or not a strategy attracts anyone.
"""
from __future__ import annotations

import numpy as np

from .choices import trait_choice
from .traits import TRAITS, TraitDraws, draw_segments, stored

SOURCE_RECRUITMENT = 0
SOURCE_GIVEAWAY = 1
ATTRACTED_UID = 1 << 30  # ordinary recruits stay below it; added memberships' keys are >= 2^31


class Recruiting:
    BATCH = 1 << 17

    def __init__(self, model):
        self.model = model
        self.spec = model.spec.recruitment
        self.next_uid = 0
        self.next_attracted = ATTRACTED_UID
        self.attracted: list[tuple[np.ndarray, int]] = []  # (recruits per group, segment) for tomorrow
        self.trait_draws = TraitDraws(model.streams)
        # a trait no switched-on rule reads is not drawn (its column keeps its fill value):
        # drawing 10^6 members' traits costs about 0.1 s per trait
        self.traits = [t for t in TRAITS if t in model.spec.behavior.traits_in_use()]
        self.choice_of = trait_choice()  # traits stored as a choice's odds (and gate)

    def arrive(self, t: int) -> tuple[np.ndarray, int]:
        """Admit today's joiners; returns (joiners per group, recruits turned away)."""
        m = self.model
        if t == 0 and self.spec.initial_members:
            uids = self._take(self.spec.initial_members)
        else:
            uids = np.zeros(0, np.uint32)
        recruits = int(m.streams.generator("arrivals", t).poisson(self.spec.arrivals_per_day)) \
            if self.spec.arrivals_per_day > 0 else 0
        if recruits:
            new = self._take(recruits)
            joins = m.streams.uniform("join", t, new) < self.spec.join_probability
            uids = np.concatenate([uids, new[joins]])
        gids, lost = m.groups.route(len(uids), t)
        uids = uids[: len(gids)]  # recruits past a full group are turned away
        for start in range(0, len(gids), self.BATCH):  # batches bound the temporaries
            stop = start + self.BATCH
            self.admit(uids[start:stop], gids[start:stop], t, SOURCE_RECRUITMENT)
        joined = np.bincount(gids, minlength=m.groups.count)
        for per_group, segment in self.attracted:
            joined += self._admit_attracted(per_group, segment, t)
        self.attracted = []
        return joined, lost

    def _admit_attracted(self, per_group: np.ndarray, segment: int, t: int) -> np.ndarray:
        """Yesterday's attracted recruits of ``segment`` into their groups, up to the seats left."""
        g = self.model.groups
        seats = g.seats()[: len(per_group)]
        counts = np.minimum(per_group.astype(np.int64), seats)
        gids = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        uids = np.arange(self.next_attracted, self.next_attracted + len(gids), dtype=np.uint32)
        self.next_attracted += len(gids)
        g.size[: len(counts)] += counts
        g.admitted[: len(counts)] += counts
        self.admit(uids, gids, t, SOURCE_GIVEAWAY, segment)
        return np.bincount(gids, minlength=g.count)

    def _take(self, count: int) -> np.ndarray:
        uids = np.arange(self.next_uid, self.next_uid + count, dtype=np.uint32)
        self.next_uid += count
        return uids

    def admit(self, uids: np.ndarray, gids: np.ndarray, t: int, source: int, segment: int | None = None) -> None:
        """Add members with their traits drawn per uid (see ``sim.engine.traits``), of
        ``segment`` if given, else each of the segment her own draw picks."""
        m = self.model
        spec = m.spec.members
        names = spec.segment_names()
        seg = draw_segments(m.streams, np.array(spec.segment_shares()), uids) if segment is None \
            else np.full(len(uids), segment, np.int8)
        values = {}
        for trait in self.traits:
            v = np.empty(len(uids))
            for k, name in enumerate(names):
                sel = seg == k
                if sel.any():
                    v[sel] = self.trait_draws.draw(trait, spec.dist(name, trait), uids[sel])
            choice = self.choice_of.get(trait)
            if choice is not None:
                p = np.clip(v, 1e-9, 1 - 1e-9)
                odds = values[choice.odds_column] = (p / (1 - p)).astype(np.float32)
                if choice.rare:
                    values[choice.gate_column] = m.rules.gate(choice.name, odds)
            else:
                column, kept = stored(trait, v)
                values[column] = kept
        trust = m.spec.behavior.trust
        m.members.add(len(uids), uid=uids, person=uids, group=gids, segment=seg, source=source, joined=t,
                      trust=trust.initial if trust.enabled else 0.0, **values)

