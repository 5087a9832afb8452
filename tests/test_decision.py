"""The decision a review ends in (sim.analysis.decision, sim.reporting.decision), on
constructed studies whose answer is known: hand-made summary tables of paired
replications (a shared run effect plus each option's offset and a little noise of its
own), read through ``Results`` as a results folder would be; then a tiny real comparison
whose printout and report open with the summary."""
from __future__ import annotations

import contextlib
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from sim.analysis.decision import Guardrail, dominator, rail_status
from sim.analysis.paired import Paired
from sim.cli import main
from sim.experiments.plan import kpi_record
from sim.reporting.results import Results
from sim.reporting.text import in_words, kpi_change

from stats_helpers import TEST_SEEDS

ROOT = Path(__file__).resolve().parent.parent
KPIS = ["profit", "spend", "retention_d30", "gmv"]
REPS = 10


def study(options: dict[str, dict[str, float]], seed: int, guardrails=(), noise: float = 5.0,
          objective: str = "profit") -> Results:
    """A study of ``options`` ({name: {kpi: mean offset from the baseline}}; the first is the
    baseline) over REPS paired replications: each replication shares one draw per KPI (the
    common random numbers) and each option adds its offset and noise of sd ``noise`` (x 0.001
    for the retention share)."""
    rng = np.random.default_rng(seed)
    base = {"profit": 1000 + 200 * rng.standard_normal(REPS), "spend": 500 + 50 * rng.standard_normal(REPS),
            "retention_d30": 0.6 + 0.05 * rng.standard_normal(REPS), "gmv": 5000 + 500 * rng.standard_normal(REPS)}
    rows = []
    for name, offsets in options.items():
        own = {k: rng.standard_normal(REPS) * noise * (0.001 if k == "retention_d30" else 1) for k in KPIS}
        for r in range(REPS):
            rows.append({"scenario": name, "point": 0, "replication": r,
                         **{k: base[k][r] + offsets.get(k, 0.0) + own[k][r] for k in KPIS}})
    names = list(options)
    manifest = {"experiment": {"name": "constructed", "kpis": KPIS, "vary": {},
                               "objective": {"kpi": objective, "direction": "maximize"},
                               "guardrails": [{"kpi": k, "max_loss": v} for k, v in guardrails],
                               "min_p_better": 0.9},
                "baseline": names[0], "replications": REPS, "seed": seed, "points": [{"point": 0}],
                "arms": [{"scenario": n, "point": 0, "hash": n} for n in names],
                "scenarios": {n: {"hash": n, "scenario": {"name": n}} for n in names},
                "kpis": {k: kpi_record(k) for k in KPIS}}
    return Results(manifest, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(rows))


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_a_dominated_option_is_never_recommended(seed):
    """B and C gain the same profit, C for less spend: B is dominated by C, so C is chosen,
    though B is listed first and would win a tie on profit alone."""
    res = study({"base": {}, "B": {"profit": 300, "spend": 100}, "C": {"profit": 300, "spend": 20}}, seed,
                noise=0.0)
    d = res.decision()
    assert d.option(("B", 0)).dominated_by == ("C", 0) and d.option(("C", 0)).dominated_by is None
    assert d.option(("B", 0)).confident and d.option(("C", 0)).confident  # only dominance keeps B out
    assert d.recommended == ("C", 0)
    text = "\n".join(res.decision_lines())
    assert "B is dominated by C" in text


@settings(max_examples=60, deadline=None)
@given(offsets=st.lists(st.tuples(st.floats(-300, 300), st.floats(-100, 100), st.floats(-0.05, 0.05)),
                        min_size=1, max_size=5), seed=st.sampled_from(TEST_SEEDS))
