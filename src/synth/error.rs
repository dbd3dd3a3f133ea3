//! Errors of the synthetic-control family.

/// What can go wrong in synthetic control and synthetic difference-in-differences.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// Not enough pre-treatment periods to fit weights (and estimate the noise level).
    #[error("{what} has {got} pre-treatment period(s); at least {needed} are needed")]
    TooFewPrePeriods {
        /// Which unit or cohort.
        what: String,
        /// Periods available.
        got: usize,
        /// Periods needed.
        needed: usize,
    },
    /// No post-treatment period.
    #[error("{what} has no post-treatment period")]
    NoPostPeriods {
        /// Which unit or cohort.
        what: String,
    },
    /// No treated unit in the data.
    #[error("no treated observation: column `{column}` is never 1")]
    NoTreated {
        /// Treatment column.
        column: String,
    },
    /// No never-treated (control) unit.
    #[error("no control unit: every unit is treated at some point; synthetic control needs never-treated donors")]
    NoControls,
    /// The treatment indicator is not 0/1.
    #[error("treatment column `{column}` must be 0/1; found {value} (unit {unit}, period {period})")]
    NotBinary {
        /// Treatment column.
        column: String,
        /// The offending value.
        value: String,
        /// Unit.
        unit: String,
        /// Period.
        period: i64,
    },
    /// Treatment switches off again (the estimators assume absorbing treatment).
    #[error(
        "treatment must be absorbing: unit {unit} is treated in {treated} but not in the later period {untreated}"
    )]
    NotAbsorbing {
        /// Unit.
        unit: String,
        /// A treated period.
        treated: i64,
        /// A later untreated period.
        untreated: i64,
    },
    /// A named treated unit that is not in the data.
    #[error("treated unit `{unit}` is not in column `{column}`")]
    UnknownUnit {
        /// The label asked for.
        unit: String,
        /// Unit column.
        column: String,
    },
    /// A treatment start outside the observed periods.
    #[error("treatment_start {start} leaves no {side} period (periods run {first}..{last})")]
    StartOutside {
        /// Asked-for start.
        start: i64,
        /// "pre-treatment" or "post-treatment".
        side: &'static str,
        /// First period.
        first: i64,
        /// Last period.
        last: i64,
    },
    /// Placebo standard errors need more controls than treated units.
    #[error("placebo standard errors need more control units than treated units ({n_control} controls, {n_treated} treated); use se=\"bootstrap\" or \"jackknife\"")]
    PlaceboTooFewControls {
        /// Control units.
        n_control: usize,
        /// Treated units.
        n_treated: usize,
    },
    /// Bootstrap or jackknife with a single treated unit (undefined, as in the paper).
    #[error("{method} standard errors need at least two treated units (there is {n_treated}); use se=\"placebo\"")]
    TooFewTreated {
        /// The SE method.
        method: &'static str,
        /// Treated units.
        n_treated: usize,
    },
    /// The fixed-weights jackknife is undefined when one control carries all the weight.
    #[error("jackknife standard errors are undefined when a single control unit carries all the weight; use se=\"placebo\" or \"bootstrap\"")]
    JackknifeSingleDonor,
    /// Every control outcome is constant over the pre-period: no noise level, no weights.
    #[error("every control unit's outcome is constant over the pre-treatment periods; the weights are not identified")]
    ConstantControls,
    /// Predictors that cannot be used.
    #[error("predictor `{name}`: {reason}")]
    BadPredictor {
        /// Predictor column.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Too few donors to fit.
    #[error("{what}: {reason}")]
    TooFewDonors {
        /// Context.
        what: String,
        /// What is wrong.
        reason: String,
    },
}
