//! Errors of the survival family: bad times and event codes, spells that overlap, no events.

/// What can go wrong in a survival fit or a spell split.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SurvivalError {
    /// Times (durations, entry or exit) below zero.
    #[error("column `{column}` has {count} negative time(s) (first at row {first_row}); times count from the start of the spell and must be >= 0")]
    NegativeTime {
        /// The time column.
        column: String,
        /// Rows with a negative time.
        count: usize,
        /// First such row (0-based input row).
        first_row: usize,
    },
    /// An interval whose end is not after its start.
    #[error("{count} interval(s) with stop <= start (first at row {first_row}: start {start}, stop {stop}); each (start, stop] interval must have positive length")]
    StopNotAfterStart {
        /// Rows with stop <= start.
        count: usize,
        /// First such row (0-based input row).
        first_row: usize,
        /// Its start.
        start: f64,
        /// Its stop.
        stop: f64,
    },
    /// An event value that is not one of the declared codes.
    #[error("column `{column}` holds the event code {value} (row {first_row}), which is not declared; allowed codes are {allowed:?} (0 = censored)")]
    UndeclaredEvent {
        /// The event column.
        column: String,
        /// The offending value.
        value: f64,
        /// First row holding it.
        first_row: usize,
        /// The declared codes.
        allowed: Vec<i64>,
    },
    /// Two intervals of one person that overlap in time.
    #[error("person `{id}` has overlapping intervals (rows {first_row} and {second_row}): a person can be in one spell at a time")]
    OverlappingSpells {
        /// The person's id label.
        id: String,
        /// One of the rows.
        first_row: usize,
        /// The row that overlaps it.
        second_row: usize,
    },
    /// No event in the estimation sample: nothing to estimate.
    #[error("no events among the {n} observations used{}: a survival model needs at least one event", if .group.is_empty() { String::new() } else { format!(" in {}", .group) })]
    NoEvents {
        /// Observations used.
        n: usize,
        /// Group or stratum concerned (empty for the whole sample).
        group: String,
    },
    /// Newton-Raphson did not converge.
    #[error(
        "the Cox partial likelihood did not converge in {iterations} iterations (last relative change {change:.3e})"
    )]
    NotConverged {
        /// Iterations used.
        iterations: usize,
        /// Last relative change of the log partial likelihood.
        change: f64,
    },
    /// Every regressor is collinear (or constant).
    #[error(
        "every regressor is constant or collinear ({names:?}); a Cox model has no intercept, so a regressor must vary"
    )]
    AllCollinear {
        /// Regressor names.
        names: Vec<String>,
    },
    /// A request the fitted model cannot answer.
    #[error("{what}")]
    Unsupported {
        /// Explanation.
        what: String,
    },
}
