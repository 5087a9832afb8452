"""The ``groupsim`` command (``python -m sim`` does the same).

Exit codes: 0 success, 2 bad input (one line naming file, field and what is allowed),
1 internal error. Set GROUPSIM_DEBUG=1 to see the traceback of an internal error.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import signal
import sys
import threading
from pathlib import Path

from .experiments.errors import InputError


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line too (exit 2), like every other bad input."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got '{text}'")
    return value


def _seed(text: str) -> int:
    if not re.fullmatch(r"\d+", text):
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got '{text}'")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="groupsim", description="Try chat-group operations strategies on an agent-based model of members.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="run a scenario file and write a results folder",
                       description="Run replications of a scenario into a resumable results folder (daily.parquet, "
                                   "summary.csv, cohorts.parquet, manifest.json, charts/, report.html); print "
                                   "KPIs with 95% CIs.")
    r.add_argument("scenario", help="scenario file (YAML)")
    r.add_argument("--reps", type=_positive, default=5, help="replications (default 5)")
    r.add_argument("--seed", type=_seed, help="seed (default: the scenario's)")
    r.add_argument("--days", type=_positive, help="days to simulate (default: the scenario's)")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario field by dotted path, e.g. strategies.messaging.per_day=5")
    _execution_options(r, "results/<scenario file name>")

    w = sub.add_parser("sweep", help="run an experiment file (parameter sweep or strategy review)",
                       description="Run every scenario x point x replication of an experiment file into a "
                                   "resumable results folder; write the charts and report.html. A rerun skips "
                                   "the runs already stored; exit 1 if any run failed.")
    w.add_argument("experiment", help="experiment file (YAML)")
    _execution_options(w, "results/<experiment file name>")

    c = sub.add_parser("compare", help="compare scenario files on the same replication seeds",
                       description="Run scenarios on common random numbers; print each KPI's paired uplift vs the "
                                   "baseline with a 95% CI and P(better); write the charts and report.html.")
    c.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario files (YAML); the first is the "
                                                                     "baseline unless --baseline names another")
    c.add_argument("--reps", type=_positive, default=10, help="replications of each scenario (default 10)")
    c.add_argument("--baseline", help="name of the scenario the others are compared with")
    c.add_argument("--seed", type=_seed, help="seed (default: the first scenario's)")
    c.add_argument("--days", type=_positive, help="days to simulate (default: each scenario's)")
    c.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field of every scenario by dotted path")
    c.add_argument("--kpis", help="comma-separated KPIs to compare (default: retention, activity, "
                                  "purchases, conversion, GMV, spend, ROI, margin, profit)")
    c.add_argument("--objective", metavar="KPI[:maximize|minimize]",
                   help="the KPI the recommendation is made on (default: profit)")
    c.add_argument("--guardrail", dest="guardrails", action="append", default=[], metavar="KPI=MAX_LOSS",
                   help="a KPI the recommended option may not lose by more than MAX_LOSS against the baseline, "
                        "in its stored unit (a share as a fraction: retention_d30=0.02 is 2 points); repeatable")
    _execution_options(c, "results/compare-<names>")

    rp = sub.add_parser("report", help="rebuild the charts and report.html of a results folder",
                        description="Rebuild charts/ and report.html from a sweep or comparison results folder.")
    rp.add_argument("folder", help="results folder written by sweep or compare")

    v = sub.add_parser("validate", help="check a scenario or experiment file; run nothing",
                       description="Check a scenario or experiment file (and the scenarios it names) and print a "
                                   "one-line summary; exit 2 on the first problem.")
    v.add_argument("file", help="scenario or experiment file (YAML)")
    v.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    v.add_argument("--force", action="store_true", help="accept scenarios over this machine's limits")
    return p


def _execution_options(p, default_out: str) -> None:
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local process pool (default) or a dask.distributed cluster")
    p.add_argument("--workers", type=_positive, help="worker processes (default: the machine's cores)")
    p.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                                                       "(default: a local cluster)")
    p.add_argument("--out", help=f"results folder (default: {default_out})")
    p.add_argument("--fresh", action="store_true", help="drop the stored runs and start over")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no tables")
    p.add_argument("--force", action="store_true", help="run even when the estimated memory or work is over "
                                                        "this machine's limits (same as GROUPSIM_FORCE=1)")


def cmd_run(args) -> int:
    from .api import run
    from .experiments.scenario import load_scenario

    _check_executor(args)
    overrides = list(args.overrides) + ([f"days={args.days}"] if args.days else [])
    scenario = load_scenario(args.scenario, overrides)
    out = Path(args.out) if args.out else _default_folder(Path(args.scenario).stem)
    results = run(scenario, reps=args.reps, seed=args.seed, out=out, report=True, **_execution(args))
    if not args.quiet:
        print(_format_kpis(results))
    return _finish(results, out, args.quiet, describe=False)


def _finish(results, out: Path, quiet: bool, describe: bool = True) -> int:
    from .reporting.text import describe as describe_results

    if describe and not quiet and len(results.summary):
        print(describe_results(results))
    print(f"report: {out / 'report.html'}")
    failures = results.failures
    if len(failures):
        first = failures.iloc[0]
        print(f"groupsim: {results.log['failed']} of {results.log['runs']} runs failed (first: scenario "
              f"{first['scenario']}, point {first['point']}, replication {first['replication']}: {first['error']}); "
              f"see {out / 'failures.csv'}; rerun the same command to retry them", file=sys.stderr)
        return 1
    return 0


def _format_kpis(results) -> str:
    from .reporting.growth import growth_lines
    from .reporting.text import format_kpis
    return "\n".join([format_kpis(results), *growth_lines(results)])


def _default_folder(name: str) -> Path:
    from .experiments.plan import default_folder
    return default_folder(name)


def _check_executor(args) -> None:
    if args.scheduler and args.executor != "dask":
        raise InputError("--scheduler", "", "a scheduler address needs --executor dask")


def _execution(args) -> dict:
    return {"executor": args.executor, "workers": args.workers, "scheduler": args.scheduler, "fresh": args.fresh,
            "progress": False if args.quiet else None, "command": args.command_line}


def cmd_sweep(args) -> int:
    from .api import sweep
    from .experiments.plan import load_experiment

    _check_executor(args)
    plan = load_experiment(args.experiment)
    out = Path(args.out) if args.out else _default_folder(Path(args.experiment).stem)
    return _finish(sweep(plan, out, **_execution(args)), out, args.quiet)


def cmd_compare(args) -> int:
    from .api import compare_plan, sweep

    _check_executor(args)
    overrides = list(args.overrides) + ([f"days={args.days}"] if args.days else [])
    kpis = [k.strip() for k in args.kpis.split(",") if k.strip()] if args.kpis else None
    plan = compare_plan(args.scenarios, overrides, args.reps, baseline=args.baseline, seed=args.seed, kpis=kpis,
                        **_decision_options(args))
    out = Path(args.out) if args.out else _default_folder(plan.spec.name)
    return _finish(sweep(plan, out, **_execution(args)), out, args.quiet)


def _decision_options(args) -> dict:
    """--objective and --guardrail as the experiment file's objective and guardrails."""
    out = {}
    if args.objective:
        kpi, _, direction = args.objective.partition(":")
        out["objective"] = {"kpi": kpi.strip(), **({"direction": direction.strip()} if direction else {})}
    rails = []
    for text in args.guardrails:
        kpi, sep, loss = text.partition("=")
        try:
            rails.append({"kpi": kpi.strip(), "max_loss": float(loss)})
        except ValueError:
            raise InputError("--guardrail", "", f"give KPI=MAX_LOSS, e.g. retention_d30=0.02 (got '{text}')") from None
        if not sep:
            raise InputError("--guardrail", "", f"give KPI=MAX_LOSS, e.g. retention_d30=0.02 (got '{text}')")
    if rails:
        out["guardrails"] = rails
    return out


