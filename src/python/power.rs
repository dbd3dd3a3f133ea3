//! pyo3 glue for the simulation designs and `power`: params as JSON, columns out as numpy
//! arrays, progress through a shared atomic counter polled from Python.

use std::sync::{Arc, Mutex};

use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::errors::guard;
use super::json::{from_json, to_json};
use super::simulate::frame_to_dict;
use crate::simulate::{
    CohortDesign, Fitted, MdeSearch, PanelDesign, PanelDraw, Power, PowerEstimator, PowerResult, Progress, ReplicateFit,
};

/// Simulate replicate `replicate` of a panel design; returns (columns, JSON with the seed used
/// and the replicate's estimand).
#[pyfunction]
pub(crate) fn simulate_panel<'py>(
    py: Python<'py>,
    params: &str,
    replicate: u64,
) -> PyResult<(Bound<'py, PyDict>, String)> {
    let (draw, info) = py.detach(|| {
        guard(|| {
            let design = from_json::<PanelDesign>("params", params)?.validate()?;
            let draw = design.simulate(replicate);
            let info = serde_json::json!({
                "seed": design.seed_used(),
                "replicate": replicate,
                "estimand": draw.estimand(false),
                "design": &*design,
            });
            Ok((draw, info.to_string()))
        })
    })?;
    let frame = draw.frame().map_err(|e| PyErr::from(crate::Error::from(e)))?;
    Ok((frame_to_dict(py, &frame)?, info))
}

/// Simulate replicate `replicate` of a refugee cohort; returns (columns, JSON with the seed).
#[pyfunction]
pub(crate) fn simulate_cohort<'py>(
    py: Python<'py>,
    params: &str,
    replicate: u64,
) -> PyResult<(Bound<'py, PyDict>, String)> {
    let (draw, info) = py.detach(|| {
        guard(|| {
            let design = from_json::<CohortDesign>("params", params)?.validate()?;
            let info = serde_json::json!({ "seed": design.seed_used(), "replicate": replicate, "design": &*design });
            Ok((design.simulate(replicate), info.to_string()))
        })
    })?;
    let frame = draw.frame().map_err(|e| PyErr::from(crate::Error::from(e)))?;
    Ok((frame_to_dict(py, &frame)?, info))
}

/// Default `Power` params (with the default design) as JSON.
#[pyfunction]
pub(crate) fn power_defaults() -> String {
    serde_json::to_string(&Power::default()).unwrap_or_default()
}

/// Progress of a running power analysis: read `done`/`total` from another Python thread,
/// `cancel()` to stop it.
#[pyclass(name = "PowerProgress", module = "virkning._core", frozen)]
pub(crate) struct PyPowerProgress {
    inner: Arc<Progress>,
}

#[pymethods]
impl PyPowerProgress {
    #[new]
    fn new() -> Self {
        PyPowerProgress { inner: Arc::new(Progress::default()) }
    }

    /// Replications finished.
    fn done(&self) -> usize {
        self.inner.done()
    }

    /// Replications planned (an upper bound while an MDE search runs).
    fn total(&self) -> usize {
        self.inner.total()
    }

    /// Stop the run (it raises `SimulationError`).
    fn cancel(&self) {
        self.inner.cancel()
    }
}

/// Run a power analysis with the GIL released. `params` is the JSON of [`Power`] without
/// `estimator` and `mde`, which come as strings (so unknown names list the valid ones).
#[pyfunction]
#[pyo3(signature = (params, estimator, mde, progress=None))]
pub(crate) fn power(
    py: Python<'_>,
    params: &str,
    estimator: &str,
    mde: &str,
    progress: Option<&Bound<'_, PyPowerProgress>>,
) -> PyResult<PyPowerResult> {
    let progress = progress.map_or_else(|| Arc::new(Progress::default()), |p| Arc::clone(&p.get().inner));
    let inner = py.detach(|| {
        guard(|| {
            let mut p: Power = from_json("params", params)?;
            p.estimator = estimator.parse::<PowerEstimator>()?;
            p.mde = mde.parse::<MdeSearch>()?;
            p.validate()?.run(&progress)
        })
    })?;
    Ok(PyPowerResult { inner })
}

