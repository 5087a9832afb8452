"""Member rules: every member's daily choices, drawn at once as vectorised log-odds.

Each day, for the members present, in this order:

1. **see** – who looks at the group: engaged (not lapsed) members get notifications;
   muted members look only on days they open the group (``muting.open_probability``).
2. **post** – log-odds = trait ``activity`` + contagion + value content + strategy terms;
   a member who posts writes a number of **messages** with mean her trait ``verbosity``.
   **spam** – posters of the spam segment post ads instead (``sim.engine.spam``; off by default).
3. **lapse** – go silent (zombie member; she stays but reads and posts nothing):
   trait ``lapse`` − contagion − value content − trust + terms. Posting today protects.
   **wake** – a member silent since before today starts reading again: trait ``wake`` +
   terms (an @-mention, a red packet, an event: the levers of ``sim.strategies``).
4. **mute** – set do-not-disturb: logit(``muting.base``) + fatigue + terms. Absorbing.
5. **buy** – only members who saw the group, on a day it had exposure (a product push; content
   and peers' talk when ``purchase`` weighs them): trait ``purchase`` + trust + push response
   + conformity + terms; a person orders at most once a day (``sim.engine.purchase``).
6. **leave** – quit the group: trait ``leave`` + fatigue − trust + spam + conflict (sim.engine.conflict) + terms.
7. **update** fatigue and trust from what each member saw (summed over a person's groups).

Every block below is one mechanism, with its effect on each choice as a coefficient
(log-odds), a seed claim, and an ``enabled`` switch; switched off, it adds nothing.
"Liveliness" is L_g = ln((E_g + floor) / (reference + floor)), where E_g is the group's
talk per present member, an exponentially weighted average over past days
(``Contagion``): 0 on an ordinary day, negative in a quiet group, positive in a lively one.
"""
from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_serializer

from .choices import BUILT_IN, CHOICES
from .conflict import Conflict, ConflictRule, without_conflict_off
from .day import Day
from .draws import Drawer, bounds, gate
from .mechanism import LOGIT_MAX, MONEY_MAX, Mechanism  # noqa: F401  (the limits are imported from here too)
from .members import ABSENT
from .purchase import Conformity, Purchase, PurchaseRule, without_new_defaults
from .spam import Spam, SpamRule
from .streams import hash_uniform
from .talk import Talk
from .traits import TRAITS

class Contagion(Mechanism):
    """Activity is contagious (seeds 000, 001; Qiu et al. 2016 on group lifetimes):
    members post more, and drift into silence less, where others talk.
    A quiet group spirals into silence; a lively one sustains itself.
    Adds ``post``·social·L_g to posting and −``lapse``·social·L_g to lapsing.

    Liveliness reads messages, not posters, and remembers: each day
    E_g ← ``memory``·E_g + (1 − ``memory``)·x_g, with x_g = (member messages +
    ``proof_weight``·messages of social-proof accounts + ``operator_weight``·operator
    messages) / present members. A new group starts at E = ``reference``. With memory
    0.8 (a stylized fact: a chat's mood is the last few days' talk, half-life about three
    days) a handful of quiet days in a small group lowers E by a factor, not to zero, so
    chance silences of a 30-member group do not decide its fate; a group that stays
    quiet still spirals down. A member sees the others' talk: her own share of E is
    taken out of her L (a superuser alone in a quiet group talks to nobody, and gives up
    like the rest: seeds 000, 001, "nobody answers"). Operator messages count half a
    member's (a sign of life, not a conversation) and accounts that act as members fully:
    stylized. ``reference`` 0.18 (about one message a day for every five or six members)
    is what a group of the default members talks at with some useful content a day, so
    a group left without any sinks below it (``sim.engine.rules.Content``;
    ``docs/calibration.md``)."""
    post: float = Field(0.5, ge=0, le=LOGIT_MAX, description="log-odds of posting per unit of liveliness")
    lapse: float = Field(2.5, ge=0, le=LOGIT_MAX, description="log-odds of lapsing per unit of silence")
    reference: float = Field(0.18, gt=0, le=100, description="messages per member on an ordinary day (L = 0)")
    floor: float = Field(0.01, gt=0, le=100, description="keeps L finite in a silent group (messages per member)")
    memory: float = Field(0.8, ge=0, lt=1, description="share of yesterday's liveliness kept today")
    operator_weight: float = Field(0.5, ge=0, le=100, description="an operator message, in member messages")
    proof_weight: float = Field(1.0, ge=0, le=100, description="a social-proof account's message, in member messages")


