//! Power analysis by simulation: run an estimator on many replicates of a [`PanelDesign`] in
//! parallel and report power, bias, RMSE, coverage and the minimum detectable effect.
//!
//! # Model
//!
//! For each effect size $\delta$ (the design's `effect`) and replicate $r = 0..R-1$, draw the
//! panel from stream $r$ of the seed, estimate, and record the estimate $\hat\delta_r$, its
//! standard error, interval and p-value, and the replicate's true estimand $\theta_r$ (the
//! mean true effect over treated unit-periods). Then
//!
//! - power $= R^{-1}\sum_r 1[p_r < \alpha]$, with Monte Carlo SE $\sqrt{\pi(1-\pi)/R}$;
//! - bias $= R^{-1}\sum_r (\hat\delta_r - \theta_r)$, RMSE $= (R^{-1}\sum_r (\hat\delta_r - \theta_r)^2)^{1/2}$;
//! - coverage $= R^{-1}\sum_r 1[\theta_r \in \mathrm{CI}_r]$.
//!
//! **Minimum detectable effect.** Analytic (Bloom 1995): $\mathrm{MDE} = (z_{1-\alpha/2} +
//! z_{\pi})\,\overline{\mathrm{SE}}_0$, where $\overline{\mathrm{SE}}_0$ is the mean standard
//! error when there is no effect ($2.80 \times \mathrm{SE}$ for $\alpha = 0.05$, $\pi = 0.8$).
//! Simulated: bisection over $\delta$ for the smallest effect whose simulated power reaches
//! $\pi$. Every effect size reuses the same replicate streams (common random numbers), so the
//! simulated power is a smooth, nearly monotone function of $\delta$ and the search is stable.
//!
//! # Estimators
//!
//! [`PowerEstimator`] (see [`super::estimators`]): TWFE (`feols("outcome ~ treated | unit +
//! period")` with CR1 errors by unit, optionally weighted by unit size), Sun-Abraham and the
//! imputation estimator, Callaway-Sant'Anna, synthetic DiD and (one treated unit) synthetic
//! control; each reports the ATT over treated unit-periods. Under staggered adoption with
//! dynamic or heterogeneous effects TWFE is biased for the ATT (Goodman-Bacon 2021); the
//! result warns. Any other estimator runs through [`ReplicateFit`] ([`Validated::run_with`]):
//! the runner simulates the replicates and summarises; the caller only fits.
//!
//! Synthetic control has no standard error: its power is that of the placebo permutation test,
//! its coverage is NaN, and the analytic MDE uses the standard deviation of the estimates
//! under no effect in place of the mean standard error.
//!
//! # Determinism
//!
//! Replicate $r$ uses ChaCha8 stream $r$ of the seed and results are reduced in replicate
//! order, so they are identical for any number of threads.
//!
//! # References
//!
//! Bloom (1995), "Minimum detectable effects", *Evaluation Review* 19(5); Burlig, Preonas &
//! Woerman (2020), "Panel data and experimental design", *JDE* 144 (simulation-based power
//! for panels with serial correlation); Goodman-Bacon (2021).

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::SimulateError;
use super::estimators::Prepared;
pub use super::estimators::{PowerEstimator, ScUnit};
use super::panel::PanelDesign;
use super::panel::PanelDraw;
use super::power_result::{Draw, Mde, PowerResult, PowerRow};
use crate::error::ParamsError;
use crate::inference::RefDist;
use crate::results::{Diagnostic, DiagnosticCode};
use crate::synth::SdidSe;
use crate::traits::Validated;
use crate::{Error, Result};

/// Largest number of bisection steps in the simulated MDE search.
const MAX_BISECTION: usize = 12;
/// The search stops when the bracket is narrower than this share of the analytic MDE.
const BISECTION_TOL: f64 = 0.005;

/// How to find the minimum detectable effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MdeSearch {
    /// No MDE.
    None,
    /// The analytic approximation only (one extra run without effect, unless 0 is in `effects`).
    Analytic,
    /// Analytic, cross-checked by bisection over effect sizes (common random numbers).
    Bisection,
}

