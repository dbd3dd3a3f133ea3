//! pyo3 glue for the survival family: params as JSON of the serde structs (choice strings
//! parsed first so a typo names the valid values), columns as views, results as JSON.

use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use super::json::{from_json, invalid, to_json};
use crate::regression::SurvFormula;
use crate::survival::{
    cuminc as cuminc_fit, logrank as logrank_test, survsplit as split, ConfType, CoxResult, Coxph, Cuminc, KaplanMeier,
    KaplanMeierResult, SurvSplit, Ties, ZphTransform,
};

fn parse<T: serde::de::DeserializeOwned>(json: &str) -> crate::Result<T> {
    let v: serde_json::Value = from_json("params", json)?;
    if let Some(s) = v.get("ties").and_then(|x| x.as_str()) {
        s.parse::<Ties>()?;
    }
    if let Some(s) = v.get("conf_type").and_then(|x| x.as_str()) {
        s.parse::<ConfType>()?;
    }
    let mut v = v;
    // Accept the spellings FromStr accepts ("Breslow", "loglog") by normalising them.
    if let Some(s) = v.get("ties").and_then(|x| x.as_str()).map(|s| s.parse::<Ties>()) {
        v["ties"] = serde_json::to_value(s?).map_err(|e| invalid("params", e.to_string()))?;
    }
    if let Some(s) = v.get("conf_type").and_then(|x| x.as_str()).map(|s| s.parse::<ConfType>()) {
        v["conf_type"] = serde_json::to_value(s?).map_err(|e| invalid("params", e.to_string()))?;
    }
    serde_json::from_value(v).map_err(|e| invalid("params", e.to_string()))
}

/// Columns a survival formula reads (start, stop, event, regressors, strata).
#[pyfunction]
pub(crate) fn surv_formula_columns(formula: &str) -> PyResult<Vec<String>> {
    guard(|| Ok(SurvFormula::parse(formula)?.columns()))
}

/// Default `Coxph` params as JSON.
#[pyfunction]
pub(crate) fn coxph_defaults() -> PyResult<String> {
    to_json(&Coxph::default())
}

/// Default `KaplanMeier` params as JSON.
#[pyfunction]
pub(crate) fn kaplan_meier_defaults() -> PyResult<String> {
    to_json(&KaplanMeier::default())
}

/// Fit `coxph`; `params` is the JSON of [`Coxph`].
#[pyfunction]
pub(crate) fn coxph(py: Python<'_>, columns: &Bound<'_, PyDict>, params: &str) -> PyResult<PyCoxResult> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let inner = py.detach(|| {
        guard(|| {
            let p: Coxph = parse(params)?;
            p.fit(&frame)
        })
    })?;
    Ok(PyCoxResult { inner })
}

/// A fitted Cox model (wrapped by `virkning.results.survival.CoxResult`).
#[pyclass(name = "CoxResult", module = "virkning._core", frozen)]
pub(crate) struct PyCoxResult {
    pub(crate) inner: CoxResult,
}

#[pymethods]
impl PyCoxResult {
    /// The serialisable result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }

    /// Variance-covariance matrix of the coefficients.
    fn vcov<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        Ok(PyArray2::from_vec2(py, &self.inner.vcov)?)
    }

    /// Harrell's concordance as JSON.
    fn concordance(&self, py: Python<'_>) -> PyResult<String> {
        let r = py.detach(|| guard(|| self.inner.concordance()))?;
        to_json(&r)
    }

    /// Baseline cumulative hazards per stratum as JSON.
    fn baseline(&self, py: Python<'_>) -> PyResult<String> {
        let r = py.detach(|| guard(|| self.inner.baseline()))?;
        to_json(&r)
    }

    /// The proportional-hazards test as JSON.
    fn cox_zph(&self, py: Python<'_>, transform: &str) -> PyResult<String> {
        let r = py.detach(|| guard(|| self.inner.cox_zph(transform.parse::<ZphTransform>()?)))?;
        to_json(&r)
    }

    /// Predicted survival curves of new rows as JSON.
    fn predict_survival(&self, columns: &Bound<'_, PyDict>) -> PyResult<String> {
        let held = hold(columns)?;
        let frame = frame(&held)?;
        let r = guard(|| self.inner.predict_survival(&frame))?;
        to_json(&r)
    }

    /// Score residuals: (input rows used, rows x regressors).
    fn score_residuals<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyArray1<i64>>, Bound<'py, PyArray2<f64>>)> {
        let (rows, r) = guard(|| self.inner.score_residuals())?;
        let rows: Vec<i64> = rows.into_iter().map(|r| r as i64).collect();
        let arr = if r.is_empty() || r[0].is_empty() {
            numpy::ndarray::Array2::<f64>::zeros((r.len(), self.inner.coefficients.len())).into_pyarray(py)
        } else {
            PyArray2::from_vec2(py, &r)?
        };
        Ok((rows.into_pyarray(py), arr))
    }
}

