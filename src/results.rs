//! Result building blocks shared by every estimator: coefficient rows, diagnostics,
//! convergence records and the report of dropped observations.

use serde::{Deserialize, Serialize};

/// One row of an estimates table (broom names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Estimate {
    /// Name of the coefficient or effect.
    pub term: String,
    /// Point estimate.
    pub estimate: f64,
    /// Standard error.
    pub std_error: f64,
    /// Test statistic (estimate / std_error).
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Lower end of the confidence interval.
    pub conf_low: f64,
    /// Upper end of the confidence interval.
    pub conf_high: f64,
}

impl Estimate {
    /// Build a row from an estimate, its standard error and the reference distribution.
    pub fn new(
        term: impl Into<String>,
        estimate: f64,
        std_error: f64,
        dist: &crate::inference::RefDist,
        alpha: f64,
    ) -> Self {
        let statistic = estimate / std_error;
        let crit = dist.critical(alpha);
        Estimate {
            term: term.into(),
            estimate,
            std_error,
            statistic,
            p_value: dist.two_sided_p(statistic),
            conf_low: estimate - crit * std_error,
            conf_high: estimate + crit * std_error,
        }
    }
}

/// Statistical trouble that still yields numbers: carried in results, re-emitted in Python as
/// a `VirkningWarning` subclass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Machine-readable kind: `convergence`, `collinearity`, `singletons`, `small_clusters`, ...
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic with a code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic { code: code.into(), message: message.into() }
    }
}

/// Convergence record of an iterative step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Convergence {
    /// Whether every iterative step met its tolerance.
    pub converged: bool,
    /// Largest number of iterations used by any column.
    pub iterations: usize,
    /// Tolerance that was asked for.
    pub tolerance: f64,
}

/// Observations removed before estimation, with reasons (like fixest's "N obs removed").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DropReport {
    /// Rows in the input.
    pub n_input: usize,
    /// Rows used in estimation.
    pub n_used: usize,
    /// Rows with a missing value, per column (a row missing in two columns counts in both).
    pub missing_by_column: Vec<(String, usize)>,
    /// Rows dropped for a missing value in any used column.
    pub n_missing: usize,
    /// Rows dropped because they were alone in a fixed-effect group.
    pub n_singletons: usize,
    /// Rows dropped for a zero weight.
    pub n_zero_weight: usize,
}

impl DropReport {
    /// One sentence for summaries, empty when nothing was dropped.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.n_missing > 0 {
            let cols: Vec<String> =
                self.missing_by_column.iter().filter(|(_, c)| *c > 0).map(|(n, c)| format!("{n}: {c}")).collect();
            parts.push(format!("{} obs removed for missing values ({})", self.n_missing, cols.join(", ")));
        }
        if self.n_singletons > 0 {
            parts.push(format!("{} singleton obs removed", self.n_singletons));
        }
        if self.n_zero_weight > 0 {
            parts.push(format!("{} obs with zero weight removed", self.n_zero_weight));
        }
        parts.join("; ")
    }
}
