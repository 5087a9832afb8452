"""The ``groupsim`` command, run as a user runs it: in a subprocess.

Every subprocess imports the whole package (~2-3 s), so all of them are started once,
two at a time, by the module-scoped ``procs`` fixture, and the tests read their
results; runs are tiny (30 days, 2 replications). Further cases of bad input run
in-process through ``sim.cli.main``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim import load_scenario
from sim.cli import main
from sim.analysis.kpis import RUN_KPIS as KPIS
from sim.strategies import kpi_catalog

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
FILES = ("daily.parquet", "summary.csv", "cohorts.parquet", "members.parquet", "manifest.json", "log.json", "report.html",
         "checksums.json")
TABLES = ("daily.parquet", "summary.csv", "cohorts.parquet", "manifest.json")  # decided by the plan alone
SMALL = ["--days", "30", "--reps", "2", "--set", "recruitment.arrivals_per_day=20"]
MODULE = [sys.executable, "-m", "sim"]


def _script() -> list[str]:
    exe = Path(sys.executable).with_name("groupsim")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("groupsim")
    if found is None:
        pytest.skip("the groupsim console script is not installed")
    return [found]


def cli(args: list[str], cwd: Path | None = None, entry: list[str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GROUPSIM_DEBUG"}
    env["MPLBACKEND"] = "Agg"
    return subprocess.run((entry or MODULE) + [str(a) for a in args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


SENTINELS = {f: f"old {f}".encode() for f in FILES + ("notes.txt",)}
EMPTY = "name: empty\nrecruitment:\n  initial_members: 0\n  arrivals_per_day: 0\n"  # can never have a member
EMPTY_POINT = f"name: e\nscenarios: [{BASELINE}]\nvary:\n  recruitment.arrivals_per_day: [20, 0]\n"
NOBODY = ("no member can ever join (initial_members 0, arrivals_per_day {a}, join_probability {p}); "
          "allowed: initial_members >= 1, or arrivals_per_day > 0 with join_probability > 0")


@pytest.fixture(scope="module")
def procs(tmp_path_factory):
    """Every subprocess of this module, keyed by name: (CompletedProcess, folder)."""
    base = tmp_path_factory.mktemp("cli")
    bad = base / "bad.yaml"
    bad.write_text("name: x\nrecruitment:\n  initial_members: 10\n  arivals_per_day: 5\n")
    (base / "empty.yaml").write_text(EMPTY)
    (base / "empty_point.yaml").write_text(EMPTY_POINT)
    existing = base / "existing"
    for folder in ("existing", "existing-empty-run", "existing-empty-sweep"):
        (base / folder / "res").mkdir(parents=True)
        for f, data in SENTINELS.items():
            (base / folder / "res" / f).write_bytes(data)
    jobs = {  # name: (args, entry, cwd)
        "help": (["--help"], _script(), base),
        "help run": (["run", "--help"], MODULE, base),
        "help validate": (["validate", "--help"], MODULE, base),
        "validate": (["validate", BASELINE], _script(), base),
        "validate bad": (["validate", bad], _script(), base),
        "run bad set": (["run", BASELINE, "--set", "recruitment.join_probability=1.5", "--out", "res"], MODULE, base),
        "reps 0": (["run", BASELINE, "--reps", "0", "--out", "res"], MODULE, base),
        "seed -1": (["run", BASELINE, "--seed", "-1", "--out", "res"], MODULE, base),
        "run bad into existing": (["run", bad, "--days", "5", "--out", "res"], MODULE, existing),
        "run empty into existing": (["run", base / "empty.yaml", "--force", "--out", "res"], MODULE,
                                    base / "existing-empty-run"),
        "sweep empty point into existing": (["sweep", base / "empty_point.yaml", "--out", "res"], _script(),
                                            base / "existing-empty-sweep"),
    }
    # the same command in two folders (console script), and another seed (python -m sim)
    for name, entry, seed in (("a", _script(), "5"), ("b", _script(), "5"), ("c", MODULE, "6")):
        jobs[name] = (["run", BASELINE, *SMALL, "--seed", seed, "--out", "res"], entry, base / name)
    for _, _, cwd in jobs.values():
        cwd.mkdir(exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:  # two cores: two processes at a time
        futures = {name: pool.submit(cli, args, cwd, entry) for name, (args, entry, cwd) in jobs.items()}
        return {name: (f.result(), jobs[name][2] / "res") for name, f in futures.items()}


# -- help ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, words", [
    ("help", ["run", "validate", "sweep", "compare", "report"]),
    ("help run", ["--reps", "--seed", "--days", "--set", "--out", "--quiet"]),
    ("help validate", ["--set", "file"]),
])
def test_help(procs, name, words):
    proc = procs[name][0]
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: groupsim")
    assert proc.stderr == ""
    for w in words:
        assert w in proc.stdout


# -- validate ------------------------------------------------------------------------

def test_validate_good_file_in_a_subprocess(procs):
    proc = procs["validate"][0]
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.strip() == f"{BASELINE}: ok — scenario 'baseline', {load_scenario(BASELINE).days} days, strategies: messaging"


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")) + [ROOT / "benchmarks" / "minimal.yaml"],
                         ids=lambda p: p.name)
def test_validate_every_shipped_file(path, capsys):
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{path}: ok") and err == ""


def test_validate_applies_set(capsys):
    assert main(["validate", str(BASELINE), "--set", "days=12", "--set", "strategies.messaging.per_day=4"]) == 0
    assert ", 12 days," in capsys.readouterr().out


# -- bad input -----------------------------------------------------------------------

def test_bad_file_exits_2_with_one_line(procs):
    proc = procs["validate bad"][0]
    line = one_error_line(proc)
    assert proc.stdout == ""
    bad_file = procs["validate bad"][1].parent / "bad.yaml"
    assert re.fullmatch(rf"groupsim: error: {re.escape(str(bad_file))}:4: recruitment\.arivals_per_day: "
                        r"unknown field; did you mean 'arrivals_per_day'\? allowed: .*", line), line


def test_bad_set_on_run_exits_2_with_one_line(procs):
    proc, res = procs["run bad set"]
    line = one_error_line(proc)
    assert line.startswith(f"groupsim: error: {BASELINE}: --set recruitment.join_probability: "
                           "recruitment.join_probability: Input should be less than or equal to 1")
    assert proc.stdout == ""
    assert not res.exists()


@pytest.mark.parametrize("text, needle", [
    (None, "cannot read the file"),
    ("name: x\ndays: [30\n", "not valid YAML"),
    ("- a\n- b\n", "must be a YAML mapping"),
    ("name: !!python/object/apply:os.getcwd []\n", "not valid YAML"),
    ("name: x\ndays: 1\ndays: 2\n", "days: the key is given twice"),
    ("name: x\nmembers:\n  activity: {gamma: [2, 1]}\n", "members.activity: 'activity' is a probability"),
    ("name: x\nstrategies:\n  mesaging: {}\n", "did you mean 'messaging'?"),
    (b"name: caf\xe9\n", "not UTF-8 text"),
    ("name: x\ndescription: &a [*a]\n", "description: Input should be a valid string"),
])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_input_in_process_is_one_line(tmp_path, capsys, text, needle, command):
    path = tmp_path / "s.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text)
    args = [command, str(path)] + (["--out", str(tmp_path / "res")] if command == "run" else [])
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"groupsim: error: {path}")
    assert needle in err and "Traceback" not in err
    assert not (tmp_path / "res").exists()


@pytest.mark.parametrize("name, needle", [("reps 0", "--reps"), ("seed -1", "--seed")])
def test_bad_numbers_exit_2(procs, name, needle):
    proc, res = procs[name]
    line = one_error_line(proc)
    assert line.startswith(f"groupsim run: error: argument {needle}: must be a whole number")
    assert proc.stdout == ""
    assert not res.exists()


@pytest.mark.parametrize("args", [
    ["run", str(BASELINE), "--reps", "x"], ["run", str(BASELINE), "--reps", "-2"],
    ["run", str(BASELINE), "--seed", "1.5"], ["run", str(BASELINE), "--seed", "abc"],
    ["run", str(BASELINE), "--days", "0"], ["run", str(BASELINE), "--bogus"], ["run"], [], ["frobnicate"],
    ["validate"],
])
def test_bad_arguments_exit_2_with_one_line(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("groupsim")
    assert "error: " in err and "--help" in err


# -- run -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs(procs):
    """name: (results folder, process) of the three good runs."""
    for name in "abc":
        assert procs[name][0].returncode == 0, procs[name][0].stderr
    return {name: (procs[name][1], procs[name][0]) for name in "abc"}


def test_run_writes_the_results_folder(runs):
    """The same folder as compare and sweep: tables, manifest, log, the store, charts, report."""
    res, proc = runs["a"]
    assert sorted(p.name for p in res.iterdir()) == sorted(FILES + (".groupsim.lock", "charts", "runs"))
    for f in FILES:
        assert (res / f).stat().st_size > 0
    assert len(list((res / "runs").iterdir())) == 2  # one stored run per replication
    charts = sorted(p.name for p in (res / "charts").iterdir())
    assert charts == ["activity.png", "cost.png", "retention.png", "sales.png"]
    assert all((res / "charts" / c).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for c in charts)
    json.loads((res / "manifest.json").read_text())


def test_run_prints_kpis_with_cis_and_the_results_path(runs):
    _, proc = runs["a"]
    lines = proc.stdout.splitlines()
    assert lines[-1] == f"report: {Path('res') / 'report.html'}"
    assert lines[0] == "baseline  (2 replications; mean [95% CI])"
    shown = (*KPIS, "staff_spend")  # the engine's, then those of its strategy (messaging)
    catalog = kpi_catalog()
    labels = {catalog[k].label[:34].strip(): k for k in shown}
    body = {labels[ln[2:36].strip()]: ln for ln in lines[1:-1]}
    assert list(body) == list(shown)
    for kpi in ("members_end", "active_end", "retention_d1", "retention_d7"):
        assert re.search(r"\[[-\d.,]+, [-\d.,]+\]  " + re.escape(catalog[kpi].unit) + "$", body[kpi]), body[kpi]
    assert "n/a" in body["retention_d90"]  # not observable in 30 days
    assert "Traceback" not in proc.stderr


def test_same_command_gives_byte_identical_files(runs):
    a, b = runs["a"][0], runs["b"][0]
    for f in TABLES:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_another_seed_gives_other_results(runs):
    a, c = runs["a"][0], runs["c"][0]
    assert (a / "daily.parquet").read_bytes() != (c / "daily.parquet").read_bytes()
    da, dc = pd.read_parquet(a / "daily.parquet"), pd.read_parquet(c / "daily.parquet")
    assert not da[["joined", "member_posts", "left"]].equals(dc[["joined", "member_posts", "left"]])


def test_manifest_records_seed_scenario_hash_and_versions(runs):
    res, _ = runs["a"]
    m = json.loads((res / "manifest.json").read_text())
    assert m["seed"] == 5 and m["replications"] == 2
    scenario = load_scenario(BASELINE, ["recruitment.arrivals_per_day=20", "days=30"])
    assert m["scenarios"]["baseline"]["hash"] == scenario.digest
    assert m["scenarios"]["baseline"]["scenario"]["days"] == 30
    assert m["packages"]["numpy"] == np.__version__
    assert m["packages"]["pandas"] == pd.__version__
    assert m["packages"]["groupsim"] == sim.__version__
    assert set(m["packages"]) >= {"mesa", "pyarrow", "scipy", "pydantic", "matplotlib"}
    assert "not installed" not in m["packages"].values()
    log = json.loads((res / "log.json").read_text())
    assert log["command"].startswith("groupsim run ") and "--seed 5" in log["command"]
    mc = json.loads((runs["c"][0] / "manifest.json").read_text())
    assert mc["seed"] == 6 and mc["scenarios"]["baseline"]["hash"] == scenario.digest


def test_summary_has_one_row_per_replication(runs):
    res, _ = runs["a"]
    summary = pd.read_csv(res / "summary.csv")
    assert len(summary) == 2
    assert summary["replication"].tolist() == [0, 1]
    assert (summary["seed"] == 5).all() and (summary["scenario"] == "baseline").all()
    assert set(KPIS) <= set(summary.columns)


def test_daily_has_one_row_per_replication_day_and_group(runs):
    res, _ = runs["a"]
    daily = pd.read_parquet(res / "daily.parquet")
    keys = ["scenario", "point", "replication", "day", "group"]
    assert list(daily.columns[:5]) == keys
    assert not daily.duplicated(keys).any()
    assert sorted(daily["replication"].unique()) == [0, 1]
    for (rep, day), rows in daily.groupby(["replication", "day"]):
        assert sorted(rows["group"]) == list(range(len(rows)))  # groups 0..G-1, no gaps
    assert sorted(daily["day"].unique()) == list(range(30))
    cohorts = pd.read_parquet(res / "cohorts.parquet")
    assert {"replication", "cohort", "age", "joined", "present", "engaged"} <= set(cohorts.columns)
    assert not cohorts.duplicated(["replication", "cohort", "age"]).any()


def test_failed_run_leaves_an_existing_results_folder_alone(procs, runs, tmp_path):
    proc, existing = procs["run bad into existing"]
    line = one_error_line(proc)
    assert "recruitment.arivals_per_day" in line
    assert {p.name: p.read_bytes() for p in existing.iterdir()} == SENTINELS
    # a real results folder, in-process, with bad overrides and bad numbers
    folder = tmp_path / "res"
    shutil.copytree(runs["a"][0], folder)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}
    for args in (["--set", "days=0"], ["--set", "strategies.nope=1"]):
        assert main(["run", str(BASELINE), *args, "--out", str(folder)]) == 2
    with pytest.raises(SystemExit):
        main(["run", str(BASELINE), "--reps", "0", "--out", str(folder)])
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.parametrize("name, error", [
    ("run empty into existing", "{folder}/empty.yaml:2: recruitment: " + NOBODY.format(a=0, p=1)),
    ("sweep empty point into existing", "{folder}/empty_point.yaml:4: vary.recruitment.arrivals_per_day: scenario "
     "'baseline' at point 2 (recruitment.arrivals_per_day = 0): recruitment: " + NOBODY.format(a=0, p=0.7)),
])
def test_a_scenario_without_members_exits_2_and_leaves_the_folder_alone(procs, name, error):
    """The user's view: one line, status 2, no traceback, --force no help, nothing written."""
    proc, existing = procs[name]
    assert one_error_line(proc) == "groupsim: error: " + error.format(folder=existing.parent.parent)
    assert proc.stdout == ""
    assert {p.name: p.read_bytes() for p in existing.iterdir()} == SENTINELS


