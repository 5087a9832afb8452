"""One run path: ``run`` goes through the same plan, executor and store as ``compare``
and ``sweep``, so its folder resumes, reports and is the same on any executor."""
from pathlib import Path

import pandas as pd

import sim
from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--days", "12", "--reps", "3", "--set", "recruitment.arrivals_per_day=15", "--quiet"]
TABLES = ("daily.parquet", "cohorts.parquet", "summary.csv", "manifest.json")


def test_run_resumes_reports_and_is_the_same_on_any_worker_count(tmp_path, capsys):
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["run", str(ROOT / "scenarios/baseline.yaml"), *SMALL, "--workers", "1", "--out", str(one)]) == 0
    assert main(["run", str(ROOT / "scenarios/baseline.yaml"), *SMALL, "--workers", "2", "--out", str(two)]) == 0
    for f in TABLES:
        assert (one / f).read_bytes() == (two / f).read_bytes(), f
    stored = {p.name: p.stat().st_mtime_ns for p in (one / "runs").iterdir()}
    capsys.readouterr()
    assert main(["run", str(ROOT / "scenarios/baseline.yaml"), *SMALL[:-1], "--workers", "1", "--out", str(one)]) == 0
    assert "resuming: 3 of 3 runs are stored" in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in (one / "runs").iterdir()} == stored
    (one / "report.html").unlink()
    assert main(["report", str(one)]) == 0 and (one / "report.html").is_file()


def test_the_api_and_the_folder_agree(tmp_path):
    s = sim.load_scenario(ROOT / "scenarios/baseline.yaml", ["days=12", "recruitment.arrivals_per_day=15"])
    in_memory = sim.run(s, reps=2, seed=4)
    kept = sim.run(s, reps=2, seed=4, out=tmp_path / "kept", workers=2)
    again = sim.Results.load(tmp_path / "kept")
    for table in ("daily", "cohorts", "summary"):
        pd.testing.assert_frame_equal(getattr(in_memory, table), getattr(kept, table))
        pd.testing.assert_frame_equal(getattr(in_memory, table), getattr(again, table))
    assert in_memory.folder is None and kept.folder == tmp_path / "kept"
