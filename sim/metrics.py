"""Recording and KPIs: daily rows per (day, group), cohort retention, run summary.

Every KPI is derived from the recorded tables, never kept as a separate running total.

``daily`` columns (one row per day and group; counts are members unless said):
day, group, group_age (days since the group opened), members (present today, after
arrivals, before leaving), joined, left, lost_full (recruits turned away by a full
group), member_posts (members who posted), active (posted or read), seen (looked at
the group), lapsed and muted (present members in that state at the end of the day),
purchases (orders), first_buyers (members ordering for the first time), gmv (CNY),
operator_msgs, value_msgs, ad_msgs, shill_posts (messages by source), spend (CNY, all
categories) and spend_<category> for each category in the cost ledger.

``cohorts`` rows (weekly join cohorts; ages only while the whole week is observed, so
each cohort's curve is over a fixed set of members): cohort (first join day of the
week), age (days since joining), joined, present (still in the group at the end of day
joined + age), engaged (present and not lapsed).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

FLAGS = ("member_posts", "active", "seen", "lapsed", "muted")
SILENT_SHARE = 0.01  # a group is silent when under 1% of its members post (7-day mean)
RETENTION_AGES = (1, 7, 30, 90)


class Recorder:
    def __init__(self, model):
        self.model = model
        self.rows: list[dict[str, np.ndarray]] = []
        self.categories: list[str] = []

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
               "joined": joined, "left": left}
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
        buyers = np.flatnonzero(day.bought)
        row["purchases"] = np.bincount(m.group[buyers], minlength=n_groups)
        row["first_buyers"] = np.bincount(m.group[buyers[m.purchases[buyers] == 1]], minlength=n_groups)
        row["gmv"] = row["purchases"] * self.model.spec.behavior.purchase.order_value
        row["operator_msgs"] = day.operator_msgs
        row["value_msgs"] = day.value_msgs
        row["ad_msgs"] = day.ad_msgs
        row["shill_posts"] = day.shill_posts
        for cat in day.ledger:
            if cat not in self.categories:
                self.categories.append(cat)
        for cat in self.categories:
            row[f"spend_{cat}"] = np.broadcast_to(day.ledger.get(cat, 0.0), (n_groups,)).astype(float)
        row["spend"] = sum((row[f"spend_{c}"] for c in self.categories), np.zeros(n_groups))
        self.rows.append({k: _compact(k, v) for k, v in row.items()})
        return row

    def daily(self) -> pd.DataFrame:
        cols = list(self.rows[-1]) if self.rows else []
        cols = [c for c in cols if not c.startswith("spend")] + ["spend"] * bool(cols) + \
               [f"spend_{c}" for c in self.categories]
        data = {}
        for c in cols:  # a category booked late is 0 on the days before
            data[c] = np.concatenate([r[c] if c in r else np.zeros(len(r["day"])) for r in self.rows])
        return pd.DataFrame(data, copy=False)  # columns in order already: no second copy

    def cohorts(self) -> pd.DataFrame:
        m = self.model.members
        return cohort_table(m.everyone("joined"), m.everyone("left"), m.everyone("lapsed_day"), self.model.day)


def _compact(name: str, values: np.ndarray) -> np.ndarray:
    """Counts as int32 and messages as float32 keep a long run's records small; money stays float64."""
    if name == "gmv" or name.startswith("spend"):
        return np.asarray(values, np.float64)
    if np.asarray(values).dtype.kind == "f":
        return np.asarray(values, np.float32)
    return np.asarray(values, np.int32)


def cohort_table(joined: np.ndarray, left: np.ndarray, lapsed: np.ndarray, days: int) -> pd.DataFrame:
    """Weekly cohorts' retention by age, from each member's join, leave and lapse days."""
    last = days - 1
    n_weeks = last // 7 + 1
    horizon = days + 1
    week = joined // 7

    def by_age(event: np.ndarray) -> np.ndarray:
        # members of each week cohort whose event happened at or before each age
        age = np.where(event >= 0, event - joined, horizon - 1).clip(0, horizon - 1)
        counts = np.bincount(week * horizon + age, minlength=n_weeks * horizon).reshape(n_weeks, horizon)
        return np.cumsum(counts, axis=1)

    size = np.bincount(week, minlength=n_weeks)
    gone = by_age(left)
    lapsed_or_gone = by_age(np.where((lapsed >= 0) & ((left < 0) | (lapsed < left)), lapsed, left))
    rows = []
    for w in range(n_weeks):
        if not size[w]:
            continue
        max_age = last - min(7 * w + 6, last)
        ages = np.arange(max_age + 1)
        rows.append(pd.DataFrame({"cohort": 7 * w, "age": ages, "joined": size[w],
                                  "present": size[w] - gone[w, ages],
                                  "engaged": size[w] - lapsed_or_gone[w, ages]}))
    if not rows:
        return pd.DataFrame(columns=["cohort", "age", "joined", "present", "engaged"], dtype=np.int64)
    return pd.concat(rows, ignore_index=True)


def summarize(daily: pd.DataFrame, cohorts: pd.DataFrame, days: int) -> dict[str, float]:
    """KPIs of one run of ``days`` days, from its daily rows and cohort table."""
    per_day = daily.groupby("day").sum(numeric_only=True).reindex(range(days), fill_value=0)
    last = days - 1
    tail = per_day.loc[per_day.index > last - 7]
    members_end = float(per_day["members"].iloc[-1] - per_day["left"].iloc[-1])
    joined = float(per_day["joined"].sum())
    spend = float(per_day["spend"].sum())
    gmv = float(per_day["gmv"].sum())
    share = daily.assign(share=daily["member_posts"] / daily["members"].where(daily["members"] > 0))
    recent = share[share["day"] > last - 7].groupby("group")["share"].mean()
    out = {
        "members_end": members_end,
        "joined": joined,
        "left": float(per_day["left"].sum()),
        "lost_full": float(per_day["lost_full"].sum()),
        "groups": float(daily["group"].nunique()),
        "silent_groups_end": float((recent.fillna(0) < SILENT_SHARE).sum()),
        "active_end": float(tail["active"].mean()),
        "posts_per_day_end": float(tail["member_posts"].mean()),
        "post_share_end": float(tail["member_posts"].sum() / max(tail["members"].sum(), 1)),
        "muted_share_end": float(tail["muted"].iloc[-1] / max(tail["members"].iloc[-1], 1)),
        "lapsed_share_end": float(tail["lapsed"].iloc[-1] / max(tail["members"].iloc[-1], 1)),
    }
    for age in RETENTION_AGES:
        at = cohorts[cohorts["age"] == age]
        out[f"retention_d{age}"] = float(at["present"].sum() / at["joined"].sum()) if len(at) else float("nan")
    buyers = float(per_day["first_buyers"].sum())
    out.update({
        "purchases": float(per_day["purchases"].sum()),
        "buyers": buyers,
        "conversion_rate": buyers / joined if joined else float("nan"),
        "gmv": gmv,
        "spend": spend,
        "roi": (gmv - spend) / spend if spend > 0 else float("nan"),
        "operator_msgs": float(per_day["operator_msgs"].sum()),
    })
    return out
