"""Placeholder: the moderation strategy is being written."""
