//! Shared inference machinery: reference distributions, small-sample corrections and
//! variance-covariance estimators. Later: influence functions, bootstraps, uniform bands.

mod dist;
mod error;
mod ssc;
mod vcov;

pub use dist::RefDist;
pub use error::InferenceError;
pub use ssc::{ClusterDf, FixefK, SmallSampleCorrection};
pub use vcov::{jackknife_vcov, Scores, VcovType};
