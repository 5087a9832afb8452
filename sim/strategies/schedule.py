"""When and where a strategy acts: one shared schedule (``when``) and target (``where``).

Every strategy's parameters hold both, so no strategy writes date logic of its own; the
engine confines each strategy's actions to the groups they allow that day
(``sim.engine.day``: ``Day.scope``). Both default to "every day, every group".

``when`` (the calendar and the lifecycle):
- ``days``: only these days (day 0 is the first simulated day);
- ``start`` / ``end``: a campaign window, first and last day (inclusive);
- ``every``: every n-th day from ``start`` (7: weekly);
- ``weekdays``: 0 Monday ... 6 Sunday (day 0 is the scenario's ``start_weekday``);
- ``group_age``: [from, to] days since each group opened;
- ``stage``: a lifecycle stage by name, or a list of names: the strategy acts on a group
  only while the group's age is in one of them. The scenario's ``stages:`` names them
  (group-age ranges); without it, ``STAGES`` below.

``where`` (which groups; never a closed one, ``sim.engine.groups``):
- ``groups``: group ids (groups are numbered from 0 in the order they open);
- ``min_size`` / ``max_size``: present members that day (after its arrivals);
- ``kinds``: groups of these kinds (``groups.kinds``, ``sim.engine.kinds``), a name or a list.

A scenario may run several instances of one strategy (a list under its name), each
with its own ``when`` and ``where``, in the order written: so any strategy's parameters
can change by lifecycle stage (one instance a stage) or by date.

**Lifecycle stages** (seed 004: about a month of strong operations with 7/21/30-day
campaigns, then daily operations with KOCs running things, then light operations; badly
run groups are zombies within weeks, well-run ones live a year or more). Default
``STAGES``: ``launch`` [0, 29] (the first month), ``daily`` [30, 179] (to about half a
year: the seed gives no end, so this is a stylized fact), ``light`` [180, 3650].
"""
from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

DAY_MAX = 3650
# lifecycle stages by group age, [from, to] days (seed 004; see the module docstring)
STAGES: dict[str, tuple[int, int]] = {"launch": (0, 29), "daily": (30, 179), "light": (180, DAY_MAX)}


def _distinct_hours(v: tuple[int, ...]) -> tuple[int, ...]:
    if any(not 0 <= h <= 23 for h in v) or len(set(v)) != len(v):
        raise ValueError("slots are distinct hours from 0 to 23")
    return tuple(sorted(v))


Hours = Annotated[tuple[int, ...], AfterValidator(_distinct_hours)]  # hours of a day messages go out, sorted
Names = Annotated[tuple[str, ...], BeforeValidator(lambda v: (v,) if isinstance(v, str) else v)]  # one, or a list


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Schedule(_Strict):
    days: tuple[int, ...] | None = Field(None, min_length=1, description="only these days")
    start: int = Field(0, ge=0, le=DAY_MAX, description="first day of the window")
    end: int | None = Field(None, ge=0, le=DAY_MAX, description="last day of the window (inclusive)")
    every: int = Field(1, ge=1, le=DAY_MAX, description="every n-th day from start")
    weekdays: tuple[int, ...] | None = Field(None, min_length=1, description="0 Monday ... 6 Sunday")
    group_age: tuple[int, int] | None = Field(None, description="[from, to] days since the group opened")
    stage: Names | None = Field(None, min_length=1, description="lifecycle stage(s) by name: the "
                                "scenario's stages (default launch, daily, light)")

    @model_validator(mode="after")
    def _consistent(self):
        if self.days is not None and any(not 0 <= d <= DAY_MAX for d in self.days):
            raise ValueError(f"days are from 0 to {DAY_MAX}")
        if self.weekdays is not None and any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        if self.group_age is not None and not 0 <= self.group_age[0] <= self.group_age[1]:
            raise ValueError("group_age is [from, to] with 0 <= from <= to")
        return self

    def today(self, t: int, weekday: int) -> bool:
        """Whether the calendar allows day ``t``."""
        if self.days is not None and t not in self.days:
            return False
        if t < self.start or (self.end is not None and t > self.end) or (t - self.start) % self.every:
            return False
        return self.weekdays is None or weekday in self.weekdays


class Target(_Strict):
    groups: tuple[int, ...] | None = Field(None, min_length=1, description="group ids, from 0 in opening order")
    min_size: int = Field(0, ge=0, le=1_000_000, description="fewest present members")
    max_size: int | None = Field(None, ge=0, le=1_000_000, description="most present members")
    kinds: Names | None = Field(None, min_length=1, description="group kinds by name "
                                "(groups.kinds: a tier's groups, say)")


def scope(when: Schedule, where: Target, day) -> np.ndarray:
    """Mask of the groups a strategy acts on today."""
    g = day.groups
    if not when.today(day.t, day.weekday):
        return np.zeros(g.count, bool)
    mask = (g.size >= where.min_size) & ~g.closed
    if where.max_size is not None:
        mask &= g.size <= where.max_size
    if where.groups is not None:
        mask &= np.isin(np.arange(g.count), where.groups)
    if where.kinds is not None:
        names = day.model.spec.groups.kind_names()
        mask &= np.isin(g.kind, [names.index(k) for k in where.kinds])
    if when.group_age is not None:
        age = day.t - g.opened
        mask &= (age >= when.group_age[0]) & (age <= when.group_age[1])
    if when.stage is not None:
        mask &= in_stages(when.stage, day.model.spec.stage_ranges(), day.t - g.opened)
    return mask


def in_stages(names: tuple[str, ...], ranges: dict[str, tuple[int, int]], age: np.ndarray) -> np.ndarray:
    """Mask of the group ages inside any of the stages ``names``."""
    inside = np.zeros(len(age), bool)
    for name in names:
        if name not in ranges:
            raise KeyError(f"no stage '{name}'; the stages are {', '.join(ranges)}")
        lo, hi = ranges[name]
        inside |= (age >= lo) & (age <= hi)
    return inside
