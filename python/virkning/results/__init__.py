"""Result classes: thin wrappers around the Rust results (tables, plots, display)."""

from virkning.results._base import Result
from virkning.results.regression import FeolsResult

__all__ = ["Result", "FeolsResult"]
