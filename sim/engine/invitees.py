"""Invitees (裂变): friends that members bring, when a strategy has them invite (``Day.refer``,
a ``Referral`` per call: one friend per inviter row). They arrive the next day, source ``SOURCE_REFERRAL``,
uids from a range of their own (from ``REFERRAL_UID``, so ordinary recruits keep theirs), each
into her inviter's group while it has seats (in the order invited), the rest routed as the
day's recruits are (``Groups.route``: the newest open group; turned away, and counted lost,
when it is full and does not auto-switch). Friends come into their inviter's group (or kind)
whatever their own segment, as a member's invitation does: with ``rho`` below 1 an invitee of
another segment than her inviter's is not routed by ``groups.routing``. Her segment is her inviter's with probability
``rho``, else her own draw's; her traits resemble her inviter's with strength ``rho``
(``sim.engine.traits.resembling``: a Gaussian copula), from draws of purposes ``trait.segment.invitee`` and ``trait.<T>.invitee`` keyed
by her uid. ``Invitees`` (owned by ``sim.engine.arrivals.Recruiting``, which admits them
after the day's recruits) keeps each invitee's inviter (``inviter_of``), the day she was
invited (``invited_on``), and holds the day's admitted invitees in ``referred_today`` (uids,
inviters). An invitee resembles her inviter as the inviter was the day she invited
(``Invitees.scores_of``, from the values the inviter's columns keep).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .traits import STORED_AS, kept_value, normal_score, resembling

SOURCE_REFERRAL = 3  # a friend a member invited (Day.refer)
REFERRAL_UID = 3 << 29  # invitees: above attracted recruits' 2^29 uids, below added memberships' keys


@dataclass(frozen=True)
class Referral:
    """One strategy's accepted invitations of a day, one entry per invitee (``Day.refer``):
    her inviter (person), the inviter's group and segment, and how much she resembles her
    inviter (``rho`` in [0, 1], the homophily of ``sim.engine.traits.resembling``)."""
    inviters: np.ndarray
    groups: np.ndarray
    segments: np.ndarray
    rho: float = 0.0
    scores: dict | None = None  # trait -> the inviters' normal scores (``Invitees.scores_of``), when rho > 0

    def pick(self, rows) -> "Referral":
        scores = None if self.scores is None else {t: z[rows] for t, z in self.scores.items()}
        return Referral(self.inviters[rows], self.groups[rows], self.segments[rows], self.rho, scores)


class Invitees:
    """The invitees of one run: who invited whom, and their admission (``Recruiting`` owns it)."""

    def __init__(self, recruiting):
        self.recruiting = recruiting
        self.model = recruiting.model
        self.referred: list[Referral] = []  # accepted today, arriving tomorrow
        self.next_referred = REFERRAL_UID
        self.inviter_by_uid = np.zeros(0, np.int64)  # per invitee (uid - REFERRAL_UID): her inviter
        self.invited_on = np.zeros(0, np.int16)      # ... and the day she was invited
        self.referred_today = (np.zeros(0, np.uint32), np.zeros(0, np.int64))  # (uids, inviters) admitted today

    def inviter_of(self, persons: np.ndarray) -> np.ndarray:
        """Each person's inviter (a person), -1 for those who came another way."""
        k = np.asarray(persons, np.int64) - REFERRAL_UID
        known = (k >= 0) & (k < len(self.inviter_by_uid))
        return np.where(known, self.inviter_by_uid[np.where(known, k, 0)] if len(self.inviter_by_uid) else -1, -1)

    def admit(self, joined: np.ndarray, lost: int, t: int) -> tuple[np.ndarray, int]:
        """Yesterday's invitees, source ``SOURCE_REFERRAL``, uids from ``REFERRAL_UID``: each
        into her inviter's group while it has seats (in the order invited), the rest routed as
        the day's recruits are (the newest open group; turned away when full, counted lost)."""
        g = self.model.groups
        batches, self.referred = self.referred, []
        self.referred_today = (np.zeros(0, np.uint32), np.zeros(0, np.int64))
        kept_uids, kept_inviters = [], []
        for batch in batches:
            n = len(batch.inviters)
            if not n:
                continue
            if self.next_referred + n > 1 << 31:  # added memberships' keys start there
                raise ValueError(f"more than {(1 << 31) - REFERRAL_UID:,} invitees in one run")
            uids = np.arange(self.next_referred, self.next_referred + n, dtype=np.uint32)
            self.next_referred += n
            seats = g.seats()
            order = np.argsort(batch.groups, kind="stable")
            sorted_groups = batch.groups[order]
            starts = np.searchsorted(sorted_groups, sorted_groups)
            rank = np.empty(n, np.int64)
            rank[order] = np.arange(n) - starts  # place in her inviter's group's queue
            gids = np.where(rank < seats[batch.groups], batch.groups, -1).astype(np.int32)
            inside = np.bincount(gids[gids >= 0], minlength=g.count)
            g.size += inside
            g.admitted += inside
            rest = np.flatnonzero(gids < 0)
            kinds = g.kind[batch.groups[rest]]  # the rest: her inviter's kind's invitation, a tier's
            kinds = np.where(g.kinds.routable[kinds], kinds, g.home_kind)  # members go where recruits do
            routed, turned_away = g.route_kinds(kinds, t)
            gids[rest] = routed
            lost += turned_away
            keep = np.flatnonzero(gids >= 0)
            self._remember(uids, batch, t - 1)
            self.recruiting.admit(uids[keep], gids[keep], t, SOURCE_REFERRAL, like=batch.pick(keep))
            kept_uids.append(uids[keep])
            kept_inviters.append(batch.inviters[keep].astype(np.int64))
            joined = np.concatenate([joined, np.zeros(g.count - len(joined), joined.dtype)])
            joined += np.bincount(gids[keep], minlength=g.count)
        if kept_uids:
            self.referred_today = (np.concatenate(kept_uids), np.concatenate(kept_inviters))
        return joined, lost

    def _remember(self, uids: np.ndarray, batch: Referral, day: int) -> None:
        """Keep each invitee's inviter and day invited (their scores follow in ``_resembling``)."""
        end = int(uids[-1]) - REFERRAL_UID + 1
        if end > len(self.inviter_by_uid):
            size = max(end, 2 * len(self.inviter_by_uid), 1024)
            self.inviter_by_uid = np.concatenate([self.inviter_by_uid, np.full(size - len(self.inviter_by_uid), -1)])
            self.invited_on = np.concatenate([self.invited_on, np.full(size - len(self.invited_on), -1, np.int16)])
        k = uids.astype(np.int64) - REFERRAL_UID
        self.inviter_by_uid[k] = batch.inviters
        self.invited_on[k] = day

    def scores_of(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The normal scores of every drawn trait of the members at live ``rows`` (inviters), from
        the values their columns keep (``sim.engine.traits.kept_value``) under their segment's
        distribution: what an invitee resembles, read the day she is invited (her inviter may have
        left by the time she arrives)."""
        m, spec = self.model.members, self.model.spec.members
        names, segments = spec.segment_names(), m.segment[rows]
        out = {}
        for trait in self.recruiting.traits:
            choice = self.recruiting.choice_of.get(trait)
            column = choice.odds_column if choice is not None else STORED_AS.get(trait, (trait,))[0]
            values = kept_value(trait, m.column(column)[rows], choice is not None)
            score = np.zeros(len(rows))
            for k in np.unique(segments):
                mine = segments == k
                score[mine] = normal_score(spec.dist(names[k], trait), values[mine])
            out[trait] = score
        return out

    def resembling(self, trait: str, dist, uids: np.ndarray, like: Referral) -> np.ndarray:
        """Invitees' values of ``trait`` (distribution ``dist``): a Gaussian copula on their
        inviters' normal scores (``sim.engine.traits.resembling``)."""
        like_scores = like.scores[trait] if like.scores is not None else np.zeros(len(uids))
        own = self.model.streams.uniform(f"trait.{trait}.invitee", 0, uids)
        return resembling(dist, like_scores, own, like.rho)[0]
