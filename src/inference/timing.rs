//! Permuted adoption timing: the frame a randomization test refits on, with the timing column
//! rewritten for a permutation of the units' adoption times. Shared by the staggered DiD
//! estimators and synthetic DiD (see [`super::randomization_test`] for the test).
//!
//! # Method
//! Under the sharp null of no effect, adoption timing is exchangeable across units. Replicate
//! $b$ draws a permutation $\pi_b$ and gives unit $u$ the adoption time of unit $\pi_b(u)$
//! (never treated stays "never"), so the number of treated units and the multiset of adoption
//! times are kept. The timing column is rewritten: a cohort column takes the permuted first
//! treated period (0 for never treated, missing when 0 is a period) in every row of the unit; a 0/1 absorbing treatment
//! column becomes $1\{t \ge g_{\pi(u)}\}$ (missing rows stay missing). Every other column, and
//! each unit's own rows, are unchanged.
//!
//! # References
//! Fisher (1935); Young (2019, QJE); Hess (2017, Stata Journal).

use std::borrow::Cow;

use super::{adoption_times, randomization_test, InferenceError, RiResult, RiTest};
use crate::data::{Column, Frame, Panel};
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
    /// The timing column `column` of `frame` (a first-treated period, or a 0/1 absorbing
    /// treatment when `treatment`), with `cohort` the adoption time of each unit level of
    /// `panel` (`None`: never treated), as the caller read and validated it.
    ///
    /// # Errors
    /// [`InferenceError::BadHypothesis`] when every unit has the same adoption time (no
    /// permutation changes anything).
    pub fn new(
        frame: &'f Frame<'a>,
        panel: &Panel,
        column: &str,
        treatment: bool,
        cohort: Vec<Option<i64>>,
    ) -> crate::Result<Self> {
        if cohort.iter().all(|c| Some(c) == cohort.first()) {
            return Err(InferenceError::BadHypothesis {
                reason: "randomization inference permutes adoption times, but every unit has the same one".into(),
            }
            .into());
        }
        let period = panel.time.codes.iter().map(|&t| panel.periods[t as usize]).collect();
        let never = if panel.periods.contains(&0) { f64::NAN } else { 0.0 };
        Ok(PermutedTiming {
            frame,
            column: column.to_string(),
            treatment,
            unit: panel.unit.codes.clone(),
            period,
            cohort,
            never,
        })
    }

    /// From a 0/1 absorbing treatment column of a `unit` x `time` panel.
    ///
    /// # Errors
    /// Panel errors, [`InferenceError::BadHypothesis`] for a treatment that is not 0/1, switches
    /// off, or has the same adoption time in every unit.
    pub fn from_treatment(frame: &'f Frame<'a>, unit: &str, time: &str, treatment: &str) -> crate::Result<Self> {
        let panel = Panel::new(frame, unit, time)?;
        let col = frame.numeric(treatment, "the treatment")?;
        let treat: Vec<f64> = (0..col.len()).map(|i| col.value(i).unwrap_or(f64::NAN)).collect();
        let times: Vec<f64> = panel.time.codes.iter().map(|&t| panel.periods[t as usize] as f64).collect();
        let first = adoption_times(&panel.unit.codes, &times, &treat, panel.unit.n_levels())?;
        let cohort = first.into_iter().map(|g| g.map(|g| g as i64)).collect();
        Self::new(frame, &panel, treatment, true, cohort)
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
