//! The result contract ([`crate::traits::EstimatorResult`]) for a power analysis: one row per
//! effect size, the estimate being the mean estimate over the replicates and the standard
//! error their standard deviation (the estimator's sampling SE); no test or interval of its
//! own (NaN), the power curve in the family columns.

use super::PowerResult;
use crate::results::{Diagnostic, Glance, TidyColumn, TidyTable};
use crate::traits::EstimatorResult;

impl EstimatorResult for PowerResult {
    fn tidy(&self, _alpha: f64) -> TidyTable {
        let c = &self.curve;
        let nan = f64::NAN;
        let mut t = TidyTable::default();
        for r in c {
            t.push(format!("effect={}", r.effect), [r.estimand + r.bias, r.sd_estimate, nan, nan, nan, nan]);
        }
        let f = |g: fn(&super::PowerRow) -> f64| TidyColumn::F64(c.iter().map(g).collect());
        t.with("effect", f(|r| r.effect))
            .with("estimand", f(|r| r.estimand))
            .with("power", f(|r| r.power))
            .with("power_mc_se", f(|r| r.power_mc_se))
            .with("bias", f(|r| r.bias))
            .with("rmse", f(|r| r.rmse))
            .with("coverage", f(|r| r.coverage))
            .with("mean_se", f(|r| r.mean_se))
            .with("sd_estimate", f(|r| r.sd_estimate))
            .with("reps", TidyColumn::I64(c.iter().map(|r| r.reps as i64).collect()))
            .with("n_failed", TidyColumn::I64(c.iter().map(|r| r.n_failed as i64).collect()))
    }
    fn alpha(&self) -> f64 {
        self.params.alpha
    }
    fn glance(&self) -> Glance {
        let d = &self.design;
        let periods = (d.last_period - d.first_period + 1).max(0) as usize;
        Glance::new("power", d.n_units * periods).units(d.n_units)
    }
    fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}
