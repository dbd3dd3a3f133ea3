//! Empirical-Bayes shrinkage of performance (the normal-normal random-intercept model).
//!
//! # Model
//! $d_i \mid \theta_i \sim N(\theta_i, v_i)$ with $v_i$ known (sampling plus parameter
//! variance, see [`super::expected`]), and true performance $\theta_i \sim N(0, \tau^2)$: a
//! random-intercept model with known residual variances (Fay & Herriot 1979; for binomial data
//! this is the normal approximation on the rate scale, chosen over a beta-binomial so that the
//! linear and binomial expected-outcome models share one shrinkage and the parameter uncertainty
//! enters $v_i$ directly). $\tau^2$ maximises the marginal likelihood
//! $-\tfrac12\sum_i[\log(\tau^2+v_i) + d_i^2/(\tau^2+v_i)]$ (mean fixed at 0: performance is
//! already centred by the expected-outcome model), by a grid and Brent's method on $\tau$.
//! The posterior is $\theta_i \mid d \sim N(B_i d_i, B_i v_i)$ with $B_i = \tau^2/(\tau^2+v_i)$:
//! small units (large $v_i$) are pulled toward their expected value. The uncertainty of
//! $\hat\tau^2$ itself is not propagated (Morris 1983 gives a correction).
//!
//! # References
//! Fay & Herriot (1979); Morris (1983); Spiegelhalter (2005).

use crate::regression::brent_minimize;

/// Posterior means and variances, and the estimated between-unit variance.
#[derive(Debug, Clone)]
pub(crate) struct Shrunk {
    pub tau2: f64,
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
}

/// Minus twice the marginal log-likelihood at tau.
fn m2ll(d: &[f64], v: &[f64], tau: f64) -> f64 {
    let t2 = tau * tau;
    d.iter().zip(v).map(|(d, v)| (t2 + v).ln() + d * d / (t2 + v)).sum()
}

pub(crate) fn shrink(d: &[f64], v: &[f64]) -> Shrunk {
    let scale =
        d.iter().map(|x| x.abs()).fold(0.0, f64::max).max(v.iter().copied().fold(0.0, f64::max).sqrt()).max(1e-12);
    let mut f = |t: f64| m2ll(d, v, t);
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
    fn equal_variances_give_the_moment_estimate() {
        // With equal v the ML estimate is max(mean(d^2) - v, 0).
        let d = [0.3, -0.1, 0.25, -0.4, 0.05, 0.2];
        let v = [0.01; 6];
        let s = shrink(&d, &v);
        let m2: f64 = d.iter().map(|x| x * x).sum::<f64>() / 6.0;
        assert!((s.tau2 - (m2 - 0.01)).abs() < 1e-9, "{} vs {}", s.tau2, m2 - 0.01);
        let pure_noise = shrink(&[0.01, -0.01, 0.0], &[1.0, 1.0, 1.0]);
        assert!(pure_noise.tau2 < 1e-10 && pure_noise.mean.iter().all(|m| m.abs() < 1e-8));
    }
}
