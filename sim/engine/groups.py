"""Groups: the few chat groups, as Mesa agents backed by per-group arrays.

Each group is a ``GroupAgent`` (a ``mesa.Agent``) for users and strategies that want
objects; the daily rules read the per-group numpy arrays of ``Groups`` (one slot per
group, indexed by ``gid``), so a step costs the same with 3 groups or 3,000.

Routing (入群): recruits join through the current invitation (the newest group). With
``auto_switch`` on, as group tools do (seed 002), the invitation switches to a newly
opened group once the current one has admitted ``capacity`` joiners (WeChat caps a group
at 500); seats that leavers free later are not handed out again. Group assignment thus
depends only on the order of arrival, so scenarios that recruit alike put the same
recruits in the same groups (common random numbers hold at group level too). With it
off there is one open group; recruits who find it full are turned away (``lost_full``). A
membership a strategy starts in a group (an enrolment, an attracted recruit) takes one of the
places its invitation hands out, so the group never passes its ``capacity``.

**WeChat's limits** (seed 002; each off by default, which is the routing above):
``qr_limit`` — a group's QR code admits joiners only up to that many members (WeChat: 200);
past it the invitation switches (``auto_switch``) or the recruits are turned away
(``lost_full``). Members beyond it come by personal invitation, up to ``capacity``:
enrolments (``CommunityModel.enroll``), invitees into their inviter's group and attracted
recruits use ``seats()``, which the QR limit does not bound. ``qr_days`` — a group's code
expires that many days after the group opened (WeChat: 7); the invitation then switches to a
new group (new code), or, without ``auto_switch``, the recruits are turned away (counted in
``lost_full`` too; ``expired_lost`` keeps that part). ``reuse_seats`` — ``none`` (as above),
``fill_oldest`` / ``fill_newest``: recruits go to the oldest / newest open group whose code
is valid and that has a free seat (present members under ``capacity`` and under
``qr_limit``: seats freed by leavers are handed out again; closed groups never), a new group
opening only when none has a seat (with ``auto_switch``). Where seats are reused the QR limit
is on present members, as WeChat's own rule; under ``none`` it is counted as the capacity
is (places handed out with ``auto_switch``, present members without). Members on day 0
(``initial_members``) are routed as recruits are, so they too fill groups to ``qr_limit``.
Routing stays a function of the order of arrival and of
the groups' state: deterministic, no random draw.

**Closing.** A strategy may dissolve a group (``Day.close``: moving the active members of a
zombie group elsewhere and dissolving it, seed 004). A closed group takes nobody again: no
recruit, attracted recruit or enrolment, and no strategy acts on it
(``sim.strategies.schedule.scope``); if it held the invitation, the next joiners open a new
group (with ``auto_switch`` off too). A member whose move out of it could not start (no seat, or already there) leaves
the next day (``CommunityModel.step``), so it is empty from then on.
"""
from __future__ import annotations

import mesa
import numpy as np

from .kinds import KindTable

REUSE_SEATS = ("none", "fill_oldest", "fill_newest")  # how freed seats are handed out again


class GroupAgent(mesa.Agent):
    """One chat group. Attributes are views of the arrays in ``model.groups``."""

    def __init__(self, model: mesa.Model, gid: int):
        super().__init__(model)
        self.gid = gid

    @property
    def size(self) -> int:
        return int(self.model.groups.size[self.gid])

    @property
    def opened(self) -> int:
        return int(self.model.groups.opened[self.gid])

    @property
    def age(self) -> int:
        return self.model.day - self.opened

    @property
    def rows(self) -> slice:
        """This group's rows in ``model.members`` (rows are kept sorted by group)."""
        counts = self.model.members.row_counts
        start = int(counts[: self.gid].sum())
        return slice(start, start + int(counts[self.gid]))

    @property
    def liveliness(self) -> float:
        """Its talk per present member, averaged over recent days (``sim.engine.rules.Contagion``)."""
        return float(self.model.groups.liveliness[self.gid])


