//! pyo3 glue for `glm` and `mixedlm`: params as JSON of the serde struct, columns as views.

use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use super::json::{from_json, to_json};
use crate::inference::VcovType;
use crate::regression::{Glm, GlmResult, MixedLm, MixedResult, Vcov};

/// Default `Glm` params as JSON.
#[pyfunction]
pub(crate) fn glm_defaults() -> PyResult<String> {
    to_json(&Glm::default())
}

/// Fit `glm`. `params` is the JSON of [`Glm`] without `vcov`/`family` (given as strings).
#[pyfunction]
#[pyo3(signature = (columns, params, family, vcov, cluster=Vec::new()))]
pub(crate) fn glm(
    py: Python<'_>,
    columns: &Bound<'_, PyDict>,
    params: &str,
    family: String,
    vcov: String,
    cluster: Vec<String>,
) -> PyResult<PyGlmResult> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let inner = py.detach(|| {
        guard(|| {
            let mut p: Glm = from_json("params", params)?;
            p.family = family.parse()?;
            let kind: VcovType = vcov.parse()?;
            p.vcov = Vcov { kind, cluster };
            p.fit(&frame)
        })
    })?;
    Ok(PyGlmResult { inner })
}

/// A fitted `glm` (wrapped by `virkning.results.GlmResult`).
#[pyclass(name = "GlmResult", module = "virkning._core", frozen)]
pub(crate) struct PyGlmResult {
    pub(crate) inner: GlmResult,
}

super::contract::result_methods! {
    impl PyGlmResult {
    /// The serialisable part of the result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }

    /// Fitted means by input row (`nan` where the row was not used).
    fn fitted<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.fitted_by_row().into_pyarray(py)
    }

    /// Variance-covariance matrix.
    fn vcov<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        Ok(PyArray2::from_vec2(py, &self.inner.vcov)?)
    }
}
}

/// Fit `mixedlm` (random intercept). `params` is the JSON of [`MixedLm`].
#[pyfunction]
pub(crate) fn mixedlm(py: Python<'_>, columns: &Bound<'_, PyDict>, params: &str) -> PyResult<PyMixedResult> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let inner = py.detach(|| {
        guard(|| {
            let p: MixedLm = from_json("params", params)?;
            p.fit(&frame)
        })
    })?;
    Ok(PyMixedResult { inner })
}

/// A fitted `mixedlm` (wrapped by `virkning.results.MixedResult`).
#[pyclass(name = "MixedResult", module = "virkning._core", frozen)]
pub(crate) struct PyMixedResult {
    pub(crate) inner: MixedResult,
}

super::contract::result_methods! {
    impl PyMixedResult {
    /// The serialisable result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }

    /// Variance-covariance matrix of the fixed effects.
    fn vcov<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        Ok(PyArray2::from_vec2(py, &self.inner.vcov)?)
    }
}
}
