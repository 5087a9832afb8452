"""Placeholder: the onboarding strategy is being written."""
