"""Referral / fission campaigns (裂变拉新): members invite friends, for a reward per friend
who accepts (seeds 000, 002, 003: the core KPI of community operations).

**Inviting.** Each day, every present, engaged (not silent) member of a group in scope sends
an invitation with probability p, its odds

    odds = base_odds · exp(``reward_response``·``reward``) · (1 + ``early_boost``·2^(−age/``half_life``))
                     · (a / ā)^``activity_elasticity`` · refer[kind]

with base_odds = ``base_rate``/(1 − ``base_rate``) and age the days since she joined the
group: invitations come mostly in a member's first days (Qiu et al. 2016, WWW: most first
invitations within about 5 days of the inviter joining, consecutive ones mostly under 2 days
apart). **Her traits**: a is her ``activity`` (daily posting probability, kept as the odds
``post_odds``) and ā^e the mean of a^e over members as the scenario draws them (each segment's
activity distribution by its share; E[a^e] = B(α+e, β)/B(α, β) for a beta), so the factor averages
1 over members as drawn: the elasticity moves invitations from lurkers to talkers without
changing the average member's odds (a member of activity 0 never invites). With ``homophily``
the friends of talkers talk, so later generations invite more than the first (a tree's K rises
with its depth). **Her group**:
refer[kind] is the ``refer`` multiple of her group's kind (``groups.kinds``, ``sim.engine.kinds``;
1 without kinds). Each invitation is accepted with probability ``acceptance``; an accepted one costs
``reward`` CNY (booked the day it is accepted, under ``referral_rewards``) and brings the friend
tomorrow (``sim.engine.day.Day.refer``): source ``SOURCE_REFERRAL`` (3), into her inviter's
group while it has seats (else the newest open group), her traits resembling her inviter's
with strength ``homophily`` (a Gaussian copula on every trait: ``sim.engine.traits``).

**Retention.** Referred members keep an edge while their referrer is still in a group:
−``referrer_edge`` log-odds of leaving a day (Van den Bulte et al. 2018, J. Marketing Research:
the referred's retention edge lasts while the referrer stays; Schmitt et al. 2011, J. Marketing
75(1): referred customers are worth at least 16% more, partly by staying longer). Friends drawn by
a giveaway (``giveaway`` true: the reward goes to the friend, a freebie) retain worse:
+``giveaway_leave`` log-odds of leaving a day, for good (seeds 000, 002: freebie hunters leave).
These terms apply to every referred member in scope (run one referral campaign per scenario).
The campaign notes its friends' arrivals (outputs, ``inviter``, ``generation``) on the days it
acts, so a campaign with a ``when`` should end a day after its last invitations.

**Parameters** (defaults; every figure not quoted from a study is a stylized fact):

- ``base_rate`` 0.002 /day: invitations a settled member sends a day (stylized: one in ~500
  days, a member inviting now and then after her first weeks);
- ``early_boost`` 19 (odds multiple − 1 on her joining day) and ``half_life`` 2 days: a new
  member invites at 20x the settled odds, the surplus halving every 2 days, so about 60% of a
  member's invitations in her first month come in her first five days ("most first invitations
  within about 5 days", Qiu et al.; the sizes are stylized). One invitation a day at most, and
  no member invites more than another of the same age: Qiu et al.'s bursts of invitations under
  2 days apart (heavy inviters) are not modelled;
- ``activity_elasticity`` 0.25: elasticity of the odds of inviting on her activity (stylized
  fact: the members who talk are the ones who recommend, seeds 000, 003: KOL/KOC drive talk and
  bring peers; in recommendation networks a few members send most recommendations, Leskovec,
  Adamic & Huberman 2007, ACM Trans. Web 1(1); no study gives the size). With the default
  activity (beta 0.08, 2.2) the top 10% of members by activity send about 37% of invitations and
  30% of members invite at under a tenth of the mean rate, far less concentrated than posting
  (top 10% about 85-90% of messages); 0 makes every member of an age invite alike. The smaller
  of the sizes tried (0.25, 0.5, 1), as it moves the existing fission.yaml least: its referred
  joiners went from 759 to 807 (3 replications, seed 1; 842 at 0.5, 911 at 1), and its chains
  deepened (40 members of generation 3 or more instead of 15, all replications): homophily
  hands the talkers' activity to their friends, who invite more in turn;
- ``acceptance`` 0.3: share of invitations a friend accepts (stylized);
- ``reward`` 0 CNY per accepted invitation and ``reward_response`` 0.05 log-odds per CNY
  (stylized: a 10 CNY reward raises the odds of inviting by 65%);
- ``homophily`` 0.5: the copula correlation between a friend's and her inviter's normal scores
  on every trait (stylized: friends resemble each other, McPherson et al. 2001, without one
  figure for these traits);
- ``referrer_edge`` 0.2 log-odds against leaving (a hazard ~18% lower while the referrer stays;
  stylized to the direction and size of Schmitt et al. 2011 and Van den Bulte et al. 2018);
- ``giveaway`` false and ``giveaway_leave`` 0.5 log-odds of leaving (stylized).

Outputs per (day, group): ``invitations`` sent and ``invites_accepted`` (by the inviter's group,
on the day sent) and ``referred_joiners`` (by the group joined, on the day they arrive). Per
person (``members.parquet``): ``inviter`` (the person who invited her; 0 for members of another
source: read it with ``source`` 3) and ``generation`` (1 for a friend of a non-referred member,
2 for a friend of hers, ...; the depth of the referral tree). The K-factor of a cohort is its
accepted invitations per member; a campaign with K < 1 dies out without other recruiting and one
with K > 1 compounds (tree depth, inviters and K by joining week: ``sim.analysis.referrals``). Randomness: this strategy's stream, per member uid and day (``invite``,
``accept``).
"""
from __future__ import annotations

