//! The estimator contract ([`crate::traits`]) for `feols`, `glm` and `mixedlm`: t tests with
//! the fit's degrees of freedom for `feols` (fixest's), normal ones for the GLM and the mixed
//! model (statsmodels').

use super::{Feols, FeolsResult, Glm, GlmResult, MixedLm, MixedResult};
use crate::data::Frame;
use crate::inference::RefDist;
use crate::results::{Diagnostic, Glance, TidyTable};
use crate::traits::{Estimator, EstimatorResult};

impl Estimator for Feols {
    type Output = FeolsResult;
    const NAME: &'static str = "feols";
    fn estimate(&self, frame: &Frame<'_>) -> crate::Result<FeolsResult> {
        self.clone().fit(frame)
    }
}

impl EstimatorResult for FeolsResult {
    fn tidy(&self, alpha: f64) -> TidyTable {
        TidyTable::at_alpha(&self.coefficients, &RefDist::StudentT(self.df_t), alpha, self.params.alpha)
    }
    fn alpha(&self) -> f64 {
        self.params.alpha
    }
    fn glance(&self) -> Glance {
        let g = Glance::new(Feols::NAME, self.n_obs).vcov(self.vcov_type.clone());
        match self.clusters.iter().map(|(_, n)| *n).min() {
            Some(n) => g.clusters(n),
            None => g,
        }
    }
    fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

impl Estimator for Glm {
    type Output = GlmResult;
    const NAME: &'static str = "glm";
    fn estimate(&self, frame: &Frame<'_>) -> crate::Result<GlmResult> {
        self.clone().fit(frame)
    }
}

impl EstimatorResult for GlmResult {
    fn tidy(&self, alpha: f64) -> TidyTable {
        TidyTable::at_alpha(&self.coefficients, &RefDist::Normal, alpha, self.params.alpha)
    }
    fn alpha(&self) -> f64 {
        self.params.alpha
    }
    fn glance(&self) -> Glance {
        Glance::new(Glm::NAME, self.n_obs).vcov(self.vcov_type.clone())
    }
    fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

impl Estimator for MixedLm {
    type Output = MixedResult;
    const NAME: &'static str = "mixedlm";
    fn estimate(&self, frame: &Frame<'_>) -> crate::Result<MixedResult> {
        self.clone().fit(frame)
    }
}

impl EstimatorResult for MixedResult {
    fn tidy(&self, alpha: f64) -> TidyTable {
        TidyTable::at_alpha(&self.coefficients, &RefDist::Normal, alpha, self.params.alpha)
    }
    fn alpha(&self) -> f64 {
        self.params.alpha
    }
    fn glance(&self) -> Glance {
        Glance::new(MixedLm::NAME, self.n_obs).units(self.n_groups)
    }
    fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}
