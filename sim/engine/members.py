"""Members: the whole member population as a structure of numpy arrays.

One row per member who is (or recently was) in a group; never one Python object per
member. Columns hold identity (``uid``, ``segment``, ``source``), membership
(``group``, ``joined``, ``left``), state (``lapsed_day``, ``muted``, ``trust``,
``fatigue``, ``last_active``, ``purchases``) and the traits drawn at arrival, stored
as odds p/(1-p) where they give a choice's base odds (``<choice>_odds``, with the gates
of the rare draws in ``<choice>_gate``: ``sim.engine.choices``) and as plain values
otherwise (``tolerance``, ``social``).

Rows are kept sorted by group, so each group is one contiguous slice of rows: a
per-group value reaches its members by ``np.repeat`` and per-group counts are
``np.add.reduceat`` sums, an order of magnitude faster than gathers and ``bincount``
at 10^6 members. Recruits join the newest group and keep the order by themselves; a
change that breaks it (a move to an older group) is repaired by one stable sort before
the next rules run. Rows grow by amortised doubling. Rows of members who left are moved out of the live
arrays into ``archive`` (the few columns that cohort tables need) once they make up a
quarter of the rows, so the daily rules touch mostly present members. Strategies
declare their own per-member state as ``Column``s; the model adds them with
``add_column`` and they grow and compact with the rest.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .choices import CHOICES, trait_choice
from .traits import TRAITS

ABSENT = -1  # day columns are int16: scenarios last at most 3650 days
ARCHIVED = ("uid", "group", "segment", "source", "joined", "left", "lapsed_day", "purchases")

STATE_COLUMNS: dict[str, tuple[type, object]] = {
    "uid": (np.uint32, 0),          # stable identity: keys every random draw of this member
    "segment": (np.int8, 0),        # index into the scenario's member segments
    "source": (np.int8, 0),         # arrival source (0 = recruitment)
    "group": (np.int32, ABSENT),    # home group
    "joined": (np.int16, ABSENT),   # day joined
    "left": (np.int16, ABSENT),     # day left, -1 while present
    "lapsed_day": (np.int16, ABSENT),  # day gone silent for good, -1 while engaged
    "last_active": (np.int16, ABSENT),  # last day posted or read
    "muted": (np.bool_, False),     # set do-not-disturb (消息免打扰)
    "trust": (np.float32, 0.0),     # trust in the group, 0..1
    "fatigue": (np.float32, 0.0),   # accumulated annoyance, in messages over tolerance
    "purchases": (np.uint16, 0),    # orders placed so far
}


def base_columns() -> dict[str, tuple[type, object]]:
    """The engine's columns: state, then each declared choice's odds p/(1-p) of its trait
    and gate byte (``sim.engine.draws.gate``; 255 lets every draw through to the exact
    test), then the traits that are plain values (tolerance, social)."""
    cols = dict(STATE_COLUMNS)
    choices = [c for c in CHOICES.values() if c.trait is not None]
    cols.update({c.odds_column: (np.float32, 0.0) for c in choices})
    cols.update({c.gate_column: (np.uint8, 255) for c in choices if c.rare})
    by_trait = trait_choice()
    cols.update({t: (np.float32, 1.0 if t == "social" else 0.0) for t in TRAITS if t not in by_trait})
    return cols


@dataclass(frozen=True)
class Column:
    """A per-member column a strategy declares: name, numpy dtype, value of a new member."""
    name: str
    dtype: type = np.float32
    fill: object = 0
    meaning: str = ""


class Members:
    def __init__(self, capacity: int = 1024):
        self.n = 0                      # rows in use
        self.departed_rows = 0          # rows of members who left, not yet archived
        self._spec: dict[str, tuple[type, object]] = {}
        self._cols: dict[str, np.ndarray] = {}
        self._capacity = max(16, capacity)
        for name, (dtype, fill) in base_columns().items():
            self.add_column(name, dtype, fill)
        self.archive: dict[str, list[np.ndarray]] = {c: [] for c in ARCHIVED}
        self.row_counts = np.zeros(0, np.int64)  # rows per group (present or not yet archived)
        self._ordered = True

    # -- columns -------------------------------------------------------------
    def add_column(self, name: str, dtype, fill=0) -> None:
        """Register a per-member column; it grows and compacts with the others."""
        if name in self._spec:
            raise ValueError(f"member column '{name}' exists already")
        self._spec[name] = (dtype, fill)
        self._cols[name] = np.full(self._capacity, fill, dtype=dtype)

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

    def move(self, rows: np.ndarray, group: np.ndarray | int) -> None:
        """Move members to another group (migration, dissolution)."""
        self._cols["group"][rows] = group
        self._ordered = False

    def _count_rows(self, new_groups: np.ndarray | None = None) -> None:
        if new_groups is None or not self._ordered:
            counts = np.bincount(self.column("group"), minlength=len(self.row_counts))
        else:
            counts = np.bincount(new_groups, minlength=len(self.row_counts))
            counts[: len(self.row_counts)] += self.row_counts
        self.row_counts = counts

    def order(self, n_groups: int) -> None:
        """Restore the sort by group (if broken) and size ``row_counts`` to ``n_groups``."""
        if not self._ordered:
            idx = np.argsort(self.column("group"), kind="stable")
            for name in self._spec:
                col = self._cols[name]
                col[: self.n] = col[: self.n][idx]
            self._ordered = True
            self._count_rows()
        if len(self.row_counts) < n_groups:
            self.row_counts = np.concatenate([self.row_counts, np.zeros(n_groups - len(self.row_counts), np.int64)])

    def per_member(self, per_group: np.ndarray, dtype=np.float32) -> np.ndarray:
        """Each row's value of a per-group array (rows must be ordered: see ``order``)."""
        return np.repeat(np.asarray(per_group, dtype=dtype), self.row_counts)

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
            cap *= 2
        for name, (dtype, fill) in self._spec.items():
            bigger = np.full(cap, fill, dtype=dtype)
            bigger[: self.n] = self._cols[name][: self.n]
            self._cols[name] = bigger
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
        for c in ARCHIVED:
            self.archive[c].append(self._cols[c][gone])
        kept = np.flatnonzero(keep)  # one index gather per column beats a mask per column
        for name in self._spec:
            col = self._cols[name]
            col[: len(kept)] = col[kept]
        self.n = len(kept)
        self.departed_rows = 0
        self._count_rows()
        return True

    def everyone(self, column: str) -> np.ndarray:
        """A column over every member ever (archived, then live rows)."""
        return np.concatenate(self.archive[column] + [self.column(column)])
