"""virkning: what works in getting refugees into jobs.

Fast, exact program evaluation with a Rust core: fixed-effects regression (``feols``), with
staggered difference-in-differences, synthetic control and municipality benchmarking to come.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from virkning._core import __version__
from virkning._checks import public
from virkning.exceptions import VirkningError, VirkningWarning

__all__ = [
    "__version__",
    "feols",
    "glm",
    "mixedlm",
    "benchmark",
    "bacon",
    "wildboot",
    "ritest",
    "sun_abraham",
    "event_study",
    "did_imputation",
    "att_gt",
    "etable",
    "panel_info",
    "datasets",
    "sdid",
    "power",
    "simulate_panel",
    "simulate_cohort",
    "synthetic_control",
    "SmallSampleCorrection",
    "Bootstrap",
    "VirkningError",
    "VirkningWarning",
    "exceptions",
    "kaplan_meier",
    "coxph",
    "logrank",
    "survsplit",
    "cuminc",
]

_LAZY = {
    "feols": ("virkning.regression", "feols"),
    "glm": ("virkning.glm", "glm"),
    "mixedlm": ("virkning.mixed", "mixedlm"),
    "benchmark": ("virkning.benchmarking", "benchmark"),
    "wildboot": ("virkning.inference", "wildboot"),
    "ritest": ("virkning.inference", "ritest"),
    "bacon": ("virkning.did_event", "bacon"),
    "sun_abraham": ("virkning.did_event", "sun_abraham"),
    "event_study": ("virkning.did_event", "event_study"),
    "did_imputation": ("virkning.did_event", "did_imputation"),
    "att_gt": ("virkning.did", "att_gt"),
    "etable": ("virkning.report.etable", "etable"),
    "panel_info": ("virkning.panel", "panel_info"),
    "SmallSampleCorrection": ("virkning.options", "SmallSampleCorrection"),
    "Bootstrap": ("virkning.options", "Bootstrap"),
    "datasets": ("virkning.datasets", None),
    "sdid": ("virkning.synth", "sdid"),
    "power": ("virkning.simulation", "power"),
    "simulate_panel": ("virkning.simulation", "simulate_panel"),
    "simulate_cohort": ("virkning.simulation", "simulate_cohort"),
    "synthetic_control": ("virkning.synth", "synthetic_control"),
    "exceptions": ("virkning.exceptions", None),
    "kaplan_meier": ("virkning.survival", "kaplan_meier"),
    "coxph": ("virkning.survival", "coxph"),
    "logrank": ("virkning.survival", "logrank"),
    "survsplit": ("virkning.survival", "survsplit"),
    "cuminc": ("virkning.survival", "cuminc"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        mod = importlib.import_module(module)
        value = mod if attr is None else getattr(mod, attr)
        if attr is not None and inspect.isfunction(value):
            value = public(value)  # argument checks shared by every public function
        globals()[name] = value
        return value
    raise AttributeError(f"module 'virkning' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
