"""The ``groupsim`` command (``python -m sim`` does the same).

Exit codes: 0 success, 2 bad input (one line naming file, field and what is allowed),
1 internal error. Set GROUPSIM_DEBUG=1 to see the traceback of an internal error.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from pathlib import Path

from .errors import InputError


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
                       description="Run replications of a scenario; write daily.parquet, summary.csv, "
                                   "cohorts.parquet, manifest.json and overview.png; print KPIs with 95% CIs.")
    r.add_argument("scenario", help="scenario file (YAML)")
    r.add_argument("--reps", type=_positive, default=5, help="replications (default 5)")
    r.add_argument("--seed", type=_seed, help="seed (default: the scenario's)")
    r.add_argument("--days", type=_positive, help="days to simulate (default: the scenario's)")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario field by dotted path, e.g. strategies.messaging.per_day=5")
    r.add_argument("--out", help="results folder (default: results/<scenario file name>)")
    r.add_argument("--quiet", action="store_true", help="no progress bar and no KPI table")

    v = sub.add_parser("validate", help="check a scenario file; run nothing",
                       description="Check a scenario file and print a one-line summary; exit 2 on the first problem.")
    v.add_argument("file", help="scenario file (YAML)")
    v.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    return p


def cmd_run(args) -> int:
    from .experiment import run
    from .results import format_kpis
    from .scenario import load_scenario

    overrides = list(args.overrides) + ([f"days={args.days}"] if args.days else [])
    scenario = load_scenario(args.scenario, overrides)
    out = Path(args.out) if args.out else Path("results") / Path(args.scenario).stem
    if out.exists() and not out.is_dir():
        raise InputError("--out", "", f"'{out}' exists and is not a folder")
    results = run(scenario, reps=args.reps, seed=args.seed, progress=None if not args.quiet else False)
    command = "groupsim " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else "groupsim run"
    results.save(out, command=command)
    if not args.quiet:
        print(format_kpis(results.kpi_table()))
    print(f"results: {out}")
    return 0


def cmd_validate(args) -> int:
    from .scenario import load_scenario

    s = load_scenario(args.file, args.overrides)
    strategies = ", ".join(s.strategy_params()) or "none"
    print(f"{args.file}: ok — scenario '{s.name}', {s.days} days, strategies: {strategies}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"run": cmd_run, "validate": cmd_validate}[args.command](args)
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
