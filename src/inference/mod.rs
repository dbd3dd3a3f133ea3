//! Shared inference machinery: reference distributions, small-sample corrections and
//! variance-covariance estimators. Wild cluster bootstrap
//! (`wildboot`) and randomization inference (`ritest`). Later: influence functions, uniform bands.

mod boot_weights;
mod bootstrap;
mod cancel;
mod contract;
mod dist;
mod error;
mod guidance;
mod limits;
mod multiway;
mod resampling;
mod ritest;
mod ssc;
mod timing;
mod vcov;
mod wildboot;

pub use boot_weights::{fresh_seed, BootWeights, DrawPlan};
pub use bootstrap::{multiplier_bootstrap, MultiplierDraws};
pub use cancel::{check_interrupt, interrupt, interrupted, Cancel, Running, CHECK_EVERY};
pub use dist::RefDist;
pub use error::InferenceError;
pub use guidance::{few_treated_clusters, FEW_TREATED};
pub use limits::{
    check_memory, check_threads, memory_limit, pool_threads, DEFAULT_MEMORY_LIMIT, MAX_THREADS, MEMORY_LIMIT_VAR,
};
pub use resampling::{check_draws, MIN_DRAWS};
pub use ritest::{adoption_times, permutation, randomization_test, RiResult, RiTest};
pub use ssc::{ClusterDf, FixefK, SmallSampleCorrection};
pub use timing::PermutedTiming;
pub use vcov::{jackknife_vcov, Scores, VcovType};
pub use wildboot::{wild_bootstrap, BootProblem, BootType, Hypothesis, WildBoot, WildBootResult};
