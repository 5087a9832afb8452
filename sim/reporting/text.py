"""Results as text: numbers for tables, the KPI table of ``run`` (with the tables by
structure when they say something: per group kind and per member segment when there are
several, the largest groups when a run has several) and the comparison of ``compare`` and
``sweep``, printed by the CLI."""
from __future__ import annotations

import numpy as np
import pandas as pd


def number(x: float | None) -> str:
    """A number for tables: three decimals when small, thousands separators when large."""
    if x is None or np.isnan(x):
        return "n/a"
    return f"{x:.3f}" if abs(x) < 10 else f"{x:,.1f}"


def compact(x: float) -> str:
    """``number``, but a whole number without decimals (a mean of counts that is exact)."""
    return f"{x:,.0f}" if not pd.isna(x) and float(x).is_integer() else number(x)


def signed(x: float) -> str:
    return "n/a" if pd.isna(x) else ("+" if x >= 0 else "") + number(x)


# KPIs are shown alike by `run`, `compare`, `sweep` and the report: the same (short) label,
# the value in its shown unit (shares in percent) with ``figure``'s digits, the same unit words
LABEL_WIDTH = 40


def figure(x: float | None) -> str:
    """A KPI's number: no decimals from 100 (with thousands separators), one from 10, two below."""
    if x is None or pd.isna(x):
        return "n/a"
    a = abs(x)
    return f"{x:,.0f}" if a >= 99.95 else f"{x:.1f}" if a >= 9.995 else f"{x:.2f}"


def short_label(spec) -> str:
    return spec.label if len(spec.label) <= LABEL_WIDTH else spec.label[:LABEL_WIDTH - 1] + "…"


def kpi_value(spec, x: float) -> str:
    """A KPI's value (or interval end) in the unit it is shown in, without the unit."""
    return figure(spec.shown(x))


def kpi_change(spec, x: float) -> str:
    """A difference of a KPI, signed, in its uplift unit (percentage points for shares)."""
    return "n/a" if pd.isna(x) else ("+" if x >= 0 else "") + figure(spec.shown(x))


def in_words(spec, x: float, change: bool = False) -> str:
    """A value or a change with its unit, for sentences: '78.0%', '+1.58 percentage points', '1,234 CNY'."""
    if pd.isna(x):
        return "n/a"
    text = kpi_change(spec, x) if change else kpi_value(spec, x)
    if spec.percent:
        return f"{text} percentage points" if change else f"{text}%"
    return f"{text} {spec.unit}"


def format_kpis(results) -> str:
    """Each arm's KPIs: mean and 95% CI across replications, in the units they are shown in."""
    table, catalog = results.kpi_table(), results.catalog
    lines = []
    for (scenario, point), rows in table.groupby(["scenario", "point"], sort=False):
        reps = int(rows["reps"].iloc[0])
        lines.append(f"{results.label((scenario, point))}  ({reps} replication{'s' if reps > 1 else ''}; "
                     f"mean [95% CI])")
        for r in rows.itertuples():
            spec = catalog[r.kpi]
            ci = "" if np.isnan(r.low) else f"  [{kpi_value(spec, r.low)}, {kpi_value(spec, r.high)}]"
            lines.append(f"  {short_label(spec):<{LABEL_WIDTH}} {kpi_value(spec, r.mean):>10}{ci}  {spec.unit}")
    lines += format_structure(results)
    return "\n".join(lines)


# results by structure (sim.analysis.structure): measure -> (label, scale); shares as percent
# (the first two with their CI)
KIND_SHOWN = {"members_end": ("members at end", 1), "retention": ("retention %", 100), "groups": ("groups", 1),
              "gmv": ("GMV", 1)}
SEGMENT_SHOWN = {"members_end": ("members at end", 1), "retention_d30": ("D30 retention %", 100),
                 "messages_per_member": ("msgs/member", 1), "purchases_per_member": ("orders/member", 1)}


def structure_shown(results) -> dict[str, bool]:
    """Which structure tables say something: more than one kind, segment, or group in a run."""
    groups = results.daily.groupby([c for c in ("scenario", "point", "replication") if c in results.daily.columns])
    return {"kinds": any(len(v) > 1 for v in results.names("kinds").values()),
            "segments": any(len(v) > 1 for v in results.names("segments").values()),
            "groups": bool(len(results.daily)) and int(groups["group"].nunique().max()) > 1}


