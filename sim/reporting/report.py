"""``report.html``: the strategy-review page of a study, one self-contained file.

It opens with the decision when there are several arms (``sim.reporting.decision``: the
recommended option, its uplift on the objective, the guard-rails, the trade-offs), then holds
the question, the scenarios' differing settings side by side (and the varied
parameters), the ranking on the objective, the KPI table with 95% CIs, the paired uplift
vs the baseline with P(better) and a verdict, the results by structure when they say
something (per group kind, tiers marked, when a scenario has several kinds; per member
segment when it has several segments; per group, with members at the end by segment, when
runs have several groups but no more than ``FEW_GROUPS``), every chart (PNG embedded as
data URIs, no scripts, no outside resources: it opens offline and can be mailed), failures,
and the manifest (versions, seed, scenario hashes, command).
"""
from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import pandas as pd

from ..analysis.lifetimes import lifetime_summary
from ..experiments.folder import atomic_write
from ..experiments.plan import value_text
from .decision import decision_html
from .growth import growth_sections
from .markup import escape as _e, table as _table
from .structure_html import structure_sections
from .text import kpi_change, kpi_value

CAPTIONS = {
    "ranking": "Arms from best to worst on {kpi}; each is compared with the next on the same replications.",
    "retention": "Share of each weekly join cohort still in the group, by days since joining "
                 "(line: mean of replications; band: middle 95%).",
    "activity": "Active members, messages a day by source and purchases a day (7-day mean), all groups together "
                "(line: mean; band: middle 95%).",
    "uplift": "Paired uplift vs the baseline on the same replication seeds, with 95% confidence intervals.",
    "cost": "Spend against outcome per arm (error bars: 95% CI); the line joins the arms nothing cheaper beats.",
    "frontier": "The objective against spend per option (error bars: 95% CI); the line is the efficient frontier "
                "(options nothing cheaper beats); the recommended option is starred, dominated ones hollow.",
    "sales": "Purchases and GMV a day (trailing 7-day mean: pushes follow a weekly calendar), all groups together "
             "(line: mean of replications; band: middle 95%).",
    "heatmap": "Mean of replications over both varied parameters (baseline scenario).",
    "lifetimes": "Left: groups by the week they went silent (under 1% of members posting, 7-day mean; shaded: the "
                 "first four weeks) and, apart, the groups still talking at the end. Right: each group's first-week "
                 "post share against its lifetime; the AUC is the chance that a group still talking at day 90 had a "
                 "higher first-week share than one silent by then (0.5: the first week tells nothing).",
}
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;margin:2rem auto;
max-width:1200px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;
text-align:right;vertical-align:top}th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}
.better{background:#e3f4e1}.worse{background:#fbe3e1}.close{background:#f3f3f3;color:#555}
figure{margin:1rem 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.85rem;color:#555}
.question{font-size:1.1rem;color:#333}.decision{font-size:1.1rem}
#decision{border:1px solid #cfe3cf;background:#f8fcf8;padding:.2rem 1rem;margin:1rem 0}
.muted{color:#666;font-size:.85rem}code{font-size:.85rem}
"""


def write_report(study, out: Path, charts: dict[str, Path]) -> Path:
    decision = decision_html(study, study.decision()) if len(study.arms) > 1 and len(study.summary) else ""
    if len(study.summary):
        results = [_ranking(study), _kpis(study), _uplift(study), _lifetimes(study, charts),
                   *structure_sections(study, _ordered_arms(study)), *growth_sections(study, _ordered_arms(study)),
                   _charts(charts)]
    else:  # every run failed: the failures say why
        results = ["<h2>Results</h2><p>No run finished, so there is nothing to compare; see the failed runs.</p>"]
    parts = [_header(study), decision, _settings(study), *results, _failures(study), _manifest(study)]
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(study.experiment['name'])} — groupsim report</title><style>{STYLE}</style></head>"
            f"<body>\n" + "\n".join(p for p in parts if p) + "\n</body></html>\n")
    path = out / "report.html"
    atomic_write(path, lambda p: Path(p).write_text(page, encoding="utf-8"))
    return path


def _header(study) -> str:
    exp = study.experiment
    reps = study.manifest["replications"]
    question = exp.get("question") or f"How do the arms compare with {study.label(study.baseline)}?"
    text = [f"<h1>{_e(exp['name'])}</h1>", f"<p class=\"question\">{_e(question)}</p>"]
    if exp.get("description"):
        text.append(f"<p>{_e(exp['description'])}</p>")
    text.append(f"<p class=\"muted\">{len(study.arms)} arm(s) × {reps} replication(s), seed {study.manifest['seed']}; "
                f"every arm ran on the same replication seeds (common random numbers), so differences are paired. "
                f"Baseline: <b>{_e(study.label(study.baseline))}</b>.</p>")
    return "\n".join(text)


def _flatten(data, prefix="") -> dict:
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: data}


def _settings(study) -> str:
    scenarios = {n: study.manifest["scenarios"][n] for n in study.scenario_names}
    flat = {name: _flatten(s["scenario"]) for name, s in scenarios.items()}
    keys = sorted(set().union(*flat.values()))
    differ = [k for k in keys if len({json.dumps(f.get(k)) for f in flat.values()}) > 1 and k != "name"]
    parts = ["<h2>Scenarios</h2>"]
    if len(scenarios) > 1:
        rows = [[_e(k)] + [_e(_show(flat[n].get(k))) for n in scenarios] for k in differ]
        parts.append("<p>Settings that differ between the scenarios (all others are equal):</p>")
        parts.append(_table(["setting"] + list(scenarios), rows) if rows else "<p>None: the scenarios are equal.</p>")
    else:
        name = next(iter(scenarios))
        parts.append(f"<p>One scenario: <b>{_e(name)}</b> ({_e(scenarios[name]['scenario'].get('description', ''))})</p>")
    vary = study.experiment["vary"]
    if vary:
        exp = study.experiment
        size = exp["samples"] if exp["design"] != "grid" else len(study.manifest["points"]) - 1
        parts.append(f"<p>Varied by a <b>{_e(exp['design'])}</b> design of {size} point(s), "
                     f"plus each scenario as written (point 0):</p>")
        rows = []
        for path, p in vary.items():
            values = sorted({value_text(pt[path]) for pt in study.manifest["points"][1:]}, key=str)
            shown = ", ".join(_show(v) for v in values[:12]) + (" …" if len(values) > 12 else "")
            rows.append([_e(path), _e(shown)])
        parts.append(_table(["parameter", "values"], rows))
    return "\n".join(parts)


def _show(v) -> str:
    return json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else str(v)


def _ranking(study) -> str:
    kpi, higher = study.objective  # the KPI the decision is made on, when it is ranked its own way
    kpi = kpi if study.catalog[kpi].higher_is_better == higher else study.kpis[0]
    spec = study.catalog[kpi]
    ranked = study.ranking(kpi)
    rows = []
    for r in ranked.itertuples():
        note = ""
        if hasattr(r, "separated") and not pd.isna(r.separated):
            if r.separated:
                note = f"ahead of the next by {kpi_change(spec, r.ahead_by)} [{kpi_change(spec, r.ahead_low)}, " \
                       f"{kpi_change(spec, r.ahead_high)}] {spec.uplift_unit}"
            else:
                need = "more replications than is sensible" if math.isinf(r.reps_needed) else \
                    f"~{r.reps_needed:,.0f} replications"
                note = f"cannot be told apart from the next: the 95% CI includes 0 ({need} needed)"
        rows.append([str(r.rank), _e(study.label((r.scenario, r.point))), kpi_value(spec, r.mean), _e(note)])
    return (f"<h2>Ranking on {_e(spec.label)}</h2><p>{_e(CAPTIONS['ranking'].format(kpi=spec.label))}</p>" +
            _table(["#", "arm", f"{spec.label} ({spec.unit})", "vs the next"], rows[:30]))


def _ordered_arms(study, limit: int = 30) -> list:
    ranked = [(r.scenario, r.point) for r in study.ranking().itertuples()]
    order = [study.baseline] + [a for a in ranked if a != study.baseline]
    return order[:limit]


def _kpis(study) -> str:
    table = study.kpi_table()
    arms = _ordered_arms(study)
    rows = []
    for arm in arms:
        row = [_e(study.label(arm))]
        for kpi in study.kpis:
            spec = study.catalog[kpi]
            r = table[(table["scenario"] == arm[0]) & (table["point"] == arm[1]) & (table["kpi"] == kpi)]
            if r.empty:
                row.append("n/a")
                continue
            r = r.iloc[0]
            ci = "" if pd.isna(r["low"]) else f"<br><span class=\"muted\">[{kpi_value(spec, r['low'])}, " \
                                              f"{kpi_value(spec, r['high'])}]</span>"
            row.append(kpi_value(spec, r["mean"]) + ci)
        rows.append(row)
    head = ["arm"] + [f"{study.catalog[k].label} ({study.catalog[k].unit})" for k in study.kpis]
    more = f"<p class=\"muted\">Showing {len(arms)} of {len(study.arms)} arms; all are in summary.csv.</p>" \
        if len(arms) < len(study.arms) else ""
    note = ("<p class=\"muted\">Intervals of KPIs with bounds (counts, shares, money that cannot be negative) are "
            "expanded percentile bootstrap intervals over the replications, so they stay within the bounds; the "
            "others are Student-t intervals.</p>")
    return "<h2>KPIs (mean [95% CI] over replications)</h2>" + note + _table(head, rows) + more


def _uplift(study) -> str:
    up = study.uplift()
    arms = [a for a in _ordered_arms(study) if a != study.baseline]
    if not arms:
        return ""
    rows, classes = [], []
    for arm in arms:
        row, cls = [_e(study.label(arm))], [""]
        for kpi in study.kpis:
            spec = study.catalog[kpi]
            r = up[(up["scenario"] == arm[0]) & (up["point"] == arm[1]) & (up["kpi"] == kpi)]
            if r.empty or pd.isna(r["low"].iloc[0]):
                row.append("n/a")
                cls.append("close")
                continue
            r = r.iloc[0]
            row.append(f"{kpi_change(spec, r['uplift'])}<br><span class=\"muted\">[{kpi_change(spec, r['low'])}, "
                       f"{kpi_change(spec, r['high'])}] P(better) {r['p_better']:.2f}</span><br>{_e(r['verdict'])}")
            cls.append("better" if r["verdict"] == "better" else "worse" if r["verdict"] == "worse" else "close")
        rows.append(row)
        classes.append(cls)
    head = ["arm"] + [f"{study.catalog[k].label} ({study.catalog[k].uplift_unit})" for k in study.kpis]
    return (f"<h2>Uplift vs {_e(study.label(study.baseline))}</h2><p>Mean paired difference [95% CI], P(better) "
            f"(the chance the true uplift is on the better side of 0), and the verdict. Green: better, red: worse, "
            f"grey: the interval includes 0, so these replications cannot rank the two; the replications that "
            f"would resolve a difference of the size seen are shown.</p>" + _table(head, rows, classes))


def _lifetimes(study, charts: dict[str, Path]) -> str:
    """The shape of the group lifetimes, when the folder holds enough groups for their chart."""
    if "lifetimes" not in charts:
        return ""
    s = lifetime_summary(study.lifetimes(), study.days)
    auc = "n/a" if math.isnan(s["first_week_auc"]) else f"{s['first_week_auc']:.2f}"
    row = [f"{s['groups']:.0f}", f"{s['silent_early']:.0%}", f"{s['in_between']:.0%}", f"{s['alive_end']:.0%}", auc]
    head = ["groups", "silent within 4 weeks", "silent later", "still talking at the end",
            f"first week's AUC for day {s['predict_age']:.0f}"]
    return ("<h2>Group lifetimes</h2><p>A group is silent from the first day its 7-day mean share of members "
            "posting is under 1%. Qiu et al. (WWW 2016) found WeChat groups' lifetimes bimodal (many silent within "
            "weeks, many alive for months, fewer in between) and predictable from the first week.</p>"
            + _table(head, [row]))


def _charts(charts: dict[str, Path]) -> str:
    parts = ["<h2>Charts</h2>"]
    for name, path in charts.items():
        data = base64.b64encode(path.read_bytes()).decode()
        caption = CAPTIONS.get(name) or ("KPIs against the varied parameter." if name.startswith("sweep_") else "")
        parts.append(f"<figure id=\"chart-{_e(name)}\"><img alt=\"{_e(name)} chart\" "
                     f"src=\"data:image/png;base64,{data}\"><figcaption>{_e(caption)}</figcaption></figure>")
    return "\n".join(parts)


def _failures(study) -> str:
    if study.failures is None or not len(study.failures):
        return ""
    rows = [[_e(r.scenario), str(r.point), str(r.replication), _e(r.error)] for r in study.failures.itertuples()]
    return (f"<h2>Failed runs ({len(rows)})</h2><p>These runs are left out of every table and chart; "
            f"rerun the same command to retry them.</p>" + _table(["scenario", "point", "replication", "error"], rows[:50]))


def _manifest(study) -> str:
    m, log = study.manifest, study.log
    rows = [["command", f"<code>{_e(log.get('command', ''))}</code>"],
            ["executor", _e(f"{log.get('executor', '?')}, {log.get('workers', '?')} worker(s)"
                            + (f", scheduler {log['scheduler']}" if log.get("scheduler") else ""))],
            ["runs", _e(f"{log.get('runs', '?')} ({log.get('ran', '?')} run now, {log.get('stored_before', 0)} "
                        f"reused from the store, {log.get('failed', 0)} failed) in {log.get('seconds', '?')} s")],
            ["seed / replications", _e(f"{m['seed']} / {m['replications']}")],
            ["Python", _e(m.get("python", ""))],
            ["packages", _e(", ".join(f"{k} {v}" for k, v in m.get("packages", {}).items()))]]
    rows += [[f"scenario {_e(n)}", f"hash <code>{_e(m['scenarios'][n]['hash'])}</code>"] for n in study.scenario_names]
    return "<h2>Manifest</h2>" + _table(["", ""], rows) + \
        "<p class=\"muted\">The full manifest is manifest.json in this folder; per-run rows are in " \
        "summary.csv, daily.parquet and cohorts.parquet.</p>"
