"""The decision of a review in words: the summary ``compare`` and ``sweep`` print first and
the report opens with (the rule is ``sim.analysis.decision``'s).

``summary_lines`` gives sentences an ops lead can read aloud: the recommended option (or
the baseline kept, and why), its paired uplift on the objective with the 95% CI and
P(better), which guard-rails hold and which options breach which, why the other options
were not chosen, and the trade-offs they offer (the KPIs each wins or loses against the
recommended one). ``decision_html`` is the same, with a table of every option's checks.
"""
from __future__ import annotations

from ..analysis.decision import Decision
from .markup import escape as _e, table as _table
from .text import in_words, kpi_change

MAX_EXPLAINED = 8  # options whose reasons are written out (the best on the objective)
MAX_ROWS = 30  # options in the report's table of checks

METHOD = ("How the recommendation is made: each option is compared with the baseline on the same replications "
          "(paired differences). An option can be recommended when its P(better) on the objective is at least "
          "{p:.2f}, every guard-rail holds at the 95% level (the worse end of the paired 95% CI loses no more than "
          "allowed), and no other option is at least as good on the objective, the guard-rail KPIs and spend "
          "while better on one (not dominated); of those, the largest mean uplift on the objective wins, and "
          "when there is none the baseline is kept. Trade-offs list the KPIs where another option's paired 95% CI "
          "against the recommended one is clear of 0. Intervals of a KPI's mean that has bounds (counts, shares, "
          "money that cannot be negative) are expanded percentile bootstrap intervals over the replications "
          "(Hesterberg 2015), which stay within the bounds; unbounded KPIs and every uplift (a difference) use "
          "Student-t intervals.")


def _best_first(decision: Decision) -> list:
    """The options from the largest uplift on the objective (in its direction) down."""
    sign = 1 if decision.higher_is_better else -1
    return sorted(decision.options, key=lambda o: -sign * o.objective.mean if o.objective.n else float("inf"))


def _plain(spec) -> str:
    """A KPI's label without its parenthetical definition, for sentences: 'Profit', 'GMV'."""
    return spec.label.split(" (")[0]


def _ci(spec, p) -> str:
    return f"95% CI {kpi_change(spec, p.low)} to {in_words(spec, p.high, True)}"


def _uplift_words(spec, p) -> str:
    return f"{in_words(spec, abs(p.mean), spec.percent).lstrip('+')} ({_ci(spec, p)}; P(better) {p.p_better:.2f})"


def _list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _rail_words(catalog, rail) -> str:
    spec = catalog[rail.kpi]
    limit = in_words(spec, rail.max_loss, spec.percent).lstrip("+")
    return f"{_plain(spec)} not worse than the baseline by more than {limit}"


