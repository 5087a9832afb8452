"""Strategy protocol and registry.

A strategy is an operator policy plugged into the day: a class registered under the
name used in scenario files, holding its validated parameters (a pydantic model in
``Params``, which always has ``when`` and ``where``: ``sim.strategies.schedule``) and
implementing only the hooks it needs:

- ``setup(model)``: once, after the population exists;
- ``plan(day)``: before members act: send messages, add log-odds terms, book costs;
- ``after(day)``: after members act, with today's outcomes on ``day``.

It declares everything it adds, and the engine refuses what it does not declare:

- ``columns``: per-member state (``sim.engine.members.Column``);
- ``outputs``: per-(day, group) columns of ``daily.parquet`` (``sim.engine.day.Output``);
- ``channels``: accounts that post in groups (``sim.engine.day.Channel``);
- ``costs``: its categories in the cost ledger (column ``spend_<category>``);
- ``kpis``: KPIs of ``summary.csv`` with label, unit and better direction
  (``sim.analysis.kpis.Kpi`` with ``total``, a daily column summed over the run);
- ``writes``: engine member columns it changes (for example ``trust``);
- ``needs``: scenario sections it cannot run without (a tier kind in ``groups.kinds``), which
  the conformance checks add to their scenario.

Hooks run only on the days its ``when`` allows, and act only on the groups both allow
(``Day.scope``): on other days the strategy is not called at all, so what it remembers
between days lives in its declared columns (or on the instance), and a strategy that
must watch every day schedules itself every day and acts on part of it.

Randomness comes only from ``day.stream()``: the instance's own stream, purpose
``strategy.<name>`` (``strategy.<name>.<k>`` for the k-th further instance).
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from ..analysis.kpis import CATALOG, SUMMARY, Kpi
from ..engine.day import Channel, Output
from ..engine.members import Column
from .schedule import Schedule, Target, scope

REGISTRY: dict[str, type["Strategy"]] = {}


class StrategyParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    when: Schedule = Schedule()
    where: Target = Target()


class Strategy:
    name: ClassVar[str]
    Params: ClassVar[type[StrategyParams]] = StrategyParams
    columns: ClassVar[tuple[Column, ...]] = ()
    outputs: ClassVar[tuple[Output, ...]] = ()
    channels: ClassVar[tuple[Channel, ...]] = ()
    costs: ClassVar[tuple[str, ...]] = ()
    kpis: ClassVar[tuple[Kpi, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ()
    needs: ClassVar[dict] = {}

    def __init__(self, params: StrategyParams, index: int = 0):
        self.params = params
        self.index = index

    @property
    def purpose(self) -> str:
        """Its stream's purpose name."""
        return f"strategy.{self.name}" + (f".{self.index}" if self.index else "")

    @property
    def channel_names(self) -> set[str]:
        return {c.name for c in self.channels}

    @property
    def output_names(self) -> set[str]:
        return {o.name for o in self.outputs}

    def scope(self, day) -> np.ndarray:
        """The groups it acts on today (its ``when`` and ``where``)."""
        return scope(self.params.when, self.params.where, day)

    def setup(self, model) -> None:
        pass

    def plan(self, day) -> None:
        pass

    def after(self, day) -> None:
        pass


def register(cls: type[Strategy]) -> type[Strategy]:
    """Add a strategy class to the registry under ``cls.name`` (checks its declarations)."""
    if cls.name in REGISTRY:
        raise ValueError(f"strategy '{cls.name}' is registered twice")
    own = {o.name for o in cls.outputs} | {f"spend_{c}" for c in cls.costs} | {f"{c.name}_msgs" for c in cls.channels}
    for kpi in cls.kpis:
        if kpi.total not in own:
            raise ValueError(f"strategy '{cls.name}': KPI '{kpi.name}' needs total: one of its own daily "
                             f"columns ({', '.join(sorted(own)) or 'it declares none'})")
        if kpi.name in SUMMARY or any(kpi.name in {k.name for k in s.kpis} for s in REGISTRY.values()):
            raise ValueError(f"strategy '{cls.name}': KPI '{kpi.name}' exists already")
    REGISTRY[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a strategy from the registry (tests and tools that register one for a while)."""
    REGISTRY.pop(name, None)


def declared_kpis(strategies) -> list[Kpi]:
    """The KPIs these strategy objects declare, each once (instances share theirs)."""
    return list({k.name: k for s in strategies for k in s.kpis}.values())


def kpi_catalog() -> dict[str, Kpi]:
    """Every KPI: the engine's and those the registered strategies declare."""
    return {**CATALOG, **{k.name: k for cls in REGISTRY.values() for k in cls.kpis}}
