"""Operator strategies. Importing this package registers every built-in strategy."""
from . import (activities, funnel, guides, messaging, migration, moderation, onboarding, promotion,  # noqa: F401
               pushes, red_packets, referral, service, shills)  # (importing registers each)
from .base import REGISTRY, Strategy, StrategyParams, declared_kpis, kpi_catalog, register
from .schedule import Schedule, Target

__all__ = ["REGISTRY", "Schedule", "Strategy", "StrategyParams", "Target", "declared_kpis", "kpi_catalog", "register"]
