//! The only place where our buffers become faer matrices and back.

use faer::{Mat, MatRef};

/// View a column-major `nrows x ncols` buffer as a faer matrix.
pub(crate) fn mat_ref(data: &[f64], nrows: usize, ncols: usize) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(data, nrows, ncols)
}

/// Copy a faer matrix into a row-major `Vec<Vec<f64>>` (small matrices only: vcov, gram).
pub(crate) fn to_rows(m: &Mat<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows()).map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect()).collect()
}

/// Build a faer matrix from row-major rows.
pub(crate) fn from_rows(rows: &[Vec<f64>]) -> Mat<f64> {
    let n = rows.len();
    let k = rows.first().map_or(0, Vec::len);
    Mat::from_fn(n, k, |i, j| rows[i][j])
}
