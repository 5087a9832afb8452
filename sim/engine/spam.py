"""Spam: members of a segment who post ads, drawn right after posting (``sim.engine.rules``).

``Spam`` is the mechanism's parameters (``behavior.spam``); ``SpamRule`` draws who spams today
and counts the spam messages per group, which the member rules then read (trust, leaving) and
liveliness leaves out (``sim.engine.model``).
"""
from __future__ import annotations

import numpy as np
from pydantic import Field

from .mechanism import LOGIT_MAX, Mechanism


class Spam(Mechanism):
    """Spam: members who post ads (发小广告, seeds 000, 004) lower the value of the group for
    everyone, and a group whose only posts are ads is dead (seeds 000, 001). Off unless
    ``segment`` names a member segment (declare its traits in the scenario: active posters
    who stay). Each day, every member of that segment who posts writes ads with probability
    ``probability`` (choice ``spam``, drawn right after posting from its own stream; only
    posting members of the segment may choose it, so strategies' terms on ``spam`` matter
    for them alone, e.g. posted group rules lowering newcomers' rule-breaking); all her
    messages that day are ads. With S_g the spam messages of the day in group g:

    - members who saw the group lose trust as from ``trust_weight``·S_g operator ads
      (``Trust.ad_loss`` each); default 1: an ad is an ad, whoever posts it (stylized);
    - every present member's log-odds of leaving rise by ``leave``·ln(1 + S_g) that day
      (diminishing, as for value content). Default 0.25: one spam message makes 0.1-0.2%
      more of the group leave that day (at leave rates of 0.6-1.2% a day: the baseline
      programme's members, and the default trait's mean 1/81), within the 0.1-0.4% of
      recipients who unsubscribe per marketing email (Mailchimp 2018-2019);
    - spam is not conversation: liveliness counts a spam message as ``talk_weight`` of a
      member's message (default 0: seeds 000, 001, a dead group is one where nobody answers
      and the only posts are ads). Members' own posting and messages still count them
      (``member_posts``, ``member_msgs``); ``spam_msgs`` and ``spammers`` say how many.
    Spam does not add to fatigue (operator messages only). Strategies may remove spammers
    with ``Day.remove`` (moderators) and add log-odds to ``spam``."""
    segment: str | None = Field(None, max_length=120, description="member segment that posts ads (None: no spam)")
    probability: float = Field(0.5, ge=0, le=1, description="daily probability a posting spammer posts ads")
    trust_weight: float = Field(1.0, ge=0, le=100, description="trust lost per spam message seen, in operator ads")
    leave: float = Field(0.25, ge=0, le=LOGIT_MAX, description="log-odds of leaving per ln(1 + spam messages)")
    talk_weight: float = Field(0.0, ge=0, le=1, description="a spam message's weight in liveliness, in member messages")

    @property
    def active(self) -> bool:
        return self.enabled and self.segment is not None


class SpamRule:
    """Who spams today, and the spam messages per group (``Spam``), for one model."""

    def __init__(self, spam: Spam, draws):
        self.spam = spam
        self.draws = draws
        self._segment: int | None = None  # index of spam.segment, found on the first day

    def messages(self, day) -> np.ndarray:
        """Spam messages per group today (``Spam``): each of today's posters in the spam
        segment posts ads with base odds from ``probability`` plus strategies' terms on
        ``spam``, from the stream ``spam`` (keyed by uid and day: nobody else's draw
        changes); her messages today are ads. Sets ``day.spam_msgs`` and ``day.chosen``."""
        s, m = self.spam, day.members
        if self._segment is None:
            names = day.model.spec.members.segment_names()
            if s.segment not in names:
                raise KeyError(f"behavior.spam.segment: no segment '{s.segment}'; the segments are {names}")
            self._segment = names.index(s.segment)
        rows, count = day.writers
        mine = m.segment[rows] == self._segment
        rows, count = rows[mine], count[mine]
        z = np.zeros(len(rows))
        g_terms, m_terms = day.terms("spam")
        if g_terms is not None:
            z += g_terms[m.group[rows]]
        if m_terms is not None:
            z += m_terms[rows]
        if (sparse := day.sparse_terms("spam")) is not None:
            _, at, which = np.intersect1d(rows, sparse[0], assume_unique=True, return_indices=True)
            z[at] += sparse[1][which]
        base = s.probability / (1 - s.probability) if s.probability < 1 else np.inf
        with np.errstate(invalid="ignore", over="ignore"):  # p = 1 and a term of -inf: no spam
            odds = np.nan_to_num(base * np.exp(z), nan=0.0).astype(np.float32)
        chose = self.draws.common("spam", day.t, m.uid[rows], odds)
        day.chosen["spam"] = rows[chose]
        day.spam_msgs = np.bincount(m.group[rows[chose]], weights=count[chose], minlength=day.groups.count)
        return day.spam_msgs
