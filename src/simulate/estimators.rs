//! The estimators [`super::Power`] can simulate, each prepared once and then fitted on every
//! replicate's frame (`unit, period, outcome, treated, cohort, size`). Every one reports the
//! average effect on the treated unit-periods, whose true value is the replicate's estimand
//! ([`PanelDraw::estimand`]).
//!
//! - `twfe`: `feols("outcome ~ treated | unit + period")`, CR1 by unit, $t_{G-1}$ tests;
//!   biased for the ATT under staggered adoption with dynamic or heterogeneous effects
//!   (Goodman-Bacon 2021).
//! - `sun_abraham`: Sun & Abraham (2021) interaction-weighted ATT ([`SunAbraham`]), CR1 by unit.
//! - `imputation`: Borusyak, Jaravel & Spiess (2024) imputation ATT ([`DidImputation`]) with
//!   its conservative standard error, normal critical values.
//! - `att_gt`: Callaway & Sant'Anna (2021) ATT(g,t) with never-treated controls and varying
//!   base period ([`AttGt`]), aggregated `simple` (post-treatment cells weighted by cohort
//!   size: the ATT over treated unit-periods), analytic influence-function standard error
//!   clustered by unit, normal p-value and interval. The 2x2 estimator is `reg`, which without
//!   covariates equals `dr` and `ipw` (the plain DiD of means) and skips the logit.
//!
//! `twfe` and `att_gt` take unit-size weights (`weighted = true`); the others reject them.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::panel::PanelDraw;
use super::power_result::Draw;
use crate::did::{Aggregate, AggregationKind, AttGt, DidImputation, EstMethod, SunAbraham};
use crate::error::ParamsError;
use crate::inference::RefDist;
use crate::regression::{Feols, FeolsChecked, RegressionError, Vcov};
use crate::results::Estimate;
use crate::traits::Validated;
use crate::{Error, Result};

/// The estimator whose power is simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerEstimator {
    /// Two-way fixed effects: `outcome ~ treated | unit + period`, CR1 by unit.
    Twfe,
    /// Sun & Abraham interaction-weighted ATT, CR1 by unit.
    SunAbraham,
    /// Borusyak-Jaravel-Spiess imputation ATT, conservative standard error.
    Imputation,
    /// Callaway-Sant'Anna ATT(g,t), simple aggregation, never-treated controls.
    AttGt,
}

const NAMES: [(&str, PowerEstimator); 4] = [
    ("twfe", PowerEstimator::Twfe),
    ("sun_abraham", PowerEstimator::SunAbraham),
    ("imputation", PowerEstimator::Imputation),
    ("att_gt", PowerEstimator::AttGt),
];

impl FromStr for PowerEstimator {
    type Err = ParamsError;
    fn from_str(s: &str) -> std::result::Result<Self, ParamsError> {
        NAMES.iter().find(|(n, _)| *n == s).map(|(_, e)| *e).ok_or_else(|| ParamsError::UnknownChoice {
            name: "estimator",
            value: s.into(),
            valid: NAMES.iter().map(|(n, _)| n.to_string()).collect(),
        })
    }
}

impl PowerEstimator {
    /// Whether the estimator can weight by unit size.
    pub fn takes_weights(self) -> bool {
        matches!(self, PowerEstimator::Twfe | PowerEstimator::AttGt)
    }

    /// The name used in Python and serde.
    pub fn name(self) -> &'static str {
        NAMES.iter().find(|(_, e)| *e == self).map_or("", |(n, _)| n)
    }
}

/// An estimator with validated options, ready to fit replicates.
#[derive(Debug, Clone)]
pub(crate) enum Prepared {
    Twfe(Validated<FeolsChecked>),
    SunAbraham(Validated<SunAbraham>),
    Imputation(Validated<DidImputation>),
    AttGt(Validated<AttGt>, Aggregate),
}

impl Prepared {
    /// Validate `estimator`'s options for the simulated frame's columns.
    pub(crate) fn new(estimator: PowerEstimator, weighted: bool, alpha: f64) -> Result<Prepared> {
        if weighted && !estimator.takes_weights() {
            return Err(ParamsError::InvalidParam {
                name: "weighted",
                value: "true".into(),
                reason: format!("the {} estimator does not take unit-size weights; only twfe does", estimator.name()),
            }
            .into());
        }
        Ok(match estimator {
            PowerEstimator::Twfe => {
                let mut feols = Feols::new("outcome ~ treated | unit + period").vcov(Vcov::cr1(["unit"])).alpha(alpha);
                if weighted {
                    feols = feols.weights("size");
                }
                Prepared::Twfe(feols.validate()?)
            }
            PowerEstimator::SunAbraham => {
                let mut sa = SunAbraham::new("outcome", "unit", "period", "cohort");
                sa.alpha = alpha;
                Prepared::SunAbraham(sa.validate()?)
            }
            PowerEstimator::Imputation => {
                let mut bjs = DidImputation::new("outcome", "unit", "period", "cohort");
                bjs.alpha = alpha;
                Prepared::Imputation(bjs.validate()?)
            }
            PowerEstimator::AttGt => {
                let mut cs = AttGt::new("outcome", "unit", "period", "cohort").method(EstMethod::Reg).alpha(alpha);
                if weighted {
                    cs = cs.weights("size");
                }
                Prepared::AttGt(cs.validate()?, Aggregate::new(AggregationKind::Simple))
            }
        })
    }

    /// Fit one replicate and compare with its estimand.
    pub(crate) fn estimate(&self, draw: &PanelDraw, weighted: bool) -> Result<Draw> {
        let frame = draw.frame()?;
        let missing = || Error::from(RegressionError::AllCollinear { names: vec!["treated".into()] });
        let e: Estimate = match self {
            Prepared::Twfe(m) => m.fit(&frame)?.coef("treated").cloned().ok_or_else(missing)?,
            Prepared::SunAbraham(m) => m.fit(&frame)?.att.ok_or_else(missing)?,
            Prepared::Imputation(m) => m.fit(&frame)?.att.ok_or_else(missing)?,
            Prepared::AttGt(m, simple) => {
                let o = m.fit(&frame)?.aggregate(simple)?.overall;
                let statistic = o.estimate / o.std_error;
                Estimate {
                    term: "ATT".into(),
                    estimate: o.estimate,
                    std_error: o.std_error,
                    statistic,
                    p_value: RefDist::Normal.two_sided_p(statistic),
                    conf_low: o.conf_low,
                    conf_high: o.conf_high,
                }
            }
        };
        Ok(Draw {
            estimate: e.estimate,
            std_error: e.std_error,
            p_value: e.p_value,
            conf_low: e.conf_low,
            conf_high: e.conf_high,
            estimand: draw.estimand(weighted),
        })
    }
}
