"""Arrivals: recruitment inflow, join decisions and trait draws for newcomers.

Day 0 starts with ``recruitment.initial_members`` members already in groups. Every day,
a Poisson number of recruits (mean ``arrivals_per_day``) reaches the group invitation
(拉新); each joins with ``join_probability`` and is routed to a group
(``sim.engine.groups.Groups.route``). Every recruit, joining or not, takes the next ``uid``, so
a recruit's identity, luck and traits do not depend on the join rate or on what
happened to earlier recruits: scenarios that recruit alike get identical arrivals.

Arrivals keep their ``source`` (0 = recruitment) and join day; giveaways and members'
invitations add their own codes. Members already in groups on day 0 take the first uids, so a
strategy can tell them from the programme's newcomers (``Recruiting.veteran``).

**Attracted recruits.** A strategy can draw recruits of one segment straight into chosen
groups (``Day.attract``: freebie hunters drawn by red packets). They arrive the next day,
source ``SOURCE_GIVEAWAY``, as many as the group has seats for, with uids from a range of
their own (from ``ATTRACTED_UID``), so the programme's ordinary recruits keep their uids,
traits and luck whether or not a strategy attracts anyone.

**The invitation funnel** (拉新承接, seed 001). A strategy can set tomorrow's funnel
(``Day.invite``, a ``Funnel``): a welcome offer's ``join_probability`` in place of the
scenario's, and re-invites: the recruits of day d who did not join are invited again on day
d + ``reinvite_after`` (if that day's funnel still asks for it; each day's non-joiners once),
and each joins then with probability ``rejoin``. The join draw stays
``uniform("join", t, uid) < p``, so a higher offer admits a superset of the same joiners; a
re-invited recruit is the same person (same uid, so the same traits and luck), her second
decision a draw of purpose ``rejoin`` (no other draw moves); she is routed with that day's
joiners, after them, with source ``SOURCE_REINVITED``. A day without a funnel set is
exactly the scenario's recruitment. ``Recruiting.today`` holds the day's funnel counts
(``FunnelCounts``) for the strategy that books its costs, with the recruits' join draws, so a
strategy can count earlier stages as thresholds on the same draws (``sim.strategies.funnel``);
a funnel's ``reachable`` limits its re-invites to non-joiners whose draw is under it (those
who got through those stages). One strategy sets the funnel: a second one setting the same
day's is an error (``Day.invite``).

**Invitees** (裂变): friends members bring (``Day.refer``), admitted after the day's
recruits by ``sim.engine.invitees``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .choices import trait_choice
from .invitees import REFERRAL_UID, Invitees, Referral
from .traits import TRAITS, TraitDraws, draw_segments, stored

SOURCE_RECRUITMENT = 0
SOURCE_GIVEAWAY = 1
SOURCE_REINVITED = 2  # a recruit who joined when re-invited (Funnel)
# SOURCE_REFERRAL = 3: a friend a member invited (sim.engine.invitees)
ATTRACTED_UID = 1 << 30  # ordinary recruits stay below it; added memberships' keys are >= 2^31


@dataclass(frozen=True)
class Funnel:
    """One day's invitation funnel, set the day before (``Day.invite``)."""
    join_probability: float | None = None  # the welcome offer's; None: the scenario's
    reinvite_after: int | None = None      # re-invite the non-joiners of this many days ago
    rejoin: float = 0.0                    # share of the re-invited who join
    reachable: float = 1.0  # only non-joiners whose join draw is under this are re-invited later
    by: str = ""            # the strategy that set it (Day.invite refuses a second one)


@dataclass
class FunnelCounts:
    """What the funnel did on one day: ``recruits`` reaching the invitation, the
    ``join_probability`` they joined with, earlier non-joiners ``reinvited``, and per group the
    fresh ``joiners`` and the re-invited who joined (``rejoined``). Per person, for a strategy
    that counts stages (``sim.strategies.funnel``): the recruits are uids ``first_uid`` ..
    ``first_uid + recruits - 1`` with join draws ``draws`` (she joined if under
    ``join_probability``), ``reinvitees`` the uids re-invited, and ``placed`` / ``placed_groups``
    the uids of the fresh and re-invited joiners placed in a group and their groups."""
    recruits: int = 0
    join_probability: float = 0.0
    reinvited: int = 0
    joiners: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    rejoined: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    first_uid: int = 0
    draws: np.ndarray = field(default_factory=lambda: np.zeros(0))
    reinvitees: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    placed: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    placed_groups: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))


