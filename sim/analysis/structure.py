"""Results by structure: per group, per group kind (and tier), per member segment.

Pure functions of a results folder's tables (``sim.engine.recorder``), so they serve a
user's own export too. Run keys (scenario, point, replication) are kept when the table
has them; a table without them is one run. Kinds and segments are shown by name:
``names`` is a list (index -> name) or a mapping scenario -> list (the manifest's
``structure_names``); an index past the list is shown as ``kind 3`` / ``segment 3``.

- ``group_table(daily)``: one row per run and group — kind, opened (its first day),
  last_day (the last day it had members present; -1 if never), members_end (present at the
  end of the run's last day), joined (recruits), enrolled (memberships strategies moved or
  promoted in), moved_out, left, messages (members'), purchases, gmv (CNY), spend (CNY), and
  retention: members_end / (joined + enrolled), the share of entries still there (NaN for a
  group nobody entered).
- ``kind_runs(daily)``: the same counts summed per run and kind, with groups (opened),
  retention pooled over the kind's groups and tier (the kind is one members reach only by
  promotion: ``tiers``); ``kind_table``: their mean and 95% CI over replications per arm.
  A kind an arm opened in some replications only counts 0 in the others.
- ``segment_runs(members, days)`` (``days``: the run's length, or ``run_days(daily)``): per
  run and segment — members (people who ever joined),
  members_end (still in a group at the end), messages and purchases per member, and
  retention_d30: of those who joined 30 or more days before the run's last day, the share
  still in a group 30 days after joining (per person, as ``retention_d30``; not restricted
  to whole weekly cohorts, so it can differ from it slightly); ``segment_table``: mean and
  95% CI over replications per arm.
- ``group_segment_table(members)``: per run, group and segment — members (people whose
  newest membership is in that group: ``last_group``) and members_end (of them still in a
  group at the end); for people in one group at a time these are the group's members by
  segment, and members_end sums to the group's members_end.

The summarised tables are long: scenario, point, <kind or segment>, measure, mean, low,
high, reps (every measure is a count, a share or money that cannot be negative, so the CI is
``sim.analysis.stats.bounded_ci``, within the bounds; NaN bounds with one replication).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .stats import bounded_ci

RUN_KEYS = ("scenario", "point", "replication")
COUNTS = ("joined", "enrolled", "moved_out", "left", "messages", "purchases", "gmv", "spend")
GROUP_COLUMNS = ("kind", "opened", "last_day", "members_end", *COUNTS, "retention")
KIND_MEASURES = ("groups", "members_end", *COUNTS, "retention")
SEGMENT_MEASURES = ("members", "members_end", "messages_per_member", "purchases_per_member", "retention_d30")
RETENTION_AGE = 30

Names = Sequence[str] | Mapping[str, Sequence[str]] | None


def run_keys(table: pd.DataFrame) -> list[str]:
    return [c for c in RUN_KEYS if c in table.columns]


def named(table: pd.DataFrame, column: str, names: Names, word: str) -> pd.Series:
    """``table[column]`` (indices) as names (see the module docstring)."""
    index = table[column].astype(int)

    def lookup(i: int, listed) -> str:
        return str(listed[i]) if listed is not None and 0 <= i < len(listed) else f"{word} {i}"

    if isinstance(names, Mapping) and "scenario" in table.columns:
        return pd.Series([lookup(i, names.get(s)) for i, s in zip(index, table["scenario"])], index=table.index,
                         dtype=object)
    listed = None if isinstance(names, Mapping) else names
    return index.map(lambda i: lookup(i, listed)).astype(object)


def group_table(daily: pd.DataFrame, kinds: Names = None) -> pd.DataFrame:
    """One row per run and group (see the module docstring)."""
    out = _group_rows(daily)
    out["kind"] = named(out, "kind", kinds, "kind")
    return out


def _group_rows(daily: pd.DataFrame) -> pd.DataFrame:
    """``group_table`` with each kind's index."""
    keys = [*run_keys(daily), "group"]
    if daily.empty:
        return pd.DataFrame(columns=[*keys, *GROUP_COLUMNS])
    rows = daily.assign(kind=daily["kind"] if "kind" in daily.columns else 0,
                        messages=daily["member_msgs"], opened=daily["day"] - daily["group_age"],
                        with_members=daily["day"].where(daily["members"] > 0, -1),
                        end=daily["members"] - daily["left"]).reset_index(drop=True)
    by = rows.groupby(keys, sort=True)
    last = rows.loc[by["day"].idxmax()].set_index(keys)  # each group's row on the run's last day
    out = by[list(COUNTS)].sum()
    out.insert(0, "kind", by["kind"].first())
    out.insert(1, "opened", by["opened"].min())
    out.insert(2, "last_day", by["with_members"].max())
    out.insert(3, "members_end", last["end"])
    entered = out["joined"] + out["enrolled"]
    out["retention"] = out["members_end"] / entered.where(entered > 0)
    return out.reset_index()[[*keys, *GROUP_COLUMNS]]


