//! pyo3 glue for the simulators: params as JSON, columns out as numpy arrays.

use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::errors::guard;
use super::json::from_json;
use crate::data::{Column, Frame};
use crate::simulate::{simulate_municipalities as simulate, MunicipalityPanelParams};

/// Columns of a frame as a dict: float64/int64 arrays, or (codes, labels) for categories.
pub(crate) fn frame_to_dict<'py>(py: Python<'py>, frame: &Frame<'_>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for name in frame.names() {
        let col = frame.column(name).map_err(|e| PyErr::from(crate::Error::from(e)))?;
        match col {
            Column::Float(v) => d.set_item(name, v.to_vec().into_pyarray(py))?,
            Column::Int(v) => d.set_item(name, v.to_vec().into_pyarray(py))?,
            Column::Categorical { codes, labels } => {
                let t = PyTuple::new(
                    py,
                    [codes.to_vec().into_pyarray(py).into_any(), labels.clone().into_pyobject(py)?.into_any()],
                )?;
                d.set_item(name, t)?
            }
        }
    }
    Ok(d)
}

/// Simulate the municipality panel; returns (columns, true effects as JSON, params as JSON).
#[pyfunction]
pub(crate) fn simulate_municipalities<'py>(
    py: Python<'py>,
    params: &str,
) -> PyResult<(Bound<'py, PyDict>, String, String)> {
    let sim = py.detach(|| {
        guard(|| {
            let p: MunicipalityPanelParams = from_json("params", params)?;
            simulate(&p)
        })
    })?;
    let effects = serde_json::to_string(&sim.true_effects).unwrap_or_default();
    let used = serde_json::to_string(&sim.params).unwrap_or_default();
    Ok((frame_to_dict(py, &sim.frame)?, effects, used))
}

/// Default simulator params as JSON.
#[pyfunction]
pub(crate) fn municipality_defaults() -> String {
    serde_json::to_string(&MunicipalityPanelParams::default()).unwrap_or_default()
}
