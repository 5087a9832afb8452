"""Placeholder: the migration strategy is being written."""
