"""compare, the charts and report.html: content, rebuilding, and rendering in a browser."""
from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main

from browser import check_page, require_chromium

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [ROOT / "scenarios" / f for f in ("baseline.yaml", "value_first.yaml", "push_hard.yaml")]
SMALL = ["--days", "40", "--set", "recruitment.arrivals_per_day=30", "--reps", "4"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "res"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["compare", *map(str, SCENARIOS), *SMALL, "--out", str(out), "--workers", "2", "--quiet"])
    assert code == 0
    return out, buf.getvalue()


@pytest.fixture(scope="module")
def grid2(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grid2")
    exp = folder / "g.yaml"
    exp.write_text(f"name: g\nscenarios: [{ROOT / 'scenarios/baseline.yaml'}]\n"
                   "set: {days: 20, recruitment.arrivals_per_day: 20}\n"
                   "vary: {strategies.messaging.per_day: [1, 4], strategies.messaging.value_share: [0.3, 0.9]}\n"
                   "replications: 2\nkpis: [active_end, purchases]\n")
    return sim.sweep(exp, folder / "res", workers=1), folder / "res"


def test_compare_prints_the_report_path(compared):
    out, stdout = compared
    assert stdout.strip() == f"report: {out / 'report.html'}"


def test_compare_api_gives_paired_uplift_and_charts(tmp_path):
    study = sim.compare(*SCENARIOS[:2], reps=3, overrides=["days=30", "recruitment.arrivals_per_day=30"],
                        out=tmp_path / "api", report=False)
    up = study.uplift()
    row = up[(up["scenario"] == "value-first") & (up["kpi"] == "active_end")].iloc[0]
    s = study.summary.set_index(["scenario", "replication"])["active_end"]
    diffs = s["value-first"] - s["baseline"]
    assert row["uplift"] == pytest.approx(diffs.mean()) and row["pairs"] == 3
    assert row["low"] < row["uplift"] < row["high"] and 0 <= row["p_better"] <= 1
    assert study.manifest["seed"] == 1  # the first scenario's seed
    charts = study.plot()
    assert set(charts) == {"retention", "activity", "sales", "uplift", "cost", "frontier"}


def test_paired_interval_is_narrower_than_unpaired(compared):
    """Common random numbers: the paired CI of a difference beats an independent-runs CI."""
    out, _ = compared
    summary = pd.read_csv(out / "summary.csv").set_index(["scenario", "replication"])["active_end"]
    a, b = summary["baseline"], summary["value-first"]
    paired_sd = (b - a).std(ddof=1)
    unpaired_sd = np.sqrt(a.var(ddof=1) + b.var(ddof=1))
    assert paired_sd < unpaired_sd / 1.5


def test_report_holds_question_settings_tables_charts_and_manifest(compared):
    out, _ = compared
    page = (out / "report.html").read_text()
    for name in ("baseline", "value-first", "push-hard"):
        assert name in page
    assert "Settings that differ" in page and "strategies.messaging.per_day" in page
    assert "strategies.messaging.value_share" in page and "recruitment.arrivals_per_day" not in page.split(
        "Settings that differ")[1].split("</table>")[0]  # equal in all three: not listed
    assert "Ranking on Profit" in page  # the objective (default: profit) and "Uplift vs baseline" in page and "P(better)" in page
    charts = sorted(p.stem for p in (out / "charts").glob("*.png"))
    assert charts == ["activity", "cost", "frontier", "retention", "sales", "uplift"]
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', page)) == len(charts)
    assert "<script" not in page and "http://" not in page and "https://" not in page  # self-contained
    manifest = json.loads((out / "manifest.json").read_text())
    for s in manifest["scenarios"].values():
        assert s["hash"] in page
    assert "groupsim compare" in page  # the command, from log.json


def test_report_command_rebuilds_the_same_page(compared, tmp_path, capsys):
    out, _ = compared
    copy = tmp_path / "copy"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("runs"))
    original = (copy / "report.html").read_bytes()
    (copy / "report.html").unlink()
    shutil.rmtree(copy / "charts")
    assert main(["report", str(copy)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {copy / 'report.html'}"
    assert (copy / "report.html").read_bytes() == original


def test_report_of_a_folder_without_a_study_is_bad_input(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a groupsim results folder" in err


def test_sweep_charts_have_parameter_panels_and_a_heatmap(grid2):
    study, out = grid2
    assert sorted(p.stem for p in (out / "charts").glob("*.png")) == \
        ["activity", "cost", "frontier", "heatmap", "retention", "sales", "sweep_per_day", "sweep_value_share",
         "uplift"]
    page = (out / "report.html").read_text()
    assert "grid</b> design of 4 point(s)" in page
    assert page.count("data:image/png;base64,") == 9


@pytest.mark.parametrize("which", ["compare", "sweep"])
def test_report_renders_in_headless_chromium(which, compared, grid2, tmp_path):
    require_chromium()
    out = compared[0] if which == "compare" else grid2[1]
    page = check_page(out / "report.html", tmp_path)
    assert page.errors == []
    assert page.images == len(list((out / "charts").glob("*.png"))) and page.rendered == page.images
    assert not page.blank
