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
    /// Clusters with a single observation, where the cluster score is one residual.
    #[error("{n} cluster(s) of `{name}` hold a single observation (e.g. {examples}); the wild cluster bootstrap needs at least two observations per cluster: merge or drop them, or cluster at a coarser level")]
    SingletonClusters {
        /// Cluster variable.
        name: String,
        /// How many.
        n: usize,
        /// Some of their labels.
        examples: String,
    },
    /// A hypothesis that cannot be tested.
    #[error("cannot test this hypothesis: {reason}")]
    BadHypothesis {
        /// Why not.
        reason: String,
    },
    /// A hypothesis on a coefficient dropped for collinearity.
    #[error("`{name}` was dropped for collinearity, so no hypothesis on it can be tested; kept coefficients: {kept}")]
    DroppedCoefficient {
        /// The dropped coefficient.
        name: String,
        /// The coefficients that were estimated.
        kept: String,
    },
    /// A hypothesis on a coefficient the model does not have.
    #[error("no coefficient `{name}` in the model; coefficients: {kept}")]
    UnknownCoefficient {
        /// The name asked for.
        name: String,
        /// The coefficients that were estimated.
        kept: String,
    },
    /// The call was interrupted (Ctrl-C) or cancelled before it finished.
    #[error("interrupted: the computation was cancelled before it finished")]
    Interrupted,
}
