"""Experiment files and the run plan: scenarios × parameter points × replications.

An experiment names one or more base scenario files, optional ``set`` overrides for all
of them, and optional parameters to ``vary`` by dotted path. Point 0 of every scenario is
the scenario as written (after ``set``); points 1..n come from the design (``sim.experiments.design``):

- ``grid``: every combination of the parameters' values (a list, or ``low``/``high``
  with ``step`` or ``count``; ``scale: log`` spaces a count geometrically);
- ``lhs``: a Latin hypercube of ``samples`` points (``scipy.stats.qmc.LatinHypercube``);
- ``sobol``: a scrambled Sobol' sequence of ``samples`` points, a power of two
  (``scipy.stats.qmc.Sobol``); in both, a range is sampled continuously (rounded when
  ``integer: true``) and a list of values as categories.

Replication r of every scenario and point uses the streams keyed by (seed, r): the runs
are paired (common random numbers), so differences between points are the parameters'
effect, not luck. ``baseline`` names the scenario whose point 0 every other arm is
compared with (default: the first). ``objective``, ``guardrails`` and ``min_p_better`` say
what the review decides on (``sim.experiments.objective``; the rule: ``sim.analysis.decision``).
"""
from __future__ import annotations

import hashlib
import json
import re
import typing
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator

from ..analysis.kpis import CATALOG, DEFAULT_EXPERIMENT_KPIS
from ..strategies import declared_kpis, kpi_catalog
from .design import MAX_POINTS, Param, design_points
from .errors import InputError
from .limits import check_runs, check_scenario
from .objective import Guardrail, Objective, default_objective
from .scenario import NAME_MAX, TEXT_MAX, Scenario, Strict, input_error, load_scenario, parse_scenario
from .yamlfile import get_value, line_of, read_yaml, set_value


class ExperimentSpec(Strict):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    question: str = Field("", max_length=TEXT_MAX, description="the question the experiment answers, shown in the report")
    description: str = Field("", max_length=TEXT_MAX)
    scenarios: list[str] = Field(min_length=1, description="scenario files, relative to the experiment file")
    baseline: str | None = Field(None, description="scenario name the others are compared with (default: first)")
    set: dict[str, typing.Any] = Field(default_factory=dict, description="dotted overrides for every scenario")
    vary: dict[str, Param] = Field(default_factory=dict, description="parameters to vary, by dotted path")
    design: typing.Literal["grid", "lhs", "sobol"] = "grid"
    samples: int | None = Field(None, ge=1, le=MAX_POINTS, description="points of an lhs or sobol design")
    replications: int = Field(10, ge=1, le=100_000)
    seed: int = Field(1, ge=0, le=2**63 - 1)
    kpis: list[str] = Field(default_factory=lambda: list(DEFAULT_EXPERIMENT_KPIS), min_length=1)
    # the decision (sim.analysis.decision): objective, guard-rails, and the confidence asked for
    objective: Objective = Field(None, description="KPI (and direction) the recommendation is made on; "
                                                   "default: profit, or the first of kpis without profit")
    guardrails: list[Guardrail] = Field(default_factory=list, max_length=50,
                                        description="KPIs the recommended option may not lose by more than "
                                                    "max_loss against the baseline")
    min_p_better: float = Field(0.9, ge=0.5, lt=1, description="P(better) on the objective the recommended "
                                                                "option needs against the baseline")

    @model_validator(mode="before")
    @classmethod
    def _default_objective(cls, data):
        if isinstance(data, dict) and data.get("objective") is None:
            kpis = data.get("kpis") or DEFAULT_EXPERIMENT_KPIS
            if isinstance(kpis, list | tuple) and kpis and all(isinstance(k, str) for k in kpis):
                data = {**data, "objective": default_objective(kpis)}
        return data

    @model_validator(mode="after")
    def _one_guardrail_a_kpi(self):
        seen = set()
        for i, rail in enumerate(self.guardrails):
            if rail.kpi in seen:
                raise ValueError(f"guardrails.{i}.kpi: '{rail.kpi}' has a guard-rail already; give each KPI one")
            seen.add(rail.kpi)
        return self

    @property
    def decision_kpis(self) -> list[str]:
        """The KPIs the decision reads (the objective, the guard-rails, spend: the frontier's
        cost axis) that the tables do not show already; the manifest records them too."""
        extra = [self.objective.kpi, *(g.kpi for g in self.guardrails), "spend"]
        return [k for k in dict.fromkeys(extra) if k not in self.kpis]

    @field_validator("kpis")
    @classmethod
    def _known_kpis(cls, kpis):
        catalog = kpi_catalog()
        unknown = [k for k in kpis if k not in catalog]
        if unknown:
            raise ValueError(f"unknown KPI '{unknown[0]}'; allowed: {', '.join(catalog)}")
        return kpis

    @model_validator(mode="after")
    def _design(self):
        sampled = self.design in ("lhs", "sobol")
        if sampled and self.vary and self.samples is None:
            raise ValueError(f"a {self.design} design needs samples (the number of points)")
        if self.design == "sobol" and self.samples and self.samples & (self.samples - 1):
            raise ValueError(f"a sobol design needs samples that are a power of two (got {self.samples})")
        if not sampled and self.samples is not None:
            raise ValueError("samples is for lhs and sobol designs; a grid has every combination")
        for path, p in self.vary.items():
            if sampled and (p.step or p.count):
                raise ValueError(f"vary.{path}: step and count are for grid designs")
            if not sampled and p.values is None and not (p.step or p.count):
                raise ValueError(f"vary.{path}: a grid needs values, or a range with step or count")
        return self


