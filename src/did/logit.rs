//! Weighted logistic regression by iteratively reweighted least squares, for the propensity
//! scores of the `ipw` and `dr` estimators.
//!
//! TEMPORARY: a minimal private fit until the shared GLM (`src/regression/glm.rs`) lands on
//! main; then this file goes and `drdid.rs` calls the GLM.
//!
//! Maximises $\sum_i w_i [D_i \log p_i + (1 - D_i) \log(1 - p_i)]$, $p_i = 1/(1 + e^{-x_i'\beta})$,
//! by Newton steps $\beta \leftarrow \beta + (X'VX)^{-1} X' w (D - p)$ with $V = \mathrm{diag}(w p (1-p))$,
//! until the relative change of the deviance is below 1e-12.

use crate::linalg::{cross, gram, spd_solve_inverse};

/// Fitted probabilities, or `None` when the information matrix is singular or the fit
/// separates (diverging coefficients).
pub(crate) fn fit(x: &[f64], n: usize, p: usize, d: &[f64], w: &[f64]) -> Option<Vec<f64>> {
    let mut beta = vec![0.0; p];
    // Start from the weighted mean on the intercept (column 0 is the intercept).
    let (sw, swd) = w.iter().zip(d).fold((0.0, 0.0), |(a, b), (w, d)| (a + w, b + w * d));
    let pbar = (swd / sw).clamp(1e-10, 1.0 - 1e-10);
    beta[0] = (pbar / (1.0 - pbar)).ln();
    let mut prob = vec![pbar; n];
    let mut dev_old = f64::INFINITY;
    for _ in 0..100 {
        let v: Vec<f64> = prob.iter().zip(w).map(|(p, w)| w * p * (1.0 - p)).collect();
        let resid: Vec<f64> = prob.iter().zip(d).zip(w).map(|((p, d), w)| w * (d - p)).collect();
        let info = gram(x, n, p, Some(&v));
        let score = cross(x, n, p, &resid, None);
        let (step, _) = spd_solve_inverse(&info, &score, "propensity score information").ok()?;
        for (b, s) in beta.iter_mut().zip(&step) {
            *b += s;
        }
        let mut dev = 0.0;
        for i in 0..n {
            let eta: f64 = (0..p).map(|j| x[j * n + i] * beta[j]).sum();
            let pi = 1.0 / (1.0 + (-eta).exp());
            prob[i] = pi;
            let ll = if d[i] > 0.5 { pi.max(1e-300).ln() } else { (1.0 - pi).max(1e-300).ln() };
            dev -= 2.0 * w[i] * ll;
        }
        if !dev.is_finite() || beta.iter().any(|b| !b.is_finite()) {
            return None;
        }
        if (dev_old - dev).abs() <= 1e-12 * (dev.abs() + 0.1) {
            return Some(prob);
        }
        dev_old = dev;
    }
    // Not converged in 100 Newton steps: (quasi-)separation. The caller's overlap check
    // decides what to do with probabilities this extreme.
    Some(prob)
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_closed_form_with_a_binary_regressor() {
        // Logit of D on (1, z) with binary z reproduces the cell means exactly.
        let z = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let d = [1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0];
        let n = z.len();
        let mut x = vec![1.0; n];
        x.extend_from_slice(&z);
        let w = vec![1.0; n];
        let p = super::fit(&x, n, 2, &d, &w).unwrap();
        assert!((p[0] - 0.25).abs() < 1e-12);
        assert!((p[8] - 0.6).abs() < 1e-12);
    }
}
