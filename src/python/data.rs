//! pyo3 glue for the data layer: panel validation facts.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold};
use super::errors::guard;
use crate::data::Panel;

/// Validate `unit` x `time` as a panel (duplicates are an error) and return its shape as JSON.
#[pyfunction]
pub(crate) fn panel_info(py: Python<'_>, columns: &Bound<'_, PyDict>, unit: &str, time: &str) -> PyResult<String> {
    let held = hold(columns)?;
    let frame = frame(&held)?;
    py.detach(|| {
        guard(|| {
            let info = Panel::new(&frame, unit, time)?.info();
            Ok(serde_json::to_string(&info).unwrap_or_default())
        })
    })
}
