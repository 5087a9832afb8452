"""Day: what strategies and member rules share during one simulated day.

Strategies write the operator's actions and extra log-odds into a ``Day``; the member
rules then read them. Per-group arrays are indexed by group id; per-member arrays by
live member row. Effects are additive log-odds terms, so any number of strategies
compose, and the member rules stay the one place where terms turn into choices.

**Messages by channel.** Every message lands in a channel, a generic source the engine
knows without knowing who writes it: the operator's ``value`` content and ``ad``
push messages (``OPERATOR``), and any account a strategy declares as a ``Channel`` (a staff
alt account, a seeded account). ``send`` adds messages and their reach-weighted count (reach:
the share of members who read a message at that hour, relative to the evening peak).
Members read value and ads (``sim.engine.rules``); a channel with ``social_proof``
counts toward the group's liveliness like members' own posts, each message with the
weight its sender gives it (``proof``: 1 unless said; an account's talk may convince less
once members know who is real).

**Scope.** While a strategy acts, ``scope`` is the mask of groups its schedule and
target allow today; everything it writes through ``send``, ``cost``, ``add_group_term``,
``add_member_term`` and ``add_output`` is confined to those groups, and it may write
only the cost categories, outputs and channels it declares.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .arrivals import Funnel
from .invitees import Referral
from .choices import CHOICES
from .streams import StreamView

if TYPE_CHECKING:
    from .model import CommunityModel

OPERATOR = ("value", "ad")  # the operator's channels: useful content, ads and product push messages


@dataclass(frozen=True)
class Channel:
    """A source of messages in groups that is not a member (an account a strategy runs).
    ``social_proof``: its messages count toward liveliness like members' posts."""
    name: str
    social_proof: bool = True
    meaning: str = ""


@dataclass(frozen=True)
class Output:
    """A per-(day, group) column of ``daily.parquet`` a strategy declares (summed over
    its instances): ``kind`` "count" (whole numbers) or "amount" (float, e.g. CNY)."""
    name: str
    kind: str = "count"
    meaning: str = ""


