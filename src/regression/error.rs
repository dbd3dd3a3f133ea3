//! Errors of the regression family.

/// Estimation failures of fixed-effects regression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RegressionError {
    /// Every regressor is collinear with the fixed effects or with earlier regressors.
    #[error("all regressors are collinear (with the fixed effects or each other): {}; nothing can be estimated", .names.join(", "))]
    AllCollinear {
        /// The regressors.
        names: Vec<String>,
    },
    /// The formula has no regressors.
    #[error("the formula `{formula}` has no regressors to estimate")]
    NoRegressors {
        /// The formula.
        formula: String,
    },
    /// A reference level in `i(..., ref=...)` that the variable never takes.
    #[error("reference value `{value}` of i({var}) does not occur in the data; values are: {}", .levels.join(", "))]
    UnknownReference {
        /// The variable.
        var: String,
        /// The reference asked for.
        value: String,
        /// Values that occur (first few).
        levels: Vec<String>,
    },
    /// Prediction on data with a level never seen in estimation.
    #[error("cannot predict: {reason}")]
    Predict {
        /// What is wrong.
        reason: String,
    },
}
