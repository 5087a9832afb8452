"""Experimental designs: the parameters an experiment varies (``Param``: a list of values, or a
range with a step, a count or a log scale) and the design's points (``design_points``: a full
grid, or a Latin hypercube or Sobol sample from scipy.stats.qmc, seeded from the experiment's
named stream so the same file gives the same points)."""
from __future__ import annotations

import itertools
import math
import typing

import numpy as np
from pydantic import Field, model_validator

from ..engine.streams import Streams
from .scenario import Strict

MAX_POINTS = 100_000


class Param(Strict):
    """One parameter to vary: a list of ``values``, or a range ``low``..``high``."""
    values: list[typing.Any] | None = Field(None, min_length=1)
    low: float | None = None
    high: float | None = None
    step: float | None = Field(None, gt=0)
    count: int | None = Field(None, ge=2, le=10_000)
    scale: typing.Literal["linear", "log"] = "linear"
    integer: bool = False

    @model_validator(mode="before")
    @classmethod
    def _list_is_values(cls, data):
        if isinstance(data, list):
            return {"values": data}
        if not isinstance(data, dict):
            raise ValueError("give a list of values, or a range {low: ..., high: ...}")
        return data

    @model_validator(mode="after")
    def _one_kind(self):
        ranged = self.low is not None or self.high is not None
        if self.values is not None and (ranged or self.step or self.count):
            raise ValueError("give either values or a range (low, high), not both")
        if self.values is None:
            if self.low is None or self.high is None:
                raise ValueError("a range needs both low and high")
            if not self.low < self.high:
                raise ValueError(f"low must be below high (got low {self.low}, high {self.high})")
            if self.step and self.count:
                raise ValueError("give step or count, not both")
            if self.scale == "log" and self.low <= 0:
                raise ValueError("a log scale needs low > 0")
            if self.step and self.scale == "log":
                raise ValueError("a log scale is spaced by count, not step")
        return self

    def size(self) -> int:
        """How many values ``grid`` gives, counted without building them."""
        if self.values is not None:
            return len(self.values)
        if self.step:
            return math.floor((self.high - self.low) / self.step + 1e-9) + 1
        return self.count or 0

    def grid(self) -> list:
        if self.size() > MAX_POINTS:
            raise ValueError(f"{self.size():,} values; a design has at most {MAX_POINTS:,} points")
        if self.values is not None:
            return list(self.values)
        if self.step:
            n = math.floor((self.high - self.low) / self.step + 1e-9)
            raw = self.low + self.step * np.arange(n + 1)
        elif self.count:
            space = np.geomspace if self.scale == "log" else np.linspace
            raw = space(self.low, self.high, self.count)
        else:
            raise ValueError("a grid needs values, or a range with step or count")
        return _tidy(raw, self.integer)

    def from_unit(self, u: np.ndarray) -> list:
        """Values at unit-cube coordinates ``u`` (a list of values is sampled as categories)."""
        if self.values is not None:
            idx = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
            return [self.values[i] for i in idx]
        if self.integer:  # every whole number in [low, high] equally likely
            lo, hi = math.ceil(self.low), math.floor(self.high)
            return [int(v) for v in np.minimum(lo + np.floor(u * (hi - lo + 1)), hi)]
        if self.scale == "log":
            raw = np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        else:
            raw = self.low + u * (self.high - self.low)
        return _tidy(raw, False)


def _tidy(raw: np.ndarray, integer: bool) -> list:
    """Plain Python numbers, rounded to 12 significant digits (no 0.30000000000000004)."""
    if integer:
        return list(dict.fromkeys(int(round(v)) for v in raw))
    return [float(f"{v:.12g}") for v in raw]


def design_points(spec) -> list[dict]:
    """Points 1..n of the design, each a {dotted path: value} mapping."""
    if not spec.vary:
        return []
    params = list(spec.vary.items())
    if spec.design == "grid":
        size = math.prod(p.size() for _, p in params)
        if size > MAX_POINTS:
            raise ValueError(f"the grid has {size:,} points; the limit is {MAX_POINTS:,}")
        combos = itertools.product(*(p.grid() for _, p in params))
        points = []
        for combo in combos:
            points.append(dict(zip((k for k, _ in params), combo)))
            if len(points) > MAX_POINTS:
                raise ValueError(f"the grid has over {MAX_POINTS:,} points")
        return points
    from scipy.stats import qmc

    # seeded by its own named stream's key (qmc spawns child generators, which needs a seed sequence)
    rng = np.random.default_rng(Streams(spec.seed).key("experiment design", 0))
    cls = qmc.LatinHypercube if spec.design == "lhs" else qmc.Sobol
    try:
        sampler = cls(d=len(params), rng=rng)
    except TypeError:  # scipy < 1.15 calls it seed
        sampler = cls(d=len(params), seed=rng)
    unit = sampler.random(spec.samples)
    columns = [p.from_unit(unit[:, j]) for j, (_, p) in enumerate(params)]
    return [dict(zip((k for k, _ in params), row)) for row in zip(*columns)]
