//! JSON at the boundary: params structs arrive from Python as JSON, results leave as JSON.
//! A malformed document is an `InvalidParam` error naming what it was.

use pyo3::PyResult;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::errors::guard;

/// An `InvalidParam` error for the document `name` (e.g. `"params"`).
pub(crate) fn invalid(name: &'static str, reason: String) -> crate::Error {
    crate::ParamsError::InvalidParam { name, value: String::new(), reason }.into()
}

/// Parse the JSON document `name` into `T`.
pub(crate) fn from_json<T: DeserializeOwned>(name: &'static str, json: &str) -> crate::Result<T> {
    serde_json::from_str(json).map_err(|e| invalid(name, e.to_string()))
}

/// Serialise `value` as JSON for Python.
pub(crate) fn to_json<T: Serialize + std::panic::RefUnwindSafe>(value: &T) -> PyResult<String> {
    guard(|| serde_json::to_string(value).map_err(|e| invalid("result", e.to_string())))
}
