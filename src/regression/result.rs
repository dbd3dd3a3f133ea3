//! The result of `feols`: plain data.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::design::ColumnRecipe;
use super::params::Feols;
use crate::data::Rows;
use crate::inference::SmallSampleCorrection;
use crate::results::{Convergence, Diagnostic, DropReport, Estimate};

/// One fixed-effect dimension of a fitted model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FixedEffectInfo {
    /// Name (`unit`, `region^year`).
    pub name: String,
    /// Levels in the estimation sample.
    pub n_levels: usize,
    /// Whether it is nested in a cluster variable (then not counted in K by default).
    pub nested_in_cluster: bool,
}

/// Estimated fixed effects of one dimension. For two or more dimensions the first level of
/// each dimension after the first is set to 0 (fixest's normalisation for connected designs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FixedEffectValues {
    /// Dimension name.
    pub name: String,
    /// Level labels.
    pub labels: Vec<String>,
    /// Estimated effect per level.
    pub values: Vec<f64>,
}

/// A fitted fixed-effects regression.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FeolsResult {
    /// Coefficient table.
    pub coefficients: Vec<Estimate>,
    /// Variance-covariance matrix of the coefficients (row-major, in table order).
    pub vcov: Vec<Vec<f64>>,
    /// Which variance (`CR1 by countyreal`).
    pub vcov_type: String,
    /// Observations used.
    pub n_obs: usize,
    /// Observations dropped, with reasons.
    pub drops: DropReport,
    /// Regressors dropped for collinearity.
    pub collinear: Vec<String>,
    /// Fixed-effect dimensions.
    pub fixed_effects: Vec<FixedEffectInfo>,
    /// Cluster variables and their number of clusters.
    pub clusters: Vec<(String, usize)>,
    /// Parameters counted in the small-sample correction (K).
    pub n_params: usize,
    /// Residual degrees of freedom (N minus every coefficient and fixed effect).
    pub df_resid: usize,
    /// Degrees of freedom of the t distribution for tests and intervals.
    pub df_t: f64,
    /// Weighted residual sum of squares.
    pub rss: f64,
    /// R-squared.
    pub r2: f64,
    /// Adjusted R-squared.
    pub adj_r2: f64,
    /// Within R-squared (after absorbing fixed effects), when there are fixed effects.
    pub r2_within: Option<f64>,
    /// Residual standard error.
    pub sigma: f64,
    /// Small-sample correction used.
    pub ssc: SmallSampleCorrection,
    /// Demeaning convergence.
    pub convergence: Convergence,
    /// Warnings: collinearity, convergence, few clusters.
    pub warnings: Vec<Diagnostic>,
    /// The params as given.
    pub params: Feols,
    /// How each regressor was built (for prediction).
    pub recipes: Vec<ColumnRecipe>,
    /// virkning version.
    pub version: String,
    /// Residuals on the estimation sample.
    #[serde(skip)]
    pub residuals: Vec<f64>,
    /// Estimated fixed effects.
    #[serde(skip)]
    pub fixef: Vec<FixedEffectValues>,
    /// Input rows of the estimation sample.
    #[serde(skip, default = "no_rows")]
    pub rows: Rows,
}

fn no_rows() -> Rows {
    Rows::All(0)
}

impl FeolsResult {
    /// Coefficient called `term`.
    pub fn coef(&self, term: &str) -> Option<&Estimate> {
        self.coefficients.iter().find(|e| e.term == term)
    }

    /// Residuals placed at their input rows (`NaN` for rows not used), for an input of `n_input` rows.
    pub fn residuals_by_row(&self) -> Vec<f64> {
        let mut out = vec![f64::NAN; self.drops.n_input];
        for (k, r) in self.residuals.iter().enumerate() {
            out[self.rows.get(k)] = *r;
        }
        out
    }
}

impl fmt::Display for FeolsResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "OLS: {}", self.params.formula)?;
        let fe: Vec<String> = self.fixed_effects.iter().map(|e| format!("{} ({})", e.name, e.n_levels)).collect();
        if !fe.is_empty() {
            writeln!(f, "Fixed effects: {}", fe.join(", "))?;
        }
        writeln!(f, "Observations: {}   Std. errors: {}", self.n_obs, self.vcov_type)?;
        writeln!(f, "{:<24} {:>12} {:>12} {:>9} {:>9}", "term", "estimate", "std.error", "t", "p")?;
        for e in &self.coefficients {
            writeln!(
                f,
                "{:<24} {:>12.6} {:>12.6} {:>9.3} {:>9.4}",
                e.term, e.estimate, e.std_error, e.statistic, e.p_value
            )?;
        }
        write!(f, "RMSE: {:.6}   R2: {:.5}", self.sigma, self.r2)?;
        if let Some(w) = self.r2_within {
            write!(f, "   R2 within: {w:.5}")?;
        }
        let d = self.drops.describe();
        if !d.is_empty() {
            write!(f, "\nNote: {d}")?;
        }
        for w in &self.warnings {
            write!(f, "\nWarning: {}", w.message)?;
        }
        Ok(())
    }
}