class Day:
    def __init__(self, model: "CommunityModel", t: int):
        self.t = t
        self.weekday = (t + model.spec.start_weekday) % 7  # 0 Monday ... 6 Sunday
        self.model = model
        self.members = model.members
        self.groups = model.groups
        g = model.groups.count
        self.messages = {c: np.zeros(g) for c in model.channels}  # messages per group, by channel
        self.reach = {c: np.zeros(g) for c in model.channels}     # the same, weighted by reach
        self.proof = {c: np.zeros(g) for c in model.channels}     # the same, weighted as social proof
        self.outputs = {name: np.zeros(g) for name in model.outputs}
        self.ledger: dict[str, np.ndarray] = {}
        self._group_terms: dict[str, np.ndarray] = {}
        self._member_terms: dict[str, np.ndarray] = {}
        self._sparse_terms: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self.actor = None                   # the strategy acting now, while it acts
        self.scope: np.ndarray | None = None  # groups it may touch today
        # today's outcomes per live member row, set by the member rules
        self.present: np.ndarray | None = None
        self.seen: np.ndarray | None = None
        self.posted: np.ndarray | None = None
        self.bought: np.ndarray | None = None
        self.leaving: np.ndarray | None = None
        self.active: np.ndarray | None = None
        self.posts_by_group: np.ndarray | None = None
        self.chosen: dict[str, np.ndarray] = {}  # rows choosing each generic choice today
        self.writers: tuple[np.ndarray, np.ndarray] | None = None  # (rows who posted, their messages today)
        self.spam_msgs = np.zeros(g)  # members' messages that were ads, per group (sim.engine.spam.Spam)

    # -- what strategies write --------------------------------------------------------
    def _scoped(self, values) -> np.ndarray:
        values = np.broadcast_to(np.asarray(values, dtype=float), (self.groups.count,))
        return values if self.scope is None else np.where(self.scope, values, 0.0)  # -inf stays in scope only

    def send(self, channel: str, count, reach=None, proof=None) -> None:
        """Post ``count`` messages a group (a number or per group) on ``channel``;
        ``reach`` is their reach-weighted count (default: read as at the peak hour) and
        ``proof`` their count as social proof (default: ``count``)."""
        if channel not in self.messages:
            raise KeyError(f"unknown channel '{channel}'; channels are {list(self.messages)}")
        if self.actor is not None and channel not in OPERATOR and channel not in self.actor.channel_names:
            raise KeyError(f"strategy '{self.actor.name}' posts on channel '{channel}' it does not declare")
        self.messages[channel] += self._scoped(count)
        self.reach[channel] += self._scoped(count if reach is None else reach)
        self.proof[channel] += self._scoped(count if proof is None else proof)

    def cost(self, category: str, amount_per_group) -> None:
        """Book spend (CNY) in the cost ledger under ``category``; never negative."""
        if self.actor is not None and category not in self.actor.costs:
            raise KeyError(f"strategy '{self.actor.name}' books cost '{category}' it does not declare")
        amount = self._scoped(amount_per_group)
        if (amount < 0).any():
            raise ValueError(f"cost '{category}' is negative")
        self.ledger[category] = self.ledger.get(category, 0) + amount

    def add_output(self, name: str, values) -> None:
        """Add to a declared per-(day, group) output."""
        if name not in self.outputs:
            raise KeyError(f"unknown output '{name}'; declared outputs are {list(self.outputs)}")
        if self.actor is not None and name not in self.actor.output_names:
            raise KeyError(f"strategy '{self.actor.name}' writes output '{name}' it does not declare")
        self.outputs[name] += self._scoped(values)

    def add_group_term(self, choice: str, values) -> None:
        """Add log-odds (a number or per group) to ``choice`` for every member of the groups."""
        _known(choice)
        if choice not in self._group_terms:
            self._group_terms[choice] = np.zeros(self.groups.count)
        self._group_terms[choice] += self._scoped(values)

    def add_member_term(self, choice: str, values, rows=None) -> None:
        """Add log-odds (a number or one per live row) to ``choice`` for members; with
        ``rows`` (live rows), only to those, ``values`` one per row or one number: cheaper
        when a few members differ (the noticed, the hunters), as their draws are tested
        exactly and nobody else's change; past an eighth of the rows they go into the column.
        Either way each member's choice is the same."""
        _known(choice)
        if rows is not None:
            rows = np.asarray(rows, np.int64)
            values = np.broadcast_to(np.asarray(values, np.float32), rows.shape)
            if self.scope is not None:
                inside = self.scope[self.members.group[rows]]
                rows, values = rows[inside], values[inside]
            if 8 * len(rows) <= self.members.n:
                self._sparse_terms.setdefault(choice, []).append((rows, values))
                return
            # so many rows (every answered newcomer of a large launch) that a column is cheaper
            values = np.bincount(rows, weights=values, minlength=self.members.n).astype(np.float32)
        if choice not in self._member_terms:
            self._member_terms[choice] = np.zeros(self.members.n, np.float32)
        values = np.broadcast_to(np.asarray(values, np.float32), (self.members.n,))
        if self.scope is not None and rows is None:  # row terms were confined above
            values = np.where(self.members.per_member(self.scope, bool), values, np.float32(0))
        self._member_terms[choice] += values

    def attract(self, segment: str, per_group) -> None:
        """Draw ``per_group`` new recruits of ``segment`` (a number or per group) into the
        groups in scope, arriving tomorrow (``sim.engine.arrivals``: attracted recruits)."""
        names = self.model.spec.members.segment_names()
        if segment not in names:
            raise KeyError(f"unknown segment '{segment}'; segments are {names}")
        counts = self._scoped(per_group)
        if (counts < 0).any():
            raise ValueError("attract: a negative number of recruits")
        self.model.recruiting.attracted.append((np.floor(counts).astype(np.int64), names.index(segment)))

    def invite(self, join_probability: float | None = None, reinvite_after: int | None = None,
               rejoin: float = 0.0, reachable: float = 1.0) -> None:
        """Set tomorrow's invitation funnel (拉新承接; ``sim.engine.arrivals``: ``Funnel``):
        tomorrow's recruits join with ``join_probability`` (a welcome offer; None: the
        scenario's), and, with ``reinvite_after``, the recruits of that many days before
        tomorrow who did not join (and whose join draw was under ``reachable``: those who
        got through the earlier stages) are invited again and join with probability ``rejoin``.
        The invitation is the programme's, not a group's, so ``scope`` does not confine it.
        One strategy sets it: another strategy (not another instance of the same one, where
        the last wins) setting the same day's funnel is an error, so two strategies' funnels (a
        welcome offer and a staged funnel) never silently overwrite each other.
        What today's funnel did is in ``model.recruiting.today`` (``FunnelCounts``)."""
        if join_probability is not None and not 0 <= join_probability <= 1:
            raise ValueError(f"invite: join_probability {join_probability} is not in [0, 1]")
        if not 0 <= rejoin <= 1 or (reinvite_after is not None and reinvite_after < 1) or not 0 <= reachable <= 1:
            raise ValueError("invite: rejoin and reachable are in [0, 1] and reinvite_after at least 1 day")
        by = self.actor.name if self.actor is not None else ""
        earlier = self.model.recruiting.funnels.get(self.t + 1)
        if earlier is not None and earlier.by != by:
            raise ValueError(f"strategies '{earlier.by}' and '{by}' both set the invitation funnel (day {self.t + 1}): "
                             "switch the join rate and re-invites off in one of them")
        self.model.recruiting.funnels[self.t + 1] = Funnel(join_probability, reinvite_after, rejoin, reachable, by)

    def refer(self, rows, homophily: float = 0.0) -> None:
        """Bring one invitee per entry of ``rows`` (live rows of her inviters; a row may
        repeat), arriving tomorrow with source ``SOURCE_REFERRAL`` into her inviter's group
        while it has seats, else the newest open group (``sim.engine.arrivals``:
        invitees). ``homophily`` in [0, 1]: how much her traits resemble her inviter's (0:
        drawn as any recruit's). Inviters outside ``scope`` bring nobody."""
        rows = np.asarray(rows, np.int64)
        if len(rows) and (rows.min() < 0 or rows.max() >= self.members.n):
            raise IndexError(f"refer: rows must be live member rows (0..{self.members.n - 1})")
        if not 0 <= homophily <= 1:
            raise ValueError(f"refer: homophily {homophily} is not in [0, 1]")
        if self.scope is not None:
            rows = rows[self.scope[self.members.group[rows]]]
        m, invitees = self.members, self.model.recruiting.invitees
        scores = invitees.scores_of(rows) if homophily > 0 else None
        invitees.referred.append(Referral(m.person[rows].astype(np.int64), m.group[rows].copy(),
                                          m.segment[rows].copy(), float(homophily), scores))

    def enroll(self, rows, groups, move: bool = False) -> None:
        """Add the members at live ``rows`` to ``groups`` (a VIP or tier group), or move them
        there, from tomorrow (``sim.engine.model.CommunityModel.enroll``)."""
        self.model.enroll(rows, groups, move)

    def remove(self, rows) -> None:
        """Remove the members at live ``rows`` from their groups today (moderators kicking
        spammers out): they count as leaving today. Only in ``after``, once the member rules
        have drawn today's choices."""
        if self.leaving is None:
            raise RuntimeError("remove: members can be removed only after the member rules ran (in after)")
        rows = np.asarray(rows, np.int64)
        if len(rows) and (rows.min() < 0 or rows.max() >= self.members.n):
            raise IndexError(f"remove: rows must be live member rows (0..{self.members.n - 1})")
        if self.scope is not None:
            rows = rows[self.scope[self.members.group[rows]]]
        self.leaving[rows[self.present[rows]]] = True

    def close(self, groups) -> None:
        """Dissolve ``groups`` (ids) at the end of today: every present member leaves, except
        those whose move to another group was asked for today (``enroll`` with ``move``),
        and the group takes nobody again (``sim.engine.groups``). Only in ``after``. A member
        whose move cannot start (no seat left, or she is there already) stays a day and
        leaves tomorrow: ask only for the seats there are (``Groups.seats`` less
        ``CommunityModel.asked_seats``)."""
        gids = np.asarray(groups, np.int64).ravel()
        if len(gids) and (gids.min() < 0 or gids.max() >= self.groups.count):
            raise IndexError(f"close: groups are 0..{self.groups.count - 1}")
        if self.scope is not None:
            gids = gids[self.scope[gids]]
        if not len(gids):
            return
        closing = np.zeros(self.groups.count, bool)
        closing[gids] = True
        rows = np.flatnonzero(self.members.per_member(closing, bool) & self.present)
        self.remove(np.setdiff1d(rows, self.model.moving_out(), assume_unique=True))
        self.groups.closed[gids] = True

    def terms(self, choice: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        return self._group_terms.get(choice), self._member_terms.get(choice)

    def sparse_terms(self, choice: str, extra=None) -> tuple[np.ndarray, np.ndarray] | None:
        """(sorted unique rows, summed log-odds) of the row terms of ``choice``, with ``extra``
        (rows, log-odds) of the member rules; None if there are none."""
        parts = self._sparse_terms.get(choice, []) + ([extra] if extra is not None else [])
        if not parts:
            return None
        if len(parts) == 1 and (np.diff(parts[0][0]) > 0).all():
            return parts[0][0], parts[0][1]
        rows, z = np.concatenate([r for r, _ in parts]), np.concatenate([z for _, z in parts])
        n = self.members.n
        if 16 * len(rows) > n:  # many rows (every newcomer of a large launch): two counts beat a sort
            summed, hits = np.bincount(rows, weights=z, minlength=n), np.bincount(rows, minlength=n)
            rows = np.flatnonzero(hits)
            return rows, summed[rows].astype(np.float32)
        rows, index = np.unique(rows, return_inverse=True)
        return rows, np.bincount(index, weights=z).astype(np.float32)

    def stream(self, sub: str = "") -> StreamView:
        """The acting strategy's own random stream (``sub`` names a sub-stream)."""
        view = self.model.streams.view(self.actor.purpose)
        return view if not sub else self.model.streams.view(f"{self.actor.purpose}.{sub}")

    # -- what the rules read ------------------------------------------------------------
    @property
    def operator_msgs(self) -> np.ndarray:
        return self.messages["value"] + self.messages["ad"]

    @property
    def all_msgs(self) -> np.ndarray:
        """Messages of every channel (operator and accounts), per group."""
        return sum(self.messages.values(), np.zeros(self.groups.count))

    @property
    def proof_msgs(self) -> np.ndarray:
        """Messages of accounts that count as social proof, each with its weight, per group."""
        social = [c for c in self.model.channel_specs if c.social_proof]
        return sum((self.proof[c.name] for c in social), np.zeros(self.groups.count))


def _known(choice: str) -> None:
    if choice not in CHOICES:
        raise KeyError(f"unknown choice '{choice}'; choices are {list(CHOICES)}")