from math import exp, lgamma

import numpy as np
from pydantic import Field

from ..analysis.kpis import Kpi
from ..engine.invitees import REFERRAL_UID, SOURCE_REFERRAL
from ..engine.day import Output
from ..engine.members import Column, in_sorted
from ..engine.rules import LOGIT_MAX, MONEY_MAX
from .base import Strategy, StrategyParams, register


class ReferralParams(StrategyParams):
    base_rate: float = Field(0.002, ge=0, lt=1, description="daily probability a settled, engaged member invites")
    early_boost: float = Field(19.0, ge=0, le=1000, description="extra odds multiple of inviting on her joining day")
    half_life: float = Field(2.0, gt=0, le=365, description="days for the early surplus of inviting to halve")
    activity_elasticity: float = Field(0.25, ge=0, le=3, description="elasticity of the odds of inviting on her "
                                       "activity, relative to the members' mean (0: no trait effect)")
    acceptance: float = Field(0.3, ge=0, le=1, description="probability a friend accepts an invitation")
    reward: float = Field(0.0, ge=0, le=MONEY_MAX, description="CNY per accepted invitation")
    reward_response: float = Field(0.05, ge=0, le=LOGIT_MAX, description="log-odds of inviting per CNY of reward")
    homophily: float = Field(0.5, ge=0, le=1, description="copula correlation of a friend's traits with her inviter's")
    referrer_edge: float = Field(0.2, ge=0, le=LOGIT_MAX,
                                 description="log-odds against leaving for the referred while their referrer stays")
    giveaway: bool = Field(False, description="the reward is a giveaway to the friend (freebie hunters come)")
    giveaway_leave: float = Field(0.5, ge=0, le=LOGIT_MAX,
                                  description="log-odds of leaving for friends drawn by a giveaway")


