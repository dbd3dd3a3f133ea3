//! Errors of the data layer.

/// Bad input data. Every variant names the column (or option) at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A column the call needs is not in the data.
    #[error("column `{name}` not found; available columns: {}", .available.join(", "))]
    ColumnNotFound {
        /// The missing column.
        name: String,
        /// Columns that exist.
        available: Vec<String>,
    },
    /// A column of the wrong length.
    #[error("column `{name}` has {got} rows, expected {expected}")]
    ColumnLength {
        /// Column name.
        name: String,
        /// Rows expected.
        expected: usize,
        /// Rows found.
        got: usize,
    },
    /// Two columns with the same name.
    #[error("column `{name}` appears twice")]
    DuplicateColumn {
        /// Column name.
        name: String,
    },
    /// A column used as a number holds text or categories.
    #[error("column `{name}` is used as {role} and must be numeric, but it holds text/categories (e.g. `{example}`); convert it or use it as a categorical with C({name})")]
    NotNumeric {
        /// Column name.
        name: String,
        /// What the column is used as (outcome, regressor, weights, time).
        role: &'static str,
        /// An example value.
        example: String,
    },
    /// Infinite values (missing values, NaN, are dropped and counted instead).
    #[error("column `{name}` has {count} infinite value(s) (first at row {first_row}); remove or recode them")]
    NonFinite {
        /// Column name.
        name: String,
        /// How many.
        count: usize,
        /// First offending row (0-based position in the input).
        first_row: usize,
    },
    /// Nothing left to estimate on.
    #[error("no observations left: {reason}")]
    Empty {
        /// What removed them.
        reason: String,
    },
    /// Duplicated (unit, time) pairs where a panel is declared.
    #[error("{count} duplicated ({unit}, {time}) rows; the first is {unit} = {first_unit}, {time} = {first_time}; a panel needs one row per unit and period")]
    DuplicateKeys {
        /// Unit column.
        unit: String,
        /// Time column.
        time: String,
        /// Number of duplicated rows.
        count: usize,
        /// Unit label of the first duplicate.
        first_unit: String,
        /// Time label of the first duplicate.
        first_time: String,
    },
    /// Weights that are negative or not finite.
    #[error("weights column `{name}` has {count} invalid value(s) ({reason})")]
    InvalidWeights {
        /// Column name.
        name: String,
        /// How many.
        count: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A cluster variable with a single cluster: no cluster-robust variance is possible.
    #[error("cluster column `{name}` has only one cluster in the estimation sample; cluster-robust standard errors need at least two (use vcov=\"hetero\" or a finer cluster)")]
    SingleCluster {
        /// Column name.
        name: String,
    },
    /// A value that is not allowed in this role (e.g. a non-integer period).
    #[error("column `{name}`: {reason}")]
    InvalidValue {
        /// Column name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Unit x period cells with no (or a missing) outcome where a balanced matrix is needed.
    #[error("outcome `{name}` is missing for {count} unit x period cell(s), e.g. {examples}; synthetic control needs a balanced panel: fill or drop those units/periods")]
    MissingCells {
        /// Outcome column.
        name: String,
        /// Number of missing cells.
        count: usize,
        /// Up to five `unit @ period` examples.
        examples: String,
    },
}
