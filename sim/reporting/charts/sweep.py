"""Sweep charts: KPIs against each varied parameter, and a heatmap for two parameters.

``sweep_<parameter>``: for the first four KPIs, each point's mean over replications
with its 95% CI, against the parameter's value: a one-parameter grid draws a line with
a CI band per scenario, a two-parameter grid of one scenario a line per value of the
other parameter, other designs points with error bars (the other parameters vary too).
The star is the scenario as written (point 0).
``heatmap``: for a two-parameter grid, the baseline scenario's KPI means over both.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...analysis.stats import kpi_ci
from .style import PALETTE, colormap, figure

PANELS = 4


def _numeric(values: pd.Series) -> bool:
    return pd.to_numeric(values, errors="coerce").notna().all()


def _point_means(summary: pd.DataFrame, kpi: str, spec) -> pd.DataFrame:
    rows = []
    for (scenario, point), runs in summary.groupby(["scenario", "point"], sort=False):
        mean, low, high = (spec.shown(v) for v in kpi_ci(runs[kpi], spec))  # within the KPI's bounds
        rows.append({"scenario": scenario, "point": point, "mean": mean, "low": low, "high": high})
    return pd.DataFrame(rows)


def _series(study, param: str, means: pd.DataFrame):
    """(label, colour, rows, as a line) of each curve in a panel.

    A one-parameter grid draws a line per scenario; a two-parameter grid of one scenario a
    line per value of the other parameter; any other design, each scenario's points.
    """
    design = study.experiment["design"]
    others = [p for p in study.params if p != param]
    scenarios = study.scenario_names
    points = means[means["point"] > 0]
    if design == "grid" and len(others) == 1 and len(scenarios) == 1:
        other = others[0]
        levels = list(dict.fromkeys(sorted(points[other].dropna().unique(), key=str)))
        cmap = colormap("viridis")
        for k, level in enumerate(levels):
            label = f"{other.rsplit('.', 1)[-1]}={level:g}" if isinstance(level, float) else f"{other}={level}"
            yield label, cmap(k / max(len(levels) - 1, 1)), points[points[other] == level], True
        return
    for i, scenario in enumerate(scenarios):
        yield scenario, PALETTE[i % len(PALETTE)], points[points["scenario"] == scenario], design == "grid" and not others


def param_chart(study, param: str):
    kpis = study.kpis[:PANELS]
    values = study.summary[["scenario", "point", *study.params]].drop_duplicates(["scenario", "point"])
    numeric = _numeric(values[param].dropna())
    if not numeric:  # categories (lists, words) on evenly spaced positions
        cats = list(dict.fromkeys(values[param].astype(str)))
        values = values.assign(**{param: values[param].astype(str).map(cats.index)})
    fig, axes = figure(1, len(kpis), (4.2 * len(kpis), 3.9))
    lines = False
    for ax, kpi in zip(axes.flat, kpis):
        spec = study.catalog[kpi]
        means = _point_means(study.summary, kpi, spec).merge(values, on=["scenario", "point"])
        for label, color, rows, as_line in _series(study, param, means):
            rows = rows.sort_values(param)
            x = rows[param].astype(float).to_numpy()
            if as_line:
                lines = True
                ax.plot(x, rows["mean"], "-o", color=color, ms=3, lw=1.5, label=label)
                ax.fill_between(x, rows["low"], rows["high"], color=color, alpha=0.2, lw=0)
            else:
                ax.errorbar(x, rows["mean"], yerr=[rows["mean"] - rows["low"], rows["high"] - rows["mean"]],
                            fmt="o", ms=3, color=color, alpha=0.8, capsize=2, label=label)
        for i, scenario in enumerate(study.scenario_names):
            written = means[(means["scenario"] == scenario) & (means["point"] == 0)]
            if len(written) and pd.notna(written[param].iloc[0]):
                ax.plot(float(written[param].iloc[0]), written["mean"].iloc[0], "*", ms=12, mec="black", mew=0.6,
                        color=PALETTE[i % len(PALETTE)], label=f"{scenario} as written")
        if not numeric:
            ax.set_xticks(range(len(cats)), [c[:12] for c in cats], rotation=30, fontsize=7)
        ax.set_title(spec.label, fontsize=10.5, loc="left")
        ax.set_xlabel(param)
        ax.set_ylabel(spec.unit)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=7, frameon=False)
    band = "bands" if lines else "bars"
    fig.suptitle(f"KPIs vs {param} — mean of replications, {band}: 95% CI", fontsize=10, x=0.01, ha="left")
    return fig


def heatmap_chart(study):
    if len(study.params) != 2 or study.experiment["design"] != "grid":
        return None
    px, py = study.params
    base = study.summary[(study.summary["scenario"] == study.baseline[0]) & (study.summary["point"] > 0)]
    if not (_numeric(base[px]) and _numeric(base[py])):
        return None
    kpis = study.kpis[:PANELS]
    fig, axes = figure(1, len(kpis), (4.4 * len(kpis), 4))
    for ax, kpi in zip(axes.flat, kpis):
        spec = study.catalog[kpi]
        table = (base.assign(v=spec.shown(base[kpi])).groupby([py, px])["v"].mean().unstack(px).sort_index())
        mesh = ax.pcolormesh(np.arange(table.shape[1] + 1), np.arange(table.shape[0] + 1), table.to_numpy(),
                             cmap="viridis" if spec.higher_is_better else "viridis_r", shading="flat")
        ax.set_xticks(np.arange(table.shape[1]) + 0.5, [f"{v:g}" for v in table.columns], fontsize=7)
        ax.set_yticks(np.arange(table.shape[0]) + 0.5, [f"{v:g}" for v in table.index], fontsize=7)
        ax.set_xlabel(px)
        ax.set_ylabel(py)
        ax.set_title(spec.label, fontsize=10.5, loc="left")
        fig.colorbar(mesh, ax=ax, label=spec.unit, shrink=0.85)
    fig.suptitle(f"{study.baseline[0]}: mean of replications over both parameters (brighter is better)",
                 fontsize=10, x=0.01, ha="left")
    return fig


def sweep_charts(study) -> dict:
    if not study.params:
        return {}
    short = [p.rsplit(".", 1)[-1] for p in study.params]
    names = [s if short.count(s) == 1 else p.replace(".", "_") for s, p in zip(short, study.params)]
    charts = {f"sweep_{n}": param_chart(study, p) for n, p in zip(names, study.params)}
    charts["heatmap"] = heatmap_chart(study)
    return charts
