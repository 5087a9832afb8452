"""Strategy protocol and registry.

A strategy is an operator policy plugged into the day: a class registered under the
name used in scenario files, holding its validated parameters (a pydantic model in
``Params``) and implementing only the hooks it needs:

- ``setup(model)``: once, after the population exists (add member columns, etc.);
- ``plan(day)``: before members act: post messages, add log-odds terms, book costs;
- ``after(day)``: after members act, with today's outcomes on ``day``.

Randomness comes only from ``day.stream(self.name)``.
"""
from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

REGISTRY: dict[str, type["Strategy"]] = {}


class StrategyParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Strategy:
    name: ClassVar[str]
    Params: ClassVar[type[StrategyParams]] = StrategyParams

    def __init__(self, params: StrategyParams):
        self.params = params

    def setup(self, model) -> None:
        pass

    def plan(self, day) -> None:
        pass

    def after(self, day) -> None:
        pass


def register(cls: type[Strategy]) -> type[Strategy]:
    if cls.name in REGISTRY:
        raise ValueError(f"strategy '{cls.name}' is registered twice")
    REGISTRY[cls.name] = cls
    return cls
