"""Experiments: scenario and experiment files, the run plan, runner, executors, store and results folder."""
