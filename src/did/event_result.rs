//! The result shared by the event-study estimators (Sun-Abraham, TWFE event study,
//! imputation): effects by event time, an overall ATT, cohort-level pieces and a pre-trend test.

use std::fmt;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::imputation::DidImputation;
use super::sun_abraham::{SunAbraham, TwfeEventStudy};
use super::TimingReport;
use crate::linalg::spd_solve_inverse;
use crate::results::{Diagnostic, Estimate};

/// Which estimator produced an [`EventStudyResult`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStudyMethod {
    /// Sun & Abraham (2021) interaction-weighted estimator.
    SunAbraham,
    /// Two-way fixed effects with relative-time dummies.
    Twfe,
    /// Borusyak, Jaravel & Spiess (2024) imputation estimator.
    Imputation,
}

/// The params an event study was fitted with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum EventStudyParams {
    /// Sun-Abraham.
    SunAbraham(SunAbraham),
    /// TWFE event study.
    Twfe(TwfeEventStudy),
    /// Imputation.
    Imputation(DidImputation),
}

/// The effect at one event time (periods since the cohort's first treated period).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventTimeEstimate {
    /// Event time `t - g`.
    pub event_time: i64,
    /// Estimate, standard error, test and interval (`term` = `event_time::e`).
    pub estimate: Estimate,
    /// Observations of treated cohorts at this event time behind the estimate.
    pub n_obs: usize,
    /// Wild cluster bootstrap p-value of `effect = 0` (when the `wildboot` option is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_p_value: Option<f64>,
    /// Lower end of the bootstrap (test-inversion) confidence interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_conf_low: Option<f64>,
    /// Upper end of the bootstrap (test-inversion) confidence interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_conf_high: Option<f64>,
}

impl EventTimeEstimate {
    /// An event-time effect without bootstrap inference.
    pub(crate) fn new(event_time: i64, estimate: Estimate, n_obs: usize) -> Self {
        EventTimeEstimate { event_time, estimate, n_obs, boot_p_value: None, boot_conf_low: None, boot_conf_high: None }
    }

    /// Attach a wild cluster bootstrap p-value and interval.
    pub(crate) fn with_boot(mut self, b: &crate::inference::WildBootResult) -> Self {
        self.boot_p_value = Some(b.p_value);
        self.boot_conf_low = b.conf_int.map(|c| c.0);
        self.boot_conf_high = b.conf_int.map(|c| c.1);
        self
    }
}

/// One cohort x event-time cell (Sun-Abraham's interaction coefficients).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CohortEffect {
    /// Cohort (first treated period).
    pub cohort: i64,
    /// Event time.
    pub event_time: i64,
    /// The cell's coefficient.
    pub estimate: Estimate,
    /// Its weight in the event-time average (the cohort's share of the cell's observations).
    pub weight: f64,
    /// Observations in the cell.
    pub n_obs: usize,
}

impl CohortEffect {
    /// A cell whose standard error is not reported (`NaN`): its cohort has a single unit, so the
    /// clustered variance has nothing to vary over within the cohort.
    pub(crate) fn without_std_error(mut self) -> Self {
        let e = &mut self.estimate;
        e.std_error = f64::NAN;
        e.statistic = f64::NAN;
        e.p_value = f64::NAN;
        e.conf_low = f64::NAN;
        e.conf_high = f64::NAN;
        self
    }
}

/// A joint Wald test that several coefficients are zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WaldTest {
    /// What is tested.
    pub hypothesis: String,
    /// Wald statistic $b' V^{-1} b$.
    pub statistic: f64,
    /// Degrees of freedom (number of restrictions).
    pub df: usize,
    /// p-value from the chi-squared distribution.
    pub p_value: f64,
}

impl WaldTest {
    /// Test `b = 0` with covariance `v`; `None` when `b` is empty or `v` is singular.
    pub(crate) fn chi2(hypothesis: impl Into<String>, b: &[f64], v: &[Vec<f64>]) -> Option<WaldTest> {
        if b.is_empty() {
            return None;
        }
        let (x, _) = spd_solve_inverse(v, b, "pre-trend covariance").ok()?;
        let statistic: f64 = b.iter().zip(&x).map(|(a, c)| a * c).sum();
        let p_value = ChiSquared::new(b.len() as f64).ok().map(|d| 1.0 - d.cdf(statistic))?;
        Some(WaldTest { hypothesis: hypothesis.into(), statistic, df: b.len(), p_value })
    }
}

