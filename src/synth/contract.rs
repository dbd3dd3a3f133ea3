//! The estimator contract ([`crate::traits`]) for synthetic DiD (normal-theory interval, as
//! `synthdid`) and synthetic control (no standard error: the inference columns are NaN, the
//! p-value is the placebo-in-space permutation p-value of the post/pre RMSPE ratio, which is
//! the family column `rmspe_ratio`).

use super::{ScResult, Sdid, SdidResult, SyntheticControl};
use crate::data::Frame;
use crate::inference::RefDist;
use crate::results::{serde_name, Diagnostic, Glance, TidyColumn, TidyTable};
use crate::traits::{Estimator, EstimatorResult};

impl Estimator for Sdid {
    type Output = SdidResult;
    const NAME: &'static str = "sdid";
    fn estimate(&self, frame: &Frame<'_>) -> crate::Result<SdidResult> {
        self.clone().fit(frame)
    }
}

impl EstimatorResult for SdidResult {
    fn tidy(&self, alpha: f64) -> TidyTable {
        TidyTable::at_alpha(&self.estimates, &RefDist::Normal, alpha, self.alpha)
    }
    fn alpha(&self) -> f64 {
        self.alpha
    }
    fn glance(&self) -> Glance {
        Glance::new(Sdid::NAME, self.n_units * self.periods.len()).units(self.n_units).vcov(serde_name(&self.se_method))
    }
    fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

impl Estimator for SyntheticControl {
    type Output = ScResult;
    const NAME: &'static str = "synthetic_control";
    fn estimate(&self, frame: &Frame<'_>) -> crate::Result<ScResult> {
        self.clone().fit(frame)
    }
}

impl EstimatorResult for ScResult {
    fn tidy(&self, _alpha: f64) -> TidyTable {
        let f = &self.fit;
        let nan = f64::NAN;
        let mut t = TidyTable::default();
        t.push("ATT", [f.att, nan, nan, self.p_value, nan, nan]);
        t.with("rmspe_ratio", TidyColumn::F64(vec![self.ratio]))
            .with("rmspe_pre", TidyColumn::F64(vec![f.rmspe_pre]))
            .with("rmspe_post", TidyColumn::F64(vec![f.rmspe_post]))
            .with("n_placebos", TidyColumn::I64(vec![self.placebos.len() as i64]))
    }
    fn alpha(&self) -> f64 {
        0.05
    }
    fn glance(&self) -> Glance {
        let units = self.fit.donors.len() + 1;
        Glance::new(SyntheticControl::NAME, units * self.periods.len()).units(units).vcov("placebo permutation")
    }
    fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}
