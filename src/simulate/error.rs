//! Errors of the simulation designs and the power runner.

/// A design that cannot be simulated, or a power run that cannot produce numbers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SimulateError {
    /// More treated units than units in the design.
    #[error("the design treats {n_treated} units but has only {n_units} units")]
    TooManyTreated {
        /// Treated units asked for (summed over cohorts).
        n_treated: usize,
        /// Units in the design.
        n_units: usize,
    },
    /// No unit is treated, so there is no effect to estimate.
    #[error("the design treats no unit: give `treated` (and `start`) or `cohorts` with at least one unit")]
    NoTreated,
    /// Every unit is treated, so there is no comparison group.
    #[error("all {n_units} units are treated: a never-treated comparison group is needed")]
    NoControls {
        /// Units in the design.
        n_units: usize,
    },
    /// A cohort starts after the last period: no post-treatment period.
    #[error("treatment starting in {start} has no post-treatment period: the panel ends in {last_period}")]
    NoPostPeriods {
        /// Adoption period of the cohort.
        start: i64,
        /// Last period of the panel.
        last_period: i64,
    },
    /// A cohort starts in the first period: nothing to compare with before treatment.
    #[error("treatment starting in {start} has no pre-treatment period: the panel starts in {first_period}")]
    NoPrePeriods {
        /// Adoption period of the cohort.
        start: i64,
        /// First period of the panel.
        first_period: i64,
    },
    /// A variance (standard deviation) parameter that is negative or not finite.
    #[error("`{name}` = {value} is a standard deviation and must be finite and non-negative")]
    NegativeVariance {
        /// Parameter name.
        name: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A power run with zero replications.
    #[error("`reps` must be at least 1 (got 0)")]
    NoReplications,
    /// A hazard specification that does not define a distribution.
    #[error("invalid hazard: {reason}")]
    InvalidHazard {
        /// What is wrong.
        reason: String,
    },
    /// The run was cancelled through its progress handle.
    #[error("the power run was cancelled after {done} replications")]
    Cancelled {
        /// Replications finished before the cancellation.
        done: usize,
    },
    /// An estimator defined for a single treated unit, on a design with several.
    #[error("the {estimator} estimator needs a design with exactly one treated unit (treated=1), or sc_unit=\"largest\", \"smallest\" or \"random\" to analyse one of several; this design treats {n_treated}")]
    NeedsOneTreated {
        /// The estimator.
        estimator: &'static str,
        /// Treated units of the design (at least this many).
        n_treated: usize,
    },
    /// A user-supplied estimator failed or returned something that is not an estimate.
    #[error("the estimator callable failed on replicate {replicate} (effect {effect}): {message}")]
    CallableFailed {
        /// Replicate (its random stream).
        replicate: u64,
        /// Effect size of the run.
        effect: f64,
        /// What went wrong.
        message: String,
    },
    /// Every replication failed to produce an estimate.
    #[error("all {reps} replications failed; the first error was: {first}")]
    AllFailed {
        /// Replications attempted.
        reps: usize,
        /// Message of the first failure.
        first: String,
    },
}

/// `Err(NegativeVariance)` unless `value` is finite and non-negative.
pub(crate) fn check_sd(name: &'static str, value: f64) -> Result<(), SimulateError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(SimulateError::NegativeVariance { name, value })
    }
}
