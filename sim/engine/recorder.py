"""Recording: one row per (day, group), and every member's and membership's history.

Every KPI is derived from these tables (``sim.analysis``), never kept as a separate
running total.

``daily`` columns (one row per day and group; counts are members unless said):
day, group, kind (the group's kind: an index into the scenario's ``groups.kinds``,
``sim.engine.kinds``; 0 for every group of a scenario without kinds), group_age (days since
the group opened), members (present today, after arrivals and enrolments, before leaving),
joined (recruits), enrolled (memberships a strategy added or moved in at the start of the
day), moved_out (memberships moved to another group at the start of the day), left,
lost_full (recruits turned away by a full group, or an expired QR code: ``sim.engine.groups``;
booked on the newest group), lost_expired (of them, those the expired code turned away),
member_posts (members who posted),
member_msgs (messages they wrote), spam_msgs (of them, ads of spamming members:
``sim.engine.spam.Spam``; spammers count them), active (posted or read), seen (looked at the
group), lapsed and muted (present members in that state at the end of the day), woke (silent
members who started reading again), purchases (orders), first_buyers (members ordering for
the first time), repeat_buyers (members ordering for the second time: each repeat buyer
once), the money of the day's orders in CNY (``sim.engine.money``: gmv, refunds, revenue,
cogs, margin, margin_pv), operator_msgs (value + ad), <channel>_msgs for every channel
(value_msgs, ad_msgs, and any account a strategy declares), the count column of every other
declared choice (``sim.engine.choices``), every output strategies declare, spend (CNY, all
categories) and spend_<category> for each category in the cost ledger. Members are
conserved: members(t+1) = members(t) − left(t) + joined(t+1) + enrolled(t+1) −
moved_out(t+1).

``members()``: one row per person ever — person, segment (an index into the scenario's
``members.segments``), source, groups (memberships she had), last_group (the group of her
newest membership: the one she is in at the end unless she is in several), joined (first day
in any group), left (day she left her last group; -1 while in one), lapsed (first day she
went silent in her first group; -1 if never), messages (in all her groups), purchases
(orders), and each amount a strategy keeps per person (``received``: CNY of red packets).
``memberships()``: one row per membership — person, group, segment, joined, left, lapsed
(first day silent there), messages. Tables per group, kind, tier and segment are derived
from these (``sim.analysis.structure``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .choices import CHOICES
from .groups import sized
from .money import DISCOUNTS, MONEY_COLUMNS, Accounts, Money

FLAGS = ("member_posts", "active", "seen", "lapsed", "muted")


class Recorder:
    def __init__(self, model):
        self.model = model
        self.log = ColumnLog(rows_per_group=model.spec.days)
        self.categories: list[str] = list(model.cost_categories)  # declared; any other as first booked
        self.counted = [c for c in CHOICES.values() if c.count]
        self.expired_seen = 0  # recruits turned away by an expired QR code, counted so far
        self.money = set(MONEY_COLUMNS) | {o.name for o in model.outputs.values() if o.kind == "amount"}
        spec = model.spec  # orders priced by the scenario's money section (sim.engine.money)
        self.accounts = Accounts(getattr(spec, "money", None) or Money(), spec.members.segment_names(),
                                 spec.behavior.purchase.order_value, model.streams)

    def record(self, day, joined: np.ndarray, left: np.ndarray, lost: int) -> dict[str, np.ndarray]:
        m, g = self.model.members, self.model.groups
        n_groups = g.count
        nobody = day.present[:0]  # a state no row is in: counted as zeros without a pass
        lapsed = m.lapsed_day >= 0 if m.n and m.lapsed_day.max() >= 0 else nobody
        muted = m.muted.copy() if m.muted.any() else nobody
        if m.departed_rows:
            lapsed &= day.present[: len(lapsed)]
            muted &= day.present[: len(muted)]
        states = (day.posted, day.active, day.seen, lapsed, muted)
        row = {"day": np.full(n_groups, day.t, np.int32), "group": np.arange(n_groups, dtype=np.int32),
               "kind": sized(g.kind, n_groups, np.int32),  # sim.engine.kinds: 0 without kinds
               "group_age": (day.t - g.opened).astype(np.int32), "members": g.size.copy(),
               "joined": joined, "enrolled": sized(self.model.enrolled, n_groups),
               "moved_out": sized(self.model.moved_out, n_groups), "left": left}
        lost_row = np.zeros(n_groups, np.int64)
        if lost:
            lost_row[-1] = lost
        row["lost_full"] = lost_row
        expired, self.expired_seen = g.expired_lost - self.expired_seen, g.expired_lost
        row["lost_expired"] = np.zeros(n_groups, np.int64)  # of them, those whose QR code had expired
        row["lost_expired"][-1:] = expired
        # outcomes that are the same array are counted once; present members are g.size
        counted: dict[int, np.ndarray] = {id(day.posted): day.posts_by_group, id(day.present): g.size}
        for name, state in zip(FLAGS, states):
            if id(state) not in counted:
                counted[id(state)] = m.count_by_group(state)
            row[name] = counted[id(state)]
        row["member_msgs"] = day.member_msgs
        row["spam_msgs"] = day.spam_msgs  # of which ads (sim.engine.spam.Spam)
        buyers = np.flatnonzero(day.bought)
        row["purchases"] = np.bincount(m.group[buyers], minlength=n_groups)
        row["first_buyers"] = np.bincount(m.group[buyers[m.purchases[buyers] == 1]], minlength=n_groups)
        row["repeat_buyers"] = np.bincount(m.group[buyers[m.purchases[buyers] == 2]], minlength=n_groups)
        row.update(self.accounts.columns(day.t, m.group[buyers], m.person[buyers], m.segment[buyers],
                                         row["purchases"], day.outputs.get(DISCOUNTS)))
        row["operator_msgs"] = day.operator_msgs
        for channel, sent in day.messages.items():
            row[f"{channel}_msgs"] = sent
        for choice in self.counted:
            rows = day.chosen.get(choice.name, np.zeros(0, np.int64))
            row[choice.count] = np.bincount(m.group[rows], minlength=n_groups)
        for name, values in day.outputs.items():
            row[name] = values if name in self.money else np.rint(values).astype(np.int64)
        for cat in day.ledger:
            if cat not in self.categories:
                self.categories.append(cat)
        for cat in self.categories:
            row[f"spend_{cat}"] = np.broadcast_to(day.ledger.get(cat, 0.0), (n_groups,)).astype(float)
        row["spend"] = sum((row[f"spend_{c}"] for c in self.categories), np.zeros(n_groups))
        self.log.append({k: (v, _dtype(v, k in self.money or k.startswith("spend"))) for k, v in row.items()})
        return row

    def daily(self) -> pd.DataFrame:
        cols = [c for c in self.log.names if not c.startswith("spend")]
        cols += ["spend"] * bool(cols) + [f"spend_{c}" for c in self.categories]
        return pd.DataFrame({c: self.log.column(c) for c in cols}, copy=False)  # in order: no second copy

    def memberships(self) -> pd.DataFrame:
        """One row per membership ever (see the module docstring)."""
        m = self.model.members
        return pd.DataFrame({"person": m.everyone("person").astype(np.int64), "group": m.everyone("group"),
                             "segment": m.everyone("segment"), "joined": m.everyone("joined"),
                             "left": m.everyone("left"), "lapsed": m.everyone("first_lapsed"),
                             "messages": m.everyone("messages")})

    def members(self) -> pd.DataFrame:
        """One row per person ever (see the module docstring), in order of person."""
        m = self.model.members
        rows = self.memberships()
        rows["source"] = m.everyone("source")
        rows["purchases"] = m.everyone("purchases")
        amounts = [c.name for c in self.model.columns.values() if c.per_person]  # strategies' (received, ...)
        for name in amounts:
            rows[name] = m.everyone(name)
        if rows["person"].is_unique:  # everyone in one group: the fast common case
            out = rows.sort_values("person", kind="stable").assign(groups=1, last_group=rows["group"])
        else:
            by = rows.groupby("person", sort=True)
            still = rows["left"] < 0
            by_joined = rows.sort_values("joined", kind="stable")
            out = pd.DataFrame({
                "segment": by["segment"].first(), "source": by["source"].first(),
                "groups": by.size(), "joined": by["joined"].min(),
                "left": by["left"].max().where(~still.groupby(rows["person"]).any(), -1),
                "lapsed": by_joined.groupby("person")["lapsed"].first(),
                "last_group": by_joined.groupby("person")["group"].last(),
                "messages": by["messages"].sum(), "purchases": by["purchases"].max(),
                **{name: by[name].sum() for name in amounts}}).reset_index()
        columns = ["person", "segment", "source", "groups", "last_group", "joined", "left", "lapsed", "messages",
                   "purchases", *amounts]
        return out[columns].reset_index(drop=True)


def _dtype(values: np.ndarray, money: bool):
    """Counts as int32 and messages as float32 keep a long run's records small; money stays float64."""
    return np.float64 if money else np.float32 if np.asarray(values).dtype.kind == "f" else np.int32


