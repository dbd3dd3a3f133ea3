//! pyo3 glue for the event-study family (Bacon, Sun-Abraham, TWFE event study, imputation):
//! params as JSON of the serde structs, columns as views, results as JSON.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use super::json::{from_json, invalid, to_json};
use crate::did::{Bacon, BaconDecomposition, DidImputation, EventStudyResult, SunAbraham, TwfeEventStudy};

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

#[pymethods]
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

/// Fit an event study: `method` is `sun_abraham`, `twfe` or `imputation`; `params` the JSON of
/// its params struct.
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
        guard(|| match method {
            "sun_abraham" => parse::<SunAbraham>(params)?.fit(&frame),
            "twfe" => parse::<TwfeEventStudy>(params)?.fit(&frame),
            "imputation" => parse::<DidImputation>(params)?.fit(&frame),
            other => Err(crate::ParamsError::UnknownChoice {
                name: "method",
                value: other.to_string(),
                valid: vec!["sun_abraham".into(), "twfe".into(), "imputation".into()],
            }
            .into()),
        })
    })?;
    Ok(PyEventStudyResult { inner })
}

/// Default params of an event-study estimator as JSON (for the defaults test).
#[pyfunction]
pub(crate) fn event_study_defaults(method: &str) -> PyResult<String> {
    guard(|| {
        let json = match method {
            "sun_abraham" => serde_json::to_string(&SunAbraham::default()),
            "twfe" => serde_json::to_string(&TwfeEventStudy::default()),
            _ => serde_json::to_string(&DidImputation::default()),
        };
        json.map_err(|e| invalid("params", e.to_string()))
    })
}

/// An event study (wrapped by `virkning.results.EventStudyResult`).
#[pyclass(name = "EventStudyResult", module = "virkning._core", frozen)]
pub(crate) struct PyEventStudyResult {
    pub(crate) inner: EventStudyResult,
}

#[pymethods]
impl PyEventStudyResult {
    /// The result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
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
