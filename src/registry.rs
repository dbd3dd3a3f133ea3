//! The one list of estimators: name, Python result class, role keywords and capabilities.
//! Python reads it as `virkning._core.registry()`; the pyo3 dispatch (event studies,
//! randomization inference) and the contract test (tests/python/test_contract.py) enumerate
//! it, so a new estimator is added here once.

use serde::Serialize;

/// What the registry knows about one estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EstimatorInfo {
    /// Public name (the Python function and [`crate::traits::Estimator::NAME`]).
    pub name: &'static str,
    /// Internal method key of the pyo3 dispatch (often the name; `twfe` is the event study).
    pub method: &'static str,
    /// Python result class in `virkning.results`.
    pub python_class: &'static str,
    /// The role keywords a minimal call of the Python function needs (`formula` is its first
    /// positional argument, the data its second; the others are keywords), in order.
    pub roles: &'static [&'static str],
    /// Whether `ritest()` permutes adoption times on its result.
    pub ritest: bool,
    /// The name `power(estimator=)` takes, when its power can be simulated.
    pub power: Option<&'static str>,
    /// Whether a wild cluster bootstrap is available (a method or a `wildboot=` option).
    pub wildboot: bool,
    /// The report section that shows it.
    pub report: &'static str,
    /// Whether it fits on a data frame (`power` simulates its own).
    pub takes_frame: bool,
}

const PANEL: &[&str] = &["outcome", "unit", "time", "cohort"];

const fn entry(
    name: &'static str,
    method: &'static str,
    python_class: &'static str,
    roles: &'static [&'static str],
) -> EstimatorInfo {
    EstimatorInfo {
        name,
        method,
        python_class,
        roles,
        ritest: false,
        power: None,
        wildboot: false,
        report: "regression",
        takes_frame: true,
    }
}

const fn panel(name: &'static str, method: &'static str, class: &'static str, power: &'static str) -> EstimatorInfo {
    EstimatorInfo { ritest: true, power: Some(power), report: "did", ..entry(name, method, class, PANEL) }
}

/// Every estimator, in the order of the README.
pub static REGISTRY: &[EstimatorInfo] = &[
    // `power(estimator="static_twfe")` simulates the static TWFE regression `outcome ~ treated | unit
    // + period`: a feols model, not the TWFE event study.
    EstimatorInfo {
        ritest: true,
        wildboot: true,
        power: Some("static_twfe"),
        ..entry("feols", "feols", "FeolsResult", &["formula"])
    },
    entry("glm", "glm", "GlmResult", &["formula", "family"]),
    entry("mixedlm", "mixedlm", "MixedResult", &["formula", "group"]),
    panel("att_gt", "att_gt", "GroupTimeEffects", "att_gt"),
    EstimatorInfo { wildboot: true, ..panel("sun_abraham", "sun_abraham", "EventStudyResult", "sun_abraham") },
    // The TWFE event study reports no overall ATT: its `ritest()` permutes adoption times and
    // tests the observation-weighted mean of its post-treatment event-time effects.
    EstimatorInfo {
        wildboot: true,
        ritest: true,
        power: None,
        ..panel("event_study", "twfe", "EventStudyResult", "twfe")
    },
    panel("did_imputation", "imputation", "EventStudyResult", "imputation"),
    EstimatorInfo { ritest: false, power: None, ..panel("bacon", "bacon", "BaconResult", "") },
    EstimatorInfo {
        report: "synth",
        roles: &["outcome", "unit", "time", "treatment"],
        ..panel("sdid", "sdid", "SdidResult", "sdid")
    },
    EstimatorInfo {
        ritest: false,
        report: "synth",
        roles: &["outcome", "unit", "time", "treated_unit", "treatment_start"],
        ..panel("synthetic_control", "synthetic_control", "SyntheticControlResult", "synthetic_control")
    },
    EstimatorInfo {
        report: "benchmark",
        ..entry("benchmark", "benchmark", "BenchmarkResult", &["outcome", "unit", "frame_conditions", "size"])
    },
    EstimatorInfo {
        report: "power",
        takes_frame: false,
        ..entry("power", "power", "PowerResult", &["estimator", "reps"])
    },
];

/// The entry whose name or method key is `key`.
pub fn lookup(key: &str) -> Option<&'static EstimatorInfo> {
    REGISTRY.iter().find(|e| e.name == key || e.method == key)
}

/// The names of the entries with a capability, for "valid values" in errors.
pub fn names_where(pred: impl Fn(&EstimatorInfo) -> bool) -> Vec<String> {
    REGISTRY.iter().filter(|e| pred(e)).map(|e| e.name.to_string()).collect()
}

/// An unknown estimator name for a capability, as an `UnknownChoice` error listing the valid ones.
pub fn unknown(name: &'static str, value: &str, pred: impl Fn(&EstimatorInfo) -> bool) -> crate::Error {
    crate::ParamsError::UnknownChoice { name, value: value.to_string(), valid: names_where(pred) }.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traits::Estimator;

    #[test]
    fn names_match_the_estimator_trait() {
        for name in [
            crate::regression::Feols::NAME,
            crate::regression::Glm::NAME,
            crate::regression::MixedLm::NAME,
            crate::did::AttGt::NAME,
            crate::did::SunAbraham::NAME,
            crate::did::TwfeEventStudy::NAME,
            crate::did::DidImputation::NAME,
            crate::did::Bacon::NAME,
            crate::synth::Sdid::NAME,
            crate::synth::SyntheticControl::NAME,
            crate::benchmarking::Benchmark::NAME,
        ] {
            assert!(lookup(name).is_some_and(|e| e.name == name && e.takes_frame), "{name}");
        }
        let mut names: Vec<&str> = REGISTRY.iter().map(|e| e.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REGISTRY.len(), "names are unique");
    }

    #[test]
    fn power_names_parse() {
        for e in REGISTRY.iter().filter_map(|e| e.power) {
            assert!(e.parse::<crate::simulate::PowerEstimator>().is_ok(), "{e}");
        }
    }
}