/// An event study: effects by event time with their covariance, the overall ATT, and (by
/// estimator) cohort-level coefficients and a pre-trend test.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventStudyResult {
    /// Estimator.
    pub method: EventStudyMethod,
    /// Effects by event time, ascending. For the imputation estimator the negative event
    /// times are the pre-trend coefficients (BJS Test 1), not effects.
    pub event_times: Vec<EventTimeEstimate>,
    /// Covariance of the post-treatment event-time effects (event times >= 0, in order).
    pub vcov: Vec<Vec<f64>>,
    /// Average effect over all treated observations (event times >= 0).
    pub att: Option<Estimate>,
    /// Cohort x event-time coefficients (Sun-Abraham) or cells (imputation); empty for TWFE.
    pub cohort_effects: Vec<CohortEffect>,
    /// Joint test that the pre-treatment coefficients are zero.
    pub pretrend: Option<WaldTest>,
    /// Reference event time left out (`-1`), when there is one.
    pub reference: Option<i64>,
    /// Observations used.
    pub n_obs: usize,
    /// Units used.
    pub n_units: usize,
    /// Cluster variable and its number of clusters.
    pub cluster: (String, usize),
    /// Rows dropped for a missing outcome or covariate.
    pub n_missing: usize,
    /// Which units serve as controls (`never_treated`, or `last_treated` cohort when none are never treated).
    pub control: String,
    /// Cohort report (first-period-treated units dropped, late cohorts recoded as never treated).
    pub timing: TimingReport,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
    /// The params used.
    pub params: EventStudyParams,
    /// Degrees of freedom of the t distribution of the tests and intervals (`None`: normal).
    #[serde(default)]
    pub df_t: Option<f64>,
    /// virkning version.
    pub version: String,
}

impl EventStudyResult {
    /// The effect at event time `e`.
    pub fn at(&self, e: i64) -> Option<&EventTimeEstimate> {
        self.event_times.iter().find(|r| r.event_time == e)
    }

    /// The observation-weighted mean of the post-treatment event-time effects,
    /// $\sum_{e \ge 0} n_e \hat\beta_e / \sum_{e \ge 0} n_e$ ($n_e$ = `n_obs`): the TWFE event
    /// study's summary of the effect (it reports no ATT), tested by its `ritest`. `None` without
    /// a finite post-treatment effect.
    pub fn post_mean(&self) -> Option<f64> {
        let post = self.event_times.iter().filter(|e| e.event_time >= 0 && e.estimate.estimate.is_finite());
        let (num, den) =
            post.fold((0.0, 0.0), |(a, b), e| (a + e.n_obs as f64 * e.estimate.estimate, b + e.n_obs as f64));
        (den > 0.0).then(|| num / den)
    }
}

impl fmt::Display for EventStudyResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.method {
            EventStudyMethod::SunAbraham => "Sun-Abraham interaction-weighted event study",
            EventStudyMethod::Twfe => "TWFE event study",
            EventStudyMethod::Imputation => "Imputation event study (Borusyak, Jaravel & Spiess)",
        };
        writeln!(f, "{name}")?;
        writeln!(f, "{:>6} {:>12} {:>12} {:>9} {:>9}", "e", "estimate", "std.error", "t", "p")?;
        for r in &self.event_times {
            let e = &r.estimate;
            writeln!(
                f,
                "{:>6} {:>12.6} {:>12.6} {:>9.3} {:>9.4}",
                r.event_time, e.estimate, e.std_error, e.statistic, e.p_value
            )?;
        }
        if let Some(a) = &self.att {
            writeln!(f, "ATT: {:.6} ({:.6})", a.estimate, a.std_error)?;
        }
        if let Some(t) = &self.pretrend {
            writeln!(f, "Pre-trend test: chi2({}) = {:.3}, p = {:.4}", t.df, t.statistic, t.p_value)?;
        }
        write!(
            f,
            "Observations: {}, units: {}, clusters ({}): {}",
            self.n_obs, self.n_units, self.cluster.0, self.cluster.1
        )
    }
}
