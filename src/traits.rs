//! The estimator contract: params validated into a checked form before fitting (linfa's
//! ParamGuard idea), an [`Estimator`] trait (params -> fit on a [`Frame`] -> a result) and an
//! [`EstimatorResult`] trait (typed tidy table, glance, warnings, serde). See docs/CONTRACT.md.

use std::ops::Deref;

use crate::data::Frame;
use crate::results::{Diagnostic, Glance, TidyTable};

/// Params that passed `validate()`. Only `validate()` can build one, so `fit` on a
/// `Validated<P>` never re-checks options.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated<P>(P);

impl<P> Validated<P> {
    /// Wrap checked params (crate-internal: call the params' `validate()`).
    pub(crate) fn new(p: P) -> Self {
        Validated(p)
    }

    /// The checked params.
    pub fn into_inner(self) -> P {
        self.0
    }
}

impl<P> Deref for Validated<P> {
    type Target = P;
    fn deref(&self) -> &P {
        &self.0
    }
}

/// Params of an estimator: validate, then fit on a frame. Implemented by every params struct
/// (`Feols`, `Glm`, `MixedLm`, `AttGt`, `SunAbraham`, `TwfeEventStudy`, `DidImputation`,
/// `Bacon`, `Sdid`, `SyntheticControl`, `Benchmark`); the power simulation fits these on
/// simulated frames and is not itself a frame estimator.
pub trait Estimator {
    /// The result of a fit.
    type Output: EstimatorResult;
    /// Its name in [`crate::registry`] and in Python.
    const NAME: &'static str;
    /// Validate the params, then fit on `frame`.
    ///
    /// # Errors
    /// The params' validation errors, then the estimator's data and estimation errors.
    fn estimate(&self, frame: &Frame<'_>) -> crate::Result<Self::Output>;
}

/// What every result yields, whatever the estimator.
pub trait EstimatorResult: serde::Serialize {
    /// The estimates as typed columns. `alpha` is 1 - the level of the intervals: they (and the
    /// statistic and p-value where they depend on it) are recomputed with the estimator's own
    /// reference distribution (Student t with its degrees of freedom, or normal); at the fitted
    /// alpha the table equals the stored one.
    fn tidy(&self, alpha: f64) -> TidyTable;
    /// The alpha the result was fitted with (the default of [`EstimatorResult::tidy`]).
    fn alpha(&self) -> f64;
    /// Model-level statistics with the standard keys.
    fn glance(&self) -> Glance;
    /// Warnings carried by the result.
    fn warnings(&self) -> &[Diagnostic];
}