/// A Python function fitting one replicate: called as `fit(columns, effect, replicate)` with the
/// replicate's columns (`unit, period, outcome, treated, cohort, size` as numpy arrays; not the
/// true effect), it returns `(estimate, std_error, p_value, conf_low, conf_high)`, NaN for what
/// the estimator does not report. Called from rayon's threads, each holding the GIL for the
/// call (estimators that release the GIL, as virkning's do, overlap).
struct PyFit {
    func: Py<PyAny>,
    /// The Python exception of the earliest failing replicate, kept as the cause of the error.
    error: Mutex<Option<(u64, PyErr)>>,
}

impl ReplicateFit for PyFit {
    fn fit(&self, draw: &PanelDraw, effect: f64, replicate: u64) -> Result<Fitted, String> {
        Python::attach(|py| {
            let call = || -> PyResult<(f64, f64, f64, f64, f64)> {
                let d = PyDict::new(py);
                d.set_item("unit", draw.unit.clone().into_pyarray(py))?;
                d.set_item("period", draw.period.clone().into_pyarray(py))?;
                d.set_item("outcome", draw.outcome.clone().into_pyarray(py))?;
                d.set_item("treated", draw.treated.clone().into_pyarray(py))?;
                d.set_item("cohort", draw.cohort.clone().into_pyarray(py))?;
                d.set_item("size", draw.size.clone().into_pyarray(py))?;
                self.func.bind(py).call1((d, effect, replicate))?.extract()
            };
            match call() {
                Ok((estimate, std_error, p_value, conf_low, conf_high)) => {
                    Ok(Fitted { estimate, std_error, p_value, conf_low, conf_high })
                }
                Err(e) => {
                    let message = e.to_string();
                    if let Ok(mut slot) = self.error.lock() {
                        if slot.as_ref().is_none_or(|(r, _)| replicate < *r) {
                            *slot = Some((replicate, e));
                        }
                    }
                    Err(message)
                }
            }
        })
    }
}

/// Run a power analysis of a Python estimator: `fit` (see [`PyFit`]) is called on every
/// replicate, which Rust simulates (common random numbers across effect sizes) and summarises
/// exactly as for the built-in estimators. `params` as for [`power`].
#[pyfunction]
#[pyo3(signature = (params, mde, fit, progress=None))]
pub(crate) fn power_callable(
    py: Python<'_>,
    params: &str,
    mde: &str,
    fit: Py<PyAny>,
    progress: Option<&Bound<'_, PyPowerProgress>>,
) -> PyResult<PyPowerResult> {
    let progress = progress.map_or_else(|| Arc::new(Progress::default()), |p| Arc::clone(&p.get().inner));
    let fitter = PyFit { func: fit, error: Mutex::new(None) };
    let out = py.detach(|| {
        guard(std::panic::AssertUnwindSafe(|| {
            let mut p: Power = from_json("params", params)?;
            p.estimator = PowerEstimator::Callable;
            p.mde = mde.parse::<MdeSearch>()?;
            p.validate()?.run_with(&progress, Some(&fitter))
        }))
    });
    match out {
        Ok(inner) => Ok(PyPowerResult { inner }),
        Err(e) => {
            if let Some((_, cause)) = fitter.error.lock().ok().and_then(|mut s| s.take()) {
                e.set_cause(py, Some(cause));
            }
            Err(e)
        }
    }
}

/// The result of a power analysis (wrapped by `virkning.results.PowerResult`).
#[pyclass(name = "PowerResult", module = "virkning._core", frozen)]
pub(crate) struct PyPowerResult {
    inner: PowerResult,
}

super::contract::result_methods! {
    impl PyPowerResult {
    /// The result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }

    /// Text summary (Rust `Display`).
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
}
}