class Dormancy(Mechanism):
    """Silent members can be woken (seeds 000, 001: red packets, @-mentions and events
    bring dormant members back). A lapsed member reads and posts nothing; each day she
    wakes with her trait ``wake`` (default beta(1, 199): half a percent a day, so about a
    third of the silent come back within three months by themselves — a stylized fact,
    to calibrate on a group's own data) plus strategies' terms on the choice ``wake``.
    Switched off, silence is for good."""


class Content(Mechanism):
    """Value content keeps people (seeds 000, 001, 003, 004): useful operator messages
    start conversations and give a reason to keep reading. With V_g the reach-weighted
    value messages of the day, adds ``post``·ln(1+V_g) to posting and −``lapse``·ln(1+V_g)
    to lapsing (diminishing returns). Defaults from two stylized facts of seed 004 —
    neglected groups turn to zombies in one to two weeks, well-run ones stay active a year
    or more — at every start size from 30 members (Qiu et al. 2016: size matters, but
    not by an order of magnitude). They were chosen on the calibration seeds of
    ``docs/calibration.md`` (never a test's) with ``benchmarks/lifetime_by_size.py``:
    at ``post`` 0.5 or 1.0 only 50-75% of well-run 30-member groups still talked at day
    180, because most members are lurkers (``activity``) and a small group has few
    talkers; with 1.5, 95-100%."""
    post: float = Field(1.5, ge=0, le=LOGIT_MAX, description="log-odds of posting per ln(1 + value messages)")
    lapse: float = Field(2.5, ge=0, le=LOGIT_MAX, description="log-odds against lapsing per ln(1 + value messages)")


class Fatigue(Mechanism):
    """Annoyance from operator messages (seed 000: 'post too much and you are a spammer';
    Gupta et al. 2016: complaints grow faster than volume). Today's load is
    ads + ``value_weight``·value messages (notifications, any hour); a muted member takes
    ``muted_share`` of it. Fatigue_t+1 = ``decay``·fatigue_t + max(0, load − tolerance_i),
    in messages over tolerance. Adds ``leave``·fatigue and ``mute``·fatigue."""
    value_weight: float = Field(0.5, ge=0, le=100, description="annoyance of a value message relative to an ad")
    muted_share: float = Field(0.1, ge=0, le=1, description="share of the load a muted member still feels")
    decay: float = Field(0.8, ge=0, lt=1, description="share of fatigue left the next day")
    leave: float = Field(0.5, ge=0, le=LOGIT_MAX, description="log-odds of leaving per unit fatigue")
    mute: float = Field(0.8, ge=0, le=LOGIT_MAX, description="log-odds of muting per unit fatigue")


class Muting(Mechanism):
    """Do-not-disturb (消息免打扰, seeds 000, 001): muting removes notifications, so
    annoyance stops but so does exposure (group folding). Daily hazard
    logit(``base``) + fatigue; a muted member opens the group with ``open_probability``."""
    base: float = Field(0.002, ge=0, le=1, description="daily probability of muting without fatigue")
    open_probability: float = Field(0.15, ge=0, le=1, description="daily probability a muted member looks")


class Trust(Mechanism):
    """Trust in the group, a stock in [0, 1] (seed 004: conversion is a chain of trust;
    value keeps people, ads wear it down). For members who saw the group:
    trust += ``gain``·V·(1 − trust) − ``ad_loss``·ads·trust; every day trust ×= 1 − ``forgetting``.
    Adds −``leave``·trust, −``lapse``·trust and +``buy``·trust."""
    initial: float = Field(0.2, ge=0, le=1)
    gain: float = Field(0.03, ge=0, le=1, description="per reach-weighted value message")
    ad_loss: float = Field(0.01, ge=0, le=1, description="per ad seen")
    forgetting: float = Field(0.01, ge=0, le=1, description="daily decay")
    leave: float = Field(1.5, ge=0, le=LOGIT_MAX, description="log-odds against leaving at full trust")
    lapse: float = Field(1.5, ge=0, le=LOGIT_MAX, description="log-odds against lapsing at full trust")
    buy: float = Field(2.0, ge=0, le=LOGIT_MAX, description="log-odds of buying at full trust")