def summary_lines(results, decision: Decision) -> list[str]:
    """The decision in plain sentences, the first naming the option to run."""
    cat, name = results.catalog, results.label
    obj = cat[decision.objective]
    goal = f"{_plain(obj)} ({'higher' if decision.higher_is_better else 'lower'} is better)"
    base = name(decision.baseline)
    compared = _list(list(dict.fromkeys(_plain(cat[k]) for k in decision.compared if k in cat)))
    lines = []
    rec = decision.option(decision.recommended)
    if rec is not None:
        p = rec.objective
        lines.append(f"Recommendation: run {name(rec.arm)}. Against {base} it {'raises' if p.mean >= 0 else 'lowers'} "
                     f"{_plain(obj)} by {_uplift_words(obj, p)}.")
    else:
        rails = ", holds every guard-rail" if decision.guardrails else ""
        lines.append(f"Recommendation: keep {base}. No option beats it on {goal} with P(better) of at least "
                     f"{decision.min_p_better:.2f}{rails} and is not dominated.")
    if decision.guardrails:
        rails = "; ".join(_rail_words(cat, g) for g in decision.guardrails)
        lines.append(f"Guard-rails: {rails}.")
        if rec is not None:
            held = [f"{_plain(cat[r.kpi])} ({in_words(cat[r.kpi], r.uplift.mean, True)}, at worst "
                    f"{in_words(cat[r.kpi], r.uplift.low if cat[r.kpi].higher_is_better else r.uplift.high, True)})"
                    for r in rec.rails]
            lines.append(f"{name(rec.arm)} holds every guard-rail: {_list(held)}.")
    others = [o for o in _best_first(decision) if o.arm != decision.recommended]
    for o in others[:MAX_EXPLAINED]:
        why = []
        for r in o.rails:
            if not r.holds:
                spec = cat[r.kpi]
                measured = "" if r.status == "not measured" else \
                    f" ({in_words(spec, r.uplift.mean, True)}, {_ci(spec, r.uplift)})"
                why.append(f"{'breaches' if r.status == 'breached' else 'does not show it holds'} the "
                           f"{_plain(spec)} guard-rail{measured}" if r.status != "not measured" else
                           f"cannot be checked on the {_plain(spec)} guard-rail (not measured)")
        if o.dominated_by is not None:
            why.append(f"is dominated by {name(o.dominated_by)} (no worse on {compared}, and better on one)")
        if not o.confident:
            p = o.objective
            why.append(f"is not confidently better on {_plain(obj)} ({in_words(obj, p.mean, True)}, "
                       f"P(better) {p.p_better:.2f})" if p.n >= 2 else
                       f"has too few paired replications to judge {_plain(obj)}")
        if why:
            lines.append(f"{name(o.arm)} {_list(why)}.")
        elif rec is not None:
            lines.append(f"{name(o.arm)} also passes every check but gains less on {_plain(obj)}.")
    if len(others) > MAX_EXPLAINED:
        lines.append(f"{len(others) - MAX_EXPLAINED} more option(s), each further behind on {_plain(obj)}, are not "
                     f"recommended either (the report's table has each one's checks).")
    against = name(decision.recommended)
    for t in decision.trade_offs:
        wins = [f"{_plain(cat[k])} ({in_words(cat[k], p.mean, True)})" for k, p in t.wins]
        loses = [f"{_plain(cat[k])} ({in_words(cat[k], p.mean, True)})" for k, p in t.loses]
        if not wins and not loses:
            lines.append(f"Trade-off, {name(t.arm)} against {against}: no clear difference on any KPI.")
            continue
        parts = ([f"better on {_list(wins)}"] if wins else []) + ([f"worse on {_list(loses)}"] if loses else [])
        lines.append(f"Trade-off, {name(t.arm)} against {against}: {'; '.join(parts)}.")
    return lines


def decision_html(results, decision: Decision) -> str:
    """The summary section the report opens with: sentences, every option's checks, the method."""
    cat, name = results.catalog, results.label
    obj = cat[decision.objective]
    sentences = summary_lines(results, decision)
    head = ["option", f"{_plain(obj)}: uplift vs {name(decision.baseline)} [95% CI] ({obj.uplift_unit})",
            "P(better)"] + [f"guard-rail: {_plain(cat[g.kpi])}" for g in decision.guardrails] + ["dominated by",
                                                                                                "decision"]
    rows, classes = [], []
    for o in _best_first(decision)[:MAX_ROWS]:
        p = o.objective
        rec = o.arm == decision.recommended
        row = [_e(name(o.arm)), _e(f"{kpi_change(obj, p.mean)} [{kpi_change(obj, p.low)}, {kpi_change(obj, p.high)}]"),
               f"{p.p_better:.2f}"]
        row += [_e(r.status) for r in o.rails]
        row += [_e(name(o.dominated_by)) if o.dominated_by else "—",
                "<b>recommended</b>" if rec else ("eligible" if o.eligible else "not eligible")]
        rows.append(row)
        classes.append(["better" if rec else ""] * 3 + ["" if r.holds else "worse" for r in o.rails]
                       + ["worse" if o.dominated_by else "", "better" if rec else ""])
    first, rest = sentences[0], sentences[1:]
    return (f"<section id=\"decision\"><h2>Decision</h2><p class=\"decision\"><b>{_e(first)}</b></p>"
            + "".join(f"<p>{_e(s)}</p>" for s in rest)
            + (_table(head, rows, classes) if rows else "")
            + f"<p class=\"muted\">{_e(METHOD.format(p=decision.min_p_better))}</p></section>")
