"""The decision a review ends in: which option to run, by a stated rule.

Every option (arm) is compared with the baseline on the same replications (paired
differences, ``sim.analysis.paired``). The **recommended option** is, among the options
other than the baseline that pass all three checks below, the one with the largest mean
paired uplift on the objective (in the objective's direction); when none passes, the
baseline is kept.

1. **Confidently better on the objective**: P(better) against the baseline at least
   ``min_p_better`` (default 0.9; the Student-t posterior of the mean paired difference
   under a flat prior), from at least 2 paired replications.
2. **Every guard-rail holds at the 95% level**: for a guard-rail ``(kpi, max_loss)``, the
   worse end of the paired uplift's 95% CI loses at most ``max_loss`` (for a KPI where
   higher is better: low >= -max_loss; where lower is better: high <= max_loss); that is
   a one-sided non-inferiority test at 97.5%, read off the interval the report shows.
   A guard-rail is *breached* when even the better end loses more than ``max_loss``, and
   *not shown to hold* when the interval straddles the limit (or the KPI is undefined);
   both keep an option out.
3. **Not dominated**: no other option (the baseline included) is at least as good on
   every decision KPI — the objective, the guard-rail KPIs and ``spend`` (the cost axis
   of the frontier chart) — and strictly better on one, comparing means over
   replications. An option some other option beats on all of them is never recommended;
   one off the profit-spend frontier may be, when the options on it breach a guard-rail.

The **trade-offs**: every other option (and the baseline) against the recommended one, on
each KPI of the review: the KPIs it wins or loses with the paired 95% CI clear of 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .kpis import Kpi
from .paired import Paired, paired

MIN_P_BETTER = 0.9
MAX_TRADE_OFFS = 8  # options whose trade-offs are listed: the best on the objective
COST_KPI = "spend"

Arm = tuple[str, int]


@dataclass(frozen=True)
class Guardrail:
    kpi: str
    max_loss: float  # in the KPI's stored unit (a share as a fraction)


@dataclass
class RailCheck:
    kpi: str
    max_loss: float
    uplift: Paired  # the option minus the baseline
    status: str  # "holds", "breached", "not shown to hold", "not measured"

    @property
    def holds(self) -> bool:
        return self.status == "holds"


@dataclass
class OptionCheck:
    arm: Arm
    objective: Paired  # uplift vs the baseline on the objective
    rails: list[RailCheck]
    dominated_by: Arm | None
    confident: bool

    @property
    def eligible(self) -> bool:
        return self.confident and all(r.holds for r in self.rails) and self.dominated_by is None


@dataclass
class TradeOff:
    arm: Arm  # the option compared with the recommended one
    wins: list[tuple[str, Paired]] = field(default_factory=list)  # (KPI, arm minus recommended)
    loses: list[tuple[str, Paired]] = field(default_factory=list)


@dataclass
class Decision:
    objective: str
    higher_is_better: bool
    min_p_better: float
    baseline: Arm
    recommended: Arm
    options: list[OptionCheck]  # every arm but the baseline, in the study's order
    trade_offs: list[TradeOff]
    guardrails: list[Guardrail]
    compared: list[str]  # the KPIs dominance is judged on

    @property
    def kept_baseline(self) -> bool:
        return self.recommended == self.baseline

    def option(self, arm: Arm) -> OptionCheck | None:
        return next((o for o in self.options if o.arm == arm), None)


def rail_status(p: Paired, max_loss: float, higher_is_better: bool) -> str:
    """Whether a guard-rail holds on the paired uplift ``p`` of an option vs the baseline."""
    if p.n < 2 or math.isnan(p.low):
        return "not measured"
    worst_loss, best_loss = (-p.low, -p.high) if higher_is_better else (p.high, p.low)
    if worst_loss <= max_loss:
        return "holds"
    return "breached" if best_loss > max_loss else "not shown to hold"


def dominator(arm: Arm, means: dict[Arm, dict[str, float]], higher: dict[str, bool]) -> Arm | None:
    """The first arm at least as good as ``arm`` on every KPI of ``higher`` and better on one
    (means; a KPI undefined for either is left out), or None."""
    mine = means[arm]
    for other, theirs in means.items():
        if other == arm:
            continue
        gains = []
        for kpi, up in higher.items():
            a, b = mine.get(kpi, math.nan), theirs.get(kpi, math.nan)
            if not (math.isnan(a) or math.isnan(b)):
                gains.append((b - a) if up else (a - b))
        if gains and all(g >= 0 for g in gains) and any(g > 0 for g in gains):
            return other
    return None


def decide(summary: pd.DataFrame, arms: list[Arm], baseline: Arm, objective: str, higher_is_better: bool,
           guardrails: list[Guardrail], kpis: list[str], catalog: dict[str, Kpi],
           min_p_better: float = MIN_P_BETTER) -> Decision:
    """The decision on a study's ``summary`` (one row per scenario, point and replication,
    one column per KPI): see the module docstring for the rule."""
    by_arm = {key: runs.set_index("replication") for key, runs in summary.groupby(["scenario", "point"], sort=False)}
    arms = [a for a in arms if a in by_arm]

    def pair(a: Arm, b: Arm, kpi: str, up: bool) -> Paired:  # b minus a on shared replications
        if kpi not in by_arm[a] or kpi not in by_arm[b]:
            return paired(np.array([]), np.array([]), up)
        common = by_arm[a].index.intersection(by_arm[b].index)
        return paired(by_arm[a].loc[common, kpi].to_numpy(), by_arm[b].loc[common, kpi].to_numpy(), up)

    higher = {objective: higher_is_better}
    for rail in guardrails:
        higher.setdefault(rail.kpi, catalog[rail.kpi].higher_is_better)
    if COST_KPI in catalog and COST_KPI in summary:
        higher.setdefault(COST_KPI, catalog[COST_KPI].higher_is_better)
    means = {a: {k: float(by_arm[a][k].mean()) if k in by_arm[a] else math.nan for k in higher} for a in arms}

    options = []
    for arm in arms:
        if arm == baseline or baseline not in by_arm:
            continue
        obj = pair(baseline, arm, objective, higher_is_better)
        rails = []
        for g in guardrails:
            up = catalog[g.kpi].higher_is_better
            p = pair(baseline, arm, g.kpi, up)
            rails.append(RailCheck(g.kpi, g.max_loss, p, rail_status(p, g.max_loss, up)))
        confident = obj.n >= 2 and not math.isnan(obj.p_better) and obj.p_better >= min_p_better
        options.append(OptionCheck(arm, obj, rails, dominator(arm, means, higher), confident))

    sign = 1 if higher_is_better else -1
    eligible = [o for o in options if o.eligible]
    best = max(eligible, key=lambda o: sign * o.objective.mean, default=None)
    recommended = best.arm if best else baseline

    ranked = sorted((a for a in arms if a != recommended),
                    key=lambda a: -sign * means[a][objective] if not math.isnan(means[a][objective]) else math.inf)
    shown = ([baseline] if recommended != baseline and baseline in by_arm else []) + \
        [a for a in ranked if a != baseline][:MAX_TRADE_OFFS - 1]
    trade_offs = []
    for arm in shown:
        t = TradeOff(arm)
        for kpi in dict.fromkeys([objective, *kpis, *(g.kpi for g in guardrails)]):
            up = higher_is_better if kpi == objective else catalog[kpi].higher_is_better
            p = pair(recommended, arm, kpi, up)
            if p.resolved:
                (t.wins if (p.mean > 0) == up else t.loses).append((kpi, p))
        trade_offs.append(t)
    return Decision(objective, higher_is_better, min_p_better, baseline, recommended, options, trade_offs,
                    list(guardrails), list(higher))
