"""Migration: zombie groups are dissolved and their still-active members moved to a live group
(seed 004: in the late stage, don't try to revive a zombie group (死群); move the members who
are still active to a live group and dissolve the rest; badly run groups turn to zombies in
one to two weeks).

**Detect.** Every day it is scheduled it reads each open group's share of present members who
posted and keeps the mean of its last ``window`` such days: scheduled every day (the default)
that is the trailing ``window``-day mean by which the lifetime analysis calls a group silent
(``sim.analysis.lifetimes``, under 1%); scheduled less often, the mean of its last
``window`` looks, and ``days_under`` counts looks. A group in its target whose mean has
been under ``threshold`` for ``days_under`` days in a row, and which is at least ``min_age``
days old, is a zombie.

**Move.** Its members active (posted or read) in the last ``active_days`` days, and not
leaving today, get a private invitation and move to a live group from tomorrow, their
history kept (``Day.enroll`` with ``move``): the livest open group whose mean is at or over
``threshold`` (any group, in its target or not: a destination is not acted on), then the next
livest as seats run out. Seats are a group's free places (``Groups.seats``) less those asked
for today; a move takes one of the places a group's invitation hands out, so no group passes
its ``capacity``. A person who is
also in another group that stays open is not moved: she keeps that membership.

**Dissolve.** Once every active member of a zombie has a seat, the group is dissolved that
day (``Day.close``): the rest leave, it takes nobody again, and no strategy acts on it any
more, so the operator's messages there stop (``messaging``'s ``spend_staff`` falls). Members
who find no seat stay, and the group is dissolved on a later day when seats have freed. No
new group is opened for them: a group opened mid-day would not have the day's per-group
arrays and would take the recruits' invitation, changing who joins which group.

Parameters (defaults; evidence):
- ``threshold`` (share of present members posting a day, 7-day mean; 0.01): the lifetime
  analysis's silence line (``sim.analysis.kpis.SILENT_SHARE``); 0 switches migration off;
- ``window`` (days; 7): the lifetime analysis's trailing window;
- ``days_under`` (days; 7): a week under the line before the group counts as a zombie, so a
  quiet spell is not enough; with the window, about two weeks of near silence (seed 004: one
  to two weeks), stylized fact;
- ``min_age`` (days; 30): no group is judged in its first month, the early stage of strong
  operations (seed 004: 7/21/30-day campaigns; migration is a late-stage measure);
- ``active_days`` (days; 7): "still active" is active in the last week, as the KPI
  ``active_end`` counts members active in the last week; stylized fact; 0 moves nobody;
- ``cost_per_move`` (CNY; 1): staff time for one private invitation, a templated message
  of about a minute at 50 CNY an hour (``messaging`` counts 2-3 minutes, 2 CNY, for a
  message written for a group); stylized fact;
- ``cost_per_dissolution`` (CNY; 10): the closing notice and disbanding, about 12 minutes of
  staff time at 50 CNY an hour; stylized fact.

What it shows (``tests/test_migration.py``; against the same programme without it): the moved
members stay active (posted or read in the last week) far more often a month on than the
same people left in their zombie (0.28 against 0.04 in the test's programme on seeds 1000-1002),
and the messaging spend falls. Fewer people stay members: the silent members of a dissolved
group leave with it, and the moved, who see a live group's messages again (a move starts a
new membership, not muted), leave somewhat more often than in a zombie they no longer read;
per-person retention (``retention_d90``, ``members_end``) falls accordingly.
``active_days`` 0 dissolves zombies without moving anyone.

Costs go to the ledger as ``migration``, on the group moved out of and dissolved, the day it
happens. Outputs per (day, group): ``migrated`` (members asked to move out of it that day:
``moved_out`` counts them in it the next day) and ``dissolved`` (1 on the day it closes).
KPIs: ``migration_spend``, ``members_migrated``, ``groups_dissolved``.
"""
from __future__ import annotations

import numpy as np
from pydantic import Field

from ..analysis.kpis import SILENT_SHARE, Kpi
from ..engine.day import Output
from ..engine.groups import sized
from ..engine.rules import MONEY_MAX
from .base import Strategy, StrategyParams, register


class MigrationParams(StrategyParams):
    threshold: float = Field(SILENT_SHARE, ge=0, le=1,
                             description="a zombie's trailing mean share of present members posting a day is under it")
    window: int = Field(7, ge=1, le=90, description="days of the trailing mean")
    days_under: int = Field(7, ge=1, le=365, description="consecutive days under the threshold that make a zombie")
    min_age: int = Field(30, ge=0, le=3650, description="days since a group opened before it can be judged a zombie")
    active_days: int = Field(7, ge=0, le=365, description="members active (posted or read) in these last days move")
    cost_per_move: float = Field(1.0, ge=0, le=MONEY_MAX, description="CNY of staff time per member invited to move")
    cost_per_dissolution: float = Field(10.0, ge=0, le=MONEY_MAX, description="CNY of staff time per group dissolved")


