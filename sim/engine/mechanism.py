"""The base of every member-rule mechanism, and the ranges every coefficient and amount keeps.

A mechanism is one block of ``behavior:`` in a scenario (``sim.engine.rules``: contagion,
content, fatigue, ...; ``sim.engine.spam``), switched off with ``enabled: false``.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# Every number is finite and in a range a real programme could need: a coefficient of
# 20 log-odds already turns a 1-in-a-billion chance into a near certainty.
LOGIT_MAX = 20.0
MONEY_MAX = 1e7  # CNY: one order, one message, one reward


class Mechanism(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    enabled: bool = True
