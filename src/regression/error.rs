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
    /// A GLM outcome, weight or trial count outside the family's support, or shapes that disagree.
    #[error("invalid GLM input: {reason}")]
    InvalidGlmInput {
        /// What is wrong.
        reason: String,
    },
    /// The maximum-likelihood estimate does not exist (complete or quasi-complete separation).
    #[error("{family} model: the maximum-likelihood estimate does not exist (separation): {n_perfect} observation(s) are predicted perfectly, the first at row {row}; coefficients diverge to infinity. Drop or merge the regressor(s) that separate the outcome, or combine categories")]
    Separation {
        /// Family.
        family: String,
        /// First perfectly predicted row of the estimation sample.
        row: usize,
        /// Perfectly predicted observations.
        n_perfect: usize,
    },
    /// An iterative estimator stopped before its tolerance.
    #[error("{what} did not converge in {iterations} iterations (tolerance {tolerance:e}, last relative change {last_change:e})")]
    NotConverged {
        /// Algorithm.
        what: String,
        /// Iterations run.
        iterations: usize,
        /// Tolerance asked for.
        tolerance: f64,
        /// Last relative change of the criterion.
        last_change: f64,
    },
    /// Fewer observations (units) than parameters.
    #[error("{n_obs} observations for {n_params} parameters: the model needs more observations than parameters")]
    TooFewObservations {
        /// Observations.
        n_obs: usize,
        /// Parameters.
        n_params: usize,
    },
}
