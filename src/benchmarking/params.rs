//! Options of `benchmark`, validated before fitting.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ParamsError;
use crate::traits::Validated;

/// Model of the expected outcome given frame conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedModel {
    /// Logistic GLM on counts: `round(rate * size)` of `size` (needs `size`).
    Binomial,
    /// Weighted linear model of the rate, weights = size (unweighted without `size`).
    Linear,
}

impl FromStr for ExpectedModel {
    type Err = ParamsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "binomial" | "logit" => Ok(ExpectedModel::Binomial),
            "linear" | "wls" | "gaussian" => Ok(ExpectedModel::Linear),
            _ => Err(ParamsError::UnknownChoice {
                name: "model",
                value: s.into(),
                valid: vec!["binomial".into(), "linear".into()],
            }),
        }
    }
}

/// Clustering method for comparable units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterMethod {
    /// k-means (k-means++ seeding, Lloyd iterations, best of `n_init` starts).
    Kmeans,
    /// Gaussian mixture with diagonal covariances by EM (k-means start), hard assignment.
    Gmm,
}

impl FromStr for ClusterMethod {
    type Err = ParamsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "kmeans" | "k-means" | "k_means" => Ok(ClusterMethod::Kmeans),
            "gmm" | "gaussian_mixture" => Ok(ClusterMethod::Gmm),
            _ => Err(ParamsError::UnknownChoice {
                name: "cluster_method",
                value: s.into(),
                valid: vec!["kmeans".into(), "gmm".into()],
            }),
        }
    }
}

/// Clusters of comparable units from standardised frame conditions.
///
/// # Defaults
/// `k = None` (chosen by the silhouette over 2..=min(8, n-1)), k-means, `n_init = 10`,
/// `n_seeds = 20` seeds for the stability report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterSpec {
    /// Number of clusters; `None` picks it from the data.
    pub k: Option<usize>,
    /// Method.
    pub method: ClusterMethod,
    /// Random starts per fit.
    pub n_init: usize,
    /// Seeds compared in the stability report.
    pub n_seeds: usize,
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec { k: None, method: ClusterMethod::Kmeans, n_init: 10, n_seeds: 20 }
    }
}

/// Benchmarking units (municipalities) against their frame conditions.
///
/// # Defaults
/// - `size`: none; `time`: none (one row per unit); `period`: the last period.
/// - `model`: binomial when `size` is given, else linear.
/// - `level = 0.90` for rank intervals; `n_sim = 2000` draws; `top = 10`.
/// - `seed = None` (a fixed default stream, 20261123); `clusters = None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Benchmark {
    /// Outcome rate column (e.g. `employment_rate`).
    pub outcome: String,
    /// Unit column.
    pub unit: String,
    /// Frame-condition columns (rammevilkaar).
    pub frame_conditions: Vec<String>,
    /// Number of people per unit (refugees): weights or binomial trials.
    pub size: Option<String>,
    /// Period column for a panel (adds period effects; enables persistence).
    pub time: Option<String>,
    /// Period ranked (label); `None` = the last.
    pub period: Option<String>,
    /// Expected-outcome model; `None` = binomial with `size`, linear without.
    pub model: Option<ExpectedModel>,
    /// Level of the rank intervals.
    pub level: f64,
    /// Simulation draws for rank intervals.
    pub n_sim: usize,
    /// "Top" cut-off for the probability of being among the best.
    pub top: usize,
    /// Seed.
    pub seed: Option<u64>,
    /// Clusters of comparable units.
    pub clusters: Option<ClusterSpec>,
}

impl Default for Benchmark {
    fn default() -> Self {
        Benchmark {
            outcome: String::new(),
            unit: String::new(),
            frame_conditions: Vec::new(),
            size: None,
            time: None,
            period: None,
            model: None,
            level: 0.90,
            n_sim: 2000,
            top: 10,
            seed: None,
            clusters: None,
        }
    }
}

/// Default seed when none is given.
pub const DEFAULT_SEED: u64 = 20_261_123;

impl Benchmark {
    /// Params with the required columns and every option at its default.
    pub fn new(outcome: impl Into<String>, unit: impl Into<String>, frame_conditions: &[&str]) -> Self {
        Benchmark {
            outcome: outcome.into(),
            unit: unit.into(),
            frame_conditions: frame_conditions.iter().map(|s| s.to_string()).collect(),
            ..Benchmark::default()
        }
    }

    /// Set the size column.
    pub fn size(mut self, col: impl Into<String>) -> Self {
        self.size = Some(col.into());
        self
    }

    /// Set the period column (panel).
    pub fn time(mut self, col: impl Into<String>) -> Self {
        self.time = Some(col.into());
        self
    }

    /// Set the model.
    pub fn model(mut self, m: ExpectedModel) -> Self {
        self.model = Some(m);
        self
    }

    /// Set the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Set the number of draws.
    pub fn n_sim(mut self, n: usize) -> Self {
        self.n_sim = n;
        self
    }

    /// Ask for clusters.
    pub fn clusters(mut self, spec: ClusterSpec) -> Self {
        self.clusters = Some(spec);
        self
    }

    /// The model actually used.
    pub fn resolved_model(&self) -> ExpectedModel {
        self.model.unwrap_or(if self.size.is_some() { ExpectedModel::Binomial } else { ExpectedModel::Linear })
    }

    /// Check every option.
    ///
    /// # Errors
    /// [`ParamsError`] for empty names, a binomial model without size, out-of-range options.
    pub fn validate(self) -> Result<Validated<Benchmark>, ParamsError> {
        let bad = |name, value: String, reason: &str| ParamsError::InvalidParam { name, value, reason: reason.into() };
        if self.outcome.is_empty() || self.unit.is_empty() {
            return Err(bad("outcome/unit", String::new(), "outcome and unit columns are required"));
        }
        if self.frame_conditions.is_empty() {
            return Err(bad("frame_conditions", String::new(), "give at least one frame-condition column"));
        }
        if self.resolved_model() == ExpectedModel::Binomial && self.size.is_none() {
            return Err(bad("model", "binomial".into(), "the binomial model needs `size` (number of refugees)"));
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(bad("level", self.level.to_string(), "must be between 0 and 1"));
        }
        crate::inference::check_draws("n_sim", self.n_sim)?;
        if self.top == 0 {
            return Err(bad("top", "0".into(), "must be at least 1"));
        }
        if let Some(c) = &self.clusters {
            if c.k == Some(0) || c.k == Some(1) {
                return Err(bad("k", format!("{:?}", c.k), "needs at least 2 clusters"));
            }
            if c.n_init == 0 || c.n_seeds == 0 {
                return Err(bad("n_init", c.n_init.to_string(), "n_init and n_seeds must be at least 1"));
            }
        }
        Ok(Validated::new(self))
    }
}
