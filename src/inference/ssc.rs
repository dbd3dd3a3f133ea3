//! The small-sample correction, made explicit (fixest's `ssc()`).
//!
//! # Model
//! The variance is multiplied by `adj * cluster_adj` where `adj = (N - 1) / (N - K)` when
//! `adj` is on, and `cluster_adj = G / (G - 1)` when `cluster_adj` is on (G = N for
//! heteroskedasticity-robust variances). K counts the coefficients plus the fixed-effect
//! parameters; with `fixef_k = Nested`, fixed effects nested in a cluster variable are not
//! counted. For multi-way clustering, `cluster_df = Min` uses the smallest G for every term.

use serde::{Deserialize, Serialize};

/// How fixed effects enter K.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixefK {
    /// Fixed effects are not counted.
    None,
    /// Fixed effects nested in a cluster variable are not counted (fixest default).
    Nested,
    /// All fixed effects are counted.
    Full,
}

/// Which G enters G/(G-1) in multi-way clustering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterDf {
    /// The smallest number of clusters, for every term (fixest default).
    Min,
    /// Each term its own number of clusters.
    Conventional,
}

/// Small-sample correction.
///
/// # Defaults
/// fixest's: `adj = true`, `fixef_k = Nested`, `cluster_adj = true`, `cluster_df = Min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmallSampleCorrection {
    /// Multiply by (N-1)/(N-K).
    pub adj: bool,
    /// Which fixed effects count in K.
    pub fixef_k: FixefK,
    /// Multiply by G/(G-1).
    pub cluster_adj: bool,
    /// G used in multi-way clustering.
    pub cluster_df: ClusterDf,
}

impl Default for SmallSampleCorrection {
    fn default() -> Self {
        SmallSampleCorrection { adj: true, fixef_k: FixefK::Nested, cluster_adj: true, cluster_df: ClusterDf::Min }
    }
}

impl SmallSampleCorrection {
    /// (N-1)/(N-K), or 1 when `adj` is off.
    pub fn adj_factor(&self, n: usize, k: usize) -> f64 {
        if self.adj {
            (n as f64 - 1.0) / (n as f64 - k as f64)
        } else {
            1.0
        }
    }

    /// G/(G-1), or 1 when `cluster_adj` is off.
    pub fn cluster_factor(&self, g: usize) -> f64 {
        if self.cluster_adj {
            g as f64 / (g as f64 - 1.0)
        } else {
            1.0
        }
    }
}
