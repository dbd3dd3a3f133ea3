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

use std::borrow::Cow;

use super::cohort::{raw_cohorts, CohortSource};
use super::{Aggregate, AttGt, DidImputation, SunAbraham, TwfeEventStudy};
use crate::data::{Column, Frame, Panel};
use crate::inference::{randomization_test, InferenceError, RiResult, RiTest};
use crate::traits::Validated;

/// A frame whose timing column can be rewritten for any permutation of the units' adoption times.
pub struct PermutedTiming<'f, 'a> {
    frame: &'f Frame<'a>,
    column: String,
    treatment: bool,
    /// Unit level of each row.
    unit: Vec<u32>,
    /// Period of each row.
    period: Vec<i64>,
    /// Adoption time of each unit level (`None`: never treated).
    cohort: Vec<Option<i64>>,
    /// The cohort value written for never treated: 0, or missing when 0 is a period.
    never: f64,
}

impl<'f, 'a> PermutedTiming<'f, 'a> {
    /// Read the panel and each unit's adoption time from `source`.
    ///
    /// # Errors
    /// Panel errors (missing columns, duplicate unit-periods), timing errors ([`super::DidError`]:
    /// cohort varying within a unit, treatment switching off), [`InferenceError::BadHypothesis`]
    /// when every unit has the same adoption time (no permutation changes anything).
    pub fn new(frame: &'f Frame<'a>, unit: &str, time: &str, source: CohortSource<'_>) -> crate::Result<Self> {
        let panel = Panel::new(frame, unit, time)?;
        let cohort = raw_cohorts(frame, &panel, source)?;
        if cohort.iter().all(|c| Some(c) == cohort.first()) {
            return Err(InferenceError::BadHypothesis {
                reason: "randomization inference permutes adoption times, but every unit has the same one".into(),
            }
            .into());
        }
        let (column, treatment) = match source {
            CohortSource::FirstTreated(c) => (c.to_string(), false),
            CohortSource::Treatment(c) => (c.to_string(), true),
        };
        let period = panel.time.codes.iter().map(|&t| panel.periods[t as usize]).collect();
        let never = if panel.periods.contains(&0) { f64::NAN } else { 0.0 };
        Ok(PermutedTiming { frame, column, treatment, unit: panel.unit.codes, period, cohort, never })
    }

    /// Units.
    pub fn n_units(&self) -> usize {
        self.cohort.len()
    }

    /// Units with an adoption time.
    pub fn n_treated(&self) -> usize {
        self.cohort.iter().filter(|c| c.is_some()).count()
    }

    /// Adoption time of each unit level.
    pub fn cohorts(&self) -> &[Option<i64>] {
        &self.cohort
    }

    /// The timing column when unit `u` takes the adoption time of unit `perm[u]`.
    ///
    /// # Errors
    /// The timing column is missing or not numeric.
    pub fn column(&self, perm: &[usize]) -> crate::Result<Vec<f64>> {
        let original = self.frame.numeric(&self.column, "the timing column")?;
        Ok((0..self.unit.len())
            .map(|i| {
                let g = self.cohort[perm[self.unit[i] as usize]];
                if !self.treatment {
                    g.map_or(self.never, |g| g as f64)
                } else if original.is_missing(i) {
                    f64::NAN
                } else {
                    g.map_or(0.0, |g| f64::from(u8::from(self.period[i] >= g)))
                }
            })
            .collect())
    }

    /// The frame with the timing column replaced by `column` (other columns are views).
    ///
    /// # Errors
    /// A length mismatch (cannot happen for [`Self::column`]'s output).
    pub fn frame<'b>(&'b self, column: &'b [f64]) -> crate::Result<Frame<'b>> {
        let mut f = Frame::new();
        for name in self.frame.names() {
            let col = if *name == self.column {
                Column::Float(Cow::Borrowed(column))
            } else {
                self.frame.column(name)?.view()
            };
            f.push(name.clone(), col)?;
        }
        Ok(f)
    }

    /// Run the test: `statistic` estimates on a (permuted) frame.
    ///
    /// # Errors
    /// As [`randomization_test`].
    pub fn test<F>(&self, term: &str, params: &Validated<RiTest>, statistic: F) -> crate::Result<RiResult>
    where
        F: Fn(&Frame<'_>) -> crate::Result<f64> + Sync,
    {
        randomization_test(term, self.n_units(), self.n_treated(), params, |perm| {
            let col = self.column(perm)?;
            statistic(&self.frame(&col)?)
        })
    }
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
    /// As [`PermutedTiming::new`], the fit and the aggregation on the actual data.
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
        let perm = PermutedTiming::new(frame, &p.unit, &p.time, source(&p.cohort, p.treatment.as_deref()))?;
        let term = format!("ATT ({})", agg.kind.as_str());
        perm.test(&term, params, |f| Ok(p.fit(f)?.aggregate(&agg)?.overall.estimate))
    }
}

impl Validated<SunAbraham> {
    /// Randomization inference on the ATT, permuting adoption times across units.
    ///
    /// # Errors
    /// As [`PermutedTiming::new`] and the fit on the actual data.
    pub fn ritest(&self, frame: &Frame<'_>, params: &Validated<RiTest>) -> crate::Result<RiResult> {
        let mut p: SunAbraham = (**self).clone();
        p.wildboot = None;
        let p = p.validate()?;
        let perm = PermutedTiming::new(frame, &p.unit, &p.time, source(&p.cohort, p.treatment.as_deref()))?;
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
    /// As [`PermutedTiming::new`] and the fit on the actual data.
    pub fn ritest(&self, frame: &Frame<'_>, params: &Validated<RiTest>) -> crate::Result<RiResult> {
        let mut p: TwfeEventStudy = (**self).clone();
        p.wildboot = None;
        let p = p.validate()?;
        let perm = PermutedTiming::new(frame, &p.unit, &p.time, source(&p.cohort, p.treatment.as_deref()))?;
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
    /// As [`PermutedTiming::new`] and the fit on the actual data.
    pub fn ritest(&self, frame: &Frame<'_>, params: &Validated<RiTest>) -> crate::Result<RiResult> {
        let perm = PermutedTiming::new(frame, &self.unit, &self.time, source(&self.cohort, self.treatment.as_deref()))?;
        perm.test("ATT", params, |f| att_of(&self.fit(f)?))
    }
}
