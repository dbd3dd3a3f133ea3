//! Small dense kernels: Gram matrices of tall column-major matrices, SPD solves and inverses,
//! and the positive-semidefinite repair used by multi-way clustering.

use faer::linalg::solvers::{DenseSolveCore, Solve};
use faer::{Mat, Side};
use rayon::prelude::*;

use super::convert::{from_rows, mat_ref, to_rows};
use super::LinalgError;

/// Rows per block of the sequential kernels of [`gram`] (a block of every column stays in cache).
const GRAM_BLOCK: usize = 4096;
/// Most row chunks [`gram`] splits a matrix into (partial Gram matrices held at once).
const GRAM_MAX_CHUNKS: usize = 64;

/// `X' diag(w) X` for a column-major `n x k` matrix `x` (row-major `k x k` result).
///
/// Coarse-grained: the rows are split into fixed chunks (at least 16 blocks of
/// [`GRAM_BLOCK`] rows, at most [`GRAM_MAX_CHUNKS`] chunks), each chunk's partial Gram matrix
/// is computed sequentially (block by block: faer's sequential product without weights, pair
/// sums with weights) on one rayon task, and the partials are added in chunk order. No
/// spin-barrier parallel product; the chunks depend on `n` only, so the result is bit-identical
/// for any number of threads.
pub fn gram(x: &[f64], n: usize, k: usize, weights: Option<&[f64]>) -> Vec<Vec<f64>> {
    if k == 0 {
        return Vec::new();
    }
    let chunk = (16 * GRAM_BLOCK).max(n.div_ceil(GRAM_MAX_CHUNKS));
    let n_chunks = n.div_ceil(chunk).max(1);
    let part = |c: usize| gram_rows(x, n, k, weights, c * chunk..((c + 1) * chunk).min(n));
    let parts: Vec<Vec<f64>> =
        if n_chunks == 1 { vec![part(0)] } else { (0..n_chunks).into_par_iter().map(part).collect() };
    let mut sum = vec![0.0; k * k];
    for p in &parts {
        sum.iter_mut().zip(p).for_each(|(s, v)| *s += v);
    }
    (0..k).map(|a| (0..k).map(|b| if a <= b { sum[a * k + b] } else { sum[b * k + a] }).collect()).collect()
}

/// Upper triangle (row-major `k x k`, `a <= b`) of `X' diag(w) X` over `rows`, sequential.
fn gram_rows(x: &[f64], n: usize, k: usize, weights: Option<&[f64]>, rows: std::ops::Range<usize>) -> Vec<f64> {
    use faer::linalg::matmul::matmul;
    use faer::{Accum, MatMut, Par};
    let mut out = vec![0.0; k * k];
    let mut block = vec![0.0; k * k];
    for lo in rows.clone().step_by(GRAM_BLOCK) {
        let hi = (lo + GRAM_BLOCK).min(rows.end);
        match weights {
            None => {
                let xb = mat_ref(x, n, k).subrows(lo, hi - lo);
                let dst = MatMut::from_column_major_slice_mut(&mut block, k, k);
                matmul(dst, Accum::Replace, xb.transpose(), xb, 1.0, Par::Seq);
                // Column-major k x k: entry (a, b) at b * k + a.
                for a in 0..k {
                    for b in a..k {
                        out[a * k + b] += block[b * k + a];
                    }
                }
            }
            Some(w) => {
                let w = &w[lo..hi];
                for a in 0..k {
                    let xa = &x[a * n + lo..a * n + hi];
                    for b in a..k {
                        let xb = &x[b * n + lo..b * n + hi];
                        out[a * k + b] += xa.iter().zip(xb).zip(w).map(|((p, q), w)| p * q * w).sum::<f64>();
                    }
                }
            }
        }
    }
    out
}

/// `X' diag(w) v` for a column-major `n x k` matrix. Each column's sum runs sequentially (the
/// same bits for any number of threads); columns are separate rayon tasks only when there is
/// enough work (at least 2^18 products), so small products inside parallel loops (2x2 cells,
/// IRLS steps) do not fork.
pub fn cross(x: &[f64], n: usize, k: usize, v: &[f64], weights: Option<&[f64]>) -> Vec<f64> {
    let column = |a: usize| -> f64 {
        let xa = &x[a * n..(a + 1) * n];
        match weights {
            None => xa.iter().zip(v).map(|(p, q)| p * q).sum(),
            Some(w) => xa.iter().zip(v).zip(w).map(|((p, q), w)| p * q * w).sum(),
        }
    };
    if n * k < 1 << 18 {
        (0..k).map(column).collect()
    } else {
        (0..k).into_par_iter().map(column).collect()
    }
}