def test_every_command_refuses_a_scenario_without_members(runs, tmp_path, capsys):
    """validate, run, compare and sweep, in-process, into a real results folder: untouched."""
    empty, exp = tmp_path / "empty.yaml", tmp_path / "empty_point.yaml"
    empty.write_text(EMPTY)
    exp.write_text(EMPTY_POINT)
    folder = tmp_path / "res"
    shutil.copytree(runs["a"][0], folder)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}
    at_file = f"{empty}:2: recruitment: " + NOBODY.format(a=0, p=1)
    out = ["--out", str(folder)]
    for args, error in (
        (["validate", empty], at_file),
        (["validate", BASELINE, "--set", "recruitment.arrivals_per_day=0"],
         f"{BASELINE}: --set recruitment.arrivals_per_day: " + NOBODY.format(a=0, p=0.7)),
        (["run", empty, *out], at_file),
        (["run", BASELINE, "--set", "recruitment.join_probability=0", *out],
         f"{BASELINE}: --set recruitment.join_probability: " + NOBODY.format(a=60, p=0)),
        (["compare", BASELINE, empty, *out], at_file),
        (["sweep", exp, *out], f"{exp}:4: vary.recruitment.arrivals_per_day: scenario 'baseline' at point 2 "
                               "(recruitment.arrivals_per_day = 0): recruitment: " + NOBODY.format(a=0, p=0.7)),
    ):
        assert main([str(a) for a in args]) == 2, args
        captured = capsys.readouterr()
        assert (captured.out, captured.err) == ("", f"groupsim: error: {error}\n")
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}
    assert after == before


def test_out_that_is_a_file_is_bad_input(tmp_path, capsys):
    target = tmp_path / "res"
    target.write_text("keep me")
    assert main(["run", str(BASELINE), "--days", "2", "--reps", "1", "--out", str(target), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a folder" in err
    assert target.read_text() == "keep me"
