//! pyo3 glue for resampling inference: the wild cluster bootstrap on a `feols` model and
//! randomization inference. Params as JSON of the serde structs; no numerics here. Also
//! [`interruptible`], which every long call uses so that Ctrl-C stops it.

use std::sync::mpsc::{channel, RecvTimeoutError};
use std::time::Duration;

use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use super::json::{from_json, to_json};
use crate::inference::{BootWeights, RiResult, RiTest, VcovType, WildBoot, WildBootResult};
use crate::regression::{Feols, Vcov};

/// Run `work` on the thread pool with the GIL released, polling Python's signal handlers every
/// 50 ms from this thread: on Ctrl-C (`KeyboardInterrupt`, or whatever a handler raises) it
/// raises the process-wide [`crate::inference::interrupt`], which the long Rust loops check
/// once per block of work, waits for `work` to return, and raises the Python error. One hand-off
/// to the pool for the whole call: its parallel sections start from a worker thread.
///
/// Called from a pool thread (a Python callback of `power`, say), `work` runs right there: a
/// spawned job could wait behind every worker blocked in such a call, and the outermost call
/// already watches for Ctrl-C.
pub(crate) fn interruptible<T: Send>(py: Python<'_>, work: impl FnOnce() -> PyResult<T> + Send) -> PyResult<T> {
    if rayon::current_thread_index().is_some() {
        return py.detach(work);
    }
    let _running = crate::inference::Running::enter();
    let (tx, rx) = channel();
    let mut signal: Option<PyErr> = None;
    let caught = &mut signal;
    let out = py.detach(move || {
        rayon::in_place_scope(|s| {
            s.spawn(move |_| {
                let _ = tx.send(work());
            });
            loop {
                match rx.recv_timeout(Duration::from_millis(50)) {
                    Ok(r) => return Some(r),
                    Err(RecvTimeoutError::Disconnected) => return None,
                    Err(RecvTimeoutError::Timeout) if caught.is_none() => {
                        if let Err(e) = Python::attach(|py| py.check_signals()) {
                            *caught = Some(e);
                            crate::inference::interrupt();
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                }
            }
        })
    });
    if let Some(e) = signal {
        return Err(e);
    }
    out.unwrap_or_else(|| {
        Err(super::errors::InternalError::new_err("internal error (please report): the work was lost"))
    })
}

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
    let inner = interruptible(py, || {
        guard(|| {
            let p = feols_params(params, vcov, vcov_cluster)?;
            let b: WildBoot = from_json("wildboot", boot)?;
            let b = b.weights(weights.parse::<BootWeights>()?).validate()?;
            p.validate()?.wildboot(&frame, &terms, r, cluster.as_deref(), bootcluster.as_deref(), &b)
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
    let inner = interruptible(py, || {
        guard(|| {
            let p = feols_params(params, vcov, vcov_cluster)?;
            let r: RiTest = from_json("ritest", ri)?;
            p.validate()?.ritest(&frame, term, treatment, unit, time, &r.validate()?)
        })
    })?;
    Ok(PyRiResult { inner })
}

/// Randomization inference on the ATT of a staggered estimator (permuted adoption times):
/// `estimator` is `att_gt`, `sun_abraham`, `twfe`, `imputation` or `sdid`, `params` the JSON
/// of its params (as fitted), `ri` the JSON of [`RiTest`], `aggregation` the JSON of
/// [`crate::did::Aggregate`] for `att_gt` (default `simple`).
#[pyfunction]
#[pyo3(signature = (columns, estimator, params, ri, aggregation=None))]
pub(crate) fn ritest_staggered(
    py: Python<'_>,
    columns: &Bound<'_, PyDict>,
    estimator: &str,
    params: &str,
    ri: &str,
    aggregation: Option<&str>,
) -> PyResult<PyRiResult> {
    use crate::did::{Aggregate, AttGt, DidImputation, SunAbraham, TwfeEventStudy};
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let inner = interruptible(py, || {
        guard(|| {
            let r: RiTest = from_json("ritest", ri)?;
            let r = r.validate()?;
            match estimator {
                "att_gt" => {
                    let agg: Aggregate = match aggregation {
                        Some(a) => super::did::parse(a)?,
                        None => Aggregate::default(),
                    };
                    super::did::parse::<AttGt>(params)?.validate()?.ritest(&frame, &agg, &r)
                }
                "sun_abraham" => super::did_event::parse::<SunAbraham>(params)?.validate()?.ritest(&frame, &r),
                "twfe" => super::did_event::parse::<TwfeEventStudy>(params)?.validate()?.ritest(&frame, &r),
                "imputation" => super::did_event::parse::<DidImputation>(params)?.validate()?.ritest(&frame, &r),
                "sdid" => from_json::<crate::synth::Sdid>("params", params)?.validate()?.ritest(&frame, &r),
                other => Err(crate::ParamsError::UnknownChoice {
                    name: "estimator",
                    value: other.to_string(),
                    valid: ["att_gt", "sun_abraham", "twfe", "imputation", "sdid"].map(String::from).to_vec(),
                }
                .into()),
            }
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
