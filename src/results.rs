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
    /// A wild-bootstrap interval end that is unbounded (the p-value never falls below alpha).
    UnboundedInterval = "unbounded_interval",
    /// A coefficient running to infinity (monotone likelihood, e.g. in a Cox model).
    Separation = "separation",
    /// Spells of zero length (survival data), handled as documented.
    ZeroDuration = "zero_duration",
    /// Weights with a documented adjustment (e.g. zero weights dropped).
    Weights = "weights",
    /// A group or stratum without events.
    NoEvents = "no_events",
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

/// A family column of a [`TidyTable`] (after the seven standard columns): typed values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "values", rename_all = "snake_case")]
pub enum TidyColumn {
    /// Real numbers (NaN where a row has none).
    F64(Vec<f64>),
    /// Integers (event time, cohort, period, counts).
    I64(Vec<i64>),
    /// Text (band, comparison kind, unit labels).
    Str(Vec<String>),
}

impl TidyColumn {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            TidyColumn::F64(v) => v.len(),
            TidyColumn::I64(v) => v.len(),
            TidyColumn::Str(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The estimates of a result as typed columns (broom's `tidy`): `term, estimate, std_error,
/// statistic, p_value, conf_low, conf_high`, then the estimator's family columns. A quantity
/// that does not exist for an estimator is NaN, never a number with another meaning.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TidyTable {
    /// Names of the coefficients or effects.
    pub term: Vec<String>,
    /// Point estimates.
    pub estimate: Vec<f64>,
    /// Standard errors.
    pub std_error: Vec<f64>,
    /// Test statistics.
    pub statistic: Vec<f64>,
    /// Two-sided p-values.
    pub p_value: Vec<f64>,
    /// Lower ends of the intervals.
    pub conf_low: Vec<f64>,
    /// Upper ends of the intervals.
    pub conf_high: Vec<f64>,
    /// Family columns (`event_time`, `cohort`, `band`, ...), in display order.
    pub family: Vec<(String, TidyColumn)>,
}

impl TidyTable {
    /// The names of the seven standard columns, in order.
    pub const STANDARD: [&'static str; 7] =
        ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"];

    /// A table of these estimates (no family column).
    pub fn from_estimates<'a>(rows: impl IntoIterator<Item = &'a Estimate>) -> Self {
        let mut t = TidyTable::default();
        for e in rows {
            t.push(e.term.clone(), [e.estimate, e.std_error, e.statistic, e.p_value, e.conf_low, e.conf_high]);
        }
        t
    }

    /// A table of stored estimates: as they are at the fitted alpha `fitted`, else with the
    /// tests and intervals recomputed at `alpha` under `dist` ([`TidyTable::recompute`]).
    pub fn at_alpha(rows: &[Estimate], dist: &crate::inference::RefDist, alpha: f64, fitted: f64) -> Self {
        let mut t = TidyTable::from_estimates(rows);
        if (alpha - fitted).abs() > 1e-12 {
            t.recompute(dist, alpha);
        }
        t
    }

    /// Append a row: `values` are estimate, std_error, statistic, p_value, conf_low, conf_high.
    pub fn push(&mut self, term: impl Into<String>, values: [f64; 6]) {
        let [estimate, std_error, statistic, p_value, conf_low, conf_high] = values;
        self.term.push(term.into());
        self.estimate.push(estimate);
        self.std_error.push(std_error);
        self.statistic.push(statistic);
        self.p_value.push(p_value);
        self.conf_low.push(conf_low);
        self.conf_high.push(conf_high);
    }

    /// Append a family column (its length must be the number of rows).
    pub fn with(mut self, name: &str, column: TidyColumn) -> Self {
        debug_assert_eq!(column.len(), self.len(), "family column `{name}`");
        self.family.push((name.to_string(), column));
        self
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.term.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.term.is_empty()
    }

    /// Recompute `statistic`, `p_value`, `conf_low`, `conf_high` from `estimate` and
    /// `std_error` with the reference distribution `dist` at level `1 - alpha`:
    /// $t = b / s$, $p = 2 P(|T| > |t|)$, $b \pm q_{1-\alpha/2} s$ (rows without a standard
    /// error get NaN, as [`Estimate::new`] gives them).
    pub fn recompute(&mut self, dist: &crate::inference::RefDist, alpha: f64) {
        let crit = dist.critical(alpha);
        for i in 0..self.len() {
            let (b, s) = (self.estimate[i], self.std_error[i]);
            let t = b / s;
            self.statistic[i] = t;
            self.p_value[i] = dist.two_sided_p(t);
            self.conf_low[i] = b - crit * s;
            self.conf_high[i] = b + crit * s;
        }
    }

    /// Recompute only the intervals, `estimate -/+ crit * std_error` (a band's critical value).
    pub fn recompute_intervals(&mut self, crit: f64) {
        for i in 0..self.len() {
            self.conf_low[i] = self.estimate[i] - crit * self.std_error[i];
            self.conf_high[i] = self.estimate[i] + crit * self.std_error[i];
        }
    }
}

/// Model-level statistics every result reports (broom's `glance`); `None` where a quantity is
/// not defined for the estimator.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Glance {
    /// Observations (rows) used.
    pub n_obs: usize,
    /// Units (panel estimators).
    pub n_units: Option<usize>,
    /// Clusters of the standard errors (the smallest dimension with multi-way clustering).
    pub n_clusters: Option<usize>,
    /// The registry name of the estimator.
    pub estimator: String,
    /// The kind of standard error (`CR1 by unit`, `jackknife`, `placebo permutation`, ...).
    pub vcov: Option<String>,
}

impl Glance {
    /// A glance with `n_obs` and the estimator's name.
    pub fn new(estimator: &str, n_obs: usize) -> Self {
        Glance { n_obs, estimator: estimator.to_string(), ..Default::default() }
    }

    /// Set the number of units.
    pub fn units(mut self, n: usize) -> Self {
        self.n_units = Some(n);
        self
    }

    /// Set the number of clusters.
    pub fn clusters(mut self, n: usize) -> Self {
        self.n_clusters = Some(n);
        self
    }

    /// Set the kind of standard error.
    pub fn vcov(mut self, v: impl Into<String>) -> Self {
        self.vcov = Some(v.into());
        self
    }
}

/// The serde name of a unit-variant enum value (`Band::Pointwise` -> `pointwise`), for text
/// columns of a [`TidyTable`].
pub(crate) fn serde_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod diagnostic_code_tests {
    use super::DiagnosticCode;

    #[test]
    fn serde_names_are_the_snake_case_strings_and_parse_back() {
        assert_eq!(DiagnosticCode::ALL.len(), 26);
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