/// Fit Kaplan-Meier curves; `params` is the JSON of [`KaplanMeier`].
#[pyfunction]
pub(crate) fn kaplan_meier(py: Python<'_>, columns: &Bound<'_, PyDict>, params: &str) -> PyResult<PyKaplanMeierResult> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let inner = py.detach(|| {
        guard(|| {
            let p: KaplanMeier = parse(params)?;
            p.fit(&frame)
        })
    })?;
    Ok(PyKaplanMeierResult { inner })
}

/// Kaplan-Meier curves (wrapped by `virkning.results.survival.KaplanMeierResult`).
#[pyclass(name = "KaplanMeierResult", module = "virkning._core", frozen)]
pub(crate) struct PyKaplanMeierResult {
    pub(crate) inner: KaplanMeierResult,
}

#[pymethods]
impl PyKaplanMeierResult {
    /// The serialisable result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }

    /// Quantiles of every curve as JSON.
    fn quantiles(&self, probs: Vec<f64>) -> PyResult<String> {
        let q = guard(|| self.inner.quantiles(&probs))?;
        to_json(&q)
    }
}

/// Log-rank test as JSON.
#[pyfunction]
#[pyo3(signature = (columns, duration, event, group, strata=None))]
pub(crate) fn logrank(
    py: Python<'_>,
    columns: &Bound<'_, PyDict>,
    duration: String,
    event: String,
    group: String,
    strata: Option<String>,
) -> PyResult<String> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let r = py.detach(|| guard(|| logrank_test(&frame, &duration, &event, &group, strata.as_deref())))?;
    to_json(&r)
}

/// Split spells; returns (source rows, start, stop, event, interval, [(name, indicator)], n dropped).
#[pyfunction]
#[allow(clippy::type_complexity)]
pub(crate) fn survsplit<'py>(
    py: Python<'py>,
    columns: &Bound<'py, PyDict>,
    spec: &str,
) -> PyResult<(
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<i64>>,
    Vec<(String, Bound<'py, PyArray1<f64>>)>,
    usize,
)> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let out = py.detach(|| {
        guard(|| {
            let s: SurvSplit = from_json("spec", spec)?;
            split(&frame, &s)
        })
    })?;
    let rows: Vec<i64> = out.source_row.into_iter().map(|r| r as i64).collect();
    let interval: Vec<i64> = out.interval.into_iter().map(i64::from).collect();
    let progs = out.programmes.into_iter().map(|(n, v)| (n, v.into_pyarray(py))).collect();
    Ok((
        rows.into_pyarray(py),
        out.start.into_pyarray(py),
        out.stop.into_pyarray(py),
        out.event.into_pyarray(py),
        interval.into_pyarray(py),
        progs,
        out.n_dropped_missing,
    ))
}

/// Cumulative incidence with competing risks as JSON; `params` is the JSON of [`Cuminc`].
#[pyfunction]
pub(crate) fn cuminc(py: Python<'_>, columns: &Bound<'_, PyDict>, params: &str) -> PyResult<String> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let r = py.detach(|| {
        guard(|| {
            let p: Cuminc = from_json("params", params)?;
            cuminc_fit(&frame, &p)
        })
    })?;
    to_json(&r)
}
