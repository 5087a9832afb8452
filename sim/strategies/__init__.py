"""Operator strategies. Importing this package registers every built-in strategy."""
from . import (activities, messaging, migration, moderation, onboarding, red_packets, referral, service,  # noqa: F401
               shills)  # (importing registers each)
from .base import REGISTRY, Strategy, StrategyParams, declared_kpis, kpi_catalog, register
from .schedule import Schedule, Target

__all__ = ["REGISTRY", "Schedule", "Strategy", "StrategyParams", "Target", "declared_kpis", "kpi_catalog", "register"]
