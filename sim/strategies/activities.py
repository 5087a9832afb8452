"""Placeholder: the activities strategy is being written."""
