//! Results of the Cox model: coefficients (log hazard ratios) in the contract's estimate rows,
//! hazard ratios, the three global tests, concordance, baseline hazards, and the fit state
//! that residuals, `cox_zph` and predictions use.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::baseline::BaselineHazard;
use super::concordance::Concordance;
use super::cox::NewtonFit;
use super::params::Coxph;
use super::sample::CoxSample;
use super::SurvivalError;
use crate::data::{Frame, Rows};
use crate::regression::{ColumnRecipe, Evaluator};
use crate::results::{Diagnostic, DropReport, Estimate};

/// A chi-square test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChiTest {
    /// Statistic.
    pub statistic: f64,
    /// Degrees of freedom.
    pub df: usize,
    /// Upper-tail p-value.
    pub p_value: f64,
}

/// A hazard ratio with its interval (exp of the coefficient row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HazardRatio {
    /// Regressor.
    pub term: String,
    /// $e^{\hat\beta}$.
    pub hazard_ratio: f64,
    /// $e^{\text{conf\_low}}$.
    pub conf_low: f64,
    /// $e^{\text{conf\_high}}$.
    pub conf_high: f64,
}

/// What a result keeps of its fit (not serialised).
#[derive(Debug)]
pub(crate) struct FitState {
    pub sample: CoxSample,
    pub newton: NewtonFit,
}

/// A fitted Cox model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CoxResult {
    /// The options used.
    pub params: Coxph,
    /// Log hazard ratios (`term, estimate, std_error, statistic, p_value, conf_low, conf_high`).
    pub coefficients: Vec<Estimate>,
    /// Hazard ratios with intervals, in the same order.
    pub hazard_ratios: Vec<HazardRatio>,
    /// Variance of the coefficients (robust when asked).
    pub vcov: Vec<Vec<f64>>,
    /// The model-based variance when `vcov` is robust.
    pub naive_vcov: Option<Vec<Vec<f64>>>,
    /// `model`, `robust` or `cluster`.
    pub vcov_type: String,
    /// Log partial likelihood at beta = 0.
    pub loglik_null: f64,
    /// Log partial likelihood at the estimate.
    pub loglik: f64,
    /// Likelihood-ratio test of all coefficients.
    pub likelihood_ratio: ChiTest,
    /// Wald test (with `vcov`).
    pub wald: ChiTest,
    /// Score (log-rank) test.
    pub score: ChiTest,
    /// Newton-Raphson iterations.
    pub iterations: usize,
    /// Whether the partial likelihood converged.
    pub converged: bool,
    /// Observations (rows or intervals) used.
    pub n_obs: usize,
    /// Events.
    pub n_events: usize,
    /// Strata.
    pub n_strata: usize,
    /// Stratum labels.
    pub strata: Vec<String>,
    /// Clusters of the robust variance (rows when robust without a cluster column).
    pub n_clusters: Option<usize>,
    /// Weighted means of the regressors.
    pub means: Vec<f64>,
    /// Regressors dropped as collinear.
    pub collinear: Vec<String>,
    /// Rows dropped for a zero duration.
    pub n_zero_duration: usize,
    /// Rows dropped for missing values or zero weights.
    pub drops: DropReport,
    /// Warnings (collinearity, separation, convergence, zero durations).
    pub warnings: Vec<Diagnostic>,
    /// How each regressor is computed (for prediction).
    pub recipes: Vec<ColumnRecipe>,
    #[serde(skip)]
    pub(crate) fit: Option<Arc<FitState>>,
}

/// Predicted survival curves for new rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurvivalPrediction {
    /// Times (the baseline's).
    pub time: Vec<f64>,
    /// Survival, one vector per new row (rows x times).
    pub surv: Vec<Vec<f64>>,
    /// Linear predictor of each new row.
    pub linear_predictor: Vec<f64>,
}

impl CoxResult {
    pub(crate) fn state(&self) -> crate::Result<&FitState> {
        self.fit.as_deref().ok_or_else(|| {
            SurvivalError::Unsupported { what: "this needs the fitted data (not kept in a deserialised result)".into() }
                .into()
        })
    }

    /// Harrell's concordance of the linear predictor (computed on demand: O(n log n)).
    ///
    /// # Errors
    /// [`SurvivalError::Unsupported`] on a deserialised result.
    pub fn concordance(&self) -> crate::Result<Concordance> {
        let st = self.state()?;
        let eta = super::riskset::linear_predictor(&st.sample, &st.newton.beta);
        Ok(super::concordance::concordance(&st.sample, &eta))
    }

    /// Breslow baseline cumulative hazard per stratum at x = 0 (computed on demand).
    ///
    /// # Errors
    /// [`SurvivalError::Unsupported`] on a deserialised result.
    pub fn baseline(&self) -> crate::Result<Vec<BaselineHazard>> {
        let st = self.state()?;
        Ok(super::baseline::baseline(&st.sample, &st.newton, self.params.ties))
    }

    /// A coefficient row by name.
    pub fn coef(&self, term: &str) -> Option<&Estimate> {
        self.coefficients.iter().find(|e| e.term == term)
    }

    /// Linear predictors $x'\hat\beta$ (uncentred, no offset) of the rows of `frame`.
    ///
    /// # Errors
    /// Missing columns; a row with a missing regressor gives NaN.
    pub fn linear_predictor(&self, frame: &Frame<'_>) -> crate::Result<Vec<f64>> {
        let n = frame.n_rows();
        let rows = Rows::All(n);
        let mut lp = vec![0.0; n];
        let mut buf = vec![0.0; n];
        for (r, e) in self.recipes.iter().zip(&self.coefficients) {
            Evaluator::new(frame, &r.components, &rows)?.fill(&rows, &mut buf);
            lp.iter_mut().zip(&buf).for_each(|(l, x)| *l += e.estimate * x);
        }
        Ok(lp)
    }

    /// Survival curves $\exp(-\hat\Lambda_0(t) e^{x'\hat\beta})$ for the rows of `frame`
    /// (unstratified models).
    ///
    /// # Errors
    /// [`SurvivalError::Unsupported`] for a stratified model; missing columns.
    pub fn predict_survival(&self, frame: &Frame<'_>) -> crate::Result<SurvivalPrediction> {
        let baseline = self.baseline()?;
        if baseline.len() != 1 {
            return Err(SurvivalError::Unsupported {
                what: "predicted survival of a stratified model needs the stratum of each row; use the baseline of each stratum".into(),
            }
            .into());
        }
        let b = &baseline[0];
        let lp = self.linear_predictor(frame)?;
        let surv = lp.iter().map(|l| b.cumhaz.iter().map(|h| (-h * l.exp()).exp()).collect()).collect();
        Ok(SurvivalPrediction { time: b.time.clone(), surv, linear_predictor: lp })
    }

    /// Score residuals (rows x regressors, in input-row order of the rows used) consistent with
    /// the tie method, and their input rows.
    ///
    /// # Errors
    /// [`SurvivalError::Unsupported`] on a deserialised result.
    pub fn score_residuals(&self) -> crate::Result<(Vec<usize>, Vec<Vec<f64>>)> {
        let state = self.state()?;
        let s = &state.sample;
        let r = super::residuals::score_residuals(s, &state.newton, self.params.ties);
        let rows = s.input_rows.clone();
        Ok((rows, (0..s.n).map(|i| (0..s.p).map(|j| r[j * s.n + i]).collect()).collect()))
    }
}
