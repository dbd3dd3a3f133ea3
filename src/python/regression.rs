//! pyo3 glue for `feols`: params as JSON of the serde struct, columns as views.

use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use super::json::{from_json, to_json};
use super::origin::Origin;
use crate::inference::VcovType;
use crate::regression::{Feols, FeolsResult, Formula, Vcov};

/// Columns a formula reads (outcome, regressors, fixed effects), in order.
#[pyfunction]
pub(crate) fn formula_columns(formula: &str) -> PyResult<Vec<String>> {
    guard(|| Ok(Formula::parse(formula)?.columns()))
}

/// Default `Feols` params as JSON (for the test that Python defaults equal Rust's).
#[pyfunction]
pub(crate) fn feols_defaults() -> PyResult<String> {
    to_json(&Feols::default())
}

/// Fit `feols`. `params` is the JSON of [`Feols`] without `vcov`; `vcov` and `cluster` give it.
#[pyfunction]
#[pyo3(signature = (columns, params, vcov=None, cluster=Vec::new()))]
pub(crate) fn feols(
    py: Python<'_>,
    columns: &Bound<'_, PyDict>,
    params: &str,
    vcov: Option<String>,
    cluster: Vec<String>,
) -> PyResult<PyFeolsResult> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let inner = py.detach(|| {
        guard(|| {
            let mut p: Feols = from_json("params", params)?;
            if let Some(v) = vcov {
                let kind: VcovType = v.parse()?;
                p.vcov = Some(Vcov { kind, cluster });
            }
            p.fit(&frame)
        })
    })?;
    let origin = Origin::new(columns, &held, true)?;
    Ok(PyFeolsResult { inner, origin })
}

/// A fitted `feols` model (wrapped by `virkning.results.FeolsResult`).
#[pyclass(name = "FeolsResult", module = "virkning._core", frozen)]
pub(crate) struct PyFeolsResult {
    pub(crate) inner: FeolsResult,
    /// The columns it was fitted on (for `wildboot` and `ritest`).
    pub(crate) origin: Origin,
}

super::contract::result_methods! {
    impl PyFeolsResult {
    /// The serialisable part of the result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }

    /// Residuals by input row (`nan` where the row was not used).
    fn residuals<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.residuals_by_row().into_pyarray(py)
    }

    /// Variance-covariance matrix.
    fn vcov<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        Ok(PyArray2::from_vec2(py, &self.inner.vcov)?)
    }

    /// Estimated fixed effects: list of (name, labels, values).
    fn fixef<'py>(&self, py: Python<'py>) -> Vec<(String, Vec<String>, Bound<'py, PyArray1<f64>>)> {
        self.inner.fixef.iter().map(|f| (f.name.clone(), f.labels.clone(), f.values.clone().into_pyarray(py))).collect()
    }

    /// Predictions for new data given as columns.
    fn predict<'py>(&self, py: Python<'py>, columns: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let held = hold(columns)?;
        let frame = frame(&held)?;
        let inner = &self.inner;
        let out = py.detach(|| guard(|| inner.predict(&frame)))?;
        Ok(out.into_pyarray(py))
    }

    /// Text summary (Rust `Display`).
    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    /// Wild cluster bootstrap of `sum(c * beta[name]) = r` in this model, on the data it was
    /// fitted on; `boot` is the JSON of `WildBoot`, `weights` its weights' name, `extra`
    /// columns the fit did not use (another `cluster`/`bootcluster`).
    #[pyo3(signature = (terms, r, boot, weights, cluster=None, bootcluster=None, extra=None))]
    #[allow(clippy::too_many_arguments)]
    fn wildboot(
        &self,
        py: Python<'_>,
        terms: Vec<(String, f64)>,
        r: f64,
        boot: &str,
        weights: &str,
        cluster: Option<Vec<String>>,
        bootcluster: Option<String>,
        extra: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<super::inference::PyWildBootResult> {
        let p = &self.inner.params;
        let inner = self.origin.with_frame(py, extra, |frame| {
            super::inference::run_wildboot(frame, p, &terms, r, boot, weights, cluster.as_deref(), bootcluster.as_deref())
        })?;
        Ok(super::inference::PyWildBootResult { inner })
    }

    /// Randomization inference on `term`, permuting the adoption times of `treatment` across
    /// `unit`s, on the data it was fitted on (plus `extra` columns the fit did not use).
    #[pyo3(signature = (term, treatment, unit, time, ri, extra=None))]
    #[allow(clippy::too_many_arguments)]
    fn ritest(
        &self,
        py: Python<'_>,
        term: &str,
        treatment: &str,
        unit: &str,
        time: &str,
        ri: &str,
        extra: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<super::inference::PyRiResult> {
        let p = &self.inner.params;
        let inner = self.origin.with_frame(py, extra, |frame| {
            super::inference::run_ritest(frame, p, term, treatment, unit, time, ri)
        })?;
        Ok(super::inference::PyRiResult { inner })
    }
}
}
