"""Operator strategies. Importing this package registers every built-in strategy."""
from .base import REGISTRY, Strategy, StrategyParams, register
from . import messaging  # noqa: F401  (registers "messaging")

__all__ = ["REGISTRY", "Strategy", "StrategyParams", "register"]
