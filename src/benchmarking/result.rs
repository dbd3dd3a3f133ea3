//! The result of `benchmark`: plain data.

use serde::{Deserialize, Serialize};

use super::clusters::ClusterReport;
use super::funnel::{FunnelFlag, FunnelLimits};
use super::params::Benchmark;
use super::persistence::Persistence;
use crate::results::{Diagnostic, Estimate};

/// One benchmarked unit (in the ranked period).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UnitBenchmark {
    /// Unit label.
    pub unit: String,
    /// Size (refugees), when given.
    pub size: Option<f64>,
    /// Observed rate.
    pub observed: f64,
    /// Expected rate given frame conditions.
    pub expected: f64,
    /// Standard error of the expected rate (parameter uncertainty).
    pub expected_se: f64,
    /// Performance = observed - expected.
    pub performance: f64,
    /// Its standard error (sampling noise and parameter uncertainty).
    pub std_error: f64,
    /// Raw rank of the observed rate (1 = highest).
    pub rank_raw: u32,
    /// Rank of performance (1 = best).
    pub rank: u32,
    /// Lower end of the rank interval (empirical-Bayes posterior draws: the calibrated one).
    pub rank_low: f64,
    /// Upper end of the rank interval.
    pub rank_high: f64,
    /// Probability of being among the `top` best (empirical-Bayes posterior).
    pub p_top: f64,
    /// Empirical-Bayes shrunk performance.
    pub shrunk: f64,
    /// Its posterior standard deviation.
    pub shrunk_se: f64,
    /// Rank of shrunk performance.
    pub rank_shrunk: u32,
    /// Rank interval from unshrunk (flat-prior) draws, lower end: too narrow for small units.
    pub rank_low_unshrunk: f64,
    /// Rank interval from unshrunk draws, upper end.
    pub rank_high_unshrunk: f64,
    /// P(top) from unshrunk draws.
    pub p_top_unshrunk: f64,
    /// Position in the funnel plot.
    pub funnel: Option<FunnelFlag>,
    /// Cluster of comparable units.
    pub cluster: Option<usize>,
    /// Rank of performance within the cluster.
    pub rank_in_cluster: Option<u32>,
    /// Rank interval within the cluster.
    pub cluster_rank_low: Option<f64>,
    /// Rank interval within the cluster (upper).
    pub cluster_rank_high: Option<f64>,
}

/// Performance of every unit and period (panels), for persistence and plots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodPerformance {
    /// Unit.
    pub unit: String,
    /// Period.
    pub period: String,
    /// Observed rate.
    pub observed: f64,
    /// Expected rate.
    pub expected: f64,
    /// Performance.
    pub performance: f64,
    /// Standard error.
    pub std_error: f64,
}

/// A benchmark of units against their frame conditions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BenchmarkResult {
    /// One row per ranked unit.
    pub units: Vec<UnitBenchmark>,
    /// Expected-outcome model (`binomial` or `linear`).
    pub model: String,
    /// Its coefficients (model-based standard errors).
    pub coefficients: Vec<Estimate>,
    /// Between-unit variance of true performance (shrinkage model).
    pub tau2: f64,
    /// Period ranked (panels).
    pub period: Option<String>,
    /// Units ranked.
    pub n_units: usize,
    /// Rows used to fit the expected-outcome model.
    pub n_obs: usize,
    /// Rows in the input.
    pub n_input: usize,
    /// Units (with period) excluded because their size is zero.
    pub dropped_zero_size: Vec<String>,
    /// Share of units whose rank interval spans more than half the ranks.
    pub share_indistinguishable: f64,
    /// Funnel limits (with size).
    pub funnel: Option<FunnelLimits>,
    /// Persistence over periods (panels with at least two periods).
    pub persistence: Option<Persistence>,
    /// Clusters of comparable units.
    pub clusters: Option<ClusterReport>,
    /// Level of the rank intervals.
    pub level: f64,
    /// Draws.
    pub n_sim: usize,
    /// Seed used.
    pub seed: u64,
    /// Top cut-off.
    pub top: usize,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
    /// Params as given.
    pub params: Benchmark,
    /// virkning version.
    pub version: String,
    /// Every unit-period (panels).
    pub panel: Vec<PeriodPerformance>,
}
