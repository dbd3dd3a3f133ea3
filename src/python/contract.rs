//! pyo3 side of the estimator contract (docs/CONTRACT.md): the typed tidy table as numpy
//! columns, the glance, the NaN-preserving fields JSON, and the registry. Every result class
//! forwards to these through `result_methods!`.

use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::errors::guard;
use super::json::invalid;
use crate::results::{TidyColumn, TidyTable};
use crate::traits::EstimatorResult;

/// The tidy table at `alpha` (the fitted one when `None`) as an ordered dict of numpy
/// float/int arrays and lists of strings.
pub(crate) fn tidy_columns<'py, R: EstimatorResult + std::panic::RefUnwindSafe>(
    py: Python<'py>,
    r: &R,
    alpha: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let alpha = alpha.unwrap_or_else(|| r.alpha());
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(PyErr::from(crate::Error::from(crate::ParamsError::InvalidParam {
            name: "alpha",
            value: alpha.to_string(),
            reason: "must be in (0, 1)".into(),
        })));
    }
    let t: TidyTable = guard(|| Ok(r.tidy(alpha)))?;
    let out = PyDict::new(py);
    out.set_item("term", PyList::new(py, &t.term)?)?;
    for (name, v) in
        TidyTable::STANDARD[1..].iter().zip([t.estimate, t.std_error, t.statistic, t.p_value, t.conf_low, t.conf_high])
    {
        out.set_item(*name, v.into_pyarray(py))?;
    }
    for (name, col) in t.family {
        match col {
            TidyColumn::F64(v) => out.set_item(name, v.into_pyarray(py))?,
            TidyColumn::I64(v) => out.set_item(name, v.into_pyarray(py))?,
            TidyColumn::Str(v) => out.set_item(name, PyList::new(py, &v)?)?,
        }
    }
    Ok(out)
}

/// The standard glance as JSON (`n_obs`, `n_units`, `n_clusters`, `estimator`, `vcov`).
pub(crate) fn glance_json<R: EstimatorResult + std::panic::RefUnwindSafe>(r: &R) -> PyResult<String> {
    guard(|| serde_json::to_string(&r.glance()).map_err(|e| invalid("result", e.to_string())))
}

/// The warnings as JSON.
pub(crate) fn warnings_json<R: EstimatorResult + std::panic::RefUnwindSafe>(r: &R) -> PyResult<String> {
    guard(|| serde_json::to_string(r.warnings()).map_err(|e| invalid("result", e.to_string())))
}

/// The result as JSON with non-finite numbers as `NaN`/`Infinity` tokens (Python's
/// `json.loads` reads them as floats).
pub(crate) fn fields_json<R: serde::Serialize>(r: &R) -> PyResult<String> {
    super::nan_json::to_string(r).map_err(|e| PyErr::from(invalid("result", e.to_string())))
}

/// Every estimator of [`crate::registry::REGISTRY`]: a list of dicts (`name`, `method`,
/// `python_class`, `roles`, `ritest`, `power`, `wildboot`, `report`, `takes_frame`).
#[pyfunction]
pub(crate) fn registry(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let text =
        guard(|| serde_json::to_string(crate::registry::REGISTRY).map_err(|e| invalid("registry", e.to_string())))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// A `#[pymethods]` block with the contract methods added: wrap a result class's methods in
/// `result_methods! { impl PyX { ... } }` (its Rust result is `self.inner`).
macro_rules! result_methods {
    (impl $t:ident { $($body:tt)* }) => {
        #[pyo3::pymethods]
        impl $t {
            $($body)*

            /// The tidy table as columns (numpy arrays; strings as lists); `alpha=None` is the
            /// fitted level, another alpha recomputes the intervals.
            #[pyo3(signature = (alpha=None))]
            fn tidy_columns<'py>(
                &self,
                py: pyo3::Python<'py>,
                alpha: Option<f64>,
            ) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::types::PyDict>> {
                super::contract::tidy_columns(py, &self.inner, alpha)
            }

            /// The standard glance as JSON.
            fn glance_json(&self) -> pyo3::PyResult<String> {
                super::contract::glance_json(&self.inner)
            }

            /// The warnings as JSON.
            fn warnings_json(&self) -> pyo3::PyResult<String> {
                super::contract::warnings_json(&self.inner)
            }

            /// The result as JSON with NaN/inf kept (for Python's `json.loads`).
            fn fields_json(&self) -> pyo3::PyResult<String> {
                super::contract::fields_json(&self.inner)
            }
        }
    };
}
pub(crate) use result_methods;
