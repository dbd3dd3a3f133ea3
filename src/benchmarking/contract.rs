//! The estimator contract ([`crate::traits`]) for the benchmark: one row per unit, best rank
//! first; the estimate is the unit's performance (observed - expected) with its standard
//! error and normal test and interval (the funnel plot's limits), then the rank, shrinkage and
//! cluster columns (rank intervals at the fitted `level`).

use super::{Benchmark, BenchmarkResult, UnitBenchmark};
use crate::data::Frame;
use crate::inference::RefDist;
use crate::results::{serde_name, Diagnostic, Glance, TidyColumn, TidyTable};
use crate::traits::{Estimator, EstimatorResult};

impl Estimator for Benchmark {
    type Output = BenchmarkResult;
    const NAME: &'static str = "benchmark";
    fn estimate(&self, frame: &Frame<'_>) -> crate::Result<BenchmarkResult> {
        self.clone().fit(frame)
    }
}

impl EstimatorResult for BenchmarkResult {
    fn tidy(&self, alpha: f64) -> TidyTable {
        let mut units: Vec<&UnitBenchmark> = self.units.iter().collect();
        units.sort_by_key(|u| u.rank);
        let mut t = TidyTable::default();
        for u in &units {
            t.push(u.unit.clone(), [u.performance, u.std_error, 0.0, 0.0, 0.0, 0.0]);
        }
        t.recompute(&RefDist::Normal, alpha);
        let f = |g: fn(&UnitBenchmark) -> f64| TidyColumn::F64(units.iter().map(|u| g(u)).collect());
        let i = |g: fn(&UnitBenchmark) -> u32| TidyColumn::I64(units.iter().map(|u| i64::from(g(u))).collect());
        let mut t = t
            .with("unit", TidyColumn::Str(units.iter().map(|u| u.unit.clone()).collect()))
            .with("size", f(|u| u.size.unwrap_or(f64::NAN)))
            .with("observed", f(|u| u.observed))
            .with("expected", f(|u| u.expected))
            .with("expected_se", f(|u| u.expected_se))
            .with("performance", f(|u| u.performance))
            .with("rank_raw", i(|u| u.rank_raw))
            .with("rank", i(|u| u.rank))
            .with("rank_low", f(|u| u.rank_low))
            .with("rank_high", f(|u| u.rank_high))
            .with("p_top", f(|u| u.p_top))
            .with("shrunk", f(|u| u.shrunk))
            .with("shrunk_se", f(|u| u.shrunk_se))
            .with("rank_shrunk", i(|u| u.rank_shrunk))
            .with("rank_low_unshrunk", f(|u| u.rank_low_unshrunk))
            .with("rank_high_unshrunk", f(|u| u.rank_high_unshrunk))
            .with("p_top_unshrunk", f(|u| u.p_top_unshrunk));
        if self.funnel.is_some() {
            let flags = units.iter().map(|u| u.funnel.as_ref().map_or_else(String::new, serde_name)).collect();
            t = t.with("funnel", TidyColumn::Str(flags));
        }
        if self.clusters.is_some() {
            t = t
                .with("cluster", f(|u| u.cluster.map_or(f64::NAN, |c| c as f64)))
                .with("rank_in_cluster", f(|u| u.rank_in_cluster.map_or(f64::NAN, f64::from)))
                .with("cluster_rank_low", f(|u| u.cluster_rank_low.unwrap_or(f64::NAN)))
                .with("cluster_rank_high", f(|u| u.cluster_rank_high.unwrap_or(f64::NAN)));
        }
        t
    }
    fn alpha(&self) -> f64 {
        1.0 - self.level
    }
    fn glance(&self) -> Glance {
        Glance::new(Benchmark::NAME, self.n_obs).units(self.n_units)
    }
    fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}
