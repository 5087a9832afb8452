"""Day: what strategies and member rules share during one simulated day.

Strategies write the operator's actions and extra log-odds into a ``Day``; the member
rules then read them. Per-group arrays are indexed by group id; per-member arrays by
live member row. Effects are additive log-odds terms, so any number of strategies
compose, and the member rules stay the one place where terms turn into choices.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .streams import StreamView

if TYPE_CHECKING:
    from .model import CommunityModel

CHOICES = ("post", "lapse", "mute", "leave", "buy")


class Day:
    def __init__(self, model: "CommunityModel", t: int):
        self.t = t
        self.model = model
        self.members = model.members
        self.groups = model.groups
        g = model.groups.count
        # operator actions, per group (raw counts, and counts weighted by slot reach)
        self.value_msgs = np.zeros(g)
        self.ad_msgs = np.zeros(g)
        self.value_reach = np.zeros(g)
        self.ad_reach = np.zeros(g)
        self.shill_posts = np.zeros(g)
        self._group_terms: dict[str, np.ndarray] = {}
        self._member_terms: dict[str, np.ndarray] = {}
        self.ledger: dict[str, np.ndarray] = {}
        # today's outcomes per live member row, set by the member rules
        self.present: np.ndarray | None = None
        self.seen: np.ndarray | None = None
        self.posted: np.ndarray | None = None
        self.bought: np.ndarray | None = None
        self.leaving: np.ndarray | None = None
        self.active: np.ndarray | None = None
        self.posts_by_group: np.ndarray | None = None

    @property
    def operator_msgs(self) -> np.ndarray:
        return self.value_msgs + self.ad_msgs

    def group_term(self, choice: str) -> np.ndarray:
        """Writable per-group log-odds added to ``choice`` for every member of the group."""
        if choice not in CHOICES:
            raise KeyError(f"unknown choice '{choice}'; choices are {list(CHOICES)}")
        if choice not in self._group_terms:
            self._group_terms[choice] = np.zeros(self.groups.count)
        return self._group_terms[choice]

    def member_term(self, choice: str) -> np.ndarray:
        """Writable per-member log-odds (float32, one per live row) added to ``choice``."""
        if choice not in CHOICES:
            raise KeyError(f"unknown choice '{choice}'; choices are {list(CHOICES)}")
        if choice not in self._member_terms:
            self._member_terms[choice] = np.zeros(self.members.n, np.float32)
        return self._member_terms[choice]

    def terms(self, choice: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        return self._group_terms.get(choice), self._member_terms.get(choice)

    def cost(self, category: str, amount_per_group: np.ndarray | float) -> None:
        """Book spend (CNY) in the cost ledger under ``category``; never negative."""
        amount = np.broadcast_to(np.asarray(amount_per_group, dtype=float), (self.groups.count,))
        if (amount < 0).any():
            raise ValueError(f"cost '{category}' is negative")
        self.ledger[category] = self.ledger.get(category, 0) + amount

    def stream(self, name: str) -> StreamView:
        """The random stream reserved for strategy ``name``."""
        return self.model.streams.view(f"strategy.{name}")
