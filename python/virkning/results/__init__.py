"""Result classes: thin wrappers around the Rust results (tables, plots, display)."""

from virkning.results._base import Result
__all__ = []
from virkning.results.regression import FeolsResult
from virkning.results.glm import GlmResult
from virkning.results.mixed import MixedResult
from virkning.results.benchmarking import BenchmarkResult
from virkning.results.synth import SdidResult, SyntheticControlResult

__all__ = ["Result", "FeolsResult", "GlmResult", "MixedResult", "BenchmarkResult", "BaconResult", "SdidResult", "PowerResult", "WildBootResult", "RiTestResult", "EventStudyResult", "SyntheticControlResult"]
