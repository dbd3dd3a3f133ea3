//! Errors of the benchmarking family.

/// Benchmarking failures on bad input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BenchmarkError {
    /// An outcome rate outside [0, 1] where a rate is required (binomial model or a size column).
    #[error("outcome `{name}` must be a rate in [0, 1] (employed / refugees); {count} value(s) are outside, e.g. {value} for unit {unit}")]
    RateOutOfRange {
        /// Outcome column.
        name: String,
        /// Offending rows.
        count: usize,
        /// First offending value.
        value: f64,
        /// Its unit.
        unit: String,
    },
    /// A frame condition (or the outcome or size) with missing values.
    #[error("column `{name}` is missing for {count} unit(s) (first: {first}); a unit cannot be benchmarked without its outcome and frame conditions: fill them in or remove those units explicitly")]
    MissingValues {
        /// Column.
        name: String,
        /// Rows missing.
        count: usize,
        /// First unit with a missing value.
        first: String,
    },
    /// Negative or non-finite sizes.
    #[error("size column `{name}` must be a non-negative count; unit {unit} has {value}")]
    InvalidSize {
        /// Column.
        name: String,
        /// Unit.
        unit: String,
        /// Value.
        value: f64,
    },
    /// Fewer units than parameters of the expected-outcome model.
    #[error("{n_units} units for {n_params} parameters of the expected-outcome model: benchmarking needs more units than frame conditions (+ intercept and period effects)")]
    TooFewUnits {
        /// Units (unit-periods) available.
        n_units: usize,
        /// Parameters.
        n_params: usize,
    },
    /// More clusters asked for than units.
    #[error("{k} clusters asked for but only {n_units} units: choose k between 2 and {n_units}")]
    TooManyClusters {
        /// Clusters asked for.
        k: usize,
        /// Units.
        n_units: usize,
    },
    /// A unit that appears twice in a period.
    #[error("unit {unit} appears {count} times{period}; give one row per unit (and period: pass `time` for a panel)")]
    DuplicateUnit {
        /// Unit.
        unit: String,
        /// Times it appears.
        count: usize,
        /// " in period p" or empty.
        period: String,
    },
    /// The clustering algorithm failed (e.g. a Gaussian mixture whose EM did not converge).
    #[error("{method} clustering with k = {k} failed: {reason}; try another k or method = \"kmeans\"")]
    ClusteringFailed {
        /// Method.
        method: String,
        /// Clusters.
        k: usize,
        /// linfa's message.
        reason: String,
    },
    /// Frame conditions that are constant or linear combinations of the others.
    #[error("{} of the expected-outcome model {} constant or a linear combination of the intercept, the other frame conditions and the period effects: their effects cannot be told apart; remove {}", fmt_names(names), if names.len() == 1 { "is" } else { "are" }, if names.len() == 1 { "it" } else { "them" })]
    CollinearFrameConditions {
        /// Regressors that depend on earlier ones.
        names: Vec<String>,
    },
}

fn fmt_names(names: &[String]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}
