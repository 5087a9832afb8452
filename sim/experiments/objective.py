"""What a review decides on (``sim.analysis.decision`` applies it; ``ExperimentSpec`` holds it):

- ``objective``: a KPI and its direction, ``{kpi: profit, direction: maximize}`` or just
  ``profit``; the direction defaults to the KPI's own. When the experiment names none it is
  ``profit`` when the KPI catalogue has it, else the first of the experiment's ``kpis`` (the
  one it ranks on); the resolved objective is written to the manifest.
- ``guardrails``: KPIs the recommended option may not lose by more than ``max_loss`` against
  the baseline, e.g. ``{kpi: retention_d30, max_loss: 0.02}`` ("D30 retention not worse by
  more than 2 points"); ``max_loss`` is in the KPI's stored unit (a share as a fraction).
"""
from __future__ import annotations

import typing

from pydantic import Field, field_validator, model_validator

from ..strategies import kpi_catalog
from .scenario import Strict


class Objective(Strict):
    """What a review recommends on: a KPI and the way it should move (``sim.analysis.decision``)."""
    kpi: str = Field(description="the KPI the recommended option must improve on the baseline")
    direction: typing.Literal["maximize", "minimize"] = Field(
        "maximize", description="maximize or minimize the KPI (default: the KPI's own better direction)")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data):
        if isinstance(data, str):  # objective: profit
            data = {"kpi": data}
        if isinstance(data, dict) and "direction" not in data and data.get("kpi") in kpi_catalog():
            better = kpi_catalog()[data["kpi"]].higher_is_better
            data = {**data, "direction": "maximize" if better else "minimize"}
        return data

    @field_validator("kpi")
    @classmethod
    def _known(cls, kpi):
        return _known_kpi(kpi)

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "maximize"


class Guardrail(Strict):
    """A KPI the recommended option may not lose by more than ``max_loss`` against the
    baseline (held when the worse end of the paired uplift's 95% CI is within it)."""
    kpi: str = Field(description="the KPI guarded (its better direction is the catalogue's)")
    max_loss: float = Field(ge=0, le=1e12, description="the largest loss accepted against the baseline, in the "
                                                        "KPI's stored unit: a share as a fraction (0.02 is 2 "
                                                        "percentage points), money in CNY, counts as counts")

    @field_validator("kpi")
    @classmethod
    def _known(cls, kpi):
        return _known_kpi(kpi)

    @field_validator("max_loss")
    @classmethod
    def _share_is_a_fraction(cls, loss, info):
        kpi = info.data.get("kpi")
        if kpi and kpi_catalog()[kpi].percent and loss > 1:
            raise ValueError(f"'{kpi}' is a share, so its loss is a fraction of 1 "
                             f"(0.02 is 2 percentage points; got {loss:g})")
        return loss


def _known_kpi(kpi: str) -> str:
    catalog = kpi_catalog()
    if kpi not in catalog:
        raise ValueError(f"unknown KPI '{kpi}'; allowed: {', '.join(catalog)}")
    return kpi


def default_objective(kpis) -> str:
    """``profit`` when the catalogue has it, else the KPI the experiment ranks on (its first)."""
    return "profit" if "profit" in kpi_catalog() else list(kpis)[0]
