//! pyo3 glue for resampling inference: the wild cluster bootstrap on a `feols` model and
//! randomization inference. Params as JSON of the serde structs; no numerics here.

use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use super::json::{from_json, to_json};
use crate::inference::{BootWeights, RiResult, RiTest, VcovType, WildBoot, WildBootResult};
use crate::regression::{Feols, Vcov};

/// The `feols` params (JSON of [`Feols`]) with the model's vcov.
fn feols_params(params: &str, vcov: Option<String>, cluster: Vec<String>) -> crate::Result<Feols> {
    let mut p: Feols = from_json("params", params)?;
    if let Some(v) = vcov {
        let kind: VcovType = v.parse()?;
        p.vcov = Some(Vcov { kind, cluster });
    }
    Ok(p)
}

/// Wild cluster bootstrap of `sum(c * beta[name]) = r` in the `feols` model given by `params`
/// (JSON of [`Feols`]) and `vcov`/`vcov_cluster`; `boot` is the JSON of [`WildBoot`]
/// and `weights` its weights' name.
#[pyfunction]
#[pyo3(signature = (columns, params, vcov, vcov_cluster, terms, r, boot, weights, cluster=None, bootcluster=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn wildboot(
    py: Python<'_>,
    columns: &Bound<'_, PyDict>,
    params: &str,
    vcov: Option<String>,
    vcov_cluster: Vec<String>,
    terms: Vec<(String, f64)>,
    r: f64,
    boot: &str,
    weights: &str,
    cluster: Option<Vec<String>>,
    bootcluster: Option<String>,
) -> PyResult<PyWildBootResult> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    // rayon::scope: one hand-off to the pool for the whole call; its parallel sections then
    // start from a worker thread instead of each being injected from this one.
    let inner = py.detach(|| {
        rayon::scope(|_| {
            guard(|| {
                let p = feols_params(params, vcov, vcov_cluster)?;
                let b: WildBoot = from_json("wildboot", boot)?;
                let b = b.weights(weights.parse::<BootWeights>()?).validate()?;
                p.validate()?.wildboot(&frame, &terms, r, cluster.as_deref(), bootcluster.as_deref(), &b)
            })
        })
    })?;
    Ok(PyWildBootResult { inner })
}

/// Default `WildBoot` params as JSON.
#[pyfunction]
pub(crate) fn wildboot_defaults() -> PyResult<String> {
    to_json(&WildBoot::default())
}

/// A wild cluster bootstrap result (wrapped by `virkning.results.WildBootResult`).
#[pyclass(name = "WildBootResult", module = "virkning._core", frozen)]
pub(crate) struct PyWildBootResult {
    pub(crate) inner: WildBootResult,
}

#[pymethods]
impl PyWildBootResult {
    /// The serialisable part of the result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }

    /// Bootstrap t-statistics under the null.
    fn t_boot<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.t_boot.clone().into_pyarray(py)
    }
}

/// Randomization inference on `term` of the `feols` model: permute the adoption times of
/// `treatment` across `unit`s; `ri` is the JSON of [`RiTest`].
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn ritest(
    py: Python<'_>,
    columns: &Bound<'_, PyDict>,
    params: &str,
    vcov: Option<String>,
    vcov_cluster: Vec<String>,
    term: &str,
    treatment: &str,
    unit: &str,
    time: &str,
    ri: &str,
) -> PyResult<PyRiResult> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    // rayon::scope: one hand-off to the pool for the whole call; its parallel sections then
    // start from a worker thread instead of each being injected from this one.
    let inner = py.detach(|| {
        rayon::scope(|_| {
            guard(|| {
                let p = feols_params(params, vcov, vcov_cluster)?;
                let r: RiTest = from_json("ritest", ri)?;
                p.validate()?.ritest(&frame, term, treatment, unit, time, &r.validate()?)
            })
        })
    })?;
    Ok(PyRiResult { inner })
}

/// A randomization-inference result (wrapped by `virkning.results.RiTestResult`).
#[pyclass(name = "RiResult", module = "virkning._core", frozen)]
pub(crate) struct PyRiResult {
    pub(crate) inner: RiResult,
}

#[pymethods]
impl PyRiResult {
    /// The result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }
}
