//! Randomization inference for the staggered estimators: permute adoption times across units
//! and re-estimate (see [`crate::inference::randomization_test`] for the test itself).
//!
//! # Method
//! Under the sharp null of no effect, adoption timing is exchangeable across units. Replicate
//! $b$ draws a permutation $\pi_b$ and gives unit $u$ the adoption time of unit $\pi_b(u)$
//! (never treated stays "never"), so the number of treated units and the multiset of adoption
//! times are kept. The timing column is rewritten: a cohort column takes the permuted first
//! treated period (0 for never treated, missing when 0 is a period) in every row of the unit; a 0/1 absorbing treatment
//! column becomes $1\{t \ge g_{\pi(u)}\}$ (missing rows stay missing). Every other column, and
//! each unit's own rows (unbalanced panels stay as they are), are unchanged. The estimator is
//! refitted on the permuted frame and its ATT is the statistic (for the TWFE event study, which
//! reports no ATT, the observation-weighted mean of its post-treatment event-time effects); replicates whose refit fails
//! (e.g. a permuted cohort too small for the estimator) are `NaN` and counted in `n_failed`.
//!
//! Refits skip what does not change the point estimate: bootstraps (multiplier, wild) and
//! resampled standard errors are switched off.
//!
//! # References
//! Fisher (1935); Young (2019, QJE); Hess (2017, Stata Journal); MacKinnon & Webb (2020,
//! J. Econometrics) on randomization inference with few treated clusters.

use super::cohort::{raw_cohorts, CohortSource};
use super::{Aggregate, AttGt, DidImputation, SunAbraham, TwfeEventStudy};
use crate::data::{Frame, Panel};
use crate::inference::{InferenceError, PermutedTiming, RiResult, RiTest};
use crate::traits::Validated;

/// The permuted-timing frame ([`PermutedTiming`]) of a staggered estimator: adoption times read
/// and validated from the cohort or treatment column.
///
/// # Errors
/// Panel errors (missing columns, duplicate unit-periods), timing errors ([`super::DidError`]:
/// cohort varying within a unit, treatment switching off), [`InferenceError::BadHypothesis`]
/// when every unit has the same adoption time.
pub fn permuted_timing<'f, 'a>(
    frame: &'f Frame<'a>,
    unit: &str,
    time: &str,
    source: CohortSource<'_>,
) -> crate::Result<PermutedTiming<'f, 'a>> {
    let panel = Panel::new(frame, unit, time)?;
    let cohort = raw_cohorts(frame, &panel, source)?;
    let (column, treatment) = match source {
        CohortSource::FirstTreated(c) => (c, false),
        CohortSource::Treatment(c) => (c, true),
    };
    PermutedTiming::new(frame, &panel, column, treatment, cohort)
}

fn source<'p>(cohort: &'p str, treatment: Option<&'p str>) -> CohortSource<'p> {
    match treatment {
        Some(t) => CohortSource::Treatment(t),
        None => CohortSource::FirstTreated(cohort),
    }
}

fn att_of(fit: &super::EventStudyResult) -> crate::Result<f64> {
    fit.att
        .as_ref()
        .map(|e| e.estimate)
        .ok_or_else(|| InferenceError::BadHypothesis { reason: "the estimator reports no ATT to test".into() }.into())
}

impl Validated<AttGt> {
    /// Randomization inference on the aggregated ATT (`aggregation.kind`: `simple`, or the
    /// overall effect of `dynamic`/`group`/`calendar`), permuting adoption times across units.
    ///
    /// # Errors
    /// As [`permuted_timing`], the fit and the aggregation on the actual data.
    pub fn ritest(
        &self,
        frame: &Frame<'_>,
        aggregation: &Aggregate,
        params: &Validated<RiTest>,
    ) -> crate::Result<RiResult> {
        let mut p: AttGt = (**self).clone();
        p.bootstrap = None;
        let p = p.validate()?;
        let mut agg = aggregation.clone();
        agg.bootstrap = Some(None);
        let perm = permuted_timing(frame, &p.unit, &p.time, source(&p.cohort, p.treatment.as_deref()))?;
        let term = format!("ATT ({})", agg.kind.as_str());
        perm.test(&term, params, |f| Ok(p.fit(f)?.aggregate(&agg)?.overall.estimate))
    }
}

impl Validated<SunAbraham> {
    /// Randomization inference on the ATT, permuting adoption times across units.
    ///
    /// # Errors
    /// As [`permuted_timing`] and the fit on the actual data.
    pub fn ritest(&self, frame: &Frame<'_>, params: &Validated<RiTest>) -> crate::Result<RiResult> {
        let mut p: SunAbraham = (**self).clone();
        p.wildboot = None;
        let p = p.validate()?;
        let perm = permuted_timing(frame, &p.unit, &p.time, source(&p.cohort, p.treatment.as_deref()))?;
        perm.test("ATT", params, |f| att_of(&p.fit(f)?))
    }
}

/// The term of the TWFE event study's randomization test.
const POST_MEAN: &str = "mean post-treatment effect";

impl Validated<TwfeEventStudy> {
    /// Randomization inference on the mean post-treatment effect
    /// ([`super::EventStudyResult::post_mean`]: the TWFE event study reports no ATT), permuting
    /// adoption times across units.
    ///
    /// # Errors
    /// As [`permuted_timing`] and the fit on the actual data.
    pub fn ritest(&self, frame: &Frame<'_>, params: &Validated<RiTest>) -> crate::Result<RiResult> {
        let mut p: TwfeEventStudy = (**self).clone();
        p.wildboot = None;
        let p = p.validate()?;
        let perm = permuted_timing(frame, &p.unit, &p.time, source(&p.cohort, p.treatment.as_deref()))?;
        perm.test(POST_MEAN, params, |f| {
            p.fit(f)?.post_mean().ok_or_else(|| {
                InferenceError::BadHypothesis { reason: "no finite post-treatment event-time effect".into() }.into()
            })
        })
    }
}

impl Validated<DidImputation> {
    /// Randomization inference on the ATT, permuting adoption times across units.
    ///
    /// # Errors
    /// As [`permuted_timing`] and the fit on the actual data.
    pub fn ritest(&self, frame: &Frame<'_>, params: &Validated<RiTest>) -> crate::Result<RiResult> {
        let perm = permuted_timing(frame, &self.unit, &self.time, source(&self.cohort, self.treatment.as_deref()))?;
        perm.test("ATT", params, |f| att_of(&self.fit(f)?))
    }
}
