//! What a result was fitted on, kept by the result (issue 15 point 2, issue 16 item 3): the
//! column arrays it was given (a shallow copy of the dict, so replacing a column of the
//! caller's frame changes nothing) and a fingerprint of each, so an in-place write into one
//! of those arrays after the fit is refused with a `DataError` naming the column instead of
//! silently changing `wildboot()`, `ritest()` or a bootstrap. The att_gt fast path skips the
//! fingerprint (it would cost a fifth of its time) and checks its cohort moments instead.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{frame, hold, Held};
use crate::data::{DataError, Frame};

/// A word-wise hash of a column's values (four independent multiply-rotate lanes; one pass).
fn hash_words(words: impl Iterator<Item = u64>) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut lanes = [1u64, 2, 3, 4];
    for (i, w) in words.enumerate() {
        let l = &mut lanes[i & 3];
        *l = (*l ^ w).wrapping_mul(K).rotate_left(29);
    }
    lanes.iter().fold(0u64, |h, l| (h ^ l).wrapping_mul(K).rotate_left(17))
}

fn fingerprint(h: &Held<'_>) -> PyResult<u64> {
    use numpy::PyUntypedArrayMethods;
    let not_contiguous = || super::errors::DataError::new_err("a column is not contiguous");
    Ok(match h {
        Held::Float(a) => hash_words(a.as_slice().map_err(|_| not_contiguous())?.iter().map(|x| x.to_bits())),
        Held::Int(a) => hash_words(a.as_slice().map_err(|_| not_contiguous())?.iter().map(|x| *x as u64)),
        Held::Cat(c, labels) => {
            let codes = hash_words(c.as_slice().map_err(|_| not_contiguous())?.iter().map(|x| *x as u64));
            let text = hash_words(labels.iter().flat_map(|l| l.bytes().map(u64::from).chain([u64::MAX])));
            codes ^ text.rotate_left(7) ^ c.len() as u64
        }
    })
}

/// The columns (and their fingerprints) a result was fitted on.
pub(crate) struct Origin {
    columns: Py<PyDict>,
    /// `None`: not fingerprinted (the caller checks the data another way).
    fingerprints: Option<Vec<u64>>,
}

impl Origin {
    /// Keep `columns` (already held as `held`), fingerprinted when `check` is set.
    pub(crate) fn new(columns: &Bound<'_, PyDict>, held: &[(String, Held<'_>)], check: bool) -> PyResult<Origin> {
        let fingerprints =
            if check { Some(held.iter().map(|(_, h)| fingerprint(h)).collect::<PyResult<_>>()?) } else { None };
        Ok(Origin { columns: columns.copy()?.unbind(), fingerprints })
    }

    /// Run `f` on a frame of the kept columns, plus those of `extra` the fit did not use
    /// (e.g. another cluster column for `wildboot`); `f` runs without the GIL.
    ///
    /// # Errors
    /// `DataError` naming a kept column whose values changed since the fit.
    pub(crate) fn with_frame<R: Send>(
        &self,
        py: Python<'_>,
        extra: Option<&Bound<'_, PyDict>>,
        f: impl FnOnce(&Frame<'_>) -> PyResult<R> + Send,
    ) -> PyResult<R> {
        let own = self.columns.bind(py);
        let mut held = hold(own)?;
        if let Some(fp) = &self.fingerprints {
            for ((name, h), &before) in held.iter().zip(fp) {
                if fingerprint(h)? != before {
                    return Err(PyErr::from(crate::Error::from(DataError::InvalidValue {
                        name: name.clone(),
                        reason: "its values changed in place since the fit; a result never changes after it is returned, so fit again on the new data".into(),
                    })));
                }
            }
        }
        if let Some(extra) = extra {
            let more = PyDict::new(py);
            for (k, v) in extra.iter() {
                if !own.contains(&k)? {
                    more.set_item(k, v)?;
                }
            }
            held.extend(hold(&more)?);
            let frame = frame(&held)?;
            return super::inference::interruptible(py, || f(&frame));
        }
        let frame = frame(&held)?;
        super::inference::interruptible(py, || f(&frame))
    }
}
