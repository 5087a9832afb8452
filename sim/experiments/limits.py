"""What a run may ask of this machine, checked before anything runs.

A scenario's needs are estimated from its file alone: members ever (initial members and
joiners over the run), present member-days (the work), daily rows (days × groups) and
memory (about 200 bytes a member ever, for the live arrays with their growth slack, the
archive and the day's temporaries, plus about 1,000 bytes a daily row, for the record
and the copies its tables pass through on their way to the results folder). Runs in
parallel add up: ``check_parallel`` refuses more workers than the memory allows. A scenario over a limit is refused with one line that says what was
estimated and which limit it passes; an experiment's runs are counted before any is
built. Set ``GROUPSIM_FORCE=1`` (or pass ``--force``) to lift the memory and work limits
on a bigger machine; the id and row limits are the engine's own. A scenario in which no
member can ever join is refused whatever the machine (``check_members``).

Files are read only when they are regular files of at most ``FILE_BYTES``, and a YAML
document may hold at most ``YAML_NODES`` nodes counting every use of an alias (so a
"billion laughs" file is refused, not expanded).
"""
from __future__ import annotations

import math
import os

from .errors import InputError

FILE_BYTES = 4 * 2**20        # a scenario or experiment file of a few MB is not a scenario
YAML_NODES = 100_000          # nodes of a YAML document, aliases counted each time they are used
MEMBERS_MAX = 2**30           # member ids are 32-bit; those from 2^30 are for attracted recruits
ROWS_MAX = 200_000_000        # daily rows of one run (days × groups)
MEMBER_DAYS_MAX = 2e10        # present member-days of one run: about 15-30 min here at 10-20 M/s
RUNS_MAX = 200_000            # runs of one experiment (arms × replications)
BYTES_PER_MEMBER = 200
BYTES_PER_ROW = 1_000


def forced() -> bool:
    return os.environ.get("GROUPSIM_FORCE", "") not in ("", "0")


def memory_allowed() -> float:
    """Half of this machine's memory, in bytes."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def needs(scenario) -> dict:
    """Estimated members ever, present member-days, daily rows and bytes of one run."""
    r, days = scenario.recruitment, scenario.days
    joiners = r.arrivals_per_day * r.join_probability * days
    members = r.initial_members + joiners
    groups = max(1, math.ceil(members / scenario.groups.capacity)) if scenario.groups.auto_switch else 1
    rows = days * groups
    member_days = r.initial_members * days + joiners * days / 2
    if not scenario.groups.auto_switch:  # one group: never more present than it holds
        member_days = min(member_days, scenario.groups.capacity * days)
    return {"members": members, "member_days": member_days, "rows": rows,
            "bytes": members * BYTES_PER_MEMBER + rows * BYTES_PER_ROW}


MEMBERS_ALLOWED = "allowed: initial_members >= 1, or arrivals_per_day > 0 with join_probability > 0"


def no_members(recruitment) -> str | None:
    """Why no member can ever be in a group under this recruitment, or None if one can.

    Such a run would write empty tables and a report of zeros that look like results;
    refusing it up front is the only way the user learns the scenario is wrong."""
    r = recruitment
    if r.initial_members > 0 or (r.arrivals_per_day > 0 and r.join_probability > 0):
        return None
    return (f"no member can ever join (initial_members {r.initial_members}, arrivals_per_day "
            f"{r.arrivals_per_day:g}, join_probability {r.join_probability:g}); {MEMBERS_ALLOWED}")


def check_members(scenario, source: str, field: str = "recruitment", line: int | None = None) -> None:
    """Refuse a scenario that can never have a member (``no_members``); ``--force`` does not lift it."""
    reason = no_members(scenario.recruitment)
    if reason:
        raise InputError(source, field, reason, line)


def check_scenario(scenario, source: str) -> None:
    """Refuse a scenario that can never have a member, or whose run cannot fit this
    machine (see the module docstring)."""
    check_members(scenario, source)
    n = needs(scenario)
    hint = "; set GROUPSIM_FORCE=1 or pass --force to try on a bigger machine"
    if n["members"] > MEMBERS_MAX:
        raise InputError(source, "recruitment", f"about {n['members']:.3g} members over the run; "
                                                f"the limit is {MEMBERS_MAX:,} (32-bit member ids)")
    if n["rows"] > ROWS_MAX:
        raise InputError(source, "groups.capacity", f"about {n['rows']:.3g} daily rows (days × groups of "
                                                    f"{scenario.groups.capacity}); the limit is {ROWS_MAX:,}")
    if forced():
        return
    if n["member_days"] > MEMBER_DAYS_MAX:
        raise InputError(source, "days", f"about {n['member_days']:.3g} member-days of work in one run; the limit "
                                         f"is {MEMBER_DAYS_MAX:.0e} (about half an hour a run){hint}")
    allowed = memory_allowed()
    if n["bytes"] > allowed:
        raise InputError(source, "recruitment", f"needs about {n['bytes'] / 2**30:.1f} GB of memory "
                                                f"({n['members']:.3g} members, {n['rows']:.3g} daily rows); this "
                                                f"machine allows {allowed / 2**30:.1f} GB (half its memory){hint}")


def check_parallel(scenarios, workers: int, source: str = "--workers") -> None:
    """Refuse running ``workers`` of the largest of these scenarios at once if that cannot fit."""
    if forced() or workers <= 1:
        return
    need = max(needs(s)["bytes"] for s in scenarios) * workers
    allowed = memory_allowed()
    if need > allowed:
        raise InputError(source, "", f"{workers} runs at once need about {need / 2**30:.1f} GB of memory; this "
                                     f"machine allows {allowed / 2**30:.1f} GB (half its memory); use fewer "
                                     f"--workers, or set GROUPSIM_FORCE=1 / pass --force to try anyway")


def check_runs(runs: int, source: str) -> None:
    if runs > RUNS_MAX:
        raise InputError(source, "replications", f"{runs:,} runs (arms × replications); the limit is {RUNS_MAX:,}")