impl FromStr for MdeSearch {
    type Err = ParamsError;
    fn from_str(s: &str) -> std::result::Result<Self, ParamsError> {
        match s {
            "none" => Ok(MdeSearch::None),
            "analytic" => Ok(MdeSearch::Analytic),
            "bisection" => Ok(MdeSearch::Bisection),
            _ => Err(ParamsError::UnknownChoice {
                name: "mde",
                value: s.into(),
                valid: vec!["none".into(), "analytic".into(), "bisection".into()],
            }),
        }
    }
}

/// A power analysis: design, estimator, effect sizes and replications.
///
/// # Defaults
///
/// - `design`: [`PanelDesign::default`] (17 of 98 units treated from 2016, 2010-2024).
/// - `estimator`: `twfe`; `weighted`: `false`.
/// - `effects`: empty, meaning the design's `effect` only.
/// - `reps`: 1000; `alpha`: 0.05; `power_target`: 0.8; `mde`: `bisection`.
/// - `threads`: `None` (rayon's global pool; results do not depend on it). At most
///   [`crate::inference::MAX_THREADS`]; a pool gets no more threads than the machine runs at
///   once ([`crate::inference::pool_threads`]).
/// - `sdid_se`: `jackknife`; `sdid_reps`: 100 (placebo/bootstrap replications of `sdid`).
/// - `sc_unit`: `only` (`synthetic_control` needs a design with one treated unit).
///
/// # Errors
///
/// [`crate::ParamsError::InvalidParam`] for `reps` below [`crate::inference::MIN_DRAWS`]; the design's errors (see
/// [`PanelDesign`]); [`ParamsError::InvalidParam`] for `alpha` or `power_target` outside
/// $(0, 1)$, `power_target <= alpha`, non-finite effects, `threads` 0 or above
/// [`crate::inference::MAX_THREADS`], or `reps` whose replicates would not fit in memory;
/// [`SimulateError::NeedsOneTreated`] for `synthetic_control` on a design with several treated
/// units and `sc_unit = only`; `InvalidParam` for `weighted` with an estimator that cannot weight, and for `sdid`
/// with a jackknife or bootstrap standard error and one treated unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Power {
    /// The simulated design.
    pub design: PanelDesign,
    /// Estimator.
    pub estimator: PowerEstimator,
    /// Weight the estimator by unit size.
    pub weighted: bool,
    /// Effect sizes of the power curve (empty: the design's `effect`).
    pub effects: Vec<f64>,
    /// Replications per effect size.
    pub reps: usize,
    /// Test level.
    pub alpha: f64,
    /// Power at which the MDE is defined.
    pub power_target: f64,
    /// MDE search.
    pub mde: MdeSearch,
    /// Threads (`None`: rayon's global pool).
    pub threads: Option<usize>,
    /// Standard error of the `sdid` estimator.
    pub sdid_se: SdidSe,
    /// Placebo or bootstrap replications of the `sdid` standard error.
    pub sdid_reps: usize,
    /// Which treated unit `synthetic_control` analyses.
    pub sc_unit: ScUnit,
}

impl Default for Power {
    fn default() -> Self {
        Power {
            design: PanelDesign::default(),
            estimator: PowerEstimator::Twfe,
            weighted: false,
            effects: Vec::new(),
            reps: 1000,
            alpha: 0.05,
            power_target: 0.8,
            mde: MdeSearch::Bisection,
            threads: None,
            sdid_se: SdidSe::Jackknife,
            sdid_reps: 100,
            sc_unit: ScUnit::Only,
        }
    }
}

impl Power {
    /// A power analysis of `design` with every other option at its default.
    pub fn new(design: PanelDesign) -> Self {
        Power { design, ..Default::default() }
    }

    /// Set the effect sizes of the power curve.
    pub fn effects(mut self, effects: Vec<f64>) -> Self {
        self.effects = effects;
        self
    }

    /// Set the number of replications per effect size.
    pub fn reps(mut self, reps: usize) -> Self {
        self.reps = reps;
        self
    }

    /// Set the estimator.
    pub fn estimator(mut self, estimator: PowerEstimator) -> Self {
        self.estimator = estimator;
        self
    }

    /// Weight by unit size.
    pub fn weighted(mut self, yes: bool) -> Self {
        self.weighted = yes;
        self
    }

    /// Set the test level.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Set the power at which the MDE is defined.
    pub fn power_target(mut self, power: f64) -> Self {
        self.power_target = power;
        self
    }