def format_structure(results, top: int = 5) -> list[str]:
    """Lines per group kind and per segment (mean [95% CI]) when there are several, and each
    arm's largest groups (replication 0) when a run has several groups."""
    shown, lines = structure_shown(results), []
    several = len(results.arms) > 1
    for by, title, shown_as in (("kind", "group kind", KIND_SHOWN), ("segment", "member segment", SEGMENT_SHOWN)):
        if not shown[f"{by}s"]:
            continue
        rows = results.kind_table() if by == "kind" else results.segment_table()
        lines.append(f"by {title} (mean [95% CI] over replications)")
        for (scenario, point), arm in rows.groupby(["scenario", "point"], sort=False):
            if several:
                lines.append(f"  {results.label((scenario, point))}")
            for name, measures in arm.groupby(by, sort=False):
                tier = " (tier)" if by == "kind" and measures["tier"].any() else ""
                cells = []
                for i, (measure, (label, scale)) in enumerate(shown_as.items()):
                    r = measures[measures["measure"] == measure].iloc[0]
                    ci = "" if i > 1 or np.isnan(r["low"]) else \
                        f" [{compact(r['low'] * scale)}, {compact(r['high'] * scale)}]"
                    cells.append(f"{label} {compact(r['mean'] * scale)}{ci}")
                lines.append(f"  {(str(name) + tier)[:22]:<22} " + "  ".join(cells))
    if shown["groups"]:
        groups = results.group_table()
        for (scenario, point), arm in groups.groupby(["scenario", "point"], sort=False):
            rep = int(arm["replication"].min())
            first = arm[arm["replication"] == rep]
            largest = first.sort_values(["members_end", "group"], ascending=[False, True]).head(top)
            lines.append(f"groups of {results.label((scenario, point))} (replication {rep}; "
                         f"the {len(largest)} with most members at the end, of {len(first)})")
            for g in largest.itertuples():
                retention = "n/a" if pd.isna(g.retention) else f"{g.retention:.0%}"
                kind = f" ({g.kind})" if shown["kinds"] else ""
                lines.append(f"  group {g.group}{kind}: opened day {g.opened}, {g.members_end} members at the end; "
                             f"{g.joined} joined, {g.enrolled} enrolled, {g.left} left; retention {retention}; "
                             f"GMV {number(g.gmv)}")
    return lines


def describe(results, limit: int = 12) -> str:
    """KPI means per arm and the paired uplift vs the baseline."""
    up = results.uplift()
    if up.empty:
        return "no finished runs"
    reps = int(results.summary.groupby(["scenario", "point"]).size().min())
    decision = results.decision_lines()
    lines = [*decision, ""] if decision else []
    lines.append(f"{results.experiment['name']}: {len(results.arms)} arm(s), {reps} paired replication(s) each; "
                 f"uplift vs {results.label(results.baseline)}, mean [95% CI], P(better)")
    ranked = results.ranking()
    shown = [(r.scenario, r.point) for r in ranked.itertuples()][:limit]
    catalog = results.catalog
    for kpi in results.kpis:
        spec = catalog[kpi]
        lines.append(f"  {short_label(spec)}  ({spec.unit}; uplift in {spec.uplift_unit})")
        for arm in shown:
            row = up[(up["scenario"] == arm[0]) & (up["point"] == arm[1]) & (up["kpi"] == kpi)]
            if row.empty:
                continue
            r = row.iloc[0]
            text = f"    {results.label(arm)[:44]:<44} {kpi_value(spec, r['mean']):>10}"
            if r["verdict"] != "baseline" and r["pairs"] >= 2:
                text += (f"  {kpi_change(spec, r['uplift'])} [{kpi_change(spec, r['low'])}, "
                         f"{kpi_change(spec, r['high'])}]  P(better) {r['p_better']:.2f}  {r['verdict']}")
            elif r["verdict"] == "baseline":
                text += "  (baseline)"
            lines.append(text)
    if len(results.arms) > limit:
        lines.append(f"  ... {len(results.arms) - limit} more arm(s) in summary.csv and the report")
    return "\n".join(lines)