def kind_runs(daily: pd.DataFrame, kinds: Names = None, tiers: Names = None) -> pd.DataFrame:
    """Per run and kind: groups, members_end, the counts, pooled retention and tier."""
    groups = _group_rows(daily)
    runs = run_keys(groups)
    by = groups.groupby([*runs, "kind"], sort=True)  # kinds in the scenario's order
    out = by[["members_end", *COUNTS]].sum()
    out.insert(0, "groups", by.size())
    out = out.reset_index()
    if "replication" in runs:  # a kind missing from a replication of its arm: no groups, zero counts
        arms = _arm_keys(out)
        parts = []
        for _, arm in out.groupby(arms, sort=False) if arms else [(None, out)]:
            grid = pd.MultiIndex.from_product([arm["replication"].unique(), np.sort(arm["kind"].unique())],
                                              names=["replication", "kind"])
            filled = arm.set_index(["replication", "kind"]).drop(columns=arms).reindex(grid, fill_value=0)
            parts.append(filled.reset_index().assign(**{k: arm[k].iloc[0] for k in arms}))
        out = pd.concat(parts, ignore_index=True)[out.columns]
    out["kind"] = named(out, "kind", kinds, "kind")
    entered = out["joined"] + out["enrolled"]
    out["retention"] = out["members_end"] / entered.where(entered > 0)
    out["tier"] = _is_tier(out, tiers)
    return out


def kind_table(daily: pd.DataFrame, kinds: Names = None, tiers: Names = None) -> pd.DataFrame:
    """Mean and 95% CI over replications, per arm and kind, of ``KIND_MEASURES``; with tier."""
    return summarise(kind_runs(daily, kinds, tiers), ["kind", "tier"], KIND_MEASURES)


def segment_runs(members: pd.DataFrame, days: int | pd.DataFrame, segments: Names = None) -> pd.DataFrame:
    """Per run and segment: ``SEGMENT_MEASURES`` (see the module docstring)."""
    keys = [*run_keys(members), "segment"]
    if members.empty:
        return pd.DataFrame(columns=[*keys, *SEGMENT_MEASURES])
    last = _days(members, days) - 1
    joined, left = members["joined"].to_numpy(), members["left"].to_numpy()
    observed = joined + RETENTION_AGE <= last
    rows = members.assign(present=left < 0, observed=observed,
                          kept=observed & ((left < 0) | (left - joined > RETENTION_AGE)))
    by = rows.groupby(keys, sort=True)
    n = by.size()
    out = pd.DataFrame({"members": n, "members_end": by["present"].sum(),
                        "messages_per_member": by["messages"].sum() / n,
                        "purchases_per_member": by["purchases"].sum() / n})
    seen = by["observed"].sum()
    out["retention_d30"] = by["kept"].sum() / seen.where(seen > 0)
    out = out.reset_index()
    out["segment"] = named(out, "segment", segments, "segment")
    return out


def segment_table(members: pd.DataFrame, days: int | pd.DataFrame, segments: Names = None) -> pd.DataFrame:
    """Mean and 95% CI over replications, per arm and segment, of ``SEGMENT_MEASURES``."""
    return summarise(segment_runs(members, days, segments), "segment", SEGMENT_MEASURES)


def group_segment_table(members: pd.DataFrame, segments: Names = None) -> pd.DataFrame:
    """Per run, group (``last_group``) and segment: members and members_end."""
    keys = [*run_keys(members), "group", "segment"]
    if members.empty:
        return pd.DataFrame(columns=[*keys, "members", "members_end"])
    rows = members.assign(group=members["last_group"], present=members["left"] < 0)
    by = rows.groupby(keys, sort=True)
    out = pd.DataFrame({"members": by.size(), "members_end": by["present"].sum()}).reset_index()
    out["segment"] = named(out, "segment", segments, "segment")
    return out


def summarise(per_run: pd.DataFrame, by: str | Sequence[str], measures: Sequence[str]) -> pd.DataFrame:
    """Long table: mean and 95% CI over replications of each measure, per arm and ``by``."""
    keys = [*_arm_keys(per_run), *([by] if isinstance(by, str) else by)]
    rows = []
    for key, runs in per_run.groupby(keys, sort=False):
        for measure in measures:
            mean, low, high = bounded_ci(runs[measure].to_numpy(float))
            rows.append({**dict(zip(keys, key)), "measure": measure, "mean": mean, "low": low, "high": high,
                         "reps": int(runs[measure].notna().sum())})
    return pd.DataFrame(rows, columns=[*keys, "measure", "mean", "low", "high", "reps"])


def _arm_keys(table: pd.DataFrame) -> list[str]:
    return [k for k in run_keys(table) if k != "replication"]


def _is_tier(table: pd.DataFrame, tiers: Names) -> np.ndarray:
    if tiers is None:
        return np.zeros(len(table), bool)
    if isinstance(tiers, Mapping) and "scenario" in table.columns:
        return np.array([k in (tiers.get(s) or ()) for k, s in zip(table["kind"], table["scenario"])], bool)
    listed = () if isinstance(tiers, Mapping) else tiers
    return table["kind"].isin(list(listed)).to_numpy()


def _days(members: pd.DataFrame, days: int | pd.DataFrame) -> np.ndarray:
    """Each member's run length: ``days``, or from a table of run keys and ``days``."""
    if isinstance(days, pd.DataFrame):
        keys = [k for k in run_keys(members) if k in days.columns]
        return members[keys].merge(days[[*keys, "days"]], on=keys, how="left")["days"].to_numpy(dtype=np.int64)
    return np.full(len(members), int(days), np.int64)


def run_days(daily: pd.DataFrame) -> pd.DataFrame:
    """Run keys and ``days`` (the days each run lasted), from its daily rows."""
    keys = run_keys(daily)
    if not keys:
        return pd.DataFrame({"days": [int(daily["day"].max()) + 1]})
    return (daily.groupby(keys, sort=False)["day"].max() + 1).rename("days").reset_index()
