//! Collinearity detection by a Cholesky factorisation that skips pivots which vanish.

/// Indices of columns to keep from a Gram matrix `g` (row-major `k x k`).
///
/// Columns are taken in order; column `j` is dropped when its pivot (the squared norm of the
/// part of it not explained by the kept earlier columns) is below `tol` times `scale[j]`, its
/// squared norm before fixed effects were absorbed. A regressor absorbed by the fixed effects
/// and an exact linear combination of earlier regressors are both caught. This is the rule of
/// fixest's `cpp_cholesky`, with the threshold made relative.
pub fn independent_columns(g: &[Vec<f64>], scale: &[f64], tol: f64) -> Vec<usize> {
    let k = g.len();
    let mut l = vec![vec![0.0; k]; k];
    let mut keep = Vec::with_capacity(k);
    for j in 0..k {
        let mut d = g[j][j];
        for &p in &keep {
            d -= l[j][p] * l[j][p];
        }
        let s = scale[j].max(f64::MIN_POSITIVE);
        if !(d > tol * s) {
            continue;
        }
        let root = d.sqrt();
        l[j][j] = root;
        for i in (j + 1)..k {
            let mut v = g[i][j];
            for &p in &keep {
                v -= l[i][p] * l[j][p];
            }
            l[i][j] = v / root;
        }
        keep.push(j);
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_exact_combinations_and_absorbed_columns() {
        // columns: a, b, c = a + 2b, d ~ 0 (absorbed)
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [0.0, 1.0, 0.0, 1.0];
        let c: Vec<f64> = a.iter().zip(&b).map(|(p, q)| p + 2.0 * q).collect();
        let d = [1e-14, -1e-14, 0.0, 0.0];
        let cols = [a.to_vec(), b.to_vec(), c, d.to_vec()];
        let g: Vec<Vec<f64>> =
            cols.iter().map(|u| cols.iter().map(|v| u.iter().zip(v).map(|(p, q)| p * q).sum()).collect()).collect();
        let scale = [30.0, 2.0, 50.0, 4.0];
        assert_eq!(independent_columns(&g, &scale, 1e-10), vec![0, 1]);
    }
}
