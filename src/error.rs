//! The crate-level error: one enum that wraps each area's error, converted once at the
//! Python boundary (`src/python/errors.rs`) into the `VirkningError` hierarchy.

use crate::data::DataError;
use crate::did::DidError;
use crate::inference::InferenceError;
use crate::linalg::LinalgError;
use crate::regression::{FormulaError, RegressionError};
use crate::simulate::SimulateError;
use crate::survival::SurvivalError;
use crate::synth::SynthError;

/// Everything that can go wrong in virkning.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad input data (missing columns, wrong types, non-finite values, duplicates).
    #[error(transparent)]
    Data(#[from] DataError),
    /// An option outside its valid range or set.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// A formula that does not parse or names something impossible.
    #[error(transparent)]
    Formula(#[from] FormulaError),
    /// Numerical linear algebra failures.
    #[error(transparent)]
    Linalg(#[from] LinalgError),
    /// Variance estimation and testing failures.
    #[error(transparent)]
    Inference(#[from] InferenceError),
    /// Estimation failures of the regression family.
    #[error(transparent)]
    Regression(#[from] RegressionError),
    /// Bad input to benchmarking.
    #[error(transparent)]
    Benchmark(#[from] crate::benchmarking::BenchmarkError),
    /// Treatment timing and design problems of staggered difference-in-differences.
    #[error(transparent)]
    Did(#[from] DidError),
    /// Failures of the synthetic-control family.
    #[error(transparent)]
    Synth(#[from] SynthError),
    /// Simulation designs and power runs.
    #[error(transparent)]
    Simulate(#[from] SimulateError),
    /// Bad survival data (times, event codes, spells) and Cox fit failures.
    #[error(transparent)]
    Survival(#[from] SurvivalError),
}

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An option that is not valid. Kept apart from fit errors, as linfa does.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// A value outside its allowed range.
    #[error("invalid value {value} for option `{name}`: {reason}")]
    InvalidParam {
        /// Option name as the user wrote it.
        name: &'static str,
        /// The offending value.
        value: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A string choice that is not one of the valid names.
    #[error("unknown {name} `{value}`; valid values are: {}", .valid.join(", "))]
    UnknownChoice {
        /// Option name.
        name: &'static str,
        /// The offending value.
        value: String,
        /// Valid values.
        valid: Vec<String>,
    },
}
