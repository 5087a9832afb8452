"""Arrivals: recruitment inflow, join decisions and trait draws for newcomers.

Day 0 starts with ``recruitment.initial_members`` members already in groups. Every day,
a Poisson number of recruits (mean ``arrivals_per_day``) reaches the group invitation
(拉新); each joins with ``join_probability`` and is routed to a group
(``sim.engine.groups.Groups.route``). Every recruit, joining or not, takes the next ``uid``, so
a recruit's identity, luck and traits do not depend on the join rate or on what
happened to earlier recruits: scenarios that recruit alike get identical arrivals.

Arrivals keep their ``source`` (0 = recruitment) and join day; referral and giveaway
sources add their own codes.
"""
from __future__ import annotations

import numpy as np

from .choices import trait_choice
from .traits import TRAITS, TraitDraws, draw_segments, stored

SOURCE_RECRUITMENT = 0


class Recruiting:
    BATCH = 1 << 17

    def __init__(self, model):
        self.model = model
        self.spec = model.spec.recruitment
        self.next_uid = 0
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
        return np.bincount(gids, minlength=m.groups.count), lost

    def _take(self, count: int) -> np.ndarray:
        uids = np.arange(self.next_uid, self.next_uid + count, dtype=np.uint32)
        self.next_uid += count
        return uids

    def admit(self, uids: np.ndarray, gids: np.ndarray, t: int, source: int) -> None:
        """Add members with their traits drawn per uid (see ``sim.engine.traits``)."""
        m = self.model
        spec = m.spec.members
        names = spec.segment_names()
        seg = draw_segments(m.streams, np.array(spec.segment_shares()), uids)
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

