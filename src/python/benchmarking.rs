//! pyo3 glue for `benchmark`: params as JSON of the serde struct, columns as views.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use crate::benchmarking::{Benchmark, BenchmarkResult};

fn invalid(name: &'static str, reason: String) -> crate::Error {
    crate::ParamsError::InvalidParam { name, value: String::new(), reason }.into()
}

/// Default `Benchmark` params as JSON.
#[pyfunction]
pub(crate) fn benchmark_defaults() -> PyResult<String> {
    guard(|| serde_json::to_string(&Benchmark::default()).map_err(|e| invalid("params", e.to_string())))
}

/// Run `benchmark`. `params` is the JSON of [`Benchmark`].
#[pyfunction]
pub(crate) fn benchmark(py: Python<'_>, columns: &Bound<'_, PyDict>, params: &str) -> PyResult<PyBenchmarkResult> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    let inner = py.detach(|| {
        guard(|| {
            let p: Benchmark = serde_json::from_str(params).map_err(|e| invalid("params", e.to_string()))?;
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

#[pymethods]
impl PyBenchmarkResult {
    /// The result as JSON.
    fn to_json(&self) -> PyResult<String> {
        guard(|| serde_json::to_string(&self.inner).map_err(|e| invalid("result", e.to_string())))
    }
}