    /// Set the MDE search.
    pub fn mde(mut self, mde: MdeSearch) -> Self {
        self.mde = mde;
        self
    }

    /// Choose the treated unit `synthetic_control` analyses.
    pub fn sc_unit(mut self, which: ScUnit) -> Self {
        self.sc_unit = which;
        self
    }

    /// Run on a pool of `n` threads.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }

    /// Check every option (see `# Errors` on [`Power`]); resolves the design's seed.
    ///
    /// # Errors
    /// See [`Power`].
    pub fn validate(self) -> Result<Validated<PowerChecked>> {
        let bad = |name, value: String, reason: &str| -> Error {
            ParamsError::InvalidParam { name, value, reason: reason.into() }.into()
        };
        crate::inference::check_draws("reps", self.reps)?;
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(bad("alpha", self.alpha.to_string(), "must be between 0 and 1"));
        }
        if !(self.power_target > self.alpha && self.power_target < 1.0) {
            return Err(bad("power_target", self.power_target.to_string(), "must be between alpha and 1"));
        }
        if let Some(e) = self.effects.iter().find(|e| !e.is_finite()) {
            return Err(bad("effects", e.to_string(), "must be finite"));
        }
        if let Some(n) = self.threads {
            crate::inference::check_threads(n)?;
        }
        // One summary (a few numbers) per replicate and effect size.
        crate::inference::check_memory("reps", self.reps, 64.0 * self.reps as f64, "the replicate summaries")?;
        let design = self.design.clone().validate()?;
        let n_treated: usize = design.cohorts.iter().map(|c| c.n_units).sum();
        if self.estimator == PowerEstimator::SyntheticControl && n_treated != 1 && self.sc_unit == ScUnit::Only {
            return Err(SimulateError::NeedsOneTreated { estimator: "synthetic_control", n_treated }.into());
        }
        if self.estimator == PowerEstimator::Sdid
            && matches!(self.sdid_se, SdidSe::Jackknife | SdidSe::Bootstrap)
            && n_treated < 2
        {
            return Err(bad(
                "sdid_se",
                format!("{:?}", self.sdid_se).to_lowercase(),
                "needs at least two treated units (the design treats one); use sdid_se=\"placebo\"",
            ));
        }
        let estimator =
            Prepared::new(self.estimator, self.weighted, self.alpha, self.sdid_se, self.sdid_reps, self.sc_unit)?;
        Ok(Validated::new(PowerChecked { params: self, design, estimator }))
    }

    /// Validate and run.
    ///
    /// # Errors
    /// See [`Power::validate`] and [`Validated::<PowerChecked>::run`].
    pub fn run(self) -> Result<PowerResult> {
        self.validate()?.run(&Progress::default())
    }
}

/// [`Power`] after validation: the design with its seed and the prepared estimator.
#[derive(Debug, Clone)]
pub struct PowerChecked {
    /// The params as given.
    pub params: Power,
    /// The validated design (seed resolved).
    pub design: Validated<PanelDesign>,
    estimator: Prepared,
}

/// Progress of a running power analysis, shared with the caller (read from another thread),
/// and its cancellation token ([`crate::inference::Cancel`], which also sees Ctrl-C) checked
/// before every replicate.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicUsize,
    total: AtomicUsize,
    cancel: crate::inference::Cancel,
}

impl Progress {
    /// Replications finished so far.
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    /// Replications planned (an upper bound while an MDE search runs; exact at the end).
    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// Ask the run to stop; it returns [`SimulateError::Cancelled`].
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    fn cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

/// What a user-supplied estimator reports for one replicate; missing p-value or interval
/// (NaN) are filled in from the normal distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fitted {
    /// Point estimate.
    pub estimate: f64,
    /// Standard error.
    pub std_error: f64,
    /// Two-sided p-value (NaN: normal, from estimate / std_error).
    pub p_value: f64,
    /// Interval (NaN: estimate -/+ z_{1-alpha/2} std_error).
    pub conf_low: f64,
    /// Upper end of the interval.
    pub conf_high: f64,
}

