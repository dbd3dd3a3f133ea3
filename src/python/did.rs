//! pyo3 glue for Callaway & Sant'Anna `att_gt` and its aggregations: params as JSON of the
//! serde structs (choice strings checked first so a typo names the valid values).

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use super::json::{from_json, invalid, to_json};
use super::origin::Origin;
use crate::did::{
    Aggregate, AggregatedEffects, AggregationKind, AttGt, BasePeriod, BootstrapWeights, ControlGroup, EstMethod,
    GroupTimeEffects,
};
use crate::traits::Estimator;

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
    // The columns stay referenced (no copy, no fingerprint: the cohort moments the fit keeps
    // detect a change) so that a later bootstrap can rebuild the outcome copy the fit left
    // out, and `ritest` permutes the data of the fit.
    let origin = Origin::new(columns, &held, false)?;
    Ok(PyGroupTimeEffects { inner, origin, params: params.to_string(), restored: std::sync::OnceLock::new() })
}

/// Fitted ATT(g,t) (wrapped by `virkning.results.did.GroupTimeEffects`).
#[pyclass(name = "GroupTimeEffects", module = "virkning._core", frozen)]
pub(crate) struct PyGroupTimeEffects {
    inner: GroupTimeEffects,
    /// The fit's columns.
    origin: Origin,
    /// The params as given (JSON).
    params: String,
    /// `inner` with its outcome copy restored, once a bootstrap asked for it.
    restored: std::sync::OnceLock<GroupTimeEffects>,
}

super::contract::result_methods! {
    impl PyGroupTimeEffects {
    /// The serialisable result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }

    /// Aggregate; `options` is the JSON of [`Aggregate`].
    fn aggregate(slf: &Bound<'_, Self>, py: Python<'_>, options: &str) -> PyResult<PyAggregatedEffects> {
        let this = slf.get();
        let o: Aggregate = guard(|| parse(options))?;
        let boot = o.bootstrap.unwrap_or(this.inner.params.bootstrap).is_some();
        let fit = if boot && this.inner.influence.outcomes_deferred {
            match this.restored.get() {
                Some(r) => r,
                None => {
                    let inner = &this.inner;
                    let r = this.origin.with_frame(py, None, |frame| {
                        guard(|| {
                            let mut r = inner.clone();
                            r.restore_outcomes(frame)?;
                            Ok(r)
                        })
                    })?;
                    this.restored.get_or_init(|| r)
                }
            }
        } else {
            &this.inner
        };
        let inner = super::inference::interruptible(py, || guard(|| fit.aggregate(&o)))?;
        Ok(PyAggregatedEffects { inner, parent: slf.clone().unbind(), options: options.to_string() })
    }

    /// Randomization inference on the overall ATT of `aggregation` (JSON of [`Aggregate`];
    /// default `simple`), permuting adoption times in the data of the fit (refused with
    /// `DataChanged` when those arrays were written to since).
    #[pyo3(signature = (ri, aggregation=None))]
    fn ritest(&self, py: Python<'_>, ri: &str, aggregation: Option<&str>) -> PyResult<super::inference::PyRiResult> {
        let (inner, params) = (&self.inner, &self.params);
        let out = self.origin.with_frame(py, None, |frame| {
            guard(|| inner.same_data(frame))?;
            super::inference::run_staggered(frame, AttGt::NAME, params, ri, aggregation)
        })?;
        Ok(super::inference::PyRiResult { inner: out })
    }

    /// Text summary (Rust `Display`).
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
}
}

/// Aggregated effects (wrapped by `virkning.results.did.AggregatedEffects`).
#[pyclass(name = "AggregatedEffects", module = "virkning._core", frozen)]
pub(crate) struct PyAggregatedEffects {
    inner: AggregatedEffects,
    /// The group-time effects it aggregates.
    parent: Py<PyGroupTimeEffects>,
    /// Its aggregation options (JSON).
    options: String,
}

super::contract::result_methods! {
    impl PyAggregatedEffects {
    /// The serialisable result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }

    /// Randomization inference on this aggregation's overall ATT (see
    /// `GroupTimeEffects.ritest`).
    fn ritest(&self, py: Python<'_>, ri: &str) -> PyResult<super::inference::PyRiResult> {
        self.parent.get().ritest(py, ri, Some(&self.options))
    }
}
}
