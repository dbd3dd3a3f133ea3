//! pyo3 glue for `benchmark`: params as JSON of the serde struct, columns as views.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use super::json::{from_json, to_json};
use crate::benchmarking::{Benchmark, BenchmarkResult};

/// Default `Benchmark` params as JSON.
#[pyfunction]
pub(crate) fn benchmark_defaults() -> PyResult<String> {
    to_json(&Benchmark::default())
}

/// Run `benchmark`. `params` is the JSON of [`Benchmark`].
#[pyfunction]
pub(crate) fn benchmark(py: Python<'_>, columns: &Bound<'_, PyDict>, params: &str) -> PyResult<PyBenchmarkResult> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let inner = super::inference::interruptible(py, || {
        guard(|| {
            let p: Benchmark = from_json("params", params)?;
            p.fit(&frame)
        })
    })?;
    Ok(PyBenchmarkResult { inner })
}

/// A benchmark (wrapped by `virkning.results.BenchmarkResult`).
#[pyclass(name = "BenchmarkResult", module = "virkning._core", frozen)]
pub(crate) struct PyBenchmarkResult {
    pub(crate) inner: BenchmarkResult,
}

super::contract::result_methods! {
    impl PyBenchmarkResult {
    /// The result as JSON.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }
}
}
