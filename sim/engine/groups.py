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
    def __init__(self, model: mesa.Model, capacity: int, auto_switch: bool, initial_liveliness: float = 0.0):
        self.model = model
        self.initial_liveliness = initial_liveliness  # a new group's (no history yet)
        self.capacity = capacity
        self.auto_switch = auto_switch
        self.agents: list[GroupAgent] = []
        self.size = np.zeros(0, np.int64)      # present members
        self.admitted = np.zeros(0, np.int64)  # memberships ever started in it (joiners routed, enrolled)
        self.opened = np.zeros(0, np.int32)
        self.liveliness = np.zeros(0, np.float64)
        self.closed = np.zeros(0, bool)        # dissolved: takes nobody, no strategy acts on it

    @property
    def count(self) -> int:
        return len(self.agents)

    def seats(self) -> np.ndarray:
        """Free places per group today (none in a closed group)."""
        return np.where(self.closed, 0, np.maximum(self.capacity - self.size, 0))

    def open(self, day: int, count: int = 1) -> int:
        """Open ``count`` new groups on ``day``; returns the first new gid."""
        first = self.count
        for gid in range(first, first + count):
            self.agents.append(GroupAgent(self.model, gid))
        self.size = np.concatenate([self.size, np.zeros(count, np.int64)])
        self.admitted = np.concatenate([self.admitted, np.zeros(count, np.int64)])
        self.opened = np.concatenate([self.opened, np.full(count, day, np.int32)])
        self.liveliness = np.concatenate([self.liveliness, np.full(count, self.initial_liveliness)])
        self.closed = np.concatenate([self.closed, np.zeros(count, bool)])
        return first

    def route(self, count: int, day: int) -> tuple[np.ndarray, int]:
        """Assign ``count`` joiners to groups; returns (gid per joiner, number turned away)."""
        if count == 0:
            return np.zeros(0, np.int32), 0
        if self.count == 0 or self.closed[-1]:
            self.open(day)
        gid = self.count - 1
        room = max(self.capacity - int(self.admitted[gid] if self.auto_switch else self.size[gid]), 0)
        take = min(room, count)
        placed = np.full(take, gid, np.int32)
        rest = count - take
        if rest and self.auto_switch:  # fill the current group, then as many new ones as needed
            first = self.open(day, -(-rest // self.capacity))
            placed = np.concatenate([placed, first + np.arange(rest, dtype=np.int32) // self.capacity])
            rest = 0
        if len(placed):
            added = np.bincount(placed - gid, minlength=self.count - gid)
            self.size[gid:] += added
            self.admitted[gid:] += added
        return placed, rest


def sized(per_group: np.ndarray, n_groups: int, dtype=np.int64) -> np.ndarray:
    """A per-group array made before today's groups opened, padded with zeros to ``n_groups``."""
    out = np.zeros(n_groups, dtype)
    out[: len(per_group)] = per_group[:n_groups]
    return out
