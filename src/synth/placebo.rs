//! Inference for synthetic control (Abadie, Diamond & Hainmueller 2010, 2015):
//!
//! * placebo in space: every donor in turn is the treated unit, the other donors its pool;
//!   the statistic is the post/pre RMSPE ratio and the permutation p-value is
//!   `(1 + #{placebos with ratio >= treated ratio}) / (1 + #placebos)`; placebos whose
//!   pre-period fit is exact (RMSPE below 1e-8 times the unit's pre-period RMS outcome: a
//!   constant donor, or fewer pre-periods than the donors can match) have no meaningful ratio
//!   and are left out (reported); an exact fit of the treated unit itself gives no p-value;
//! * placebo in time: the treatment moved to the middle of the pre-period, fitted on the
//!   pre-period only (pre-period outcomes as predictors): a good design shows no "effect";
//! * leave-one-out: refit without each donor that has positive weight.
//!
//! All fits run in parallel (rayon).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::synthetic_control::{diagnostics, Problem, ScFit, SyntheticControl};
use super::SynthError;
use crate::data::{Frame, Wide};
use crate::results::{Diagnostic, DiagnosticCode};
use crate::traits::Validated;

/// One placebo fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlaceboFit {
    /// The unit treated as if treated.
    pub unit: String,
    /// Pre-period RMSPE.
    pub rmspe_pre: f64,
    /// Post-period RMSPE.
    pub rmspe_post: f64,
    /// Post/pre ratio (NaN when the pre-period RMSPE is 0).
    pub ratio: f64,
    /// Mean post gap.
    pub att: f64,
    /// Gaps, every period.
    pub gaps: Vec<f64>,
}

/// Leave-one-out refit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LeaveOneOut {
    /// Donor left out.
    pub dropped: String,
    /// Mean post gap without it.
    pub att: f64,
    /// Synthetic path without it.
    pub synthetic_path: Vec<f64>,
}

/// Result of [`SyntheticControl`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ScResult {
    /// The fit for the treated unit.
    pub fit: ScFit,
    /// Periods.
    pub periods: Vec<i64>,
    /// First treated period.
    pub treatment_start: i64,
    /// Placebo fits (empty without `placebo`).
    pub placebos: Vec<PlaceboFit>,
    /// Post/pre RMSPE ratio of the treated unit.
    pub ratio: f64,
    /// Permutation p-value of the ratio.
    pub p_value: f64,
    /// Placebo-in-time fit (fake start in the middle of the pre-period), when there are at
    /// least 4 pre-periods.
    pub in_time: Option<ScFit>,
    /// Fake start of the in-time placebo.
    pub in_time_start: Option<i64>,
    /// Leave-one-out refits.
    pub leave_one_out: Vec<LeaveOneOut>,
    /// Diagnostics.
    pub warnings: Vec<Diagnostic>,
    /// virkning version.
    pub version: String,
}

impl SyntheticControl {
    /// Options for these columns.
    pub fn new(outcome: &str, unit: &str, time: &str, treated_unit: &str, treatment_start: i64) -> Self {
        SyntheticControl {
            outcome: outcome.into(),
            unit: unit.into(),
            time: time.into(),
            treated_unit: treated_unit.into(),
            treatment_start,
            ..Default::default()
        }
    }

    /// Check the options.
    ///
    /// # Errors
    /// `InvalidParam` for a negative or non-finite `v` or a zero `max_evals`.
    pub fn validate(self) -> crate::Result<Validated<SyntheticControl>> {
        if let Some(v) = &self.v {
            if v.iter().any(|x| !x.is_finite() || *x < 0.0) || v.iter().sum::<f64>() <= 0.0 {
                return Err(crate::ParamsError::InvalidParam {
                    name: "v",
                    value: format!("{v:?}"),
                    reason: "predictor weights must be non-negative, finite and not all zero".into(),
                }
                .into());
            }
        }
        if self.max_evals == 0 {
            return Err(crate::ParamsError::InvalidParam {
                name: "max_evals",
                value: "0".into(),
                reason: "must be positive".into(),
            }
            .into());
        }
        Ok(Validated::new(self))
    }

    /// Validate and fit.
    ///
    /// # Errors
    /// Data errors (missing cells named), [`SynthError`]: unknown treated unit, start outside
    /// the periods, fewer than 2 pre-periods, fewer than 2 donors, `v` of the wrong length.
    pub fn fit(self, frame: &Frame<'_>) -> crate::Result<ScResult> {
        self.validate()?.fit(frame)
    }
}

