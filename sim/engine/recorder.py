"""Recording: one row per (day, group), and every member's and membership's history.

Every KPI is derived from these tables (``sim.analysis``), never kept as a separate
running total.

``daily`` columns (one row per day and group; counts are members unless said):
day, group, group_age (days since the group opened), members (present today, after
arrivals and enrolments, before leaving), joined (recruits), enrolled (memberships a
strategy added or moved in at the start of the day), moved_out (memberships moved to
another group at the start of the day), left, lost_full (recruits turned away by a full
group), member_posts (members who posted), member_msgs (messages they wrote), active
(posted or read), seen (looked at the group), lapsed and muted (present members in that
state at the end of the day), woke (silent members who started reading again),
purchases (orders), first_buyers (members ordering for the first time), gmv (CNY),
operator_msgs (value + ad), <channel>_msgs for every channel (value_msgs, ad_msgs, and
any account a strategy declares), the count column of every other declared choice
(``sim.engine.choices``), every output strategies declare, spend (CNY, all categories)
and spend_<category> for each category in the cost ledger. Members are conserved:
members(t+1) = members(t) − left(t) + joined(t+1) + enrolled(t+1) − moved_out(t+1).

``members()``: one row per person ever — person, segment, source, groups (memberships
she had), joined (first day in any group), left (day she left her last group; -1 while
in one), lapsed (first day she went silent in her first group; -1 if never), messages
(in all her groups), purchases (orders). ``memberships()``: one row per membership —
person, group, joined, left, lapsed (first day silent there), messages.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .choices import CHOICES

FLAGS = ("member_posts", "active", "seen", "lapsed", "muted")


class Recorder:
    def __init__(self, model):
        self.model = model
        self.rows: list[dict[str, np.ndarray]] = []
        self.categories: list[str] = list(model.cost_categories)  # declared; any other as first booked
        self.counted = [c for c in CHOICES.values() if c.count]
        self.money = {"gmv"} | {o.name for o in model.outputs.values() if o.kind == "amount"}

    def record(self, day, joined: np.ndarray, left: np.ndarray, lost: int) -> dict[str, np.ndarray]:
        m, g = self.model.members, self.model.groups
        n_groups = g.count
        lapsed, muted = m.lapsed_day >= 0, m.muted.copy()
        if m.departed_rows:
            here = day.present
            lapsed &= here
            muted &= here
        states = (day.posted, day.active, day.seen, lapsed, muted)
        row = {"day": np.full(n_groups, day.t, np.int32), "group": np.arange(n_groups, dtype=np.int32),
               "group_age": (day.t - g.opened).astype(np.int32), "members": g.size.copy(),
               "joined": joined, "enrolled": _sized(self.model.enrolled, n_groups),
               "moved_out": _sized(self.model.moved_out, n_groups), "left": left}
        lost_row = np.zeros(n_groups, np.int64)
        if lost:
            lost_row[-1] = lost
        row["lost_full"] = lost_row
        # outcomes that are the same array are counted once; present members are g.size
        counted: dict[int, np.ndarray] = {id(day.posted): day.posts_by_group, id(day.present): g.size}
        for name, state in zip(FLAGS, states):
            if id(state) not in counted:
                counted[id(state)] = m.count_by_group(state)
            row[name] = counted[id(state)]
        row["member_msgs"] = day.member_msgs
        buyers = np.flatnonzero(day.bought)
        row["purchases"] = np.bincount(m.group[buyers], minlength=n_groups)
        row["first_buyers"] = np.bincount(m.group[buyers[m.purchases[buyers] == 1]], minlength=n_groups)
        row["gmv"] = row["purchases"] * self.model.spec.behavior.purchase.order_value
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
        self.rows.append({k: _compact(v, k in self.money or k.startswith("spend")) for k, v in row.items()})
        return row

    def daily(self) -> pd.DataFrame:
        cols = list(self.rows[-1]) if self.rows else []
        cols = [c for c in cols if not c.startswith("spend")] + ["spend"] * bool(cols) + \
               [f"spend_{c}" for c in self.categories]
        data = {}
        for c in cols:  # a category booked late is 0 on the days before
            data[c] = np.concatenate([r[c] if c in r else np.zeros(len(r["day"])) for r in self.rows])
        return pd.DataFrame(data, copy=False)  # columns in order already: no second copy

    def memberships(self) -> pd.DataFrame:
        """One row per membership ever (see the module docstring)."""
        m = self.model.members
        return pd.DataFrame({"person": m.everyone("person").astype(np.int64), "group": m.everyone("group"),
                             "joined": m.everyone("joined"), "left": m.everyone("left"),
                             "lapsed": m.everyone("first_lapsed"), "messages": m.everyone("messages")})

    def members(self) -> pd.DataFrame:
        """One row per person ever (see the module docstring), in order of person."""
        m = self.model.members
        rows = self.memberships()
        rows["segment"], rows["source"] = m.everyone("segment"), m.everyone("source")
        rows["purchases"] = m.everyone("purchases")
        if rows["person"].is_unique:  # everyone in one group: the fast common case
            out = rows.sort_values("person", kind="stable").assign(groups=1)
        else:
            by = rows.groupby("person", sort=True)
            still = rows["left"] < 0
            out = pd.DataFrame({
                "segment": by["segment"].first(), "source": by["source"].first(),
                "groups": by.size(), "joined": by["joined"].min(),
                "left": by["left"].max().where(~still.groupby(rows["person"]).any(), -1),
                "lapsed": rows.sort_values("joined", kind="stable").groupby("person")["lapsed"].first(),
                "messages": by["messages"].sum(), "purchases": by["purchases"].max()}).reset_index()
        columns = ["person", "segment", "source", "groups", "joined", "left", "lapsed", "messages", "purchases"]
        return out[columns].reset_index(drop=True)


def _sized(per_group: np.ndarray, n_groups: int) -> np.ndarray:
    """A per-group array made before today's groups opened, padded with zeros."""
    out = np.zeros(n_groups, np.int64)
    out[: len(per_group)] = per_group[:n_groups]
    return out


def _compact(values: np.ndarray, money: bool) -> np.ndarray:
    """Counts as int32 and messages as float32 keep a long run's records small; money stays float64."""
    if money:
        return np.asarray(values, np.float64)
    if np.asarray(values).dtype.kind == "f":
        return np.asarray(values, np.float32)
    return np.asarray(values, np.int32)
