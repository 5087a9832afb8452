"""Results as text: numbers for tables, the KPI table of ``run`` and the comparison of
``compare`` and ``sweep``, printed by the CLI."""
from __future__ import annotations

import numpy as np
import pandas as pd


def number(x: float | None) -> str:
    """A number for tables: three decimals when small, thousands separators when large."""
    if x is None or np.isnan(x):
        return "n/a"
    return f"{x:.3f}" if abs(x) < 10 else f"{x:,.1f}"


def signed(x: float) -> str:
    return "n/a" if pd.isna(x) else ("+" if x >= 0 else "") + number(x)


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
            ci = "" if np.isnan(r.low) else f"  [{number(spec.shown(r.low))}, {number(spec.shown(r.high))}]"
            lines.append(f"  {spec.label[:34]:<34} {number(spec.shown(r.mean)):>12}{ci}  {spec.unit}")
    return "\n".join(lines)


def describe(results, limit: int = 12) -> str:
    """KPI means per arm and the paired uplift vs the baseline."""
    up = results.uplift()
    if up.empty:
        return "no finished runs"
    reps = int(results.summary.groupby(["scenario", "point"]).size().min())
    lines = [f"{results.experiment['name']}: {len(results.arms)} arm(s), {reps} paired replication(s) each; "
             f"uplift vs {results.label(results.baseline)}, mean [95% CI], P(better)"]
    ranked = results.ranking()
    shown = [(r.scenario, r.point) for r in ranked.itertuples()][:limit]
    catalog = results.catalog
    for kpi in results.kpis:
        spec = catalog[kpi]
        lines.append(f"  {spec.label} ({spec.unit})")
        for arm in shown:
            row = up[(up["scenario"] == arm[0]) & (up["point"] == arm[1]) & (up["kpi"] == kpi)]
            if row.empty:
                continue
            r = row.iloc[0]
            text = f"    {results.label(arm)[:44]:<44} {number(spec.shown(r['mean'])):>11}"
            if r["verdict"] != "baseline" and r["pairs"] >= 2:
                text += (f"  {signed(spec.shown(r['uplift']))} [{signed(spec.shown(r['low']))}, "
                         f"{signed(spec.shown(r['high']))}]  P={r['p_better']:.2f}  {r['verdict']}")
            elif r["verdict"] == "baseline":
                text += "  (baseline)"
            lines.append(text)
    if len(results.arms) > limit:
        lines.append(f"  ... {len(results.arms) - limit} more arm(s) in summary.csv and the report")
    return "\n".join(lines)
