//! pyo3 glue for the event-study family (Bacon, Sun-Abraham, TWFE event study, imputation):
//! params as JSON of the serde structs, columns as views, results as JSON.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use crate::did::{Bacon, BaconDecomposition};

fn invalid(name: &'static str, reason: String) -> crate::Error {
    crate::ParamsError::InvalidParam { name, value: String::new(), reason }.into()
}

fn parse<P: serde::de::DeserializeOwned>(params: &str) -> crate::Result<P> {
    serde_json::from_str(params).map_err(|e| invalid("params", e.to_string()))
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
        guard(|| serde_json::to_string(&self.inner).map_err(|e| invalid("result", e.to_string())))
    }

    /// Text summary (Rust `Display`).
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
}
