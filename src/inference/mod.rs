//! Shared inference machinery: reference distributions, small-sample corrections and
//! variance-covariance estimators. Wild cluster bootstrap
//! (`wildboot`) and randomization inference (`ritest`). Later: influence functions, uniform bands.

mod boot_weights;
mod bootstrap;
mod contract;
mod dist;
mod error;
mod guidance;
mod ritest;
mod ssc;
mod vcov;
mod wildboot;

pub use boot_weights::{fresh_seed, BootWeights, DrawPlan};
pub use bootstrap::{multiplier_bootstrap, MultiplierDraws};
pub use dist::RefDist;
pub use error::InferenceError;
pub use guidance::{few_treated_clusters, FEW_TREATED};
pub use ritest::{adoption_times, permutation, randomization_test, RiResult, RiTest};
pub use ssc::{ClusterDf, FixefK, SmallSampleCorrection};
pub use vcov::{jackknife_vcov, Scores, VcovType};
pub use wildboot::{wild_bootstrap, BootProblem, BootType, Hypothesis, WildBoot, WildBootResult};