@dataclass(frozen=True)
class RunTask:
    """One run: a resolved scenario (canonical JSON) at one replication and seed."""
    scenario: str
    point: int
    replication: int
    seed: int
    digest: str
    scenario_json: str

    @property
    def key(self) -> str:
        return f"{self.digest}-s{self.seed}-r{self.replication}"


@dataclass
class Arm:
    scenario: str
    point: int
    params: dict
    spec: Scenario


class Plan:
    """The resolved experiment: its arms (scenario, point) and the runs they need."""

    def __init__(self, spec: ExperimentSpec, scenarios: list[Scenario], source: str = "<experiment>",
                 lines: dict | None = None):
        self.spec, self.source = spec, source
        names = [s.name for s in scenarios]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup:
            raise InputError(source, "scenarios", f"two scenarios are named '{dup}'; names must differ",
                             line_of(lines or {}, ("scenarios",)))
        self.baseline = spec.baseline or names[0]
        if self.baseline not in names:
            raise InputError(source, "baseline", f"'{self.baseline}' is not a scenario of the experiment; "
                                                 f"allowed: {', '.join(names)}", line_of(lines or {}, ("baseline",)))
        self.scenarios = {s.name: s for s in scenarios}
        _kpis_measured(spec, scenarios, source, lines or {})
        self.points = [{}] + design_points(spec)
        check_runs(len(scenarios) * len(self.points) * spec.replications, source)
        self.arms = [Arm(s.name, i, p, _at_point(s, p, source, lines or {}))
                     for s in scenarios for i, p in enumerate(self.points)]
        for arm in self.arms:
            if arm.point:  # point 0 is the scenario as loaded, checked already
                try:
                    check_scenario(arm.spec, source)
                except InputError as e:
                    raise _point_error(e, arm, source, lines or {}) from None
        self._values = {(a.scenario, a.point): _values_of(a.spec, list(spec.vary)) for a in self.arms}

    @property
    def params(self) -> list[str]:
        return list(self.spec.vary)

    def values_at(self, scenario: str, point: int) -> dict:
        """The varied parameters' values in an arm (point 0: the scenario's own values), as
        every table shows them (``value_text``)."""
        return {path: value_text(v) for path, v in self._values[scenario, point].items()}

    def tasks(self) -> list[RunTask]:
        out = []
        for arm in self.arms:
            text = arm.spec.canonical()
            for r in range(self.spec.replications):
                out.append(RunTask(arm.scenario, arm.point, r, self.spec.seed, arm.spec.digest, text))
        return out

    def manifest(self) -> dict:
        """What determines the results (no command, executor or timing: see ``log.json``)."""
        return {
            "experiment": self.spec.model_dump(mode="json"),
            "baseline": self.baseline,
            "seed": self.spec.seed,
            "replications": self.spec.replications,
            # each point's values as the resolved scenario holds them (12 and 12.0 alike)
            "points": [{"point": i, **(self._values[self.arms[0].scenario, i] if i else {})}
                       for i in range(len(self.points))],
            "arms": [{"scenario": a.scenario, "point": a.point, "hash": a.spec.digest} for a in self.arms],
            "scenarios": {n: {"hash": s.digest, "scenario": json.loads(s.canonical()), **structure_names(s)}
                          for n, s in self.scenarios.items()},
            "kpis": {k: kpi_record(k) for k in [*self.spec.kpis, *self.spec.decision_kpis]},
        }

    @property
    def digest(self) -> str:
        text = json.dumps(self.manifest(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _kpis_measured(spec: ExperimentSpec, scenarios: list[Scenario], source: str, lines: dict) -> None:
    """Every KPI the experiment shows or decides on is the engine's or declared by a strategy
    some scenario runs (a strategy's KPI, ``promoted`` say, exists only where it runs)."""
    measured = set(CATALOG) | {k.name for s in scenarios for k in declared_kpis(s.make_strategies())}
    for field, kpis in (("kpis", spec.kpis), ("objective", [spec.objective.kpi]),
                        ("guardrails", [g.kpi for g in spec.guardrails])):
        missing = [k for k in kpis if k not in measured and k != "spend"]
        if missing:
            raise InputError(source, field, f"'{missing[0]}' is declared by a strategy none of the scenarios runs",
                             line_of(lines, (field,)))


def structure_names(scenario: Scenario) -> dict[str, list[str]]:
    """Its segments, group kinds and tiers (kinds members reach only by promotion) by name, in
    the order of the indices in daily.parquet and members.parquet: the manifest keeps mappings
    sorted, so the segments' order would be lost (``sim.analysis.structure`` reads these)."""
    return {"segments": scenario.members.segment_names() if scenario.members is not None else ["member"],
            "kinds": scenario.groups.kind_names(),
            "tiers": [k.name for k in scenario.groups.kinds or () if not k.routable]}


def value_text(value):
    """A varied value as tables, charts and the report show it: a number or a word as it
    is, a mapping or a list as its JSON text (one stable label, never unhashable)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value


def _at_point(base: Scenario, point: dict, source: str, lines: dict) -> Scenario:
    if not point:
        return base
    data = json.loads(base.canonical())
    for path, value in point.items():
        try:
            set_value(data, path, value)
        except ValueError as e:
            raise InputError(source, f"vary.{path}", str(e), line_of(lines, ("vary", path))) from None
    try:
        return parse_scenario(data, source)
    except InputError as err:
        path = next((p for p in point if err.field.startswith(p) or p.startswith(err.field)), next(iter(point)))
        message = err.message if err.field == path else f"{err.field}: {err.message}"
        if "(got " not in message:
            message += f" (at {path} = {point[path]!r})"
        raise InputError(source, f"vary.{path}", message, line_of(lines, ("vary", path))) from None


def _point_error(e: InputError, arm: Arm, source: str, lines: dict) -> InputError:
    """A resolved point refused by ``check_scenario``, blamed on the varied parameter it
    concerns and naming every value of the point, so the user can find it in the design."""
    path = next((p for p in arm.params if p.startswith(e.field) or e.field.startswith(p)), next(iter(arm.params)))
    values = ", ".join(f"{p} = {json.dumps(v, ensure_ascii=False)}" for p, v in arm.params.items())
    return InputError(source, f"vary.{path}", f"scenario '{arm.scenario}' at point {arm.point} ({values}): "
                                              f"{e.field}: {e.message}", line_of(lines, ("vary", path)))


def _values_of(scenario: Scenario, paths: list[str]) -> dict:
    data = json.loads(scenario.canonical()) if paths else {}
    return {path: get_value(data, path) for path in paths}


def parse_experiment(data: dict, source: str = "<experiment>", lines: dict | None = None) -> ExperimentSpec:
    try:
        return ExperimentSpec.model_validate(data)
    except ValidationError as e:
        raise input_error(e, ExperimentSpec, source, lines or {}) from None


def is_experiment(data: dict) -> bool:
    return isinstance(data, dict) and "scenarios" in data


def load_experiment(path: str | Path) -> Plan:
    """Read and validate an experiment file and every scenario it names."""
    data, lines = read_yaml(path)
    source = str(path)
    spec = parse_experiment(data, source, lines)
    folder = Path(path).parent
    overrides = [f"{k}={json.dumps(v)}" for k, v in spec.set.items()]
    scenarios = []
    for i, rel in enumerate(spec.scenarios):
        file = folder / rel
        if not file.is_file():
            raise InputError(source, f"scenarios.{i}", f"no scenario file '{rel}' (looked for {file})",
                             line_of(lines, ("scenarios", i)))
        try:
            scenarios.append(load_scenario(file, overrides))
        except InputError as err:
            if not err.field.startswith("--set "):
                raise
            key = err.field.removeprefix("--set ")
            raise InputError(source, f"set.{key}", err.message, line_of(lines, ("set", key))) from None
    try:
        return Plan(spec, scenarios, source, lines)
    except ValueError as e:
        raise InputError(source, "vary", str(e), line_of(lines, ("vary",))) from None


def plan_from_scenarios(paths: list[str], overrides: list[str] = (), **fields) -> Plan:
    """The plan of ``groupsim compare``: the scenario files as arms, no parameters varied."""
    return plan_of([load_scenario(p, overrides) for p in paths], **fields)


def plan_of(scenarios: list[Scenario], **fields) -> Plan:
    """A plan of scenarios as arms, no parameters varied (``run`` and ``compare``).

    The seed defaults to the first scenario's, so comparing a scenario with itself repeats ``run``.
    """
    if fields.get("seed") is None:
        fields["seed"] = scenarios[0].seed
    fields.setdefault("name", " vs ".join(s.name for s in scenarios))
    spec = parse_experiment({"scenarios": [s.name for s in scenarios],
                             **{k: v for k, v in fields.items() if v is not None}}, "command line")
    return Plan(spec, scenarios, "command line")


def kpi_record(name: str) -> dict:
    """A KPI's label, unit and direction, as the results folder keeps them."""
    k = kpi_catalog()[name]
    return {"label": k.label, "unit": k.unit, "higher_is_better": k.higher_is_better, "percent": k.percent,
            "lower": k.lower, "upper": k.upper}


def default_folder(name: str) -> Path:
    """Where results go unless told: ``results/<name>``, the name made safe for a folder."""
    return Path("results") / (re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:80] or "results")