class Behavior(BaseModel):
    """All member rules of a scenario (``behavior:`` in the file)."""
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    contagion: Contagion = Contagion()
    content: Content = Content()
    fatigue: Fatigue = Fatigue()
    muting: Muting = Muting()
    trust: Trust = Trust()
    purchase: Purchase = Purchase()
    conformity: Conformity = Conformity()
    dormancy: Dormancy = Dormancy()
    spam: Spam = Spam()
    conflict: Conflict = Conflict()
    lapse: Mechanism = Field(Mechanism(), description="members can lapse (go silent for good)")
    leaving: Mechanism = Field(Mechanism(), description="members can quit the group")

    @model_serializer(mode="wrap")
    def _defaults_out(self, handler):
        """Blocks and fields added later are left out at their defaults: scenarios keep their digest."""
        return without_new_defaults(without_conflict_off(self, handler), self.purchase, self.conformity)

    def traits_in_use(self) -> set[str]:
        """Member traits that some switched-on rule reads (a trait's ``used_by``)."""
        on = {name for name in type(self).model_fields if getattr(self, name).enabled}
        if not self.lapse.enabled:
            on.discard("dormancy")  # nobody goes silent, so nobody wakes
        return {name for name, t in TRAITS.items() if t.used_by is None or t.used_by in on}


