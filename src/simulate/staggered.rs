//! A simulated staggered-adoption panel with a known dynamic effect, for recovery and coverage
//! tests of the staggered DiD estimators and for benchmarks.
//!
//! # Model
//! Units $i = 1..n$, periods $t = 1..T$. A share `never_share` is never treated; the others
//! adopt in a cohort $G_i$ drawn uniformly from $3..T$ (every cohort has pre-periods). With a
//! covariate $x_i \sim N(0,1)$, unit effects $\alpha_i \sim N(x_i/2, 1)$ and period effects
//! $\lambda_t = 0.1t$,
//! $$Y_{it} = \alpha_i + \lambda_t + \gamma x_i t + \tau(t - G_i) + \varepsilon_{it},\quad
//! \varepsilon_{it} = \rho\varepsilon_{i,t-1} + \sigma u_{it},$$
//! with the dynamic effect $\tau(e) = 0.5 + 0.2e$ for $e \ge 0$ and 0 before. Adoption is more
//! likely for larger $x_i$, so with $\gamma \ne 0$ parallel trends hold only conditionally on
//! $x$. Every cohort has the same effect path, so the true dynamic aggregate at event time $e$
//! is $\tau(e)$ whatever the cohort weights.
//!
//! # Defaults
//! [`StaggeredPanelParams::default`]: 500 units, 10 periods, `never_share = 0.3`,
//! $\gamma = 0$, $\rho = 0.5$, $\sigma = 1$, seed 1.
//!
//! Every draw of unit $i$ comes from its own ChaCha8 stream, so the panel does not depend on
//! the number of threads.

use std::borrow::Cow;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::data::{Column, Frame};
use crate::error::ParamsError;

/// Options of [`simulate_staggered`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaggeredPanelParams {
    /// Units.
    pub n_units: usize,
    /// Periods (at least 3).
    pub n_periods: usize,
    /// Share of never-treated units.
    pub never_share: f64,
    /// Covariate-specific trend (0: unconditional parallel trends).
    pub gamma: f64,
    /// AR(1) coefficient of the errors.
    pub rho: f64,
    /// Innovation standard deviation.
    pub sigma: f64,
    /// Seed.
    pub seed: u64,
}

impl Default for StaggeredPanelParams {
    fn default() -> Self {
        StaggeredPanelParams {
            n_units: 500,
            n_periods: 10,
            never_share: 0.3,
            gamma: 0.0,
            rho: 0.5,
            sigma: 1.0,
            seed: 1,
        }
    }
}

/// The true dynamic effect at event time `e`.
pub fn staggered_true_effect(e: i64) -> f64 {
    if e >= 0 {
        0.5 + 0.2 * e as f64
    } else {
        0.0
    }
}

/// Simulate the panel: columns `unit`, `period`, `cohort` (0 = never treated), `x`, `y`,
/// `true_effect`, sorted by unit then period.
///
/// # Errors
/// [`ParamsError::InvalidParam`] for fewer than 3 periods, no units, or shares and standard
/// deviations out of range.
pub fn simulate_staggered(p: &StaggeredPanelParams) -> Result<Frame<'static>, ParamsError> {
    let bad = |name, value: String, reason: &str| Err(ParamsError::InvalidParam { name, value, reason: reason.into() });
    if p.n_periods < 3 {
        return bad("n_periods", p.n_periods.to_string(), "must be at least 3");
    }
    if p.n_units == 0 {
        return bad("n_units", "0".into(), "must be at least 1");
    }
    if !(0.0..=1.0).contains(&p.never_share) {
        return bad("never_share", p.never_share.to_string(), "must be in [0, 1]");
    }
    if !(p.rho.abs() < 1.0 && p.sigma >= 0.0 && p.sigma.is_finite() && p.gamma.is_finite()) {
        return bad("rho", p.rho.to_string(), "rho must be in (-1, 1), sigma finite and non-negative");
    }
    let (n, t) = (p.n_units, p.n_periods);
    let mut unit = Vec::with_capacity(n * t);
    let mut period = Vec::with_capacity(n * t);
    let mut cohort = Vec::with_capacity(n * t);
    let mut xs = Vec::with_capacity(n * t);
    let mut ys = Vec::with_capacity(n * t);
    let mut te = Vec::with_capacity(n * t);
    for i in 0..n {
        let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
        rng.set_stream(i as u64);
        let x: f64 = rng.sample(StandardNormal);
        // Adoption probability rises with x (logit), never-treated share kept on average.
        let treat_p = 1.0 / (1.0 + (-(x * 0.8) - ((1.0 - p.never_share) / p.never_share.max(1e-9)).ln()).exp());
        let treated = p.never_share == 0.0 || rng.random::<f64>() < treat_p;
        let g = if treated { 3 + rng.random_range(0..(t - 2)) as i64 } else { 0 };
        let alpha = x / 2.0 + rng.sample::<f64, _>(StandardNormal);
        let mut eps = rng.sample::<f64, _>(StandardNormal) * p.sigma / (1.0 - p.rho * p.rho).sqrt();
        for s in 1..=t as i64 {
            if s > 1 {
                eps = p.rho * eps + p.sigma * rng.sample::<f64, _>(StandardNormal);
            }
            let tau = if g > 0 { staggered_true_effect(s - g) } else { 0.0 };
            unit.push(i as i64 + 1);
            period.push(s);
            cohort.push(g);
            xs.push(x);
            ys.push(alpha + 0.1 * s as f64 + p.gamma * x * s as f64 + tau + eps);
            te.push(tau);
        }
    }
    let f = Frame::new()
        .with_column("unit", Column::Int(Cow::Owned(unit)))
        .and_then(|f| f.with_column("period", Column::Int(Cow::Owned(period))))
        .and_then(|f| f.with_column("cohort", Column::Int(Cow::Owned(cohort))))
        .and_then(|f| f.with_column("x", Column::Float(Cow::Owned(xs))))
        .and_then(|f| f.with_column("y", Column::Float(Cow::Owned(ys))))
        .and_then(|f| f.with_column("true_effect", Column::Float(Cow::Owned(te))))
        .expect("columns of equal length with distinct names");
    Ok(f)
}
