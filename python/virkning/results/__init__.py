"""Result classes: thin wrappers around the Rust results (tables, plots, display)."""

from virkning.results._base import Result
from virkning.results.benchmarking import BenchmarkResult
from virkning.results.did import AggregatedEffects, GroupTimeEffects
from virkning.results.event_study import BaconResult, EventStudyResult
from virkning.results.glm import GlmResult
from virkning.results.mixed import MixedResult
from virkning.results.power import PowerResult
from virkning.results.regression import FeolsResult
from virkning.results.synth import SdidResult, SyntheticControlResult
from virkning.results.wildboot import RiTestResult, WildBootResult

__all__ = ["Result", "FeolsResult", "GlmResult", "MixedResult", "BenchmarkResult", "BaconResult", "SdidResult",
           "PowerResult", "WildBootResult", "RiTestResult", "EventStudyResult", "SyntheticControlResult",
           "GroupTimeEffects", "AggregatedEffects"]