def cmd_report(args) -> int:
    from .experiments.execute import rebuild_report
    from .reporting.results import Results

    folder = Path(args.folder)
    results = Results.load(folder)  # refuses a folder that fails its checks before anything is written
    rebuild_report(folder, results.write_report)
    print(f"report: {folder / 'report.html'}")
    return 0


def cmd_validate(args) -> int:
    from .experiments.plan import is_experiment, load_experiment
    from .experiments.scenario import load_scenario
    from .experiments.yamlfile import read_yaml

    if is_experiment(read_yaml(args.file)[0]):
        if args.overrides:
            raise InputError(args.file, "--set", "--set is for scenario files; an experiment has its own 'set'")
        plan = load_experiment(args.file)
        runs = len({t.key for t in plan.tasks()})
        print(f"{args.file}: ok — experiment '{plan.spec.name}', {len(plan.scenarios)} scenario(s), "
              f"{len(plan.points)} point(s) each, {plan.spec.replications} replication(s): {runs} runs")
        return 0
    s = load_scenario(args.file, args.overrides)
    strategies = ", ".join(name for name, _ in s.strategy_params()) or "none"
    print(f"{args.file}: ok — scenario '{s.name}', {s.days} days, strategies: {strategies}")
    return 0


def _terminated(signum, frame):
    """SIGTERM ends a command as Ctrl-C does: workers stopped, finished runs kept."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.command_line = "groupsim " + " ".join(shlex.quote(str(a)) for a in argv)  # for manifests and logs
    forced_before = os.environ.get("GROUPSIM_FORCE")
    if getattr(args, "force", False):
        os.environ["GROUPSIM_FORCE"] = "1"  # workers inherit it
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main_thread else None
    try:
        commands = {"run": cmd_run, "sweep": cmd_sweep, "compare": cmd_compare, "report": cmd_report,
                    "validate": cmd_validate}
        return commands[args.command](args)
    except InputError as e:
        print(f"groupsim: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("groupsim: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # an internal error: one line, traceback on request
        if os.environ.get("GROUPSIM_DEBUG"):
            raise
        print(f"groupsim: internal error: {type(e).__name__}: {e} (set GROUPSIM_DEBUG=1 for details)", file=sys.stderr)
        return 1
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
        if forced_before is None:
            os.environ.pop("GROUPSIM_FORCE", None)
