"""Members: every membership (a person in a group) as a structure of numpy arrays.

One row per membership that is (or recently was) live; never one Python object per
member. A person usually has one row (her home group: the fast common case); a strategy
may add her to more groups (a VIP or tier group) or move her (``CommunityModel.enroll``),
and each extra membership is a row of its own.

**Per person** (the same on all her rows, kept in step by the member rules): identity
``person`` (her first ``uid``), ``segment``, ``source``, the traits drawn at arrival
(stored as odds p/(1-p) where they give a choice's base odds, ``<choice>_odds``, with the
gates of the rare draws in ``<choice>_gate``: ``sim.engine.choices``; plain values
otherwise: ``tolerance``, ``social``; ``verbosity`` as ``message_ln_q``), ``trust`` (what she saw in any of
her groups), ``fatigue`` (the notifications of all her groups add up) and ``purchases``
(she orders at most once a day, whichever group pushed). **Per membership**: ``uid``
(the key of its random draws: her person id in her first group, a hash of person and
group in an added one, so her luck in two groups is independent), ``group``,
``joined``, ``left``, ``lapsed_day`` (silent now, -1 while engaged), ``first_lapsed``
(first day she went silent there; a move carries it), ``last_active``, ``muted`` and
``messages`` (written there).

Rows are kept sorted by group, so each group is one contiguous slice of rows: a
per-group value reaches its members by ``np.repeat`` and per-group counts are
``np.add.reduceat`` sums, an order of magnitude faster than gathers and ``bincount``
at 10^6 members. Recruits join the newest group and keep the order by themselves; a
change that breaks it (a membership in an older group) is repaired by one stable sort
before the next rules run. Rows grow by half again when full. Rows of memberships that ended are moved out of the live
arrays into ``archive`` (the columns the members tables need) once they make up a
quarter of the rows, so the daily rules touch mostly present members. Strategies
declare their own per-member state as ``Column``s; the model adds them with
``add_column`` and they grow and compact with the rest.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .choices import CHOICES, trait_choice
from .traits import STORED_AS, TRAITS

ABSENT = -1  # day columns are int16: scenarios last at most 3650 days
ARCHIVED = ("uid", "person", "group", "segment", "source", "joined", "left", "first_lapsed", "purchases", "messages")

STATE_COLUMNS: dict[str, tuple[type, object]] = {
    "uid": (np.uint32, 0),          # key of this membership's random draws
    "person": (np.uint32, 0),       # who she is: her uid in her first group
    "segment": (np.int8, 0),        # index into the scenario's member segments
    "source": (np.int8, 0),         # arrival source (0 = recruitment)
    "group": (np.int32, ABSENT),    # home group
    "joined": (np.int16, ABSENT),   # day joined
    "left": (np.int16, ABSENT),     # day left, -1 while present
    "lapsed_day": (np.int16, ABSENT),  # day gone silent, -1 while engaged (a wake clears it)
    "first_lapsed": (np.int16, ABSENT),  # first day gone silent in this group
    "last_active": (np.int16, ABSENT),  # last day posted or read
    "muted": (np.bool_, False),     # set do-not-disturb (消息免打扰)
    "trust": (np.float32, 0.0),     # trust in the group, 0..1
    "fatigue": (np.float32, 0.0),   # accumulated annoyance, in messages over tolerance
    "purchases": (np.uint16, 0),    # orders placed so far
    "messages": (np.uint32, 0),     # messages written in this group so far
    "talk": (np.float32, 0.0),      # her share of the group's liveliness on talk_day (sim.engine.talk)
    "talk_day": (np.int16, ABSENT),  # the last day she posted here
}
MEMBERSHIP_COLUMNS = ("uid", "group", "joined", "left", "lapsed_day", "first_lapsed", "last_active", "muted",
                      "messages", "talk", "talk_day")  # every other column is the person's


def base_columns(traits: set[str] | None = None) -> dict[str, tuple[type, object]]:
    """The engine's columns: state, then each declared choice's odds p/(1-p) of its trait
    and gate byte (``sim.engine.draws.gate``; 255 lets every draw through to the exact
    test), then the traits that are plain values (tolerance, social). ``traits``: those
    some switched-on rule reads (None: all); the others get no column (at 10^6 members a
    float column is 4 MB)."""
    cols = dict(STATE_COLUMNS)
    used = (lambda t: True) if traits is None else (lambda t: t in traits)
    choices = [c for c in CHOICES.values() if c.trait is not None and used(c.trait)]
    cols.update({c.odds_column: (np.float32, 0.0) for c in choices})
    cols.update({c.gate_column: (np.uint8, 255) for c in choices if c.rare})
    by_trait = trait_choice()
    plain = [t for t in TRAITS if t not in by_trait and used(t)]
    cols.update({t: (np.float32, 1.0 if t == "social" else 0.0) for t in plain if t not in STORED_AS})
    cols.update({STORED_AS[t][0]: (np.float32, STORED_AS[t][2]) for t in plain if t in STORED_AS})
    return cols


def in_sorted(values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Mask of ``values`` found in the sorted, distinct ``wanted``: one binary search per value,
    where a set test (``np.isin``) would sort both first."""
    if not len(wanted):
        return np.zeros(len(values), bool)
    return wanted[np.minimum(np.searchsorted(wanted, values), len(wanted) - 1)] == values


