//! Benchmarking municipalities fairly: expected outcomes given frame conditions
//! (rammevilkaar), performance = observed - expected with honest standard errors, ranks with
//! simulated intervals and P(top k), empirical-Bayes shrinkage, funnel plots, clusters of
//! comparable municipalities and persistence over years (METHODS.md section 5).
//!
//! ```
//! use std::borrow::Cow;
//! use virkning::benchmarking::Benchmark;
//! use virkning::data::{Column, Frame};
//! let n = 40;
//! let unemp: Vec<f64> = (0..n).map(|i| 0.03 + 0.001 * i as f64).collect();
//! let size: Vec<f64> = (0..n).map(|i| 30.0 + 10.0 * (i % 7) as f64).collect();
//! let rate: Vec<f64> = (0..n).map(|i| 0.5 - 2.0 * unemp[i] + 0.02 * ((i % 5) as f64 - 2.0)).collect();
//! let unit: Vec<i64> = (0..n as i64).collect();
//! let frame = Frame::new()
//!     .with_column("unit", Column::Int(Cow::Owned(unit))).unwrap()
//!     .with_column("rate", Column::Float(Cow::Owned(rate))).unwrap()
//!     .with_column("unemp", Column::Float(Cow::Owned(unemp))).unwrap()
//!     .with_column("refugees", Column::Float(Cow::Owned(size))).unwrap();
//! let res = Benchmark::new("rate", "unit", &["unemp"]).size("refugees").n_sim(200).fit(&frame).unwrap();
//! assert_eq!(res.units.len(), 40);
//! assert!(res.units.iter().all(|u| u.rank_low <= u.rank_high && (0.0..=1.0).contains(&u.p_top)));
//! ```

mod benchmark;
mod clusters;
mod contract;
mod error;
mod expected;
mod funnel;
mod params;
mod persistence;
mod prepare;
mod ranks;
mod result;
mod shrink;

pub use clusters::ClusterReport;
pub use error::BenchmarkError;
pub use funnel::{FunnelFlag, FunnelLimits};
pub use params::{Benchmark, ClusterMethod, ClusterSpec, ExpectedModel, DEFAULT_SEED};
pub use persistence::{Persistence, UnitPersistence};
pub use result::{BenchmarkResult, PeriodPerformance, UnitBenchmark};