@register
class Migration(Strategy):
    name = "migration"
    Params = MigrationParams
    outputs = (Output("migrated", meaning="members asked to move out of the zombie group to a live one"),
               Output("dissolved", meaning="1 on the day the group is dissolved"))
    costs = ("migration",)
    kpis = (Kpi("migration_spend", "Spend on migrating zombie groups", "CNY", higher_is_better=False,
                total="spend_migration"),
            Kpi("members_migrated", "Members moved out of zombie groups", "members", total="migrated"),
            Kpi("groups_dissolved", "Zombie groups dissolved", "groups", higher_is_better=False, total="dissolved"))

    def __init__(self, params: MigrationParams, index: int = 0):
        super().__init__(params, index)
        self._shares = np.zeros((0, params.window))  # each group's daily post shares, a ring of `window` days
        self._seen = np.zeros(0, np.int64)           # days of it recorded
        self._under = np.zeros(0, np.int64)          # consecutive days its mean was under the threshold

    def after(self, day) -> None:
        mean = self._watch(day)
        p, g = self.params, day.groups
        zombie = day.scope & (self._under >= p.days_under) & (day.t - g.opened >= p.min_age)
        if not zombie.any():
            return
        live = ~g.closed & ~zombie & (self._seen > 0) & (mean >= p.threshold)
        movers, source = self._movers(day, zombie, live)
        seats = self._seats(day, live)
        order = np.argsort(-np.where(live, mean, -1.0), kind="stable")
        order = order[live[order] & (seats[order] > 0)]  # the livest first
        places = np.repeat(order, seats[order])[: len(movers)]  # a destination per mover, in turn
        moved = movers[: len(places)]
        if len(moved):
            day.enroll(moved, places, move=True)
        counts = np.bincount(source[: len(places)], minlength=g.count)
        stranded = np.bincount(source[len(places):], minlength=g.count)
        closing = np.flatnonzero(zombie & (stranded == 0))
        day.close(closing)
        dissolved = np.zeros(g.count)
        dissolved[closing] = 1
        day.add_output("migrated", counts)
        day.add_output("dissolved", dissolved)
        day.cost("migration", self.params.cost_per_move * counts + self.params.cost_per_dissolution * dissolved)

    def _watch(self, day) -> np.ndarray:
        """Record today's post share of every open group; returns each group's trailing mean."""
        p, g = self.params, day.groups
        n = g.count
        if len(self._seen) < n:
            shares = np.zeros((n, p.window))
            shares[: len(self._shares)] = self._shares
            self._shares, self._seen, self._under = shares, sized(self._seen, n), sized(self._under, n)
        posts = sized(day.posts_by_group, n).astype(float)
        share = np.divide(posts, g.size, out=np.zeros(n), where=g.size > 0)
        open_ = np.flatnonzero(~g.closed)  # each group's ring turns with the days it was watched
        self._shares[open_, self._seen[open_] % p.window] = share[open_]
        self._seen[open_] += 1
        mean = self._shares.sum(axis=1) / np.clip(self._seen, 1, p.window)
        full = self._seen >= p.window
        self._under = np.where(full & (mean < p.threshold) & ~g.closed, self._under + 1, 0)
        return mean

    def _movers(self, day, zombie: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows to move, their zombie group), grouped by zombie group in id order: members of
        the zombies active lately, present and not leaving today, one row per person, leaving
        out those who are also in a group that stays open."""
        m, p = day.members, self.params
        inside = m.per_member(zombie, bool)
        rows = np.flatnonzero(inside & day.present & ~day.leaving & (m.last_active > day.t - p.active_days))
        if m.several and len(rows):
            elsewhere = day.present & ~day.leaving & ~inside & ~m.per_member(day.groups.closed, bool)
            rows = rows[~np.isin(m.person[rows], m.person[elsewhere])]
            _, first = np.unique(m.person[rows], return_index=True)
            rows = rows[np.sort(first)]
        return rows, m.group[rows].astype(np.int64)

    def _seats(self, day, live: np.ndarray) -> np.ndarray:
        """Places each live group can take today: free seats less those asked for today (an
        enrolment takes one of the places the invitation hands out: ``sim.engine.groups``)."""
        seats = day.groups.seats() - day.model.asked_seats()
        return np.where(live, np.maximum(seats, 0), 0)