impl Validated<SyntheticControl> {
    /// Fit the treated unit, the placebos and the robustness checks.
    pub fn fit(&self, frame: &Frame<'_>) -> crate::Result<ScResult> {
        let p: &SyntheticControl = self;
        let prob = Problem::build(frame, p)?;
        let treated = prob
            .y
            .unit_index(&p.treated_unit)
            .ok_or_else(|| SynthError::UnknownUnit { unit: p.treated_unit.clone(), column: p.unit.clone() })?;
        let donors: Vec<usize> = (0..prob.y.n_units()).filter(|&u| u != treated).collect();
        if donors.len() < 2 {
            return Err(SynthError::TooFewDonors {
                what: "synthetic control".into(),
                reason: format!("{} donor(s); at least 2 are needed", donors.len()),
            }
            .into());
        }
        if let Some(v) = &p.v {
            if v.len() != prob.n_rows() {
                return Err(SynthError::BadPredictor {
                    name: "v".into(),
                    reason: format!(
                        "has {} entries; there are {} predictor rows ({})",
                        v.len(),
                        prob.n_rows(),
                        prob.names.join(", ")
                    ),
                }
                .into());
            }
        }
        let v = p.v.as_deref();
        let fit = prob.fit(treated, &donors, v, true, p.max_evals);
        let mut warnings = diagnostics(&prob, treated, &donors, &fit);
        let ratio = rmspe_ratio(&prob, treated, &fit);
        // Placebo in space: each donor against the other donors (the treated unit excluded).
        let placebos: Vec<PlaceboFit> = if p.placebo {
            donors
                .par_iter()
                .map(|&d| {
                    let pool: Vec<usize> = donors.iter().copied().filter(|&u| u != d).collect();
                    let f = prob.fit(d, &pool, v, true, p.max_evals);
                    let ratio = rmspe_ratio(&prob, d, &f);
                    PlaceboFit {
                        unit: f.unit,
                        rmspe_pre: f.rmspe_pre,
                        rmspe_post: f.rmspe_post,
                        ratio,
                        att: f.att,
                        gaps: f.gaps,
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let finite: Vec<f64> = placebos.iter().map(|q| q.ratio).filter(|r| r.is_finite()).collect();
        if ratio.is_nan() {
            warnings.push(Diagnostic::new(
                DiagnosticCode::ExactPreFit,
                format!(
                    "the treated unit {} is fitted exactly before treatment (pre-period RMSPE {:.3e}) with {} pre-periods and {} donors: the post/pre RMSPE ratio and its p-value are not informative; use more pre-periods or fewer donors",
                    fit.unit, fit.rmspe_pre, prob.t0, donors.len()
                ),
            ));
        }
        let p_value = if finite.is_empty() || ratio.is_nan() {
            f64::NAN
        } else {
            (1 + finite.iter().filter(|&&r| r >= ratio).count()) as f64 / (1 + finite.len()) as f64
        };
        if finite.len() < placebos.len() {
            warnings.push(Diagnostic::new(
                DiagnosticCode::PlaceboDropped,
                format!(
                    "{} placebo(s) fitted exactly before treatment (constant donors, or fewer pre-periods than the donors can match) have no meaningful RMSPE ratio and are left out of the p-value",
                    placebos.len() - finite.len()
                ),
            ));
        }
        // Placebo in time: fake start in the middle of the pre-period, pre-period data only.
        let (in_time, in_time_start) = if prob.t0 >= 4 {
            let fake_t0 = prob.t0 / 2;
            let nt = prob.t0;
            let mut values = Vec::with_capacity(prob.y.n_units() * nt);
            for u in 0..prob.y.n_units() {
                values.extend_from_slice(&prob.y.row(u)[..nt]);
            }
            let y = Wide { values, units: prob.y.units.clone(), periods: prob.y.periods[..nt].to_vec() };
            let k = fake_t0;
            let mut x = vec![0.0; y.n_units() * k];
            for u in 0..y.n_units() {
                x[u * k..(u + 1) * k].copy_from_slice(&y.row(u)[..k]);
            }
            let names = (0..k).map(|s| format!("{} {}", p.outcome, y.periods[s])).collect();
            let sub = Problem { y, x, names, t0: fake_t0, outcome_rows_only: true, n_pred: 0 };
            (Some(sub.fit(treated, &donors, None, false, p.max_evals)), Some(prob.y.periods[fake_t0]))
        } else {
            (None, None)
        };
        // Leave one out: every donor with positive weight.
        let leave_one_out: Vec<LeaveOneOut> = donors
            .iter()
            .zip(&fit.weights)
            .filter(|(_, &w)| w > 0.0)
            .map(|(&d, _)| d)
            .collect::<Vec<_>>()
            .par_iter()
            .map(|&d| {
                let pool: Vec<usize> = donors.iter().copied().filter(|&u| u != d).collect();
                let f = prob.fit(treated, &pool, v, true, p.max_evals);
                LeaveOneOut { dropped: prob.y.units[d].clone(), att: f.att, synthetic_path: f.synthetic_path }
            })
            .collect();
        Ok(ScResult {
            fit,
            periods: prob.y.periods.clone(),
            treatment_start: p.treatment_start,
            placebos,
            ratio,
            p_value,
            in_time,
            in_time_start,
            leave_one_out,
            warnings,
            version: crate::VERSION.into(),
        })
    }
}

/// Post/pre RMSPE ratio, NaN when the pre-period fit is exact (RMSPE below 1e-8 times the
/// unit's pre-period RMS outcome), where the ratio only measures rounding error.
fn rmspe_ratio(prob: &Problem, unit: usize, f: &ScFit) -> f64 {
    let pre = &prob.y.row(unit)[..prob.t0];
    let rms = (pre.iter().map(|v| v * v).sum::<f64>() / pre.len() as f64).sqrt();
    if f.rmspe_pre > 1e-8 * rms.max(f64::MIN_POSITIVE) {
        f.rmspe_post / f.rmspe_pre
    } else {
        f64::NAN
    }
}
