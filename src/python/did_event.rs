//! pyo3 glue for the event-study family (Bacon, Sun-Abraham, TWFE event study, imputation):
//! params as JSON of the serde structs, columns as views, results as JSON.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use super::json::{from_json, invalid, to_json};
use super::origin::Origin;
use crate::did::{Bacon, BaconDecomposition, DidImputation, EventStudyResult, SunAbraham, TwfeEventStudy};
use crate::traits::Estimator;

/// Parse params; the bootstrap weights' name is checked first (any case), so a typo raises
/// `UnknownChoiceError` with the valid names.
pub(super) fn parse<P: serde::de::DeserializeOwned>(params: &str) -> crate::Result<P> {
    let mut v: serde_json::Value = from_json("params", params)?;
    if let Some(w) = v.get_mut("wildboot").and_then(|b| b.get_mut("weights")) {
        if let Some(name) = w.as_str() {
            *w = serde_json::to_value(name.parse::<crate::inference::BootWeights>()?)
                .map_err(|e| invalid("params", e.to_string()))?;
        }
    }
    serde_json::from_value(v).map_err(|e| invalid("params", e.to_string()))
}

/// Goodman-Bacon decomposition. `params` is the JSON of [`Bacon`].
#[pyfunction]
pub(crate) fn bacon(py: Python<'_>, columns: &Bound<'_, PyDict>, params: &str) -> PyResult<PyBaconDecomposition> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let inner = py.detach(|| guard(|| parse::<Bacon>(params)?.fit(&frame)))?;
    Ok(PyBaconDecomposition { inner })
}

/// A Bacon decomposition (wrapped by `virkning.results.BaconResult`).
#[pyclass(name = "BaconDecomposition", module = "virkning._core", frozen)]
pub(crate) struct PyBaconDecomposition {
    pub(crate) inner: BaconDecomposition,
}

super::contract::result_methods! {
    impl PyBaconDecomposition {
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

/// The event-study estimators of the registry (results of class `EventStudyResult`).
fn is_event_study(e: &crate::registry::EstimatorInfo) -> bool {
    e.python_class == "EventStudyResult"
}

/// The registry name of the event-study estimator `method` (its name or method key:
/// `sun_abraham`, `twfe`/`event_study`, `imputation`/`did_imputation`).
fn event_study_name(method: &str) -> crate::Result<&'static str> {
    crate::registry::lookup(method)
        .filter(|e| is_event_study(e))
        .map(|e| e.name)
        .ok_or_else(|| crate::registry::unknown("method", method, is_event_study))
}

/// Fit an event study: `method` names the estimator (see [`event_study_name`]); `params` the
/// JSON of its params struct.
#[pyfunction]
pub(crate) fn event_study(
    py: Python<'_>,
    columns: &Bound<'_, PyDict>,
    method: &str,
    params: &str,
) -> PyResult<PyEventStudyResult> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let inner = super::inference::interruptible(py, || {
        guard(|| match event_study_name(method)? {
            SunAbraham::NAME => parse::<SunAbraham>(params)?.estimate(&frame),
            TwfeEventStudy::NAME => parse::<TwfeEventStudy>(params)?.estimate(&frame),
            _ => parse::<DidImputation>(params)?.estimate(&frame),
        })
    })?;
    let origin = Origin::new(columns, &held, true)?;
    Ok(PyEventStudyResult { inner, origin, params: params.to_string() })
}

/// Default params of an event-study estimator as JSON (for the defaults test).
#[pyfunction]
pub(crate) fn event_study_defaults(method: &str) -> PyResult<String> {
    guard(|| {
        let json = match event_study_name(method)? {
            SunAbraham::NAME => serde_json::to_string(&SunAbraham::default()),
            TwfeEventStudy::NAME => serde_json::to_string(&TwfeEventStudy::default()),
            _ => serde_json::to_string(&DidImputation::default()),
        };
        json.map_err(|e| invalid("params", e.to_string()))
    })
}

/// An event study (wrapped by `virkning.results.EventStudyResult`).
#[pyclass(name = "EventStudyResult", module = "virkning._core", frozen)]
pub(crate) struct PyEventStudyResult {
    pub(crate) inner: EventStudyResult,
    /// The columns it was fitted on.
    origin: Origin,
    /// The params as given (JSON).
    params: String,
}

super::contract::result_methods! {
    impl PyEventStudyResult {
    /// The result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }

    /// Randomization inference on the ATT, permuting adoption times in the data of the fit.
    fn ritest(&self, py: Python<'_>, ri: &str) -> PyResult<super::inference::PyRiResult> {
        let (name, params) = (self.inner.method.name(), &self.params);
        let inner = self.origin.with_frame(py, None, |frame| super::inference::run_staggered(frame, name, params, ri, None))?;
        Ok(super::inference::PyRiResult { inner })
    }

    /// Covariance of the post-treatment event-time effects.
    fn vcov<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
        Ok(numpy::PyArray2::from_vec2(py, &self.inner.vcov)?)
    }

    /// Text summary (Rust `Display`).
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
}
}
