"""Sweeps: identical bytes on every executor, resuming after a kill, failed runs, progress.

One tiny experiment (two scenarios x three points x three replications, 30 days) is
run on each executor; every run takes a fraction of a second.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.experiments.plan import load_experiment

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ("daily.parquet", "cohorts.parquet", "summary.csv", "manifest.json")


def experiment(folder: Path, days: int = 30, reps: int = 3, name: str = "tiny") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nquestion: Does a fourth message help?\n"
        f"scenarios: [{ROOT / 'scenarios/baseline.yaml'}, {ROOT / 'scenarios/light_touch.yaml'}]\n"
        f"set: {{days: {days}, recruitment.arrivals_per_day: 30}}\n"
        f"vary: {{strategies.messaging.per_day: [3, 4]}}\n"
        f"replications: {reps}\nseed: 5\nkpis: [active_end, retention_d7, purchases, spend]\n")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return experiment(tmp_path_factory.mktemp("exp"))


@pytest.fixture(scope="module")
def local1(tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("local1")
    return sim.sweep(tiny, out, workers=1, report=False), out


def read(out: Path) -> dict:
    return {f: (out / f).read_bytes() for f in RESULTS}


def test_results_folder_holds_every_run_in_plan_order(tiny, local1):
    study, out = local1
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 2 * 3 * 3
    assert list(summary.columns[:5]) == ["scenario", "point", "replication", "seed",
                                         "strategies.messaging.per_day"]
    assert summary[["scenario", "point", "replication"]].values.tolist() == \
        [[s, p, r] for s in ("baseline", "light-touch") for p in range(3) for r in range(3)]
    # point 0 records the scenario's own value; point 1 of baseline is baseline as written
    assert summary.loc[summary["scenario"] == "light-touch", "strategies.messaging.per_day"].tolist()[:3] == [1.0] * 3
    base = summary[summary["scenario"] == "baseline"].set_index(["point", "replication"])
    assert base.loc[0, "active_end"].tolist() == base.loc[1, "active_end"].tolist()
    log = json.loads((out / "log.json").read_text())
    assert log["runs"] == 15 and log["ran"] == 15 and log["failed"] == 0  # the duplicate arm ran once
    assert not (out / "failures.csv").exists()
    assert study.manifest["arms"] == [{"scenario": a.scenario, "point": a.point, "hash": a.spec.digest}
                                      for a in load_experiment(tiny).arms]


def test_local_pool_and_dask_give_identical_bytes(tiny, local1, tmp_path):
    pytest.importorskip("distributed")
    _, out1 = local1
    sim.sweep(tiny, tmp_path / "pool", workers=2, report=False)
    sim.sweep(tiny, tmp_path / "dask", executor="dask", workers=2, report=False)
    for other in ("pool", "dask"):
        assert read(tmp_path / other) == read(out1), other
    assert json.loads((tmp_path / "dask" / "log.json").read_text())["executor"] == "dask"


def test_spawned_workers_give_identical_bytes(tiny, local1, tmp_path):
    """With another thread running, workers are spawned, not forked (the macOS/Windows path)."""
    import threading

    stop = threading.Event()
    waiter = threading.Thread(target=stop.wait)
    waiter.start()
    try:
        sim.sweep(tiny, tmp_path / "spawned", workers=2, report=False)
    finally:
        stop.set()
        waiter.join()
    assert read(tmp_path / "spawned") == read(local1[1])


def test_a_running_dask_scheduler_gives_identical_bytes(tiny, local1, tmp_path):
    """--scheduler ADDR: the path of a user's own cluster (here a local one, started apart)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        sim.sweep(tiny, tmp_path / "remote", executor="dask", scheduler=cluster.scheduler_address, report=False)
    assert read(tmp_path / "remote") == read(local1[1])
    assert json.loads((tmp_path / "remote" / "log.json").read_text())["scheduler"].startswith("tcp://")


def test_runs_are_paired_across_scenarios_and_points(local1):
    """Common random numbers: replication r of every arm sees the same recruits."""
    study, _ = local1
    joined = study.summary.pivot_table(index="replication", columns=["scenario", "point"], values="joined")
    assert (joined.nunique(axis=1) == 1).all()  # recruiting does not depend on the strategy
    assert joined.iloc[:, 0].nunique() == 3  # but differs between replications


