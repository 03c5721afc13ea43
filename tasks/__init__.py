"""Inspect tasks, one folder per family, sharing the simulated environment in ``environment``."""