@register
class ReferralCampaign(Strategy):
    name = "referral"
    Params = ReferralParams
    columns = (Column("inviter", np.int64, 0, "the person who invited her (members of source 3)", per_person=True),
               Column("generation", np.int16, 0, "depth in the referral tree (0: not referred)", per_person=True))
    outputs = (Output("invitations", meaning="invitations members sent, by the inviter's group"),
               Output("invites_accepted", meaning="invitations friends accepted, by the inviter's group"),
               Output("referred_joiners", meaning="referred friends who joined today, by the group joined"))
    costs = ("referral_rewards",)
    kpis = (Kpi("referred_joiners", "Referred joiners", "members", higher_is_better=True, total="referred_joiners"),
            Kpi("referral_spend", "Spend on referral rewards", "CNY", higher_is_better=False,
                total="spend_referral_rewards"))

    def __init__(self, params: ReferralParams, index: int = 0):
        super().__init__(params, index)
        self._generation = np.zeros(0, np.int16)  # per invitee (uid - REFERRAL_UID): her depth
        self._activity_mean = 1.0  # E[a^e] over members as drawn (setup)
        self._gone = np.zeros(0, bool)  # per invitee: her inviter has left every group
        self._checked, self._archived = 0, 0  # memberships ended from this day on, archive chunks, not yet seen

    def setup(self, model) -> None:
        self._activity_mean = mean_activity_power(model.spec.members, self.params.activity_elasticity)

    def plan(self, day) -> None:
        self._mark_arrivals(day)
        p, m = self.params, day.members
        present = m.present
        referred = np.flatnonzero((m.source == SOURCE_REFERRAL) & present)
        if not len(referred):
            return
        extra = np.full(len(referred), p.giveaway_leave if p.giveaway else 0.0)
        if p.referrer_edge:
            gone = self._referrers_gone(day)
            stays = ~gone[m.person[referred].astype(np.int64) - REFERRAL_UID]  # her referrer is still in a group
            extra -= p.referrer_edge * stays
        day.add_member_term("leave", extra, rows=referred)

    def _referrers_gone(self, day) -> np.ndarray:
        """Per invitee (uid - REFERRAL_UID): her inviter has left every group. Updated from the
        memberships that ended since the last call (live rows, and rows archived since), so a
        day costs one pass over the rows, not a search of every present person."""
        m, invitees = day.members, day.model.recruiting.invitees
        count = len(invitees.inviter_by_uid)
        if len(self._gone) < count:
            self._gone = np.concatenate([self._gone, np.zeros(count - len(self._gone), bool)])
        ended = [m.person[m.left >= self._checked]]
        chunks = m.archive["left"][self._archived:]
        ended += [person[left >= self._checked] for person, left in zip(m.archive["person"][self._archived:], chunks)]
        self._archived, self._checked = len(m.archive["left"]), day.t
        ended = np.unique(np.concatenate(ended)).astype(np.int64)
        if (m.several or m.moved) and len(ended):  # a person with another membership (or moved) has not gone
            ended = ended[~np.isin(ended, m.person[m.present & m.of_persons(ended)])]
        if len(ended) and count:  # ended is sorted and distinct
            self._gone[:count] |= in_sorted(invitees.inviter_by_uid, ended)
        return self._gone

    def _mark_arrivals(self, day) -> None:
        """Today's referred joiners: count them, and keep inviter and tree depth on their first row."""
        uids, inviters = day.model.recruiting.invitees.referred_today
        if not len(uids):
            return
        m = day.members
        rows = np.flatnonzero((m.joined == day.t) & (m.source == SOURCE_REFERRAL) & (m.uid == m.person))
        rows = rows[np.isin(m.uid[rows], uids)]
        m.column("inviter")[rows] = day.model.recruiting.invitees.inviter_of(m.person[rows])
        depth = self._depth(m.column("inviter")[rows]) + 1
        m.column("generation")[rows] = depth
        self._keep_depth(m.uid[rows], depth)
        day.add_output("referred_joiners", np.bincount(m.group[rows], minlength=day.groups.count))

    def _depth(self, persons: np.ndarray) -> np.ndarray:
        k = persons.astype(np.int64) - REFERRAL_UID
        known = (k >= 0) & (k < len(self._generation))
        return np.where(known, self._generation[np.where(known, k, 0)] if len(self._generation) else 0, 0)

    def _keep_depth(self, uids: np.ndarray, depth: np.ndarray) -> None:
        k = uids.astype(np.int64) - REFERRAL_UID
        if len(k) and k.max() >= len(self._generation):
            grown = np.zeros(max(int(k.max()) + 1, 2 * len(self._generation)), np.int16)
            grown[: len(self._generation)] = self._generation
            self._generation = grown
        self._generation[k] = depth

    def after(self, day) -> None:
        p, m = self.params, day.members
        rows = np.flatnonzero(day.present & (m.lapsed_day < 0) & m.per_member(day.scope, bool))
        if not len(rows):
            return
        stream = day.stream()
        u = stream.uniform(day.t, m.uid[rows], "invite")
        with np.errstate(divide="ignore"):  # base_rate 0: log-odds -inf, nobody invites
            base = np.log(p.base_rate) - np.log1p(-p.base_rate) + p.reward_response * p.reward
            # nobody's odds pass the newest member's in the kind that refers most with activity 1:
            # only the rows under that bound are worked out (the others cannot invite)
            top = base + np.log1p(p.early_boost) + np.log(day.groups.kinds.refer.max())
            if p.activity_elasticity and self._activity_mean > 0:
                top -= np.log(self._activity_mean)
            candidates = np.flatnonzero(u < 0.5 * (1 + np.tanh(top / 2)))
            rows, u = rows[candidates], u[candidates]
            age = (day.t - m.joined[rows]).astype(np.float64)
            z = base + np.log1p(p.early_boost * np.exp2(-age / p.half_life)) + self._inviter_terms(day, rows)
        inviting = rows[u < 0.5 * (1 + np.tanh(z / 2))]  # logistic
        accepted = inviting[stream.uniform(day.t, m.uid[inviting], "accept") < p.acceptance]
        n_groups = day.groups.count
        day.add_output("invitations", np.bincount(m.group[inviting], minlength=n_groups))
        won = np.bincount(m.group[accepted], minlength=n_groups)
        day.add_output("invites_accepted", won)
        if p.reward:
            day.cost("referral_rewards", p.reward * won)
        day.refer(accepted, p.homophily)

    def _inviter_terms(self, day, rows: np.ndarray):
        """Log-odds of inviting from her activity and her group's kind (0.0 while both are off)."""
        terms, e = 0.0, self.params.activity_elasticity
        if e and self._activity_mean > 0:
            with np.errstate(divide="ignore"):  # activity 0: -inf, she never invites
                activity = 1 / (1 + 1 / day.members.column("post_odds")[rows].astype(np.float64))
                terms = e * np.log(activity) - np.log(self._activity_mean)
        refer = day.groups.kinds.refer  # sim.engine.kinds: 1 for every kind unless declared
        if np.any(refer != 1):
            with np.errstate(divide="ignore"):  # a kind with refer 0: nobody in it invites
                terms = terms + np.log(refer)[day.groups.kind[day.members.group[rows]]]
        return terms


def mean_activity_power(members, e: float) -> float:
    """E[a^e] of activity a over members as the scenario draws them (segments by share):
    B(α+e, β)/B(α, β) for a beta, c^e for a constant c (activity is a probability)."""
    if not e:
        return 1.0
    total = 0.0
    for name, share in zip(members.segment_names(), members.segment_shares()):
        dist = members.dist(name, "activity")
        if dist.family == "beta":
            a, b = dist.beta
            total += share * exp(lgamma(a + e) + lgamma(a + b) - lgamma(a) - lgamma(a + b + e))
        else:
            total += share * dist.constant ** e
    return total
