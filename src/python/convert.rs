//! numpy arrays in (as borrowed views), a `Frame` out; no copies of numeric data.

use std::borrow::Cow;

use numpy::{PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::errors::DataError as PyDataError;
use crate::data::{Column, Frame};

/// Borrowed numpy arrays held for the duration of a call.
pub(crate) enum Held<'py> {
    Float(PyReadonlyArray1<'py, f64>),
    Int(PyReadonlyArray1<'py, i64>),
    Cat(PyReadonlyArray1<'py, i64>, Vec<String>),
}

/// Hold the columns of `dict` (name -> float64 array | int64 array | (int64 codes, labels)).
pub(crate) fn hold<'py>(dict: &Bound<'py, PyDict>) -> PyResult<Vec<(String, Held<'py>)>> {
    let mut out = Vec::with_capacity(dict.len());
    for (k, v) in dict.iter() {
        let name: String = k.extract()?;
        let held = if let Ok(t) = v.cast::<PyTuple>() {
            let codes: PyReadonlyArray1<'py, i64> = t.get_item(0)?.extract()?;
            let labels: Vec<String> = t.get_item(1)?.extract()?;
            Held::Cat(codes, labels)
        } else if let Ok(a) = v.extract::<PyReadonlyArray1<'py, f64>>() {
            Held::Float(a)
        } else if let Ok(a) = v.extract::<PyReadonlyArray1<'py, i64>>() {
            Held::Int(a)
        } else {
            return Err(PyDataError::new_err(format!(
                "column `{name}`: expected a float64 or int64 array or a (codes, labels) pair"
            )));
        };
        out.push((name, held));
    }
    Ok(out)
}

/// A frame viewing the held arrays.
pub(crate) fn frame<'a>(held: &'a [(String, Held<'_>)]) -> PyResult<Frame<'a>> {
    let mut f = Frame::new();
    for (name, h) in held {
        let col = match h {
            Held::Float(a) => Column::Float(Cow::Borrowed(slice(a, name)?)),
            Held::Int(a) => Column::Int(Cow::Borrowed(slice(a, name)?)),
            Held::Cat(c, labels) => {
                Column::Categorical { codes: Cow::Borrowed(slice(c, name)?), labels: labels.clone() }
            }
        };
        f.push(name.clone(), col).map_err(|e| PyErr::from(crate::Error::from(e)))?;
    }
    Ok(f)
}

fn slice<'a, T: numpy::Element>(a: &'a PyReadonlyArray1<'_, T>, name: &str) -> PyResult<&'a [T]> {
    a.as_slice().map_err(|_| PyDataError::new_err(format!("column `{name}` is not contiguous (len {})", a.len())))
}
