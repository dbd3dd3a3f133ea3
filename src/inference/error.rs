//! Errors of variance estimation and testing.

/// Variance estimation failures.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InferenceError {
    /// A vcov type that cannot be computed for this model.
    #[error("vcov `{vcov}` is not available here: {reason}")]
    Unsupported {
        /// The vcov asked for.
        vcov: String,
        /// Why not.
        reason: String,
    },
    /// Not enough degrees of freedom for the variance.
    #[error("not enough degrees of freedom: {n_obs} observations for {n_params} parameters")]
    NoDegreesOfFreedom {
        /// Observations.
        n_obs: usize,
        /// Parameters estimated (including fixed effects counted in K).
        n_params: usize,
    },
}
