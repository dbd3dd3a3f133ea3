//! Errors of the staggered difference-in-differences family.

/// Problems with the treatment timing or the design of a staggered DiD.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DidError {
    /// A bootstrap needs the outcome copy that `fit_deferred` left out, or the data given to
    /// restore it differ from the fit's.
    #[error("the outcomes of this fit were not kept (fit_deferred) or the data changed since the fit: restore them from the same data (restore_outcomes) or fit again")]
    DataChanged,
    /// `control_group = "never_treated"` but no unit is never treated.
    #[error("no never-treated units: every unit in `{cohort}` has a first treated period (0 or missing marks never treated); use control_group=\"not_yet_treated\" to compare each cohort with units not yet treated")]
    NoNeverTreated {
        /// Cohort column.
        cohort: String,
    },
    /// A 0/1 treatment that goes back to 0 after it was 1.
    #[error("treatment `{column}` switches off for {unit_name} = {unit} in {time_name} = {period}; staggered DiD needs treatment that stays on once it starts (use the first treated period as the cohort)")]
    TreatmentSwitchesOff {
        /// Treatment column.
        column: String,
        /// Unit column name.
        unit_name: String,
        /// The unit.
        unit: String,
        /// Time column name.
        time_name: String,
        /// First period where it is back to 0.
        period: i64,
    },
    /// A cohort (first treated period) that is not the same in every row of a unit.
    #[error("cohort `{column}` changes within {unit_name} = {unit} ({first} and {second}); the first treated period must be the same in every row of a unit")]
    CohortVaries {
        /// Cohort column.
        column: String,
        /// Unit column name.
        unit_name: String,
        /// The unit.
        unit: String,
        /// One value.
        first: String,
        /// Another value.
        second: String,
    },
    /// A cohort value that is not a period (negative, fractional, infinite).
    #[error("cohort `{column}` has the value {value} for {unit_name} = {unit}: {reason}")]
    InvalidCohort {
        /// Cohort column.
        column: String,
        /// Unit column name.
        unit_name: String,
        /// The unit.
        unit: String,
        /// The value.
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A column that must be constant within a unit (weights, cluster) varies.
    #[error("{role} `{column}` varies within {unit_name} = {unit}; it must be constant within each unit")]
    VariesWithinUnit {
        /// What the column is used as.
        role: &'static str,
        /// Column name.
        column: String,
        /// Unit column name.
        unit_name: String,
        /// The unit.
        unit: String,
    },
    /// Nothing to estimate: no treated cohort with a pre-treatment period, or no periods left.
    #[error("nothing to estimate: {reason}")]
    NothingToEstimate {
        /// What is missing.
        reason: String,
    },
    /// An aggregation whose selection (event-time window, balance) holds no estimate.
    #[error("aggregation `{kind}` has nothing to average: {reason}")]
    EmptyAggregation {
        /// The aggregation.
        kind: &'static str,
        /// Why.
        reason: String,
    },
    /// An estimator that needs every unit in every period got an unbalanced panel.
    #[error("{estimator} needs a balanced panel (every unit observed in every period): {n_obs} rows for {n_units} units x {n_periods} periods; keep units observed in all periods (units with a missing outcome are already dropped)")]
    UnbalancedPanel {
        /// The estimator.
        estimator: &'static str,
        /// Rows.
        n_obs: usize,
        /// Units.
        n_units: usize,
        /// Periods.
        n_periods: usize,
    },
    /// An event study whose reference event time is not observed (for a cohort, or at all):
    /// another event time would silently become the reference.
    #[error("{estimator}: {what}, but every effect is measured relative to the reference event time {reference}; without it another event time would be dropped as collinear and silently become the reference. {advice}")]
    ReferenceNotObserved {
        /// The estimator.
        estimator: &'static str,
        /// The reference event time.
        reference: i64,
        /// What is not observed.
        what: String,
        /// How to fix it.
        advice: String,
    },
    /// Event-time effects the design does not identify (their dummies are collinear with the
    /// unit and period effects), so the reported effects would have a second, hidden reference.
    #[error("{estimator}: {what} not identified (collinear with the unit and period effects), so the other effects would be relative to a hidden second reference; {advice}")]
    NotIdentified {
        /// The estimator.
        estimator: &'static str,
        /// Which effects.
        what: String,
        /// How to fix it.
        advice: &'static str,
    },
    /// A cohort value 0 (never treated) in a panel where 0 is also a period.
    #[error("cohort `{column}` uses 0 for never treated, but 0 is also a period of `{time_name}`, so 0 is ambiguous ({n_units} unit(s) have cohort 0); mark never-treated units with a missing value (NaN/None) instead, or give the 0/1 treatment column as `treatment=`")]
    AmbiguousNeverTreated {
        /// Cohort column.
        column: String,
        /// Time column name.
        time_name: String,
        /// Units with cohort 0.
        n_units: usize,
    },
}
