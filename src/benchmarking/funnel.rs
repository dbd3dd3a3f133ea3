//! Funnel plot: performance against size with 95 % and 99.8 % control limits.
//!
//! # Method
//! Under the null that a unit performs as expected, its observed rate has sampling standard
//! deviation $\sqrt{e_i(1-e_i)/n_i}$, so performance $d_i$ is flagged above (below) the
//! 95 % or 99.8 % limit when $d_i / \sqrt{e_i(1-e_i)/n_i}$ exceeds $z = 1.960$ or $3.090$
//! (below $-z$). The curves drawn are $\pm z\sqrt{\bar p(1-\bar p)/n}$ with $\bar p$ the
//! size-weighted mean rate (Spiegelhalter 2005, "Funnel plots for comparing institutional
//! performance"). Overdispersion is not added to the limits; the between-unit variance
//! $\tau^2$ of the shrinkage model is reported alongside.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// Where a unit falls in the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunnelFlag {
    /// Inside the 95 % limits.
    Within,
    /// Above the 95 % limit (not the 99.8 %).
    Above95,
    /// Above the 99.8 % limit.
    Above998,
    /// Below the 95 % limit (not the 99.8 %).
    Below95,
    /// Below the 99.8 % limit.
    Below998,
}

/// Control-limit curves for plotting, on a grid of sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelLimits {
    /// Size-weighted mean rate.
    pub target_rate: f64,
    /// Grid of sizes.
    pub size: Vec<f64>,
    /// 95 % limits (performance scale): lower, upper.
    pub lower95: Vec<f64>,
    /// Upper 95 % limit.
    pub upper95: Vec<f64>,
    /// Lower 99.8 % limit.
    pub lower998: Vec<f64>,
    /// Upper 99.8 % limit.
    pub upper998: Vec<f64>,
}

fn z(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

/// Flag a unit given its performance and null sampling variance.
pub(crate) fn flag(d: f64, sampling_var: f64) -> FunnelFlag {
    let t = d / sampling_var.sqrt().max(f64::MIN_POSITIVE);
    let (z95, z998) = (z(0.975), z(0.999));
    match t {
        t if t > z998 => FunnelFlag::Above998,
        t if t > z95 => FunnelFlag::Above95,
        t if t < -z998 => FunnelFlag::Below998,
        t if t < -z95 => FunnelFlag::Below95,
        _ => FunnelFlag::Within,
    }
}

/// Limit curves over 100 log-spaced sizes between the smallest and largest unit.
pub(crate) fn limits(rate: &[f64], size: &[f64]) -> FunnelLimits {
    let total: f64 = size.iter().sum();
    let p = rate.iter().zip(size).map(|(r, n)| r * n).sum::<f64>() / total;
    let lo = size.iter().copied().fold(f64::INFINITY, f64::min).max(1.0);
    let hi = size.iter().copied().fold(0.0, f64::max).max(lo * 1.01);
    let grid: Vec<f64> = (0..100).map(|i| lo * (hi / lo).powf(f64::from(i) / 99.0)).collect();
    let sd: Vec<f64> = grid.iter().map(|n| (p * (1.0 - p) / n).sqrt()).collect();
    let (z95, z998) = (z(0.975), z(0.999));
    FunnelLimits {
        target_rate: p,
        lower95: sd.iter().map(|s| -z95 * s).collect(),
        upper95: sd.iter().map(|s| z95 * s).collect(),
        lower998: sd.iter().map(|s| -z998 * s).collect(),
        upper998: sd.iter().map(|s| z998 * s).collect(),
        size: grid,
    }
}