/// An estimator fitted outside the runner (e.g. a Python callable): the runner simulates
/// replicate `replicate` at effect `effect` and calls `fit`; it must be deterministic in the
/// draw. An `Err` stops the run with [`SimulateError::CallableFailed`] naming the replicate.
pub trait ReplicateFit: Sync {
    /// Fit one replicate.
    ///
    /// # Errors
    /// Whatever message explains the failure.
    fn fit(&self, draw: &PanelDraw, effect: f64, replicate: u64) -> std::result::Result<Fitted, String>;
}

impl Draw {
    /// A draw from a user fit, with normal p-value and interval where they are missing.
    fn from_fitted(f: Fitted, alpha: f64, estimand: f64) -> Draw {
        let normal = crate::results::Estimate::new("", f.estimate, f.std_error, &RefDist::Normal, alpha);
        let (conf_low, conf_high) = if f.conf_low.is_finite() && f.conf_high.is_finite() {
            (f.conf_low, f.conf_high)
        } else {
            (normal.conf_low, normal.conf_high)
        };
        Draw {
            estimate: f.estimate,
            std_error: f.std_error,
            p_value: if f.p_value.is_finite() { f.p_value } else { normal.p_value },
            conf_low,
            conf_high,
            estimand,
        }
    }
}

/// The draws of one effect size: estimates in replicate order, failures and the first message.
struct Batch {
    draws: Vec<Draw>,
    n_failed: usize,
    first_error: Option<String>,
}

impl Validated<PowerChecked> {
    /// Run the analysis, reporting progress in `progress`.
    ///
    /// # Errors
    /// [`SimulateError::Cancelled`] when cancelled through `progress`;
    /// [`SimulateError::AllFailed`] when no replicate of an effect size produced an estimate.
    pub fn run(&self, progress: &Progress) -> Result<PowerResult> {
        self.run_with(progress, None)
    }

