"""Synthetic extract generator: one simulated NHS workforce written in every published and local format."""
from .generate import GenerateSummary, generate
from .world import SCALES, Scenario

__all__ = ["SCALES", "GenerateSummary", "Scenario", "generate"]
