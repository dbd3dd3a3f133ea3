//! The result contract ([`crate::traits::EstimatorResult`]) for the wild cluster bootstrap
//! (one row; the standard error is the one implied by the cluster-robust t, the interval the
//! test-inversion one, which exists at the fitted alpha only) and for randomization inference
//! (the permutation p-value; no standard error or interval of the effect: the null
//! distribution's spread is in the family columns `null_sd`, `null_low`, `null_high`).

use super::{RiResult, WildBootResult};
use crate::results::{Diagnostic, Glance, TidyColumn, TidyTable};
use crate::traits::EstimatorResult;

impl EstimatorResult for WildBootResult {
    fn tidy(&self, alpha: f64) -> TidyTable {
        let h = &self.hypothesis;
        let se = if self.statistic != 0.0 { (self.estimate - h.r) / self.statistic } else { f64::NAN };
        let at_fit = (alpha - self.params.alpha).abs() <= 1e-12;
        let (lo, hi) = self.conf_int.filter(|_| at_fit).unwrap_or((f64::NAN, f64::NAN));
        let mut t = TidyTable::default();
        t.push(h.label.clone(), [self.estimate, se, self.statistic, self.p_value, lo, hi]);
        t.with("reps", TidyColumn::I64(vec![self.reps as i64]))
    }
    fn alpha(&self) -> f64 {
        self.params.alpha
    }
    fn glance(&self) -> Glance {
        let g = Glance::new("wildboot", 0).vcov(format!("wild cluster bootstrap ({:?})", self.params.bootstrap_type));
        match self.n_clusters.iter().min() {
            Some(&n) => g.clusters(n),
            None => g,
        }
    }
    fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

/// Quantile `q` of the sorted finite values (linear interpolation, numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

impl EstimatorResult for RiResult {
    fn tidy(&self, alpha: f64) -> TidyTable {
        let mut d: Vec<f64> = self.distribution.iter().copied().filter(|x| x.is_finite()).collect();
        d.sort_by(f64::total_cmp);
        let n = d.len() as f64;
        let sd = if d.len() > 1 {
            let m = d.iter().sum::<f64>() / n;
            (d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            f64::NAN
        };
        let nan = f64::NAN;
        let mut t = TidyTable::default();
        t.push(self.term.clone(), [self.statistic, nan, nan, self.p_value, nan, nan]);
        t.with("p_value_se", TidyColumn::F64(vec![self.p_value_se]))
            .with("null_sd", TidyColumn::F64(vec![sd]))
            .with("null_low", TidyColumn::F64(vec![quantile(&d, alpha / 2.0)]))
            .with("null_high", TidyColumn::F64(vec![quantile(&d, 1.0 - alpha / 2.0)]))
            .with("reps", TidyColumn::I64(vec![self.reps as i64]))
            .with("n_failed", TidyColumn::I64(vec![self.n_failed as i64]))
    }
    fn alpha(&self) -> f64 {
        0.05
    }
    fn glance(&self) -> Glance {
        Glance::new("ritest", 0).units(self.n_units).vcov("randomization")
    }
    fn warnings(&self) -> &[Diagnostic] {
        &[]
    }
}