    /// Run with the replicates fitted by `fit` when given (it replaces the built-in
    /// estimator; required when the estimator is `callable`).
    ///
    /// # Errors
    /// As [`Self::run`]; [`SimulateError::CallableFailed`] when `fit` fails (the run stops;
    /// the replicate named is the earliest failure among those run, which on several threads
    /// need not be the earliest overall); `InvalidParam` for `callable` without `fit`.
    pub fn run_with(&self, progress: &Progress, fit: Option<&dyn ReplicateFit>) -> Result<PowerResult> {
        if fit.is_none() && self.params.estimator == PowerEstimator::Callable {
            return Err(ParamsError::InvalidParam {
                name: "estimator",
                value: "callable".into(),
                reason: "a callable estimator needs the function that fits each replicate".into(),
            }
            .into());
        }
        match self.params.threads {
            None => self.run_here(progress, fit),
            Some(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(crate::inference::pool_threads(n))
                .build()
                .map_err(|e| {
                    Error::from(ParamsError::InvalidParam {
                        name: "threads",
                        value: n.to_string(),
                        reason: e.to_string(),
                    })
                })?
                .install(|| self.run_here(progress, fit)),
        }
    }

    fn run_here(&self, progress: &Progress, fit: Option<&dyn ReplicateFit>) -> Result<PowerResult> {
        let p = &self.params;
        let effects = if p.effects.is_empty() { vec![self.design.effect] } else { p.effects.clone() };
        let null_needed = p.mde != MdeSearch::None && !effects.contains(&0.0);
        let planned = effects.len()
            + usize::from(null_needed)
            + if p.mde == MdeSearch::Bisection { MAX_BISECTION + 4 } else { 0 };
        progress.total.store(planned * p.reps, Ordering::Relaxed);
        let sizes = self.design.unit_sizes();
        let mut warnings = Vec::new();
        let mut failures = 0usize;
        let mut first_error: Option<String> = None;
        let mut batch = |effect: f64| -> Result<(Vec<Draw>, usize)> {
            let b = self.batch(effect, &sizes, progress, fit)?;
            failures += b.n_failed;
            if first_error.is_none() {
                first_error = b.first_error.clone();
            }
            if b.draws.is_empty() {
                return Err(SimulateError::AllFailed { reps: p.reps, first: b.first_error.unwrap_or_default() }.into());
            }
            Ok((b.draws, b.n_failed))
        };

        let mut curve = Vec::with_capacity(effects.len());
        let mut draws = Vec::with_capacity(effects.len());
        for &effect in &effects {
            let (d, failed) = batch(effect)?;
            curve.push(PowerRow::from_draws(effect, &d, failed, p.alpha));
            draws.push(d);
        }

        let mde = if p.mde == MdeSearch::None {
            None
        } else {
            let null_row = match effects.iter().position(|&e| e == 0.0) {
                Some(i) => curve[i].clone(),
                None => {
                    let (d, failed) = batch(0.0)?;
                    PowerRow::from_draws(0.0, &d, failed, p.alpha)
                }
            };
            let multiplier = RefDist::Normal.critical(p.alpha) + RefDist::Normal.critical(2.0 * (1.0 - p.power_target));
            // Without standard errors (synthetic control), the simulated sampling SD.
            let se_null = if null_row.mean_se.is_finite() { null_row.mean_se } else { null_row.sd_estimate };
            let analytic = multiplier * se_null;
            let mut mde = Mde {
                power_target: p.power_target,
                se_null,
                multiplier,
                analytic,
                simulated: None,
                simulated_power: None,
                search: Vec::new(),
            };
            if p.mde == MdeSearch::Bisection {
                let mut power_at = |effect: f64| -> Result<f64> {
                    let (d, failed) = batch(effect)?;
                    Ok(PowerRow::from_draws(effect, &d, failed, p.alpha).power)
                };
                bisect(&mut mde, null_row.power, &mut power_at)?;
                if mde.simulated == Some(0.0) {
                    warnings.push(Diagnostic::new(
                        DiagnosticCode::Size,
                        format!("the test rejects in {:.1}% of replicates without effect: above the power target, so the MDE is 0", 100.0 * null_row.power),
                    ));
                }
            }
            Some(mde)
        };

        let no_p: usize = draws.iter().flatten().filter(|d| !d.p_value.is_finite()).count();
        if no_p > 0 {
            let why = if p.estimator == PowerEstimator::SyntheticControl {
                ": the treated unit was fitted exactly before treatment (few pre-periods, many donors), so the RMSPE ratio is not informative; use more pre-periods or fewer units"
            } else {
                ""
            };
            warnings.push(Diagnostic::new(
                DiagnosticCode::NoPValue,
                format!(
                    "{no_p} of {} replicates on the power curve have no p-value and count as not rejecting{why}",
                    draws.iter().map(Vec::len).sum::<usize>()
                ),
            ));
        }
        if failures > 0 {
            warnings.push(Diagnostic::new(
                DiagnosticCode::FailedReplicates,
                format!(
                    "{failures} replicates produced no estimate and are left out; the first error: {}",
                    first_error.unwrap_or_default()
                ),
            ));
        }
        let d = &self.design;
        let staggered = d.cohorts.iter().filter(|c| c.n_units > 0).count() > 1;
        if p.estimator == PowerEstimator::Twfe && staggered && (d.dynamic.len() > 1 || d.effect_sd > 0.0) {
            warnings.push(Diagnostic::new(
                DiagnosticCode::TwfeStaggered,
                "TWFE under staggered adoption with dynamic or heterogeneous effects is biased for the ATT (Goodman-Bacon 2021); see the bias column",
            ));
        }
        let total = progress.done();
        progress.total.store(total, Ordering::Relaxed);
        Ok(PowerResult {
            curve,
            mde,
            draws,
            design: (**d).clone(),
            params: p.clone(),
            seed: d.seed_used(),
            total_replications: total,
            warnings,
            version: crate::VERSION.to_string(),
        })
    }

    /// All replicates at one effect size, in parallel, collected in replicate order. Built-in
    /// estimators that fail on a replicate are counted; a failing `fit` stops the run.
    fn batch(&self, effect: f64, sizes: &[f64], progress: &Progress, fit: Option<&dyn ReplicateFit>) -> Result<Batch> {
        let p = &self.params;
        let seed = self.design.seed_used();
        let stop = AtomicBool::new(false);
        let results: Vec<Option<std::result::Result<Draw, Error>>> = (0..p.reps as u64)
            .into_par_iter()
            .map(|r| {
                if progress.cancelled() || stop.load(Ordering::Relaxed) {
                    return None;
                }
                let draw = self.design.simulate_with(r, sizes, effect);
                let out = match fit {
                    None => self.estimator.estimate(&draw, p.weighted, seed, r),
                    Some(f) => f
                        .fit(&draw, effect, r)
                        .map(|f| Draw::from_fitted(f, p.alpha, draw.estimand(p.weighted)))
                        .map_err(|message| {
                            stop.store(true, Ordering::Relaxed);
                            SimulateError::CallableFailed { replicate: r, effect, message }.into()
                        }),
                };
                progress.done.fetch_add(1, Ordering::Relaxed);
                Some(out)
            })
            .collect();
        if progress.cancelled() {
            return Err(SimulateError::Cancelled { done: progress.done() }.into());
        }
        let mut b = Batch { draws: Vec::with_capacity(results.len()), n_failed: 0, first_error: None };
        for r in results.into_iter().flatten() {
            match r {
                Ok(d) => b.draws.push(d),
                Err(e @ Error::Simulate(SimulateError::CallableFailed { .. })) => return Err(e),
                Err(e) => {
                    b.n_failed += 1;
                    b.first_error.get_or_insert(e.to_string());
                }
            }
        }
        Ok(b)
    }
}

/// Bisection for the smallest effect with simulated power at least the target, starting from
/// the bracket [0, 1.5 x analytic MDE] (widened by doubling when needed).
fn bisect(mde: &mut Mde, power_zero: f64, power_at: &mut dyn FnMut(f64) -> Result<f64>) -> Result<()> {
    let target = mde.power_target;
    if power_zero >= target {
        mde.simulated = Some(0.0);
        mde.simulated_power = Some(power_zero);
        return Ok(());
    }
    if !(mde.analytic.is_finite() && mde.analytic > 0.0) {
        return Ok(());
    }
    let (mut lo, mut hi) = (0.0, 1.5 * mde.analytic);
    let mut p_hi = power_at(hi)?;
    mde.search.push((hi, p_hi));
    let mut widen = 0;
    while p_hi < target {
        if widen == 4 {
            return Ok(());
        }
        lo = hi;
        hi *= 2.0;
        p_hi = power_at(hi)?;
        mde.search.push((hi, p_hi));
        widen += 1;
    }
    for _ in 0..MAX_BISECTION {
        if hi - lo <= BISECTION_TOL * mde.analytic {
            break;
        }
        let mid = 0.5 * (lo + hi);
        let p_mid = power_at(mid)?;
        mde.search.push((mid, p_mid));
        if p_mid >= target {
            hi = mid;
            p_hi = p_mid;
        } else {
            lo = mid;
        }
    }
    mde.simulated = Some(hi);
    mde.simulated_power = Some(p_hi);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bisection_finds_the_crossing_of_a_known_curve() {
        // Power curve of a z-test with SE 1: the MDE is 2.8016.
        let mut mde = Mde {
            power_target: 0.8,
            se_null: 1.0,
            multiplier: 2.8016,
            analytic: 2.8016,
            simulated: None,
            simulated_power: None,
            search: Vec::new(),
        };
        let z = 1.959963984540054;
        let phi = |x: f64| 0.5 * (1.0 + statrs::function::erf::erf(x / std::f64::consts::SQRT_2));
        let mut curve = |d: f64| -> Result<f64> { Ok(phi(d - z) + phi(-d - z)) };
        bisect(&mut mde, 0.05, &mut curve).unwrap();
        let s = mde.simulated.unwrap();
        assert!((s - 2.8016).abs() < 0.02, "{s}");
        assert!(mde.simulated_power.unwrap() >= 0.8);
    }

    #[test]
    fn power_rejects_zero_reps_and_bad_levels() {
        assert!(matches!(
            Power::default().reps(1).validate(),
            Err(Error::Params(ParamsError::InvalidParam { name: "reps", .. }))
        ));
        assert!(matches!(Power::default().alpha(1.5).validate(), Err(Error::Params(_))));
        assert!(matches!(Power::default().power_target(0.01).validate(), Err(Error::Params(_))));
        assert!("cs".parse::<PowerEstimator>().is_err());
        assert_eq!("sun_abraham".parse::<PowerEstimator>().unwrap(), PowerEstimator::SunAbraham);
        let weighted_sa = Power::default().estimator(PowerEstimator::Imputation).weighted(true).validate();
        assert!(matches!(weighted_sa, Err(Error::Params(ParamsError::InvalidParam { name: "weighted", .. }))));
    }
}
