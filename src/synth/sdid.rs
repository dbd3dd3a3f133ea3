//! Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021,
//! AER), with the synthetic-control and DiD estimators of the same framework, several treated
//! units and staggered adoption (cohort by cohort, see [`super::staggered`]).
//!
//! `tau = (-omega, 1/N1)' Y (-lambda, 1/T1)` with unit weights `omega` and time weights `lambda`
//! from the paper's regularised problems ([`super::block`]); standard errors by placebo,
//! bootstrap or jackknife ([`super::se`]).

use serde::{Deserialize, Serialize};

use super::block::{noise_level, paths, SdidMethod};
use super::se::{standard_error, Draws, SdidSe};
use super::staggered::{fit_staggered, Staggered};
use super::SynthError;
use crate::data::Frame;
use crate::error::ParamsError;
use crate::inference::RefDist;
use crate::results::{Diagnostic, DiagnosticCode, Estimate};
use crate::traits::Validated;

/// Options of [`Sdid`].
///
/// # Defaults
/// `method = sdid`, `se = placebo`, `reps = 200` (the R package's), `seed = None` (0),
/// `alpha = 0.05`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sdid {
    /// Outcome column.
    pub outcome: String,
    /// Unit column.
    pub unit: String,
    /// Time column (whole numbers).
    pub time: String,
    /// 0/1 column: 1 for treated units in treated periods (absorbing).
    pub treated: String,
    /// Estimator.
    pub method: SdidMethod,
    /// Standard-error method.
    pub se: SdidSe,
    /// Placebo or bootstrap replications.
    pub reps: usize,
    /// Seed of the replicate streams.
    pub seed: Option<u64>,
    /// 1 - confidence level.
    pub alpha: f64,
}

impl Default for Sdid {
    fn default() -> Self {
        Sdid {
            outcome: String::new(),
            unit: String::new(),
            time: String::new(),
            treated: String::new(),
            method: SdidMethod::Sdid,
            se: SdidSe::Placebo,
            reps: 200,
            seed: None,
            alpha: 0.05,
        }
    }
}

fn invalid(name: &'static str, value: impl ToString, reason: &str) -> crate::Error {
    ParamsError::InvalidParam { name, value: value.to_string(), reason: reason.into() }.into()
}

impl Sdid {
    /// Options for these columns, with the defaults.
    pub fn new(outcome: &str, unit: &str, time: &str, treated: &str) -> Self {
        Sdid {
            outcome: outcome.into(),
            unit: unit.into(),
            time: time.into(),
            treated: treated.into(),
            ..Default::default()
        }
    }

    /// Set the estimator.
    pub fn method(mut self, m: SdidMethod) -> Self {
        self.method = m;
        self
    }

    /// Set the standard-error method.
    pub fn se(mut self, se: SdidSe) -> Self {
        self.se = se;
        self
    }

    /// Set the number of replications.
    pub fn reps(mut self, reps: usize) -> Self {
        self.reps = reps;
        self
    }

    /// Set the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Check the options.
    ///
    /// # Errors
    /// [`ParamsError::InvalidParam`] for `reps < 2` with a resampling SE or `alpha` outside (0, 1).
    pub fn validate(self) -> crate::Result<Validated<Sdid>> {
        if matches!(self.se, SdidSe::Placebo | SdidSe::Bootstrap) {
            crate::inference::check_draws("reps", self.reps)?;
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(invalid("alpha", self.alpha, "must be in (0, 1)"));
        }
        for (n, v) in
            [("outcome", &self.outcome), ("unit", &self.unit), ("time", &self.time), ("treated", &self.treated)]
        {
            if v.is_empty() {
                return Err(invalid(n, "", "a column name is required"));
            }
        }
        Ok(Validated::new(self))
    }

