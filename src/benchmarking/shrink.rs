//! Empirical-Bayes shrinkage of performance (the normal-normal random-intercept model, REML).
//!
//! # Model
//! $d_i = x_i'\gamma + u_i + \varepsilon_i$ with $u_i \sim N(0, \tau^2)$ the unit's true
//! performance and $\varepsilon_i \sim N(0, v_i)$, $v_i$ known (sampling plus parameter
//! variance, see [`super::expected`]): a random-intercept model with known residual variances
//! (Fay & Herriot 1979). $x_i$ = intercept and the frame conditions, so that the degrees of
//! freedom spent on the expected-outcome model are accounted for. For binomial data this is
//! the normal approximation on the rate scale (the binomial analogue), chosen over a
//! beta-binomial so that the linear and binomial expected-outcome models share one shrinkage
//! and the parameter uncertainty enters $v_i$ directly.
//!
//! $\tau^2$ maximises the restricted likelihood (REML; Patterson & Thompson 1971; the
//! Fay-Herriot REML of Datta & Lahiri 2000): with $W = \mathrm{diag}\{1/(\tau^2+v_i)\}$,
//! $$-2\ell_R(\tau) = \sum_i \log(\tau^2+v_i) + \log\det(X'WX) + d'Wd - d'WX(X'WX)^{-1}X'Wd,$$
//! by a log-spaced grid and Brent's method on $\tau$ (the boundary $\tau = 0$ included).
//! Columns of $X$ that are linear combinations of others (e.g. period effects when one
//! period is ranked) are dropped first. The posterior is
//! $\theta_i \mid d \sim N(B_i d_i, B_i v_i)$, $B_i = \tau^2/(\tau^2+v_i)$: small units (large
//! $v_i$) are pulled toward their expected value ($\hat\gamma \approx 0$: performance is
//! already centred by the expected-outcome model). The uncertainty of $\hat\tau^2$ itself is
//! not propagated (Morris 1983 gives a correction).
//!
//! # References
//! Fay & Herriot (1979); Patterson & Thompson (1971); Datta & Lahiri (2000); Morris (1983);
//! Spiegelhalter (2005).

use crate::linalg::{brent_minimize, gram, independent_columns, small_spd_solve_logdet};

/// Posterior means and variances, and the estimated between-unit variance.
#[derive(Debug, Clone)]
pub(crate) struct Shrunk {
    pub tau2: f64,
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
}

/// Minus twice the restricted log-likelihood at tau; `x` column-major `m x q`.
fn m2ll(d: &[f64], v: &[f64], x: &[f64], q: usize, tau: f64) -> f64 {
    let m = d.len();
    let t2 = tau * tau;
    let w: Vec<f64> = v.iter().map(|v| 1.0 / (t2 + v)).collect();
    let base: f64 = w.iter().zip(d).map(|(w, d)| -w.ln() + w * d * d).sum();
    if q == 0 {
        return base;
    }
    let a = gram(x, m, q, Some(&w));
    let b: Vec<f64> =
        (0..q).map(|j| x[j * m..(j + 1) * m].iter().zip(&w).zip(d).map(|((x, w), d)| x * w * d).sum()).collect();
    match small_spd_solve_logdet(&a, &b, "X'WX of the shrinkage model") {
        Ok((sol, logdet)) => base + logdet - b.iter().zip(&sol).map(|(b, s)| b * s).sum::<f64>(),
        Err(_) => f64::INFINITY,
    }
}

/// REML shrinkage of performance `d` with known variances `v`; `x` = rows of the design
/// (intercept and frame conditions) of the same units.
pub(crate) fn shrink(d: &[f64], v: &[f64], x: &[Vec<f64>]) -> Shrunk {
    let m = d.len();
    let q0 = x.first().map_or(0, Vec::len);
    let full: Vec<f64> = (0..q0).flat_map(|j| x.iter().map(move |r| r[j])).collect();
    let g = gram(&full, m, q0, None);
    let scale: Vec<f64> = (0..q0).map(|j| g[j][j]).collect();
    let mut keep = independent_columns(&g, &scale, 1e-10);
    keep.truncate(m.saturating_sub(1));
    let xk: Vec<f64> = keep.iter().flat_map(|&j| full[j * m..(j + 1) * m].iter().copied()).collect();
    let q = keep.len();
    let scale =
        d.iter().map(|x| x.abs()).fold(0.0, f64::max).max(v.iter().copied().fold(0.0, f64::max).sqrt()).max(1e-12);
    let mut f = |t: f64| m2ll(d, v, &xk, q, t);
    let grid: Vec<f64> =
        std::iter::once(0.0).chain((0..=40).map(|i| scale * 10f64.powf(-4.0 + 0.1 * f64::from(i)))).collect();
    let vals: Vec<f64> = grid.iter().map(|&t| f(t)).collect();
    let best = (0..grid.len()).min_by(|&a, &b| vals[a].total_cmp(&vals[b])).unwrap_or(0);
    let lo = grid[best.saturating_sub(1)];
    let hi = grid[(best + 1).min(grid.len() - 1)];
    let (t, ft, _) = brent_minimize(&mut f, lo, hi, 1e-10, 200);
    let tau = if vals[best] < ft { grid[best] } else { t };
    let tau2 = tau * tau;
    let mean = d.iter().zip(v).map(|(d, v)| tau2 / (tau2 + v) * d).collect();
    let var = v.iter().map(|v| tau2 * v / (tau2 + v)).collect();
    Shrunk { tau2, mean, var }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_variances_give_the_closed_forms() {
        let d = [0.3, -0.1, 0.25, -0.4, 0.05, 0.2];
        let v = [0.01; 6];
        // No fixed effects: REML = ML = max(mean(d^2) - v, 0).
        let s = shrink(&d, &v, &vec![vec![]; 6]);
        let m2: f64 = d.iter().map(|x| x * x).sum::<f64>() / 6.0;
        assert!((s.tau2 - (m2 - 0.01)).abs() < 1e-9, "{} vs {}", s.tau2, m2 - 0.01);
        // Intercept (and a duplicated column, dropped): REML = max(sample variance - v, 0),
        // the unbiased moment estimate, where ML would divide by n.
        let s = shrink(&d, &v, &vec![vec![1.0, 2.0]; 6]);
        let mean = d.iter().sum::<f64>() / 6.0;
        let s2 = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 5.0;
        assert!((s.tau2 - (s2 - 0.01)).abs() < 1e-9, "{} vs {}", s.tau2, s2 - 0.01);
        let pure_noise = shrink(&[0.01, -0.01, 0.0], &[1.0, 1.0, 1.0], &vec![vec![1.0]; 3]);
        assert!(pure_noise.tau2 < 1e-10 && pure_noise.mean.iter().all(|m| m.abs() < 1e-8));
    }
}