def test_rerun_skips_stored_runs_and_fresh_starts_over(tiny, local1, capsys):
    _, out = local1
    before = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    assert main(["sweep", str(tiny), "--out", str(out), "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "resuming: 15 of 15 runs are stored" in err
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == before
    assert json.loads((out / "log.json").read_text())["ran"] == 0
    assert main(["sweep", str(tiny), "--out", str(out), "--workers", "1", "--fresh", "--quiet"]) == 0
    assert json.loads((out / "log.json").read_text())["ran"] == 15


def finished(out: Path) -> list[Path]:
    """Stored runs (a run being written is in a hidden .tmp- folder until it is renamed)."""
    runs = out / "runs"
    return [p for p in runs.iterdir() if not p.name.startswith(".") and p.is_dir()] if runs.exists() else []


def test_killed_sweep_resumes_where_it_stopped(tmp_path, local1):
    exp = experiment(tmp_path, days=120, reps=3, name="slow")
    out = tmp_path / "res"
    cmd = [sys.executable, "-m", "sim", "sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(finished(out)) < 4:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = {p.name: p.stat().st_mtime_ns for p in finished(out)}
    assert 4 <= len(stored) < 15, "the sweep finished before it was killed; make the runs longer"
    assert not (out / "report.html").exists()
    resumed = subprocess.run(cmd[:-1], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {len(stored)} of 15 runs are stored" in resumed.stderr
    assert "Traceback" not in resumed.stderr
    for name, mtime in stored.items():  # the runs stored before the kill were not run again
        assert (out / "runs" / name).stat().st_mtime_ns == mtime
    assert not list((out / "runs").glob(".tmp-*"))
    # and the results are those of a sweep that was never interrupted
    sim.sweep(exp, tmp_path / "whole", workers=1, report=False)
    assert read(out) == read(tmp_path / "whole")


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tiny, tmp_path, monkeypatch, capsys):
    import sim.experiments.runner as experiment_module

    real = experiment_module.run_replication

    def flaky(scenario, replication, seed):
        if scenario.name == "light-touch" and replication == 1:
            raise RuntimeError("disk full")
        return real(scenario, replication, seed)

    monkeypatch.setattr(experiment_module, "run_replication", flaky)
    out = tmp_path / "res"
    assert main(["sweep", str(tiny), "--out", str(out), "--workers", "1", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "groupsim: 3 of 15 runs failed (first: scenario light-touch, point 0, replication 1: " \
           "RuntimeError: disk full)" in captured.err
    failures = pd.read_csv(out / "failures.csv")
    assert len(failures) == 3 and set(failures["replication"]) == {1}
    assert len(pd.read_csv(out / "summary.csv")) == 18 - 3
    assert "Failed runs (3)" in (out / "report.html").read_text()
    monkeypatch.setattr(experiment_module, "run_replication", real)
    assert main(["sweep", str(tiny), "--out", str(out), "--workers", "1"]) == 0
    assert "resuming: 12 of 15 runs are stored" in capsys.readouterr().err
    assert not (out / "failures.csv").exists()


def test_out_folder_of_another_study_is_left_alone(tiny, local1, tmp_path, capsys):
    other = experiment(tmp_path, name="other")
    _, out = local1
    before = read(out)
    assert main(["sweep", str(other), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds experiment 'tiny', not 'other'" in err and "--fresh" in err
    assert read(out) == before


def test_progress_bar_counts_runs_and_failures(tiny, tmp_path, capsys):
    sim.sweep(tiny, tmp_path / "a", workers=1, progress=True, report=False)
    err = capsys.readouterr().err
    assert "15/15" in err and "failed=0" in err and ("run/s" in err or "s/run" in err)
    sim.sweep(tiny, tmp_path / "b", workers=1, progress=False, report=False)
    assert capsys.readouterr().err == ""


def test_dask_scheduler_that_cannot_be_reached_is_bad_input(tiny, tmp_path, capsys):
    pytest.importorskip("distributed")
    code = main(["sweep", str(tiny), "--out", str(tmp_path / "r"), "--executor", "dask",
                 "--scheduler", "tcp://127.0.0.1:9", "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in err
    assert main(["sweep", str(tiny), "--scheduler", "tcp://x:1"]) == 2
    assert "needs --executor dask" in capsys.readouterr().err