@dataclass(frozen=True)
class Column:
    """A per-member column a strategy declares: name, numpy dtype, value of a new member;
    ``per_person``: an amount kept for ``members.parquet``, summed over a person's groups
    (money a member received, say)."""
    name: str
    dtype: type = np.float32
    fill: object = 0
    meaning: str = ""
    per_person: bool = False


class Members:
    def __init__(self, capacity: int = 1024, traits: set[str] | None = None):
        self.n = 0                      # rows in use
        self.departed_rows = 0          # rows of members who left, not yet archived
        self._spec: dict[str, tuple[type, object]] = {}
        self._cols: dict[str, np.ndarray] = {}
        self._capacity = max(16, capacity)
        self.archive: dict[str, list[np.ndarray]] = {c: [] for c in ARCHIVED}  # departed rows' values
        for name, (dtype, fill) in base_columns(traits).items():
            self.add_column(name, dtype, fill)
        self._person_columns = [c for c in self._spec if c not in MEMBERSHIP_COLUMNS]  # strategies' are per membership
        self.row_counts = np.zeros(0, np.int64)  # rows per group (present or not yet archived)
        self._ordered = True
        self.several = False  # some person has more than one membership (see ``persons``)
        self.moved = False  # some membership ended in a move: its person is still in a group
        self.moves = 0  # times rows changed place (a sort or a compaction): row indices kept elsewhere go stale
        self._persons: tuple | None = None

    # -- columns -------------------------------------------------------------
    def add_column(self, name: str, dtype, fill=0, archived: bool = False) -> None:
        """Register a per-member column; it grows and compacts with the others (and, if
        ``archived``, departed members' values are kept, as for ``ARCHIVED``)."""
        if name in self._spec:
            raise ValueError(f"member column '{name}' exists already")
        self._spec[name] = (dtype, fill)
        self._cols[name] = np.full(self._capacity, fill, dtype=dtype)
        if archived:
            self.archive[name] = []

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is None or name not in cols:
            raise AttributeError(name)
        return cols[name][: self.n]

    def column(self, name: str) -> np.ndarray:
        return self._cols[name][: self.n]

    @property
    def columns(self) -> list[str]:
        return list(self._spec)

    # -- rows ----------------------------------------------------------------
    def add(self, count: int, **values) -> slice:
        """Append ``count`` rows; ``values`` fill named columns, the rest take defaults."""
        if self.n + count > self._capacity:
            self._grow(self.n + count)
        rows = slice(self.n, self.n + count)
        for name, (dtype, fill) in self._spec.items():
            self._cols[name][rows] = values.pop(name, fill)
        if values:
            raise KeyError(f"unknown member columns {sorted(values)}")
        groups = self._cols["group"][rows]
        if count and (np.any(np.diff(groups) < 0) or (self.n and groups[0] < self._cols["group"][self.n - 1])):
            self._ordered = False
        self.n += count
        self._count_rows(groups)
        return rows

    def enroll(self, rows: np.ndarray, group: np.ndarray, day: int, move: bool, keys: np.ndarray) -> None:
        """New memberships of the persons of ``rows`` in ``group`` from ``day``: person
        columns copied, membership columns fresh (``keys`` their draw keys). A move ends
        the old membership the day before and carries its silence over."""
        values = {name: self._cols[name][rows] for name in self._person_columns}
        values.update(uid=keys, group=group, joined=day)
        if move:
            values.update(lapsed_day=self.lapsed_day[rows], first_lapsed=self.first_lapsed[rows])
            self.mark_left(rows, day - 1)
            self.moved = True
        self.add(len(rows), **values)
        self.several = self.several or not move
        self._ordered = False

    def persons(self) -> tuple[np.ndarray, int]:
        """(index of each row's person among 0..k-1, k): for sums over a person's rows."""
        if self._persons is None or self._persons[0] != self.n:
            _, index = np.unique(self.person, return_inverse=True)
            self._persons = (self.n, index, int(index.max()) + 1 if self.n else 0)
        return self._persons[1], self._persons[2]

    def of_persons(self, persons: np.ndarray) -> np.ndarray:
        """Mask of the rows whose person is one of ``persons`` (a few, against every row: one
        binary search per row, where a set test would sort every row first)."""
        return in_sorted(self.person.astype(np.int64), np.unique(np.asarray(persons, np.int64)))

    def person_sum(self, values: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Each row's sum of ``values`` over the rows of its person (``rows``: the rows that count)."""
        index, k = self.persons()
        weights = values if rows is None else values * rows
        return np.bincount(index, weights=weights, minlength=k)[index].astype(values.dtype)

    def _count_rows(self, new_groups: np.ndarray | None = None) -> None:
        self._persons = None
        if new_groups is None or not self._ordered:
            counts = np.bincount(self.column("group"), minlength=len(self.row_counts))
        else:
            counts = np.bincount(new_groups, minlength=len(self.row_counts))
            counts[: len(self.row_counts)] += self.row_counts
        self.row_counts = counts

    def order(self, n_groups: int) -> None:
        """Restore the sort by group (if broken) and size ``row_counts`` to ``n_groups``."""
        if not self._ordered:
            # only the rows from the first one out of place on move: new memberships mostly go
            # to recent groups (each kind's invitation, a tier), so that tail is short; the
            # result is the full stable sort's
            group = self.column("group")
            broken = int(np.argmax(group[1:] < group[:-1]))  # rows up to it are in order
            rest = group[broken + 1:]
            start = int(np.searchsorted(group[: broken + 1], rest.min(), side="right"))
            if 8 * len(rest) < self.n - start:  # a few rows to slot in (a day's invitees): block copies
                late = np.argsort(rest, kind="stable")
                at = np.searchsorted(group[start: broken + 1], rest[late], side="right")
                for name in self._spec:
                    col = self._cols[name]
                    col[start: self.n] = np.insert(col[start: broken + 1], at, col[broken + 1: self.n][late])
            else:
                idx = np.argsort(group[start:], kind="stable")
                for name in self._spec:
                    col = self._cols[name]
                    col[start: self.n] = col[start: self.n][idx]
            self._ordered = True
            self.moves += 1
            self._count_rows()
        if len(self.row_counts) < n_groups:
            self.row_counts = np.concatenate([self.row_counts, np.zeros(n_groups - len(self.row_counts), np.int64)])

    def per_member(self, per_group: np.ndarray, dtype=np.float32) -> np.ndarray:
        """Each row's value of a per-group array (rows must be ordered: see ``order``)."""
        return np.repeat(np.asarray(per_group, dtype=dtype), self.row_counts)

    def group_runs(self, rows: np.ndarray) -> np.ndarray:
        """How many of the sorted ``rows`` fall in each group (rows are ordered by group)."""
        ends = np.cumsum(self.row_counts)
        return np.diff(np.searchsorted(rows, ends), prepend=0)

    def count_by_group(self, mask: np.ndarray) -> np.ndarray:
        """Rows where ``mask`` is true, per group."""
        out = np.zeros(len(self.row_counts), np.int64)
        if not mask.any():
            return out
        nonempty = np.flatnonzero(self.row_counts)
        if len(nonempty) and self.n:
            starts = np.concatenate([[0], np.cumsum(self.row_counts)[:-1]])[nonempty]
            # int32 sums run about 2.5x faster than int64 and a group holds far fewer rows
            out[nonempty] = np.add.reduceat(mask.view(np.uint8), starts, dtype=np.int32)
        return out

    def mark_active(self, mask: np.ndarray, day: int) -> None:
        """Set ``last_active`` to ``day`` where ``mask``; days only grow, so a maximum does
        it in two fast passes instead of a masked copy (10x slower)."""
        today = mask * np.int16(day + 1)
        today -= np.int16(1)
        np.maximum(self.last_active, today, out=self.last_active)

    def _grow(self, need: int) -> None:
        cap = self._capacity
        while cap < need:
            cap += cap // 2
        self._resize(cap)

    def _resize(self, cap: int) -> None:
        """Columns of ``cap`` rows, the rows in use kept; one column at a time, so the
        extra memory while it runs is one column's."""
        for name, (dtype, fill) in self._spec.items():
            new = np.empty(cap, dtype=dtype)
            new[: self.n] = self._cols[name][: self.n]
            new[self.n:] = fill
            self._cols[name] = new
        self._capacity = cap

    def mark_left(self, rows: np.ndarray, day: int) -> None:
        self._cols["left"][rows] = day
        self.departed_rows += len(rows)

    @property
    def present(self) -> np.ndarray:
        return self._cols["left"][: self.n] < 0

    def compact_if_sparse(self, share: float = 0.25) -> bool:
        """Archive departed rows once they exceed ``share`` of the rows in use."""
        if self.departed_rows <= share * self.n or self.n < 64:
            return False
        keep = self.present
        gone = np.flatnonzero(~keep)
        for c in self.archive:
            self.archive[c].append(self._cols[c][gone])
        kept = np.flatnonzero(keep)  # one index gather per column beats a mask per column
        for name in self._spec:
            col = self._cols[name]
            col[: len(kept)] = col[kept]
        self.n = len(kept)
        if self._capacity > self.n + self.n // 4 + 1024:  # give the departed rows' memory back
            self._resize(self.n + self.n // 8 + 16)
        self.moves += 1
        self.departed_rows = 0
        self._count_rows()
        if self.several:  # someone may be back to one group
            self.several = len(np.unique(self.person)) < self.n
        return True

    def everyone(self, column: str) -> np.ndarray:
        """A column over every member ever (archived, then live rows)."""
        return np.concatenate(self.archive[column] + [self.column(column)])
