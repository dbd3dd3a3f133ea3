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

macro_rules! diagnostic_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// The kind of a [`Diagnostic`]: one variant per warning code, serialised as its
        /// snake_case name (the JSON of results is the same as with free strings). Mapped once
        /// to a Python warning class in `src/python/errors.rs`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum DiagnosticCode {
            $($(#[doc = $doc])* #[serde(rename = $name)] $variant,)*
        }

        impl DiagnosticCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [DiagnosticCode] = &[$(DiagnosticCode::$variant),*];

            /// The snake_case name (as in the JSON of a result).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(DiagnosticCode::$variant => $name,)*
                }
            }

            /// The code with this snake_case name.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(DiagnosticCode::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

diagnostic_codes! {
    /// An iterative step stopped before its tolerance.
    Convergence = "convergence",
    /// Regressors dropped for collinearity.
    Collinearity = "collinearity",
    /// A multi-way cluster variance that was not positive semidefinite (eigenvalues clipped).
    VcovNotPsd = "vcov_not_psd",
    /// Few clusters (or treated observations) for reliable inference.
    SmallClusters = "small_clusters",
    /// Weak overlap: propensity scores trimmed or cells without overlap.
    Overlap = "overlap",
    /// Effects that could not be estimated (NaN) or were left out of an aggregation.
    Identification = "identification",
    /// Treated observations that could not be imputed and were dropped.
    NotImputable = "not_imputable",
    /// A control group other than the one asked for (e.g. no never-treated units).
    ControlGroup = "control_group",
    /// A Goodman-Bacon decomposition that does not add up to the TWFE estimate.
    Decomposition = "decomposition",
    /// A bootstrap critical value that could not be computed.
    Bootstrap = "bootstrap",
    /// A variance component estimated at (or near) the boundary zero.
    Boundary = "boundary",
    /// Units with zero size, excluded.
    ZeroSize = "zero_size",
    /// No size column: sampling noise unknown.
    NoSize = "no_size",
    /// Donor or control units with a constant outcome.
    ConstantDonors = "constant_donors",
    /// A synthetic control that fits the pre-period exactly (permutation p-value affected).
    ExactPreFit = "exact_pre_fit",
    /// Placebo fits left out of the permutation p-value.
    PlaceboDropped = "placebo_dropped",
    /// A treated unit outside the donors' range: poor pre-period fit.
    PoorFit = "poor_fit",
    /// A simulated test that over-rejects without an effect.
    Size = "size",
    /// Simulated replicates without a p-value (normal tests used).
    NoPValue = "no_p_value",
    /// Simulated replicates whose estimation failed.
    FailedReplicates = "failed_replicates",
    /// TWFE under staggered adoption with dynamic or heterogeneous effects (biased).
    TwfeStaggered = "twfe_staggered",
}

impl std::fmt::Display for DiagnosticCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for DiagnosticCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Statistical trouble that still yields numbers: carried in results, re-emitted in Python as
/// the `VirkningWarning` subclass its code maps to (`src/python/errors.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Machine-readable kind (serialised as its snake_case name).
    pub code: DiagnosticCode,
    /// Human-readable message.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic with a code and message.
    pub fn new(code: DiagnosticCode, message: impl Into<String>) -> Self {
        Diagnostic { code, message: message.into() }
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

#[cfg(test)]
mod diagnostic_code_tests {
    use super::DiagnosticCode;

    #[test]
    fn serde_names_are_the_snake_case_strings_and_parse_back() {
        assert_eq!(DiagnosticCode::ALL.len(), 21);
        for &code in DiagnosticCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<DiagnosticCode>(&json).unwrap(), code);
            assert_eq!(DiagnosticCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(DiagnosticCode::SmallClusters.as_str(), "small_clusters");
        assert_eq!(DiagnosticCode::parse("no_such_code"), None);
    }
}