class Groups:
    def __init__(self, model: mesa.Model, capacity: int, auto_switch: bool, initial_liveliness: float = 0.0,
                 qr_limit: int | None = None, qr_days: int | None = None, reuse_seats: str = "none",
                 kinds: KindTable | None = None):
        self.model = model
        self.initial_liveliness = initial_liveliness  # a new group's (no history yet)
        self.capacity = capacity
        self.kinds = kinds or KindTable(None, capacity, 0.0)  # sim.engine.kinds: one kind unless declared
        self.auto_switch = auto_switch
        self.qr_limit, self.qr_days, self.reuse_seats = qr_limit, qr_days, reuse_seats  # WeChat's limits
        if self.reuse_seats not in REUSE_SEATS:
            raise ValueError(f"reuse_seats: {self.reuse_seats!r}; allowed: {', '.join(REUSE_SEATS)}")
        self.expired_lost = 0  # recruits turned away because the code had expired (in lost_full too)
        self.agents: list[GroupAgent] = []
        self.size = np.zeros(0, np.int64)      # present members
        self.admitted = np.zeros(0, np.int64)  # memberships ever started in it (joiners routed, enrolled)
        self.opened = np.zeros(0, np.int32)
        self.liveliness = np.zeros(0, np.float64)
        self.closed = np.zeros(0, bool)        # dissolved: takes nobody, no strategy acts on it
        self.kind = np.zeros(0, np.int16)      # index into the scenario's kinds (sim.engine.kinds)
        self.cap = np.zeros(0, np.int64)       # members it holds: its kind's capacity

    @property
    def home_kind(self) -> int:
        """The first routable kind: where recruits go when no rule says otherwise."""
        return int(np.flatnonzero(self.kinds.routable)[0])

    @property
    def count(self) -> int:
        return len(self.agents)

    def seats(self) -> np.ndarray:
        """Free places per group today (none in a closed group)."""
        return np.where(self.closed, 0, np.maximum(self.cap - self.size, 0))

    def open(self, day: int, count: int = 1, kind: int = 0) -> int:
        """Open ``count`` new groups of ``kind`` on ``day``; returns the first new gid."""
        first = self.count
        for gid in range(first, first + count):
            self.agents.append(GroupAgent(self.model, gid))
        self.size = np.concatenate([self.size, np.zeros(count, np.int64)])
        self.admitted = np.concatenate([self.admitted, np.zeros(count, np.int64)])
        self.opened = np.concatenate([self.opened, np.full(count, day, np.int32)])
        self.liveliness = np.concatenate([self.liveliness, np.full(count, self.initial_liveliness)])
        self.closed = np.concatenate([self.closed, np.zeros(count, bool)])
        self.kind = np.concatenate([self.kind, np.full(count, kind, np.int16)])
        self.cap = np.concatenate([self.cap, np.full(count, self.kinds.capacity[kind], np.int64)])
        return first

    def route_kinds(self, kinds: np.ndarray, day: int) -> tuple[np.ndarray, int]:
        """Route joiners of the given ``kinds`` (one per joiner), each kind through its own
        invitation; returns (gid per joiner, -1 for those turned away; how many were)."""
        gids = np.full(len(kinds), -1, np.int32)
        lost, first = 0, self.count
        for k in np.unique(kinds):
            who = np.flatnonzero(kinds == k)
            placed, away = self.route(len(who), day, int(k))
            gids[who[: len(placed)]] = placed
            lost += away
        return self._invitations_last(first, gids), lost

    def _invitations_last(self, first: int, gids: np.ndarray) -> np.ndarray:
        """Renumber the groups opened from ``first`` on so each kind's invitation (its newest
        group) comes after the kinds' other new groups; returns ``gids`` renumbered. Recruits
        of the next days then join groups near the end of the member rows, which stay in
        order with few rows moved (``sim.engine.members``); it matters when several kinds open
        many groups at once (the day-0 members)."""
        new = np.arange(first, self.count)
        current = np.zeros(len(new), bool)
        for k in np.unique(self.kind[new]):
            current[np.flatnonzero(self.kind[new] == k)[-1]] = True
        order = np.concatenate([new[~current], new[current]])  # the old gid now at each new one
        if (order == new).all():
            return gids
        for name in ("size", "admitted", "opened", "liveliness", "closed", "kind", "cap"):
            values = getattr(self, name)
            values[new] = values[order]
        renumbered = np.arange(self.count)
        renumbered[order] = new
        return np.where(gids >= 0, renumbered[np.maximum(gids, 0)], -1).astype(np.int32)

    def route(self, count: int, day: int, kind: int | None = None) -> tuple[np.ndarray, int]:
        """Assign ``count`` joiners to groups of ``kind`` (None: ``home_kind``); returns (gid
        per joiner, number turned away: the last ``count - len(gids)`` joiners)."""
        kind = self.home_kind if kind is None else kind
        if count == 0:
            return np.zeros(0, np.int32), 0
        if self.reuse_seats != "none":
            return self._route_reusing(count, day, kind)
        mine = np.flatnonzero(self.kind == kind)
        if not len(mine) or self.closed[mine[-1]]:
            self.open(day, kind=kind)
            mine = np.flatnonzero(self.kind == kind)
        gid = int(mine[-1])  # the kind's invitation: its newest group
        if self._expired(gid, day):  # the code no longer works: a new group, or nobody gets in
            if not self.auto_switch:
                self.expired_lost += count
                return np.zeros(0, np.int32), count
            gid = self.open(day, kind=kind)
        limit = self.qr_limit_of(kind)
        room = max(limit - int(self.admitted[gid] if self.auto_switch else self.size[gid]), 0)
        take = min(room, count)
        placed = np.full(take, gid, np.int32)
        rest = count - take
        if rest and self.auto_switch:  # fill the current group, then as many new ones as needed
            first = self.open(day, -(-rest // limit), kind)
            placed = np.concatenate([placed, first + np.arange(rest, dtype=np.int32) // limit])
            rest = 0
        if len(placed):
            added = np.bincount(placed - gid, minlength=self.count - gid)
            self.size[gid:] += added
            self.admitted[gid:] += added
        return placed, rest

    # -- WeChat's limits (qr_limit, qr_days, reuse_seats) ----------------------------------
    def qr_limit_of(self, kind: int) -> int:
        """Members a group of ``kind``'s QR code lets in: its capacity, or ``qr_limit`` if lower."""
        cap = int(self.kinds.capacity[kind])
        return cap if self.qr_limit is None else min(cap, self.qr_limit)

    def _expired(self, gid, day: int):
        """Whether group ``gid``'s QR code has expired on ``day`` (never without ``qr_days``)."""
        if self.qr_days is None:
            return np.zeros(np.shape(gid), bool) if np.ndim(gid) else False
        return day - self.opened[gid] >= self.qr_days

    def qr_seats(self, day: int) -> np.ndarray:
        """Places per group its QR code still hands out on ``day`` when seats are reused:
        open, code valid, present members under ``capacity`` and ``qr_limit``."""
        limit = self.cap if self.qr_limit is None else np.minimum(self.cap, self.qr_limit)
        room = np.maximum(limit - self.size, 0)
        return np.where(self.closed | self._expired(np.arange(self.count), day), 0, room)

    def _route_reusing(self, count: int, day: int, kind: int) -> tuple[np.ndarray, int]:
        """``fill_oldest`` / ``fill_newest``: the free QR seats of the kind's open groups in
        age order, then (with ``auto_switch``, or when none is open at all) new groups."""
        mine = self.kind == kind
        if not (mine & ~self.closed).any():
            self.open(day, kind=kind)
            mine = self.kind == kind
        room = np.where(mine, self.qr_seats(day), 0)
        order = np.flatnonzero(mine)
        order = order if self.reuse_seats == "fill_oldest" else order[::-1]
        take = np.minimum(room[order], np.maximum(count - (np.cumsum(room[order]) - room[order]), 0))
        placed = np.repeat(order.astype(np.int32), take)
        rest = count - len(placed)
        limit = self.qr_limit_of(kind)
        if rest and self.auto_switch:
            first = self.open(day, -(-rest // limit), kind)
            placed = np.concatenate([placed, first + np.arange(rest, dtype=np.int32) // limit])
            rest = 0
        elif rest and self.qr_days is not None:  # turned away where a valid code had no seat left
            expired = (self.closed | self._expired(np.arange(self.count), day))[self.kind == kind].all()
            self.expired_lost += rest if expired else 0
        added = np.bincount(placed, minlength=self.count)
        self.size += added
        self.admitted += added
        return placed, rest


def sized(per_group: np.ndarray, n_groups: int, dtype=np.int64) -> np.ndarray:
    """A per-group array made before today's groups opened, padded with zeros to ``n_groups``."""
    out = np.zeros(n_groups, dtype)
    out[: len(per_group)] = per_group[:n_groups]
    return out