/// Solve `A b = rhs` and return `(b, A^-1)` for a symmetric positive-definite `A`.
///
/// # Errors
/// [`LinalgError::NotPositiveDefinite`] when the Cholesky factorisation fails.
pub fn spd_solve_inverse(
    a: &[Vec<f64>],
    rhs: &[f64],
    what: &'static str,
) -> Result<(Vec<f64>, Vec<Vec<f64>>), LinalgError> {
    let k = a.len();
    if k == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    // Equilibrate (unit diagonal) before factorising: ill-scaled designs (NIST Longley) keep
    // several more correct digits.
    let d: Vec<f64> = (0..k).map(|i| if a[i][i] > 0.0 { 1.0 / a[i][i].sqrt() } else { 1.0 }).collect();
    let m = Mat::from_fn(k, k, |i, j| a[i][j] * d[i] * d[j]);
    let llt = m.llt(Side::Lower).map_err(|_| LinalgError::NotPositiveDefinite { what })?;
    let b = Mat::from_fn(k, 1, |i, _| rhs[i] * d[i]);
    let sol = llt.solve(&b);
    let inv = llt.inverse();
    let beta = (0..k).map(|i| sol[(i, 0)] * d[i]).collect();
    let inverse = (0..k).map(|i| (0..k).map(|j| inv[(i, j)] * d[i] * d[j]).collect()).collect();
    Ok((beta, inverse))
}

/// Replace negative eigenvalues of a symmetric matrix by zero (Cameron, Gelbach & Miller 2011,
/// as fixest does for multi-way cluster variances that are not positive semidefinite).
/// Returns the repaired matrix and whether a repair was needed.
pub fn psd_repair(a: &[Vec<f64>]) -> (Vec<Vec<f64>>, bool) {
    let k = a.len();
    if k == 0 {
        return (Vec::new(), false);
    }
    let m = from_rows(a);
    let Ok(eig) = m.self_adjoint_eigen(Side::Lower) else {
        return (a.to_vec(), false);
    };
    let s = eig.S();
    let u = eig.U();
    if (0..k).all(|i| s[i] >= 0.0) {
        return (a.to_vec(), false);
    }
    let fixed = Mat::from_fn(k, k, |i, j| (0..k).map(|l| u[(i, l)] * s[l].max(0.0) * u[(j, l)]).sum());
    (to_rows(&fixed), true)
}

/// `A B A` for small square matrices (sandwich).
pub fn sandwich(bread: &[Vec<f64>], meat: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let b = from_rows(bread);
    let m = from_rows(meat);
    to_rows(&(&b * &m * &b))
}

/// $\log\det A$ of a symmetric positive-definite matrix (Cholesky, after equilibration).
///
/// # Errors
/// [`LinalgError::NotPositiveDefinite`] when the factorisation fails.
pub fn spd_logdet(a: &[Vec<f64>], what: &'static str) -> Result<f64, LinalgError> {
    let k = a.len();
    let d: Vec<f64> = (0..k).map(|i| if a[i][i] > 0.0 { 1.0 / a[i][i].sqrt() } else { 1.0 }).collect();
    let m = Mat::from_fn(k, k, |i, j| a[i][j] * d[i] * d[j]);
    let llt = m.llt(Side::Lower).map_err(|_| LinalgError::NotPositiveDefinite { what })?;
    let l = llt.L();
    let ld: f64 = (0..k).map(|i| 2.0 * l[(i, i)].ln()).sum();
    Ok(ld - 2.0 * d.iter().map(|x| x.ln()).sum::<f64>())
}

