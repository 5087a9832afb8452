"""Operator strategies. Importing this package registers every built-in strategy."""
from . import messaging, red_packets, service, shills  # noqa: F401  (registers each)
from .base import REGISTRY, Strategy, StrategyParams, declared_kpis, kpi_catalog, register
from .schedule import Schedule, Target

__all__ = ["REGISTRY", "Schedule", "Strategy", "StrategyParams", "Target", "declared_kpis", "kpi_catalog", "register"]