class ColumnLog:
    """Rows of equal length appended day after day into one growing buffer per column.

    A year of days times thousands of groups kept as small arrays, one per day and column,
    scatters long-lived blocks through the heap between a day's large work arrays, and
    the process keeps growing; one buffer per column (doubled when full) does not, and
    reading a column is a slice. A column first seen late is zero on the earlier rows."""

    def __init__(self, rows_per_group: int = 1):
        self.n, self._capacity, self._per_group = 0, 0, max(rows_per_group, 1)
        self._cols: dict[str, np.ndarray] = {}
        self.names: list[str] = []  # the columns of the last row, in its order

    def append(self, row: dict[str, tuple[np.ndarray, type]]) -> None:
        k = len(next(iter(row.values()))[0]) if row else 0
        if self.n + k > self._capacity:  # first sized for the run's days at today's groups
            self._capacity = max(self._capacity, k * self._per_group * 9 // 8 + k, 1)  # room for new groups
            while self.n + k > self._capacity:
                self._capacity *= 2
            for name, col in self._cols.items():
                bigger = np.zeros(self._capacity, col.dtype)
                bigger[: self.n] = col[: self.n]
                self._cols[name] = bigger
        for name, (values, dtype) in row.items():
            if name not in self._cols:
                self._cols[name] = np.zeros(self._capacity, dtype)
            if values.any():  # the buffer is zeros already, and its untouched pages cost nothing
                self._cols[name][self.n: self.n + k] = values
        self.n += k
        self.names = list(row)

    def column(self, name: str) -> np.ndarray:
        """The rows so far, read-only (a view: later rows go past its end)."""
        view = self._cols[name][: self.n]
        view.flags.writeable = False
        return view
