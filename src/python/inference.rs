//! pyo3 glue for resampling inference: the wild cluster bootstrap on a `feols` model and
//! randomization inference, run by the result classes on the data they were fitted on
//! (`FeolsResult.wildboot`, `.ritest`; the staggered results' `.ritest`). Params as JSON of
//! the serde structs; no numerics here. Also [`interruptible`], which every long call uses so
//! that Ctrl-C stops it.

use std::sync::mpsc::{channel, RecvTimeoutError};
use std::time::Duration;

use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;

use super::errors::guard;
use super::json::{from_json, to_json};
use crate::inference::{BootWeights, RiResult, RiTest, WildBoot, WildBootResult};
use crate::regression::Feols;

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

/// The wild cluster bootstrap of a `feols` model `p` on `frame` (no GIL needed).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_wildboot(
    frame: &crate::data::Frame<'_>,
    p: &Feols,
    terms: &[(String, f64)],
    r: f64,
    boot: &str,
    weights: &str,
    cluster: Option<&[String]>,
    bootcluster: Option<&str>,
) -> PyResult<WildBootResult> {
    // Called inside `interruptible` (through `Origin::with_frame`), which already runs the work
    // on a pool thread: its parallel sections start from a worker.
    guard(|| {
        let b: WildBoot = from_json("wildboot", boot)?;
        let b = b.weights(weights.parse::<BootWeights>()?).validate()?;
        p.clone().validate()?.wildboot(frame, terms, r, cluster, bootcluster, &b)
    })
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

super::contract::result_methods! {
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
}

/// Randomization inference on `term` of the `feols` model `p` on `frame` (no GIL needed).
pub(crate) fn run_ritest(
    frame: &crate::data::Frame<'_>,
    p: &Feols,
    term: &str,
    treatment: &str,
    unit: &str,
    time: &str,
    ri: &str,
) -> PyResult<RiResult> {
    guard(|| {
        let r: RiTest = from_json("ritest", ri)?;
        p.clone().validate()?.ritest(frame, term, treatment, unit, time, &r.validate()?)
    })
}

/// Randomization inference on the ATT of the staggered estimator `estimator` (a registry name
/// or method key with `ritest`) fitted with `params`, on `frame` (no GIL needed).
pub(crate) fn run_staggered(
    frame: &crate::data::Frame<'_>,
    estimator: &str,
    params: &str,
    ri: &str,
    aggregation: Option<&str>,
) -> PyResult<RiResult> {
    use crate::did::{Aggregate, AttGt, DidImputation, SunAbraham, TwfeEventStudy};
    use crate::traits::Estimator;
    guard(|| {
        let r: RiTest = from_json("ritest", ri)?;
        let r = r.validate()?;
        let entry = crate::registry::lookup(estimator).filter(|e| e.ritest);
        let Some(entry) = entry else {
            return Err(crate::registry::unknown("estimator", estimator, |e| e.ritest));
        };
        match entry.name {
            AttGt::NAME => {
                let agg: Aggregate = match aggregation {
                    Some(a) => super::did::parse(a)?,
                    None => Aggregate::default(),
                };
                super::did::parse::<AttGt>(params)?.validate()?.ritest(frame, &agg, &r)
            }
            SunAbraham::NAME => super::did_event::parse::<SunAbraham>(params)?.validate()?.ritest(frame, &r),
            TwfeEventStudy::NAME => super::did_event::parse::<TwfeEventStudy>(params)?.validate()?.ritest(frame, &r),
            DidImputation::NAME => super::did_event::parse::<DidImputation>(params)?.validate()?.ritest(frame, &r),
            crate::synth::Sdid::NAME => {
                from_json::<crate::synth::Sdid>("params", params)?.validate()?.ritest(frame, &r)
            }
            _ => Err(crate::registry::unknown("estimator", estimator, |e| e.ritest)),
        }
    })
}

/// A randomization-inference result (wrapped by `virkning.results.RiTestResult`).
#[pyclass(name = "RiResult", module = "virkning._core", frozen)]
pub(crate) struct PyRiResult {
    pub(crate) inner: RiResult,
}

super::contract::result_methods! {
    impl PyRiResult {
    /// The result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }
}
}