class Recruiting:
    BATCH = 1 << 17

    def __init__(self, model):
        self.model = model
        self.spec = model.spec.recruitment
        self.next_uid = 0
        self.next_attracted = ATTRACTED_UID
        self.attracted: list[tuple[np.ndarray, int]] = []  # (recruits per group, segment) for tomorrow
        self.funnels: dict[int, Funnel] = {}  # day -> the funnel a strategy set for it
        self.recruited: dict[int, tuple[int, int, float, float]] = {}  # day -> (first uid, recruits, join
        # probability, reachable: the funnel's re-invite ceiling)
        self.reinvited_days: set[int] = set()
        self.today = FunnelCounts()
        self.invitees = Invitees(self)
        self.trait_draws = TraitDraws(model.streams)
        # a trait no switched-on rule reads is not drawn (its column keeps its fill value):
        # drawing 10^6 members' traits costs about 0.1 s per trait
        self.traits = [t for t in TRAITS if t in model.spec.behavior.traits_in_use()]
        self.choice_of = trait_choice()  # traits stored as a choice's odds (and gate)
        spec = model.spec
        self.shares = np.array(spec.members.segment_shares())
        names, kinds = spec.members.segment_names(), spec.groups.kind_names()
        self.routing = {names.index(s): kinds.index(k) for s, k in (spec.groups.routing or {}).items()}

    def arrive(self, t: int) -> tuple[np.ndarray, int]:
        """Admit today's joiners; returns (joiners per group, recruits turned away)."""
        m = self.model
        if t == 0 and self.spec.initial_members:
            uids = self._take(self.spec.initial_members)
        else:
            uids = np.zeros(0, np.uint32)
        recruits = int(m.streams.generator("arrivals", t).poisson(self.spec.arrivals_per_day)) \
            if self.spec.arrivals_per_day > 0 else 0
        funnel = self.funnels.pop(t, Funnel())
        p = self.spec.join_probability if funnel.join_probability is None else funnel.join_probability
        draws = np.zeros(0)
        if recruits:
            new = self._take(recruits)
            draws = m.streams.uniform("join", t, new)
            uids = np.concatenate([uids, new[draws < p]])
            self.recruited[t] = (int(new[0]), recruits, p, funnel.reachable)
        fresh = len(uids)
        reinvitees, back = self._reinvite(t, funnel)
        if len(back):
            uids = np.concatenate([uids, back])
        initial = self.spec.initial_members if t == 0 else 0  # already in: not the funnel's
        uids, gids, lost, fresh, initial = self._route(uids, t, fresh, initial)
        for start in range(0, min(len(gids), fresh), self.BATCH):  # batches bound the temporaries
            stop = min(start + self.BATCH, fresh)
            self.admit(uids[start:stop], gids[start:stop], t, SOURCE_RECRUITMENT)
        if len(gids) > fresh:
            self.admit(uids[fresh:], gids[fresh:], t, SOURCE_REINVITED)
        joined = np.bincount(gids, minlength=m.groups.count)
        self.today = FunnelCounts(recruits, p, len(reinvitees),
                                  np.bincount(gids[initial:fresh], minlength=m.groups.count),
                                  np.bincount(gids[fresh:], minlength=m.groups.count),
                                  self.next_uid - recruits, draws, reinvitees, uids[initial:], gids[initial:])
        for per_group, segment in self.attracted:
            joined += self._admit_attracted(per_group, segment, t)
        self.attracted = []
        if self.invitees.referred or len(self.invitees.referred_today[0]):
            joined, lost = self.invitees.admit(joined, lost, t)
        return joined, lost

    def _route(self, uids: np.ndarray, t: int, fresh: int, initial: int):
        """Route today's joiners (the first ``fresh`` new, of them the first ``initial`` the
        day-0 members, then the re-invited) to groups, each to her kind's invitation
        (``sim.engine.kinds``: by ``groups.routing`` on her segment, else by the kinds' shares);
        returns those placed, their gids, how many were turned away, and how many of the placed
        are fresh and initial."""
        g = self.model.groups
        segments = draw_segments(self.model.streams, self.shares, uids) if self.routing else None
        kinds = g.kinds.route_kinds(self.model.streams, uids, segments, self.routing)
        if kinds is None:  # one routable kind: those turned away are the last
            gids, lost = g.route(len(uids), t)
            return uids[: len(gids)], gids, lost, min(fresh, len(gids)), min(initial, len(gids))
        gids, lost = g.route_kinds(kinds, t)
        kept = gids >= 0
        return uids[kept], gids[kept], lost, int(kept[:fresh].sum()), int(kept[:initial].sum())

    def veteran(self, persons: np.ndarray, joined: np.ndarray) -> np.ndarray:
        """Mask of the memberships the programme started with (``initial_members`` on day 0);
        a membership such a person starts later (an enrolment, a move) is new."""
        return (persons < self.spec.initial_members) & (joined == 0)

    def _reinvite(self, t: int, funnel: Funnel) -> tuple[np.ndarray, np.ndarray]:
        """(uids re-invited, uids of those who join): the recruits of ``reinvite_after`` days ago
        who did not join (and whose join draw is under that day's ``reachable``), each day's
        once; their join draws are read again, not redrawn."""
        day = None if funnel.reinvite_after is None else t - funnel.reinvite_after
        if day not in self.recruited or day in self.reinvited_days:
            return np.zeros(0, np.uint32), np.zeros(0, np.uint32)
        self.reinvited_days.add(day)
        first, count, p, reachable = self.recruited[day]
        uids = np.arange(first, first + count, dtype=np.uint32)
        u = self.model.streams.uniform("join", day, uids)
        out = uids[(u >= p) & (u < reachable)] if reachable < 1 else uids[u >= p]
        return out, out[self.model.streams.uniform("rejoin", t, out) < funnel.rejoin]

    def _admit_attracted(self, per_group: np.ndarray, segment: int, t: int) -> np.ndarray:
        """Yesterday's attracted recruits of ``segment`` into their groups, up to the seats left."""
        g = self.model.groups
        seats = g.seats()[: len(per_group)]
        counts = np.minimum(per_group.astype(np.int64), seats)
        gids = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        if self.next_attracted + len(gids) > REFERRAL_UID:
            raise ValueError(f"more than {REFERRAL_UID - ATTRACTED_UID:,} recruits attracted by strategies in one run")
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

    def admit(self, uids: np.ndarray, gids: np.ndarray, t: int, source: int, segment: int | None = None,
              like: "Referral | None" = None) -> None:
        """Add members with their traits drawn per uid (see ``sim.engine.traits``), of
        ``segment`` if given, else each of the segment her own draw picks; invitees
        (``like``) resemble their inviters (``Invitees.resembling``)."""
        m = self.model
        spec = m.spec.members
        names = spec.segment_names()
        seg = draw_segments(m.streams, np.array(spec.segment_shares()), uids) if segment is None \
            else np.full(len(uids), segment, np.int8)
        if like is not None:  # invitees: their inviter's segment with probability rho
            seg = np.where(m.streams.uniform("trait.segment.invitee", 0, uids) < like.rho, like.segments, seg)
        values = {}
        members_of = [(name, np.flatnonzero(seg == k)) for k, name in enumerate(names)]  # once, not per trait
        members_of = [(name, slice(None) if len(rows) == len(uids) else rows) for name, rows in members_of
                      if len(rows)]
        for trait in self.traits:
            v = np.empty(len(uids))
            for name, rows in members_of:
                if like is None:
                    v[rows] = self.trait_draws.draw(trait, spec.dist(name, trait), uids[rows])
                else:
                    v[rows] = self.invitees.resembling(trait, spec.dist(name, trait), uids[rows], like.pick(rows))
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
        kinds = m.groups.kinds
        declared = m.spec.groups.kinds is not None  # each kind's trust (sim.engine.kinds)
        initial = (kinds.trust[m.groups.kind[gids]] if declared else trust.initial) if trust.enabled else 0.0
        m.members.add(len(uids), uid=uids, person=uids, group=gids, segment=seg, source=source, joined=t,
                      trust=initial, **values)