/// Lower Cholesky factor `L` (row-major) with `L L' = A` of a symmetric positive-semidefinite
/// matrix; a tiny ridge (1e-12 of the largest diagonal) is added when `A` is only semidefinite.
///
/// # Errors
/// [`LinalgError::NotPositiveDefinite`] when even the ridged matrix cannot be factorised.
pub fn spd_cholesky_lower(a: &[Vec<f64>], what: &'static str) -> Result<Vec<Vec<f64>>, LinalgError> {
    let k = a.len();
    let ridge = 1e-12 * (0..k).map(|i| a[i][i]).fold(0.0, f64::max);
    for eps in [0.0, ridge] {
        let m = Mat::from_fn(k, k, |i, j| a[i][j] + if i == j { eps } else { 0.0 });
        if let Ok(llt) = m.llt(Side::Lower) {
            let l = llt.L();
            return Ok((0..k).map(|i| (0..k).map(|j| if j <= i { l[(i, j)] } else { 0.0 }).collect()).collect());
        }
    }
    Err(LinalgError::NotPositiveDefinite { what })
}

/// Solve `A x = rhs` and return `(x, log det A)` for a small symmetric positive-definite `A`
/// by a plain sequential Cholesky factorisation (after equilibration to a unit diagonal): for
/// inner loops of 1-D optimisers, where a threaded factorisation costs more in scheduling than
/// in arithmetic.
///
/// # Errors
/// [`LinalgError::NotPositiveDefinite`] when a pivot is not positive.
pub fn small_spd_solve_logdet(a: &[Vec<f64>], rhs: &[f64], what: &'static str) -> Result<(Vec<f64>, f64), LinalgError> {
    let k = a.len();
    let sc: Vec<f64> = (0..k).map(|i| if a[i][i] > 0.0 { 1.0 / a[i][i].sqrt() } else { 1.0 }).collect();
    let a: Vec<Vec<f64>> = (0..k).map(|i| (0..k).map(|j| a[i][j] * sc[i] * sc[j]).collect()).collect();
    let mut l = vec![0.0; k * k];
    let mut logdet = -2.0 * sc.iter().map(|v| v.ln()).sum::<f64>();
    for j in 0..k {
        let mut d = a[j][j];
        for p in 0..j {
            d -= l[j * k + p] * l[j * k + p];
        }
        if !(d > 0.0 && d.is_finite()) {
            return Err(LinalgError::NotPositiveDefinite { what });
        }
        let djj = d.sqrt();
        l[j * k + j] = djj;
        logdet += 2.0 * djj.ln();
        for i in j + 1..k {
            let mut s = a[i][j];
            for p in 0..j {
                s -= l[i * k + p] * l[j * k + p];
            }
            l[i * k + j] = s / djj;
        }
    }
    let mut y: Vec<f64> = rhs.iter().zip(&sc).map(|(r, s)| r * s).collect();
    for i in 0..k {
        for p in 0..i {
            y[i] -= l[i * k + p] * y[p];
        }
        y[i] /= l[i * k + i];
    }
    for i in (0..k).rev() {
        for p in i + 1..k {
            y[i] -= l[p * k + i] * y[p];
        }
        y[i] /= l[i * k + i];
    }
    y.iter_mut().zip(&sc).for_each(|(v, s)| *v *= s);
    Ok((y, logdet))
}

/// `A' B` for column-major `n x ka` and `n x kb` matrices (column-major `ka x kb` result), for
/// multiplier-bootstrap draws. Coarse-grained: fixed groups of 32 columns of `A` are separate
/// rayon tasks, each a sequential blocked product (faer), so no spin barriers and the result
/// does not depend on the number of threads.
pub fn matmul_tn(a: &[f64], b: &[f64], n: usize, ka: usize, kb: usize) -> Vec<f64> {
    const GROUP: usize = 32;
    let part = |g: usize| {
        let (c0, c1) = (g * GROUP, ((g + 1) * GROUP).min(ka));
        let at = mat_ref(&a[c0 * n..c1 * n], n, c1 - c0).transpose();
        let mut prod = vec![0.0; (c1 - c0) * kb];
        let dst = faer::MatMut::from_column_major_slice_mut(&mut prod, c1 - c0, kb);
        faer::linalg::matmul::matmul(dst, faer::Accum::Replace, at, mat_ref(b, n, kb), 1.0, faer::Par::Seq);
        prod
    };
    let parts: Vec<Vec<f64>> = (0..ka.div_ceil(GROUP)).into_par_iter().map(part).collect();
    let mut out = vec![0.0; ka * kb];
    for (g, prod) in parts.iter().enumerate() {
        let w = prod.len() / kb.max(1);
        for j in 0..kb {
            out[j * ka + g * GROUP..j * ka + g * GROUP + w].copy_from_slice(&prod[j * w..(j + 1) * w]);
        }
    }
    out
}
