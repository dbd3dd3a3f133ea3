//! The result of a power run: plain data.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::panel::PanelDesign;
use super::power::Power;
use crate::results::Diagnostic;

/// One replicate's estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Draw {
    /// Point estimate of the effect.
    pub estimate: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Two-sided p-value of "no effect".
    pub p_value: f64,
    /// Lower end of the 1 - alpha interval.
    pub conf_low: f64,
    /// Upper end of the 1 - alpha interval.
    pub conf_high: f64,
    /// The replicate's true estimand (mean true effect over treated unit-periods).
    pub estimand: f64,
}

/// Operating characteristics at one effect size, over the replicates that produced an estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PowerRow {
    /// The design's `effect` (full-strength effect $\delta$).
    pub effect: f64,
    /// Mean true estimand over replicates (differs from `effect` with dynamic or heterogeneous effects).
    pub estimand: f64,
    /// Replicates that produced an estimate.
    pub reps: usize,
    /// Replicates that failed (not counted anywhere else).
    pub n_failed: usize,
    /// Share of replicates rejecting "no effect" at level alpha (two-sided).
    pub power: f64,
    /// Monte Carlo standard error of `power`: $\sqrt{p(1-p)/R}$.
    pub power_mc_se: f64,
    /// Mean of estimate minus estimand.
    pub bias: f64,
    /// Root mean squared error around the estimand.
    pub rmse: f64,
    /// Share of intervals containing the estimand (over replicates with an interval; NaN for
    /// estimators without one, such as synthetic control).
    pub coverage: f64,
    /// Mean reported standard error.
    pub mean_se: f64,
    /// Standard deviation of the estimates (the true sampling standard deviation).
    pub sd_estimate: f64,
}

impl PowerRow {
    /// Summarise the draws at `effect`; `n_failed` replicates had no estimate.
    pub(crate) fn from_draws(effect: f64, draws: &[Draw], n_failed: usize, alpha: f64) -> PowerRow {
        let r = draws.len() as f64;
        let mean = |f: &dyn Fn(&Draw) -> f64| draws.iter().map(f).sum::<f64>() / r;
        let power = mean(&|d| if d.p_value < alpha { 1.0 } else { 0.0 });
        let m = mean(&|d| d.estimate);
        let var = if draws.len() > 1 {
            draws.iter().map(|d| (d.estimate - m).powi(2)).sum::<f64>() / (r - 1.0)
        } else {
            f64::NAN
        };
        PowerRow {
            effect,
            estimand: mean(&|d| d.estimand),
            reps: draws.len(),
            n_failed,
            power,
            power_mc_se: (power * (1.0 - power) / r).sqrt(),
            bias: mean(&|d| d.estimate - d.estimand),
            rmse: mean(&|d| (d.estimate - d.estimand).powi(2)).sqrt(),
            coverage: coverage(draws),
            mean_se: mean(&|d| d.std_error),
            sd_estimate: var.sqrt(),
        }
    }
}

/// Share of intervals containing the estimand, over the draws with an interval; NaN when no
/// draw has one (synthetic control).
fn coverage(draws: &[Draw]) -> f64 {
    let with: Vec<&Draw> = draws.iter().filter(|d| d.conf_low.is_finite() && d.conf_high.is_finite()).collect();
    if with.is_empty() {
        return f64::NAN;
    }
    with.iter().filter(|d| d.conf_low <= d.estimand && d.estimand <= d.conf_high).count() as f64 / with.len() as f64
}

/// Minimum detectable effect of the design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Mde {
    /// Power the MDE is defined for.
    pub power_target: f64,
    /// Mean standard error under no effect.
    pub se_null: f64,
    /// $z_{1-\alpha/2} + z_{\pi}$ (2.80 for alpha 0.05 and power 0.80).
    pub multiplier: f64,
    /// Analytic approximation: `multiplier * se_null`.
    pub analytic: f64,
    /// Smallest effect whose simulated power reached the target (bisection with common
    /// random numbers); `None` when not searched.
    pub simulated: Option<f64>,
    /// Simulated power at `simulated`.
    pub simulated_power: Option<f64>,
    /// Every effect the search evaluated, with its simulated power, in search order.
    pub search: Vec<(f64, f64)>,
}

/// Power, bias, RMSE and coverage of an estimator over simulated replicates of a design, and
/// the design's minimum detectable effect.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PowerResult {
    /// One row per effect size of the power curve.
    pub curve: Vec<PowerRow>,
    /// Minimum detectable effect (when asked for).
    pub mde: Option<Mde>,
    /// Estimates of every replicate, per row of `curve`.
    pub draws: Vec<Vec<Draw>>,
    /// The design with its seed resolved.
    pub design: PanelDesign,
    /// The params as given.
    pub params: Power,
    /// Seed used (replicate r uses stream r).
    pub seed: u64,
    /// Replications run in total (curve, null run and MDE search).
    pub total_replications: usize,
    /// Warnings: failed replicates, biased estimator for the design.
    pub warnings: Vec<Diagnostic>,
    /// virkning version.
    pub version: String,
}

impl fmt::Display for PowerResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.design;
        let n_treated: usize = d.cohorts.iter().map(|c| c.n_units).sum();
        writeln!(
            f,
            "Power of {:?}: {} of {} units treated, periods {}-{}, {} replications, alpha {}",
            self.params.estimator,
            n_treated,
            d.n_units,
            d.first_period,
            d.last_period,
            self.params.reps,
            self.params.alpha
        )?;
        writeln!(
            f,
            "{:>10} {:>10} {:>8} {:>10} {:>10} {:>9} {:>10}",
            "effect", "estimand", "power", "bias", "rmse", "coverage", "mean_se"
        )?;
        for r in &self.curve {
            writeln!(
                f,
                "{:>10.5} {:>10.5} {:>8.3} {:>10.5} {:>10.5} {:>9.3} {:>10.5}",
                r.effect, r.estimand, r.power, r.bias, r.rmse, r.coverage, r.mean_se
            )?;
        }
        if let Some(m) = &self.mde {
            write!(
                f,
                "MDE at {:.0}% power: {:.5} (analytic {:.2} x SE {:.5})",
                100.0 * m.power_target,
                m.analytic,
                m.multiplier,
                m.se_null
            )?;
            if let Some(s) = m.simulated {
                write!(f, "; simulated {s:.5}")?;
            }
        }
        for w in &self.warnings {
            write!(f, "\nWarning: {}", w.message)?;
        }
        Ok(())
    }
}