def test_the_recommended_option_is_on_no_ones_wrong_side(offsets, seed):
    """Property: whatever the options, the recommended one is dominated by no option (means
    on profit, spend and the guard-rail KPI), passes its guard-rail, and is confident."""
    options = {"base": {}, **{f"o{i}": {"profit": p, "spend": s, "retention_d30": r}
                              for i, (p, s, r) in enumerate(offsets)}}
    res = study(options, seed, guardrails=[("retention_d30", 0.02)], noise=40.0)
    d = res.decision()
    if d.kept_baseline:
        return
    means = res.summary.groupby("scenario")[["profit", "spend", "retention_d30"]].mean()
    rec = means.loc[d.recommended[0]]
    for name, row in means.iterrows():
        if name != d.recommended[0]:
            no_worse = row["profit"] >= rec["profit"] and row["spend"] <= rec["spend"] and \
                row["retention_d30"] >= rec["retention_d30"]
            better = row["profit"] > rec["profit"] or row["spend"] < rec["spend"] or \
                row["retention_d30"] > rec["retention_d30"]
            assert not (no_worse and better), (name, d.recommended)
    chosen = d.option(d.recommended)
    assert chosen.objective.p_better >= 0.9 and all(r.status == "holds" for r in chosen.rails)


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_a_guardrail_breach_is_named_and_keeps_the_option_out(seed):
    """B gains most profit but loses 5 points of D30 retention (2 allowed): breached, named;
    C gains less and keeps retention: recommended."""
    res = study({"base": {}, "B": {"profit": 500, "retention_d30": -0.05},
                 "C": {"profit": 200, "retention_d30": -0.002}}, seed, guardrails=[("retention_d30", 0.02)])
    d = res.decision()
    assert d.option(("B", 0)).rails[0].status == "breached"
    assert d.option(("C", 0)).rails[0].status == "holds"
    assert d.recommended == ("C", 0)
    lines = res.decision_lines()
    assert any(line.startswith("B breaches the D30 retention guard-rail") for line in lines), lines
    assert any("C holds every guard-rail" in line for line in lines)
    trade = next(line for line in lines if line.startswith("Trade-off, B against C"))
    assert "better on Profit" in trade and "worse on" in trade and "D30 retention" in trade


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_the_baseline_is_kept_when_nothing_beats_it_confidently(seed):
    """Offsets of 2 CNY under noise of sd 200 CNY a run: nobody reaches P(better) 0.9;
    with the noise switched off the same offsets are certain and the best is chosen."""
    options = {"base": {}, "B": {"profit": 2}, "C": {"profit": 1}}
    d = study(options, seed, noise=200.0).decision()
    assert all(o.objective.p_better < 0.9 for o in d.options)
    assert d.kept_baseline and d.recommended == ("base", 0)
    res = study(options, seed, noise=200.0)
    assert res.decision_lines()[0] == ("Recommendation: keep base. No option beats it on Profit (higher is better) "
                                       "with P(better) of at least 0.90 and is not dominated.")
    assert study(options, seed, noise=0.0).decision().recommended == ("B", 0)


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_the_summary_names_the_option_its_uplift_ci_and_p_better(seed):
    res = study({"base": {}, "B": {"profit": 250}}, seed, noise=30.0)
    first = res.decision_lines()[0]
    s = res.summary.set_index(["scenario", "replication"])["profit"]
    diffs = (s["B"] - s["base"]).to_numpy()
    half = stats.t.ppf(0.975, REPS - 1) * diffs.std(ddof=1) / math.sqrt(REPS)
    p = stats.t.cdf(diffs.mean() / (diffs.std(ddof=1) / math.sqrt(REPS)), REPS - 1)
    spec = res.catalog["profit"]
    assert first.startswith("Recommendation: run B. Against base it raises Profit by ")
    assert f"{in_words(spec, diffs.mean())} (95% CI {kpi_change(spec, diffs.mean() - half)} to " \
           f"{in_words(spec, diffs.mean() + half, True)}; P(better) {p:.2f})" in first


def test_rail_status_reads_the_worse_end_of_the_interval():
    up = Paired(10, -0.01, -0.015, -0.005, 0.0, 0.0)  # loses 1 point [0.5, 1.5]
    assert rail_status(up, 0.02, True) == "holds"
    assert rail_status(up, 0.01, True) == "not shown to hold"
    assert rail_status(up, 0.004, True) == "breached"
    assert rail_status(Paired(10, 5, 2, 8, 0.0, 0.0), 3, False) == "not shown to hold"  # spend up 5 [2, 8]
    assert rail_status(Paired(1, 5, math.nan, math.nan, math.nan, math.nan), 3, False) == "not measured"


def test_dominance_needs_no_worse_everywhere_and_better_somewhere():
    higher = {"profit": True, "spend": False}
    means = {"a": {"profit": 10, "spend": 5}, "b": {"profit": 10, "spend": 5}, "c": {"profit": 11, "spend": 6}}
    assert dominator("a", means, higher) is None  # equal to b, traded against c
    means["b"]["spend"] = 4
    assert dominator("a", means, higher) == "b"


def test_compare_prints_and_the_report_opens_with_the_decision(tmp_path):
    out = tmp_path / "res"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["compare", str(ROOT / "scenarios/baseline.yaml"), str(ROOT / "scenarios/light_touch.yaml"),
                     "--days", "20", "--set", "recruitment.arrivals_per_day=20", "--reps", "3",
                     "--guardrail", "retention_d7=0.02", "--out", str(out), "--workers", "1"])
    assert code == 0
    text = buf.getvalue()
    assert text.startswith("Recommendation: ")
    assert "Guard-rails: D7 retention not worse than the baseline by more than 2.00 percentage points." in text
    page = (out / "report.html").read_text()
    assert page.index('<section id="decision">') < page.index("<h2>Scenarios</h2>")
    assert "expanded percentile bootstrap" in page
    assert {"frontier.png", "sales.png"} <= {p.name for p in (out / "charts").iterdir()}
    assert Results.load(out).guardrails == [Guardrail("retention_d7", 0.02)]


@pytest.mark.parametrize("field, text", [("objective", "objective: promoted"), ("kpis", "kpis: [profit, promoted]"),
                                         ("guardrails", "guardrails: [{kpi: promoted, max_loss: 1}]")])
def test_a_kpi_no_scenario_measures_is_refused_before_any_run(tmp_path, field, text):
    """``promoted`` is the promotion strategy's KPI: a review of scenarios without it cannot show it."""
    from sim.experiments.errors import InputError
    from sim.experiments.plan import load_experiment
    root = Path(__file__).resolve().parents[1] / "scenarios"
    exp = tmp_path / "exp.yaml"
    exp.write_text(f"name: x\nscenarios: [{root / 'baseline.yaml'}, {root / 'light_touch.yaml'}]\n{text}\n")
    with pytest.raises(InputError, match="declared by a strategy none of the scenarios runs") as err:
        load_experiment(exp)
    assert err.value.field == field
