"""Results: a results folder as pandas tables, with its comparison, ranking and charts.

Every command writes the same kind of folder (``sim.experiments.execute``), so one type
reads them all: ``run`` (one arm), ``compare`` (scenarios as arms) and ``sweep``
(scenarios × points). ``Results.load(folder)`` reads it back; labels, units and better
directions of its KPIs come from its own manifest, so a folder is self-describing.

Results by structure are derived from the stored tables when asked for, not stored twice
(``sim.analysis.structure``): ``group_table()`` (one row per run and group, from
daily.parquet), ``kind_table()`` and ``tier_table()`` (per arm and group kind, mean [95% CI]
over replications), ``segment_table()`` (per arm and member segment, from members.parquet)
and ``group_segment_table()`` (per run, group and segment). Kinds and segments are named as
the manifest records them (``sim.experiments.plan.structure_names``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..analysis import structure
from ..analysis.decision import MIN_P_BETTER, Decision, Guardrail, decide
from ..analysis.kpis import Kpi
from ..analysis.lifetimes import group_lifetimes
from ..analysis.paired import ranking, uplift_table
from ..analysis.stats import kpi_ci
from ..experiments.errors import InputError
from ..experiments.execute import verify
from ..experiments.plan import value_text
from .charts import all_charts, save_charts
from .decision import summary_lines
from .charts.funnel import funnel_table
from .growth import referral_summary
from .report import write_report

TABLES = ("daily.parquet", "cohorts.parquet", "summary.csv", "manifest.json")  # members.parquet: on first use


@dataclass
class Results:
    manifest: dict
    daily: pd.DataFrame
    cohorts: pd.DataFrame
    summary: pd.DataFrame
    failures: pd.DataFrame = field(default_factory=pd.DataFrame)
    log: dict = field(default_factory=dict)
    folder: Path | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)  # tables derived from summary

    # -- what the plan was ------------------------------------------------------------
    @property
    def experiment(self) -> dict:
        return self.manifest["experiment"]

    @property
    def kpis(self) -> list[str]:
        return list(self.experiment["kpis"])

    @property
    def catalog(self) -> dict[str, Kpi]:
        """Each KPI's label, unit and better direction, as the folder recorded them."""
        return {name: Kpi(name, **spec) for name, spec in self.manifest["kpis"].items()}

    @property
    def params(self) -> list[str]:
        return list(self.experiment["vary"])

    @property
    def baseline(self) -> tuple[str, int]:
        return (self.manifest["baseline"], 0)

    @property
    def arms(self) -> list[tuple[str, int]]:
        return [(a["scenario"], a["point"]) for a in self.manifest["arms"]]

    @property
    def scenario_names(self) -> list[str]:
        """Scenarios in the experiment's order (manifest.json stores its mappings sorted)."""
        return list(dict.fromkeys(a["scenario"] for a in self.manifest["arms"]))

    def label(self, arm: tuple[str, int]) -> str:
        """How an arm is named in every table and chart."""
        scenario, point = arm
        if not self.params:
            return scenario
        if point == 0:
            return f"{scenario} (as written)"
        values = self.manifest["points"][point]
        names = short_names(self.params)
        return f"{scenario} [" + ", ".join(f"{names[p]}={_value(value_text(values[p]))}" for p in self.params) + "]"

    # -- what the runs say --------------------------------------------------------------
    def kpi_table(self) -> pd.DataFrame:
        """Mean and 95% CI of each KPI per arm."""
        rows = []
        if not len(self.summary):  # every run failed
            return pd.DataFrame(columns=["scenario", "point", "kpi", "mean", "low", "high", "reps"])
        for (scenario, point), runs in self.summary.groupby(["scenario", "point"], sort=False):
            for kpi in self.kpis:
                mean, low, high = kpi_ci(runs[kpi], self.catalog[kpi])  # within the KPI's bounds
                rows.append({"scenario": scenario, "point": point, "kpi": kpi, "mean": mean, "low": low,
                             "high": high, "reps": len(runs)})
        return pd.DataFrame(rows)

    def uplift(self) -> pd.DataFrame:
        """Paired uplift of every arm vs the baseline, per KPI (see ``sim.analysis.paired``)."""
        if "uplift" not in self._cache:
            self._cache["uplift"] = uplift_table(self.summary, self.arms, self.baseline, self.kpis, self.catalog)
        return self._cache["uplift"]

    def ranking(self, kpi: str | None = None) -> pd.DataFrame:
        """Arms from best to worst on ``kpi`` (default: the first KPI), neighbours compared pairwise."""
        kpi = kpi or self.kpis[0]
        if ("ranking", kpi) not in self._cache:
            self._cache["ranking", kpi] = ranking(self.summary, self.arms, kpi, self.catalog)
        return self._cache["ranking", kpi]

    # -- the decision (sim.analysis.decision) -------------------------------------------
    @property
    def objective(self) -> tuple[str, bool]:
        """(KPI, higher is better) the recommendation is made on; a folder written before
        experiments named one: the first KPI, its own direction."""
        obj = self.experiment.get("objective")
        if obj:
            return obj["kpi"], obj["direction"] == "maximize"
        return self.kpis[0], self.catalog[self.kpis[0]].higher_is_better

    @property
    def guardrails(self) -> list[Guardrail]:
        return [Guardrail(g["kpi"], g["max_loss"]) for g in self.experiment.get("guardrails", [])]

    def decision(self) -> Decision:
        """Which arm to run, by the rule of ``sim.analysis.decision``."""
        if "decision" not in self._cache:
            kpi, higher = self.objective
            self._cache["decision"] = decide(self.summary, self.arms, self.baseline, kpi, higher, self.guardrails,
                                             self.kpis, self.catalog,
                                             self.experiment.get("min_p_better", MIN_P_BETTER))
        return self._cache["decision"]

    def decision_lines(self) -> list[str]:
        """The decision in plain sentences (``sim.reporting.decision``); none for one arm."""
        return summary_lines(self, self.decision()) if len(self.arms) > 1 and len(self.summary) else []

    @property
    def days(self) -> int:
        """Days the runs lasted (the longest, when scenarios differ)."""
        return int(self.daily["day"].max()) + 1 if len(self.daily) else 0

    def lifetimes(self) -> pd.DataFrame:
        """Every group's lifetime and first week (see ``sim.analysis.lifetimes``)."""
        if "lifetimes" not in self._cache:
            self._cache["lifetimes"] = group_lifetimes(self.daily)
        return self._cache["lifetimes"]

    # -- results by structure: per group, kind, tier and segment (sim.analysis.structure) --
    def names(self, what: str) -> dict[str, list[str]]:
        """Each scenario's ``segments``, ``kinds`` or ``tiers`` by name, in index order (the
        manifest's; a folder written before it had them: the kinds as listed, segments by index)."""
        out = {}
        for name, entry in self.manifest["scenarios"].items():
            if what in entry:
                out[name] = list(entry[what])
                continue
            scenario = entry["scenario"]
            kinds = (scenario.get("groups") or {}).get("kinds") or []
            out[name] = {"kinds": [k["name"] for k in kinds] or ["group"],
                         "tiers": [k["name"] for k in kinds if not k.get("routable", True)],
                         "segments": [] if (scenario.get("members") or {}).get("segments") else ["member"]}[what]
        return out

    def group_table(self) -> pd.DataFrame:
        """One row per run and group: kind, opened, last day with members, members at the end,
        joined, enrolled, left, messages, purchases, GMV, spend, retention."""
        if "groups" not in self._cache:
            self._cache["groups"] = structure.group_table(self.daily, self.names("kinds"))
        return self._cache["groups"]

    def kind_table(self) -> pd.DataFrame:
        """Per arm and group kind (a tier is a kind members reach by promotion): mean [95% CI]."""
        if "kinds" not in self._cache:
            self._cache["kinds"] = structure.kind_table(self.daily, self.names("kinds"), self.names("tiers"))
        return self._cache["kinds"]

    def tier_table(self) -> pd.DataFrame:
        """The rows of ``kind_table`` of the tiers."""
        kinds = self.kind_table()
        return kinds[kinds["tier"]].reset_index(drop=True)

    def segment_table(self) -> pd.DataFrame:
        """Per arm and member segment: members, members at the end, messages and purchases per
        member, 30-day retention: mean [95% CI]."""
        if "segments" not in self._cache:
            self._cache["segments"] = structure.segment_table(self.members, structure.run_days(self.daily),
                                                              self.names("segments"))
        return self._cache["segments"]

    def funnel_table(self) -> pd.DataFrame | None:
        """Per arm and recruitment-funnel stage: people (mean [95% CI]), share of the stage before,
        spend per joiner (``sim.reporting.charts.funnel``); None when no arm ran the funnel."""
        return funnel_table(self)

    def referral_table(self) -> pd.DataFrame | None:
        """Per arm, the referral tree (``sim.reporting.growth.referral_summary``); None without referrals."""
        return referral_summary(self)

    def group_segment_table(self) -> pd.DataFrame:
        """Per run, group and segment: members whose newest group it is, and of them still in."""
        return structure.group_segment_table(self.members, self.names("segments"))

    def plot(self, folder: str | Path | None = None) -> dict:
        """Every chart as {name: Figure}; saved as PNGs when a folder is given."""
        charts = all_charts(self) if len(self.summary) else {}
        if folder is not None:
            save_charts(charts, Path(folder))
        return charts

    def write_report(self, out: str | Path | None = None) -> Path:
        """The charts (``charts/``) and ``report.html`` of the folder."""
        out = Path(out or self.folder)
        charts = out / "charts"
        charts.mkdir(exist_ok=True)
        figures = self.plot(charts)
        return write_report(self, out, {name: charts / f"{name}.png" for name in figures})

    @property
    def members(self) -> pd.DataFrame:
        """One row per scenario, point, replication and person (``sim.engine.recorder``),
        read from the folder when first asked for: it can be the largest table."""
        if "members" not in self._cache:
            if self.folder is None or not (self.folder / "members.parquet").is_file():
                raise InputError(str(self.folder), "", "this results folder has no members.parquet; run it again")
            self._cache["members"] = pd.read_parquet(self.folder / "members.parquet")
        return self._cache["members"]

    @classmethod
    def load(cls, out: str | Path) -> "Results":
        out = Path(out)
        missing = [f for f in TABLES if not (out / f).is_file()]
        if missing:
            raise InputError(str(out), "", f"not a groupsim results folder (no {missing[0]})")
        verify(out)  # before trusting any of it
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or "experiment" not in manifest or "kpis" not in manifest:
            raise InputError(str(out), "", "written by an older groupsim; run the command again with --fresh")
        failures = pd.read_csv(out / "failures.csv") if (out / "failures.csv").is_file() else pd.DataFrame()
        log = json.loads((out / "log.json").read_text()) if (out / "log.json").is_file() else {}
        return cls(manifest, pd.read_parquet(out / "daily.parquet"), pd.read_parquet(out / "cohorts.parquet"),
                   pd.read_csv(out / "summary.csv"), failures, log, out)


def short_names(paths: list[str]) -> dict[str, str]:
    """Each dotted path by its shortest ending that names it alone and is not a bare
    list index: ``strategies.messaging.per_day`` is ``per_day``, ``members.activity.beta.1``
    beside ``members.lapse.beta.1`` is ``activity.beta.1``."""
    out = {}
    for path in paths:
        parts = path.split(".")
        for k in range(1, len(parts) + 1):
            name = ".".join(parts[-k:])
            if not parts[-k].isdigit() and sum(p == name or p.endswith("." + name) for p in paths) == 1:
                break
        out[path] = name
    return out


def _value(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)
