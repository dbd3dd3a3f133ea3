//! pyo3 glue only: no numerics here. Compiled with the `python` feature (maturin turns it on).
#![allow(missing_docs)]

mod benchmarking;
mod contract;
mod convert;
mod data;
mod did;
mod did_event;
mod errors;
mod glm;
mod inference;
mod json;
mod nan_json;
mod origin;
mod power;
mod regression;
mod simulate;
mod survival;
mod synth;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", crate::VERSION)?;
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(regression::formula_columns, m)?)?;
    m.add_function(wrap_pyfunction!(regression::feols_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(regression::feols, m)?)?;
    m.add_class::<regression::PyFeolsResult>()?;
    m.add_function(wrap_pyfunction!(data::panel_info, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::simulate_municipalities, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::municipality_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(glm::glm_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(glm::glm, m)?)?;
    m.add_class::<glm::PyGlmResult>()?;
    m.add_function(wrap_pyfunction!(glm::mixedlm, m)?)?;
    m.add_class::<glm::PyMixedResult>()?;
    m.add_function(wrap_pyfunction!(benchmarking::benchmark_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(benchmarking::benchmark, m)?)?;
    m.add_class::<benchmarking::PyBenchmarkResult>()?;
    m.add_function(wrap_pyfunction!(did_event::bacon, m)?)?;
    m.add_class::<did_event::PyBaconDecomposition>()?;
    m.add_function(wrap_pyfunction!(synth::sdid_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(synth::sdid, m)?)?;
    m.add_class::<synth::PySdidResult>()?;
    m.add_function(wrap_pyfunction!(inference::wildboot_defaults, m)?)?;
    m.add_class::<inference::PyWildBootResult>()?;
    m.add_class::<inference::PyRiResult>()?;
    m.add_function(wrap_pyfunction!(power::simulate_panel, m)?)?;
    m.add_function(wrap_pyfunction!(power::simulate_cohort, m)?)?;
    m.add_function(wrap_pyfunction!(power::power_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(power::power, m)?)?;
    m.add_function(wrap_pyfunction!(power::power_callable, m)?)?;
    m.add_class::<power::PyPowerProgress>()?;
    m.add_class::<power::PyPowerResult>()?;
    m.add_function(wrap_pyfunction!(did_event::event_study, m)?)?;
    m.add_function(wrap_pyfunction!(did_event::event_study_defaults, m)?)?;
    m.add_class::<did_event::PyEventStudyResult>()?;
    m.add_function(wrap_pyfunction!(synth::synthetic_control, m)?)?;
    m.add_class::<synth::PyScResult>()?;
    m.add_function(wrap_pyfunction!(did::att_gt_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(did::att_gt, m)?)?;
    m.add_class::<did::PyGroupTimeEffects>()?;
    m.add_class::<did::PyAggregatedEffects>()?;
    m.add_function(wrap_pyfunction!(contract::registry, m)?)?;
    m.add_function(wrap_pyfunction!(survival::surv_formula_columns, m)?)?;
    m.add_function(wrap_pyfunction!(survival::coxph_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(survival::kaplan_meier_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(survival::coxph, m)?)?;
    m.add_class::<survival::PyCoxResult>()?;
    m.add_function(wrap_pyfunction!(survival::kaplan_meier, m)?)?;
    m.add_class::<survival::PyKaplanMeierResult>()?;
    m.add_function(wrap_pyfunction!(survival::logrank, m)?)?;
    m.add_function(wrap_pyfunction!(survival::survsplit, m)?)?;
    m.add_function(wrap_pyfunction!(survival::cuminc, m)?)?;
    Ok(())
}