    /// Validate and fit.
    ///
    /// # Errors
    /// Data errors (missing columns, missing cells naming units and periods), [`SynthError`]
    /// (no treated/control units, non-absorbing treatment, too few pre-periods, constant
    /// controls, placebo with too few controls, bootstrap/jackknife with one treated unit).
    pub fn fit(self, frame: &Frame<'_>) -> crate::Result<SdidResult> {
        let draws = Draws::Seeded(self.seed.unwrap_or(0));
        self.validate()?.fit_with(frame, &draws)
    }
}

impl Validated<Sdid> {
    /// Fit with the given replicate draws (seeded, or explicit for comparisons with a peer).
    pub fn fit_with(&self, frame: &Frame<'_>, draws: &Draws) -> crate::Result<SdidResult> {
        let p: &Sdid = self;
        let s = Staggered::from_frame(frame, &p.unit, &p.time, &p.outcome, &p.treated)?;
        s.check(p.method)?;
        for c in s.cohorts() {
            let sigma = noise_level(&s.block(&c));
            if p.method != SdidMethod::Did && !(sigma > 0.0) {
                return Err(SynthError::ConstantControls.into());
            }
        }
        let fit = fit_staggered(&s, p.method);
        let se = standard_error(&s, &fit, p.method, p.se, p.reps, draws)?;
        let mut warnings = Vec::new();
        let constant: Vec<String> = (0..s.adoption.len())
            .filter(|&u| s.adoption[u].is_none())
            .filter(|&u| {
                let r = s.y.row(u);
                r.iter().all(|&v| v == r[0])
            })
            .map(|u| s.y.units[u].clone())
            .collect();
        if !constant.is_empty() {
            warnings.push(Diagnostic::new(
                DiagnosticCode::ConstantDonors,
                format!("control unit(s) with a constant outcome: {} (kept as controls)", constant.join(", ")),
            ));
        }
        let periods = s.y.periods.clone();
        let cohorts: Vec<SdidCohort> = fit
            .cohorts
            .iter()
            .zip(&fit.fits)
            .zip(&fit.shares)
            .map(|((c, f), &share)| {
                let b = s.block(c);
                let (treated_path, synthetic_path) = paths(&b, &f.weights);
                let pre_gap: f64 =
                    (0..c.adoption).map(|k| f.weights.lambda[k] * (treated_path[k] - synthetic_path[k])).sum();
                let effects =
                    (c.adoption..periods.len()).map(|k| treated_path[k] - synthetic_path[k] - pre_gap).collect();
                SdidCohort {
                    adoption: periods[c.adoption],
                    n_treated: c.treated.len(),
                    n_control: c.controls.len(),
                    n_pre: c.adoption,
                    n_post: periods.len() - c.adoption,
                    estimate: f.tau,
                    share,
                    noise_level: f.noise_level,
                    zeta_omega: f.opts.zeta_omega,
                    zeta_lambda: f.opts.zeta_lambda,
                    treated_units: c.treated.iter().map(|&u| s.y.units[u].clone()).collect(),
                    unit_weights: c
                        .controls
                        .iter()
                        .map(|&u| s.y.units[u].clone())
                        .zip(f.weights.omega.iter().copied())
                        .collect(),
                    time_weights: periods[..c.adoption].iter().copied().zip(f.weights.lambda.iter().copied()).collect(),
                    treated_path,
                    synthetic_path,
                    intercept: pre_gap,
                    effects,
                    converged: f.converged,
                }
            })
            .collect();
        let estimate = Estimate::new("ATT", fit.att, se.se, &RefDist::Normal, p.alpha);
        Ok(SdidResult {
            method: p.method,
            se_method: p.se,
            reps: se.replicates.len(),
            seed: p.seed,
            alpha: p.alpha,
            estimates: vec![estimate],
            cohorts,
            periods,
            n_units: s.adoption.len(),
            n_treated: s.adoption.iter().filter(|a| a.is_some()).count(),
            replicates: se.replicates,
            warnings,
            version: crate::VERSION.into(),
        })
    }
}