class Rules:
    """The member rules of one model, applied to one ``Day`` at a time.

    Each choice has log-odds z = ln(base odds_i) + group_g + member_i; ``sim.engine.draws``
    turns them into draws (posting on every row, the rare choices through gates).
    """

    def __init__(self, behavior: Behavior, streams, uniform_social: bool, leave_group_term: bool = False):
        self.b = behavior
        self.streams = streams
        self.uniform_social = uniform_social
        self.draws = Drawer(streams)
        # (K, group bound, free bound) of each rare choice: K sets its gates (sim.engine.draws)
        self.bounds = {}
        self.conflict = ConflictRule(behavior.conflict)
        for choice in (c for c in CHOICES.values() if c.rare):
            terms = self._member_terms(choice.name, None) + self.conflict.terms(choice.name)
            free = any(top is None for _, _, top in terms) or (choice.name == "lapse" and not uniform_social)
            known = [(c, top) for c, _, top in terms if top is not None]
            # spam adds a per-group term to leaving: covered by the gates, so spam-hit groups are not
            # tested row by row (the gates only skip rows that would not say yes anyway)
            group = choice.group_term or (choice.name == "leave" and (behavior.spam.active or leave_group_term))
            self.bounds[choice.name] = bounds(group, known, free)
        self.generic = [c for c in CHOICES.values() if c.name not in BUILT_IN]
        self.spam = SpamRule(behavior.spam, self.draws)
        self.talk = Talk(streams, behavior.contagion, uniform_social)
        self.purchase = PurchaseRule(behavior.purchase, behavior.conformity, behavior.contagion.reference, self._rare)
        base = behavior.muting.base
        self.mute_odds = base / (1 - base) if base < 1 else np.inf
        self.mute_gate = int(self.gate("mute", self.mute_odds))

    def gate(self, choice: str, base_odds):
        """First-stage gates of rare ``choice`` for members of these base odds."""
        return gate(base_odds, self.bounds[choice][0])

    def _member_terms(self, choice: str, m) -> list[tuple[float, np.ndarray | None, float | None]]:
        """A rare choice's member log-odds terms: (coefficient, column, known maximum)."""
        b, terms = self.b, []
        column = (lambda name: None if m is None else getattr(m, name))
        if b.trust.enabled and choice in ("lapse", "buy", "leave"):
            coef = {"lapse": -b.trust.lapse, "buy": b.trust.buy, "leave": -b.trust.leave}[choice]
            terms.append((coef, column("trust"), 1.0))
        if b.fatigue.enabled and choice in ("mute", "leave"):
            terms.append(({"mute": b.fatigue.mute, "leave": b.fatigue.leave}[choice], column("fatigue"), None))
        return terms

    def _common(self, purpose: str, day: Day, base_odds: np.ndarray, group_z: np.ndarray,
                member_z: np.ndarray | None = None, sparse=None) -> np.ndarray:
        """Mask of rows choosing ``purpose``, every row with its exact odds (``sim.engine.draws``);
        ``sparse``: (rows, log-odds) a few rows add."""
        m = day.members
        g_terms, m_terms = day.terms(purpose)
        odds = m.per_member(np.exp(group_z if g_terms is None else group_z + g_terms))
        odds *= base_odds
        if m_terms is not None:
            member_z = m_terms if member_z is None else member_z + m_terms
        if member_z is not None:
            odds *= np.exp(member_z)
        if (sparse := day.sparse_terms(purpose, sparse)) is not None:
            odds[sparse[0]] *= np.exp(sparse[1])
        return self.draws.common(purpose, day.t, m.uid, odds)

    def _rare(self, purpose: str, day: Day, gates, base_odds, group_z: np.ndarray, eligible: np.ndarray,
              extra: list = (), sparse=None) -> np.ndarray:
        """Rows (sorted) choosing rare choice ``purpose`` among ``eligible`` (``sim.engine.draws``);
        ``sparse``: (rows, log-odds) a few rows add."""
        g_terms, m_terms = day.terms(purpose)
        group_z = group_z if g_terms is None else group_z + g_terms
        terms = [*self._member_terms(purpose, day.members), *self.conflict.terms(purpose, day), *extra]
        if m_terms is not None:
            terms.append((1.0, m_terms, None))
        _, group_bound, free_bound = self.bounds[purpose]
        return self.draws.rare(purpose, day.t, day.members, gates, base_odds, group_z, terms,
                               group_bound, free_bound, eligible, day.sparse_terms(purpose, sparse))

    def apply(self, day: Day) -> None:
        b, m, t = self.b, day.members, day.t
        n, groups = m.n, day.groups
        present = day.present = m.present
        engaged = present & (m.lapsed_day < 0) if b.lapse.enabled else present
        zeros = np.zeros(groups.count)
        social = None if self.uniform_social or not b.contagion.enabled else m.social

        # 1. see
        c = b.contagion
        live = np.log((groups.liveliness + c.floor) / (c.reference + c.floor)) if c.enabled else zeros
        own_rows, own_gap = self.talk.own_gap(day) if c.enabled else (None, None)
        seen = engaged
        if b.muting.enabled and m.muted.any():
            seen = engaged.copy()
            muted_rows = np.flatnonzero(engaged & m.muted)
            u = hash_uniform(m.uid[muted_rows], self.streams.key("open", t))
            seen[muted_rows] = u < b.muting.open_probability
        day.seen = seen

        value = np.log1p(day.reach["value"]) if b.content.enabled else zeros
        # 2. post, and how many messages
        post_own = None if own_rows is None else (own_rows, c.post * own_gap)
        if social is None:
            posted = self._common("post", day, m.post_odds, b.content.post * value + c.post * live, sparse=post_own)
        else:
            posted = self._common("post", day, m.post_odds, b.content.post * value,
                                  social * m.per_member(c.post * live), sparse=post_own)
        posted &= seen
        day.posted = posted
        day.posts_by_group = m.group_runs(posters := self.draws.scratch.true_rows(posted))  # sorted: runs
        self.talk.write(day, posters, day.posts_by_group)
        spam = self.spam.messages(day) if b.spam.active else None  # 2b. spam messages per group

        # 3. lapse, and wake
        if b.lapse.enabled:
            group, extra = -b.content.lapse * value, []
            if social is None:
                group = group - c.lapse * live
            else:
                extra.append((1.0, -social * m.per_member(c.lapse * live), None))
            lapse_own = None if own_rows is None else (own_rows, -c.lapse * own_gap)
            rows = self._rare("lapse", day, m.lapse_gate, m.lapse_odds, group, engaged, extra, lapse_own)
            rows = rows[~posted[rows]]  # posting today protects
            if b.dormancy.enabled:
                woken = self._rare("wake", day, m.wake_gate, m.wake_odds, zeros,
                                   present & (m.lapsed_day >= 0) & (m.lapsed_day < t))
                m.lapsed_day[woken] = ABSENT
                day.chosen["wake"] = woken
            m.lapsed_day[rows] = t
            first = rows[m.first_lapsed[rows] < 0]
            m.first_lapsed[first] = t

        # 4. mute
        if b.muting.enabled:
            m.muted[self._rare("mute", day, self.mute_gate, self.mute_odds, zeros, present)] = True

        # 5. buy (sim.engine.purchase)
        self.purchase.apply(day, seen)

        # 6. leave
        day.leaving = np.zeros(n, bool)
        if b.leaving.enabled:
            group = zeros if spam is None else b.spam.leave * np.log1p(spam)
            day.leaving[self._rare("leave", day, m.leave_gate, m.leave_odds, group, present)] = True

        # 6b. any other declared choice, drawn among its eligible members
        for choice in self.generic:
            day.chosen[choice.name] = self._generic(choice, day, engaged, zeros)

        # 7. update: active = posted, or looked at a group that had any message today
        talk = (day.all_msgs > 0) | (day.posts_by_group > 0)
        active = seen & m.per_member(talk, bool) if not talk.all() else seen  # posted ⊆ seen
        m.mark_active(active, t)
        day.active = active
        self._update_fatigue(day)
        self._update_trust(day, seen)
        self.conflict.wear_trust(day, seen, b.trust.enabled)

    def _generic(self, choice, day: Day, engaged: np.ndarray, zeros: np.ndarray) -> np.ndarray:
        """Rows choosing a declared choice without rules of its own: base odds from its
        trait (or ``base``) plus strategies' terms, among its ``eligible`` members."""
        m = day.members
        eligible = {"present": day.present, "engaged": engaged, "seen": day.seen,
                    "lapsed": day.present & (m.lapsed_day >= 0) & (m.lapsed_day < day.t)}[choice.eligible]
        if choice.trait is not None:
            base_odds = m.column(choice.odds_column)
        else:
            base_odds = choice.base / (1 - choice.base) if choice.base < 1 else np.inf
        if not choice.rare:
            g_terms, m_terms = day.terms(choice.name)
            odds = m.per_member(np.exp(zeros if g_terms is None else g_terms)) * base_odds
            if m_terms is not None:
                odds *= np.exp(m_terms)
            if (sparse := day.sparse_terms(choice.name)) is not None:
                odds[sparse[0]] *= np.exp(sparse[1])
            return np.flatnonzero(self.draws.common(choice.name, day.t, m.uid, odds.astype(np.float32)) & eligible)
        gates = m.column(choice.gate_column) if choice.trait is not None else int(self.gate(choice.name, base_odds))
        return self._rare(choice.name, day, gates, base_odds, zeros, eligible)

    def _update_fatigue(self, day: Day) -> None:
        f = self.b.fatigue
        if not f.enabled:
            return
        m = day.members
        load_g = day.messages["ad"] + f.value_weight * day.messages["value"]
        if not load_g.any() and not m.fatigue.any():
            return
        load = m.per_member(load_g)
        if self.b.muting.enabled:  # arithmetic, not where=: masked numpy ops are ~10x slower
            felt = m.muted * np.float32(f.muted_share - 1)
            felt += np.float32(1)
            load *= felt
        if m.several:  # a person feels the notifications of all her groups
            load = m.person_sum(load, day.present)
        load -= m.tolerance
        np.maximum(load, np.float32(0), out=load)
        fat = m.fatigue
        fat *= np.float32(f.decay)
        fat += load

    def _update_trust(self, day: Day, seen: np.ndarray) -> None:
        """trust' = (1 - forgetting)·(trust·(1 - a) + g) for members who saw the group,
        (1 - forgetting)·trust for the others, with g = gain·V and a = g + ad_loss·ads
        (capped at 1 per group, which keeps trust in [0, 1]). A person in several groups
        forgets once and takes the sum of what each group added or took, clipped to [0, 1]."""
        tr = self.b.trust
        if not tr.enabled:
            return
        m = day.members
        before = m.trust.copy() if m.several else None
        self._trust_step(day, seen)
        if before is not None:  # forgetting once, and what each of her groups taught her
            base = before * np.float32(1 - tr.forgetting)
            np.clip(base + m.person_sum(m.trust - base, day.present), 0, 1, out=m.trust)

    def _trust_step(self, day: Day, seen: np.ndarray) -> None:
        tr = self.b.trust
        m = day.members
        keep = np.float32(1 - tr.forgetting)
        trust = m.trust
        g = tr.gain * day.reach["value"]
        ads = day.messages["ad"]
        if self.b.spam.active:  # spam seen wears trust down like ads (Spam)
            ads = ads + self.b.spam.trust_weight * day.spam_msgs
        a = np.minimum(g + tr.ad_loss * ads, 1.0)
        g = np.minimum(g, a)
        if not a.any():
            trust *= keep
            return
        factor = m.per_member(keep * (1 - a) - keep)  # keep·(1 - a) if seen, else keep
        factor *= seen
        factor += keep
        trust *= factor
        add = m.per_member(keep * g)
        add *= seen
        trust += add
