//! Dense products for resampling loops (a small `m x k` matrix times a wide `k x B` block of
//! draws) and the symmetric pseudo-inverse used by leave-one-cluster-out refits.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, Par, Side};

use super::convert::{from_rows, mat_ref};

/// `C = A B` for column-major `A` (`m x k`) and `B` (`k x n`); `C` is column-major `m x n`.
/// Single-threaded (callers parallelise over blocks of columns), blocked by faer.
pub fn matmul_cm(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    if m == 0 || n == 0 {
        return c;
    }
    let dst = MatMut::from_column_major_slice_mut(&mut c, m, n);
    matmul(dst, Accum::Replace, mat_ref(a, m, k), mat_ref(b, k, n), 1.0, Par::Seq);
    c
}

/// Moore-Penrose pseudo-inverse of a symmetric matrix (row-major), by its eigendecomposition;
/// eigenvalues below `max|eigenvalue| * k * eps` count as zero (numpy's `pinv` default).
pub fn pinv_sym(a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let k = a.len();
    if k == 0 {
        return Vec::new();
    }
    let Ok(eig) = from_rows(a).self_adjoint_eigen(Side::Lower) else {
        return vec![vec![f64::NAN; k]; k];
    };
    let (s, u) = (eig.S(), eig.U());
    let smax = (0..k).map(|i| s[i].abs()).fold(0.0, f64::max);
    let cut = smax * k as f64 * f64::EPSILON;
    let inv: Vec<f64> = (0..k).map(|i| if s[i].abs() > cut { 1.0 / s[i] } else { 0.0 }).collect();
    (0..k).map(|i| (0..k).map(|j| (0..k).map(|l| u[(i, l)] * inv[l] * u[(j, l)]).sum()).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_and_pinv() {
        // A = [[1,2],[3,4],[5,6]] (3x2), B = [[1,0,2],[0,1,1]] (2x3)
        let a = [1.0, 3.0, 5.0, 2.0, 4.0, 6.0];
        let b = [1.0, 0.0, 0.0, 1.0, 2.0, 1.0];
        let c = matmul_cm(&a, &b, 3, 2, 3);
        assert_eq!(c, vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0, 4.0, 10.0, 16.0]);
        let p = pinv_sym(&[vec![2.0, 0.0], vec![0.0, 0.0]]);
        assert!((p[0][0] - 0.5).abs() < 1e-15 && p[1][1] == 0.0);
        let q = pinv_sym(&[vec![2.0, 1.0], vec![1.0, 2.0]]);
        assert!((q[0][0] - 2.0 / 3.0).abs() < 1e-14 && (q[0][1] + 1.0 / 3.0).abs() < 1e-14);
    }
}
