//! pyo3 glue for Callaway & Sant'Anna `att_gt` and its aggregations: params as JSON of the
//! serde structs (choice strings checked first so a typo names the valid values).

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use super::json::{from_json, invalid, to_json};
use crate::did::{
    Aggregate, AggregatedEffects, AggregationKind, AttGt, BasePeriod, BootstrapWeights, ControlGroup, EstMethod,
    GroupTimeEffects,
};

/// Check the choice strings of a params object, so unknown names raise `UnknownChoiceError`.
fn check_choices(v: &serde_json::Value) -> crate::Result<()> {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str());
    if let Some(x) = s("control_group") {
        x.parse::<ControlGroup>()?;
    }
    if let Some(x) = s("method") {
        x.parse::<EstMethod>()?;
    }
    if let Some(x) = s("base_period") {
        x.parse::<BasePeriod>()?;
    }
    if let Some(x) = s("kind") {
        x.parse::<AggregationKind>()?;
    }
    let boot = v.get("bootstrap").and_then(|b| b.get("weights")).and_then(|w| w.as_str());
    if let Some(x) = boot {
        x.parse::<BootstrapWeights>()?;
    }
    Ok(())
}

pub(super) fn parse<T: serde::de::DeserializeOwned>(json: &str) -> crate::Result<T> {
    let v: serde_json::Value = from_json("params", json)?;
    check_choices(&v)?;
    serde_json::from_value(v).map_err(|e| invalid("params", e.to_string()))
}

/// Default `AttGt` params as JSON (for the test that Python defaults equal Rust's).
#[pyfunction]
pub(crate) fn att_gt_defaults() -> PyResult<String> {
    to_json(&AttGt::default())
}

/// Estimate ATT(g,t); `params` is the JSON of [`AttGt`].
#[pyfunction]
pub(crate) fn att_gt(py: Python<'_>, columns: &Bound<'_, PyDict>, params: &str) -> PyResult<PyGroupTimeEffects> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let inner = super::inference::interruptible(py, || {
        guard(|| {
            let p: AttGt = parse(params)?;
            p.validate()?.fit_deferred(&frame)
        })
    })?;
    // The columns stay referenced (no copy) so that a later bootstrap can rebuild the outcome
    // copy the fit left out.
    Ok(PyGroupTimeEffects { inner, columns: columns.clone().unbind(), restored: std::sync::OnceLock::new() })
}

/// Fitted ATT(g,t) (wrapped by `virkning.results.did.GroupTimeEffects`).
#[pyclass(name = "GroupTimeEffects", module = "virkning._core", frozen)]
pub(crate) struct PyGroupTimeEffects {
    inner: GroupTimeEffects,
    /// The fit's columns.
    columns: Py<PyDict>,
    /// `inner` with its outcome copy restored, once a bootstrap asked for it.
    restored: std::sync::OnceLock<GroupTimeEffects>,
}

#[pymethods]
impl PyGroupTimeEffects {
    /// The serialisable result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }

    /// Its warnings alone as JSON (the whole JSON is parsed only when a field is read).
    fn warnings_json(&self) -> PyResult<String> {
        to_json(&self.inner.warnings)
    }

    /// Aggregate; `options` is the JSON of [`Aggregate`].
    fn aggregate(&self, py: Python<'_>, options: &str) -> PyResult<PyAggregatedEffects> {
        let o: Aggregate = guard(|| parse(options))?;
        let boot = o.bootstrap.unwrap_or(self.inner.params.bootstrap).is_some();
        let fit = if boot && self.inner.influence.outcomes_deferred {
            match self.restored.get() {
                Some(r) => r,
                None => {
                    let held = hold(self.columns.bind(py))?;
                    let frame = frame(&held)?;
                    let inner = &self.inner;
                    let r = py.detach(|| {
                        guard(|| {
                            let mut r = inner.clone();
                            r.restore_outcomes(&frame)?;
                            Ok(r)
                        })
                    })?;
                    self.restored.get_or_init(|| r)
                }
            }
        } else {
            &self.inner
        };
        let inner = super::inference::interruptible(py, || guard(|| fit.aggregate(&o)))?;
        Ok(PyAggregatedEffects { inner })
    }

    /// Text summary (Rust `Display`).
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
}

/// Aggregated effects (wrapped by `virkning.results.did.AggregatedEffects`).
#[pyclass(name = "AggregatedEffects", module = "virkning._core", frozen)]
pub(crate) struct PyAggregatedEffects {
    inner: AggregatedEffects,
}

#[pymethods]
impl PyAggregatedEffects {
    /// The serialisable result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }
}
