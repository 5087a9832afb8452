"""The report's results by structure (``sim.analysis.structure``, read through
``sim.reporting.results``): a table per group kind (tiers marked), per member segment, and
per group with its members at the end by segment; each only when it says something."""
from __future__ import annotations

import pandas as pd

from .markup import escape, table
from .text import compact, number, structure_shown

# results by structure (sim.analysis.structure): measure -> (column head, scale: shares in percent)
KIND_COLUMNS = {"groups": ("groups", 1), "members_end": ("members at the end", 1), "joined": ("joined", 1),
                "enrolled": ("enrolled (moved or promoted in)", 1), "left": ("left", 1), "messages": ("messages", 1),
                "purchases": ("purchases (orders)", 1), "gmv": ("GMV (CNY)", 1), "spend": ("spend (CNY)", 1),
                "retention": ("retention (% of entries)", 100)}
SEGMENT_COLUMNS = {"members": ("members (ever joined)", 1), "members_end": ("members at the end", 1),
                   "messages_per_member": ("messages per member", 1),
                   "purchases_per_member": ("orders per member", 1), "retention_d30": ("D30 retention (%)", 100)}
GROUP_COLUMNS = {"kind": "kind", "opened": "opened (day)", "last_day": "last day with members",
                 "members_end": "members at the end", "joined": "joined", "enrolled": "enrolled", "left": "left",
                 "messages": "messages", "purchases": "purchases", "gmv": "GMV (CNY)", "spend": "spend (CNY)",
                 "retention": "retention (%)"}
FEW_GROUPS = 12  # the per-group table is shown when no arm's run has more groups than this
MAX_GROUP_ROWS = 120


def structure_sections(study, arms: list) -> list[str]:
    """Tables per group kind (tiers marked), per member segment, and per group when the
    runs have few groups; each only when it says something (more than one of them). ``arms``:
    the arms in the order the report shows them."""
    shown = structure_shown(study)
    parts = []
    if shown["kinds"]:
        parts.append("<h2>By group kind</h2><p>Per kind of group (a tier is a kind members reach only by promotion), "
                     "summed over its groups in a run: mean [95% CI] over replications. Retention: members at the end "
                     "over those who entered (joined or enrolled).</p>" +
                     _arm_rows(study, arms, study.kind_table(), "kind", KIND_COLUMNS))
    if shown["segments"]:
        parts.append("<h2>By member segment</h2><p>Per member segment, mean [95% CI] over replications. D30 "
                     "retention: of those who joined 30 days or more before the end, the share still in a group 30 "
                     "days later.</p>" + _arm_rows(study, arms, study.segment_table(), "segment", SEGMENT_COLUMNS))
    if shown["groups"]:
        groups = study.group_table()
        if groups.groupby(["scenario", "point", "replication"])["group"].size().max() <= FEW_GROUPS:
            parts.append(_groups(study, arms, groups, shown))
    return parts


def _arm_rows(study, arms: list, summary: pd.DataFrame, by: str, columns: dict) -> str:
    rows = []
    for arm in arms:
        at = summary[(summary["scenario"] == arm[0]) & (summary["point"] == arm[1])]
        for name, measures in at.groupby(by, sort=False):
            tier = " (tier)" if by == "kind" and measures["tier"].any() else ""
            row = [escape(study.label(arm)), escape(f"{name}{tier}")]
            for measure, (_, scale) in columns.items():
                r = measures[measures["measure"] == measure].iloc[0]
                ci = "" if pd.isna(r["low"]) else f"<br><span class=\"muted\">[{compact(r['low'] * scale)}, " \
                                                  f"{compact(r['high'] * scale)}]</span>"
                row.append(compact(r["mean"] * scale) + ci)
            rows.append(row)
    return table(["arm", by] + [head for head, _ in columns.values()], rows)


def _groups(study, arms: list, groups: pd.DataFrame, shown: dict) -> str:
    rows = []
    segments = study.group_segment_table() if shown["segments"] else None
    names = [] if segments is None else list(dict.fromkeys(segments["segment"]))
    for arm in arms:
        at = groups[(groups["scenario"] == arm[0]) & (groups["point"] == arm[1])]
        if at.empty:
            continue
        rep = at["replication"].min()
        for g in at[at["replication"] == rep].itertuples():
            row = [escape(study.label(arm)), str(g.group)]
            row += [_cell(column, getattr(g, column)) for column in GROUP_COLUMNS]
            if segments is not None:
                mine = segments[(segments["scenario"] == arm[0]) & (segments["point"] == arm[1]) &
                                (segments["replication"] == rep) & (segments["group"] == g.group)]
                ends = dict(zip(mine["segment"], mine["members_end"]))
                row += [str(int(ends.get(n, 0))) for n in names]
            rows.append(row)
    head = ["arm", "group", *GROUP_COLUMNS.values(), *(f"at the end: {n}" for n in names)]
    more = f"<p class=\"muted\">Showing {MAX_GROUP_ROWS} of {len(rows)} rows.</p>" if len(rows) > MAX_GROUP_ROWS else ""
    by_segment = " Members at the end by segment count each person in her newest group." if names else ""
    return ("<h2>Groups</h2><p>Each group of replication 0 of each arm: when it opened, the last day it had members, "
            "and its totals over the run. Retention: members at the end over those who entered (joined or "
            f"enrolled).{by_segment}</p>" + table(head, rows[:MAX_GROUP_ROWS]) + more)


def _cell(column: str, value) -> str:
    if column == "kind":
        return escape(value)
    if pd.isna(value):
        return "n/a"
    if column == "retention":
        return f"{value:.0%}"
    return number(value) if column in ("messages", "gmv", "spend") else str(int(value))