impl Validated<Sdid> {
    /// Randomization inference on the ATT: permute adoption times across units (see
    /// [`crate::inference::PermutedTiming`]), rebuild the 0/1 `treated` column and refit without
    /// standard errors. Permuting keeps the adoption-time distribution, so a simultaneous
    /// design stays simultaneous and a staggered one uses the cohort-by-cohort path.
    ///
    /// # Errors
    /// As [`crate::inference::PermutedTiming::from_treatment`] and the fit on the actual data.
    pub fn ritest(
        &self,
        frame: &Frame<'_>,
        params: &Validated<crate::inference::RiTest>,
    ) -> crate::Result<crate::inference::RiResult> {
        let mut p: Sdid = (**self).clone();
        p.se = SdidSe::None;
        let p = p.validate()?;
        let perm = crate::inference::PermutedTiming::from_treatment(frame, &p.unit, &p.time, &p.treated)?;
        perm.test("ATT", params, |f| Ok(p.fit_with(f, &Draws::Seeded(0))?.att()))
    }
}

/// One adoption cohort of an [`SdidResult`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SdidCohort {
    /// First treated period.
    pub adoption: i64,
    /// Treated units in the cohort.
    pub n_treated: usize,
    /// Control (never-treated) units.
    pub n_control: usize,
    /// Pre-treatment periods.
    pub n_pre: usize,
    /// Post-treatment periods (adoption to the last period).
    pub n_post: usize,
    /// The cohort's ATT.
    pub estimate: f64,
    /// Its share in the aggregate (treated unit-periods).
    pub share: f64,
    /// Noise level `sigma` (SD of first differences of control pre-period outcomes).
    pub noise_level: f64,
    /// Unit-weight regularisation `zeta_omega`.
    pub zeta_omega: f64,
    /// Time-weight regularisation `zeta_lambda`.
    pub zeta_lambda: f64,
    /// Treated units.
    pub treated_units: Vec<String>,
    /// Unit weights (omega) of the controls.
    pub unit_weights: Vec<(String, f64)>,
    /// Time weights (lambda) of the pre-periods.
    pub time_weights: Vec<(i64, f64)>,
    /// Mean outcome of the treated units, every period.
    pub treated_path: Vec<f64>,
    /// Omega-weighted control outcome, every period.
    pub synthetic_path: Vec<f64>,
    /// Lambda-weighted pre-period gap (the SDID intercept between the two paths).
    pub intercept: f64,
    /// Effect in each post period (gap minus the intercept); their mean is `estimate`.
    pub effects: Vec<f64>,
    /// Whether Frank-Wolfe met its decrease criterion before the 10,000-step cap (the R
    /// package stops at the cap silently, as here; the estimate is what R reports).
    pub converged: bool,
}

/// Result of [`Sdid`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SdidResult {
    /// Estimator.
    pub method: SdidMethod,
    /// SE method.
    pub se_method: SdidSe,
    /// Replicates used for the SE.
    pub reps: usize,
    /// Seed.
    pub seed: Option<u64>,
    /// 1 - confidence level.
    pub alpha: f64,
    /// One row: the aggregate ATT (normal-theory interval, as the paper).
    pub estimates: Vec<Estimate>,
    /// Cohorts.
    pub cohorts: Vec<SdidCohort>,
    /// All periods.
    pub periods: Vec<i64>,
    /// Units.
    pub n_units: usize,
    /// Treated units.
    pub n_treated: usize,
    /// Replicate estimates behind the SE.
    pub replicates: Vec<f64>,
    /// Diagnostics.
    pub warnings: Vec<Diagnostic>,
    /// virkning version.
    pub version: String,
}

impl SdidResult {
    /// The aggregate ATT.
    pub fn att(&self) -> f64 {
        self.estimates[0].estimate
    }

    /// Its standard error.
    pub fn std_error(&self) -> f64 {
        self.estimates[0].std_error
    }
}
