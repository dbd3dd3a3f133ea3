//! pyo3 glue for the synthetic-control family: params as JSON of the serde structs.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use super::json::{from_json, invalid, to_json};
use super::origin::Origin;
use crate::synth::{Sdid, SdidResult};
use crate::traits::Estimator;

/// Default `Sdid` params as JSON.
#[pyfunction]
pub(crate) fn sdid_defaults() -> PyResult<String> {
    to_json(&Sdid::default())
}

/// Fit synthetic DiD (or SC / DiD). `params` is the JSON of [`Sdid`].
#[pyfunction]
pub(crate) fn sdid(py: Python<'_>, columns: &Bound<'_, PyDict>, params: &str) -> PyResult<PySdidResult> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let inner = super::inference::interruptible(py, || {
        guard(|| {
            let v: serde_json::Value = from_json("params", params)?;
            // Named choices first, so a typo gives UnknownChoice with the valid names.
            if let Some(m) = v.get("method").and_then(|m| m.as_str()) {
                m.parse::<crate::synth::SdidMethod>()?;
            }
            if let Some(m) = v.get("se").and_then(|m| m.as_str()) {
                m.parse::<crate::synth::SdidSe>()?;
            }
            let p: Sdid = serde_json::from_value(v).map_err(|e| invalid("params", e.to_string()))?;
            p.fit(&frame)
        })
    })?;
    let origin = Origin::new(columns, &held, true)?;
    Ok(PySdidResult { inner, origin, params: params.to_string() })
}

/// A fitted synthetic DiD (wrapped by `virkning.results.SdidResult`).
#[pyclass(name = "SdidResult", module = "virkning._core", frozen)]
pub(crate) struct PySdidResult {
    pub(crate) inner: SdidResult,
    /// The columns it was fitted on.
    origin: Origin,
    /// The params as given (JSON).
    params: String,
}

super::contract::result_methods! {
    impl PySdidResult {
    /// The result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }

    /// Randomization inference on the ATT, permuting adoption times in the data of the fit.
    fn ritest(&self, py: Python<'_>, ri: &str) -> PyResult<super::inference::PyRiResult> {
        let params = &self.params;
        let inner = self.origin.with_frame(py, None, |frame| {
            super::inference::run_staggered(frame, crate::synth::Sdid::NAME, params, ri, None)
        })?;
        Ok(super::inference::PyRiResult { inner })
    }
}
}

/// Fit a synthetic control. `params` is the JSON of [`crate::synth::SyntheticControl`].
#[pyfunction]
pub(crate) fn synthetic_control(py: Python<'_>, columns: &Bound<'_, PyDict>, params: &str) -> PyResult<PyScResult> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let inner = super::inference::interruptible(py, || {
        guard(|| {
            let p: crate::synth::SyntheticControl = from_json("params", params)?;
            p.fit(&frame)
        })
    })?;
    Ok(PyScResult { inner })
}

/// A fitted synthetic control (wrapped by `virkning.results.SyntheticControlResult`).
#[pyclass(name = "ScResult", module = "virkning._core", frozen)]
pub(crate) struct PyScResult {
    pub(crate) inner: crate::synth::ScResult,
}

super::contract::result_methods! {
    impl PyScResult {
    /// The result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }
}
}
