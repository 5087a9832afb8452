"""Operator strategies. Importing this package registers every built-in strategy."""
from . import (activities, funnel, messaging, migration, moderation, onboarding, promotion, red_packets,  # noqa: F401
               referral, service, shills)  # (importing registers each)
from .base import REGISTRY, Strategy, StrategyParams, declared_kpis, kpi_catalog, register
from .schedule import Schedule, Target

__all__ = ["REGISTRY", "Schedule", "Strategy", "StrategyParams", "Target", "declared_kpis", "kpi_catalog", "register"]
