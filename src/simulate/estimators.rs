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
//! - `sdid`: synthetic difference-in-differences (Arkhangelsky et al. 2021, [`Sdid`]) with
//!   never-treated controls; under staggered adoption cohort by cohort, aggregated with weights
//!   proportional to each cohort's treated unit-periods, so the target is again the ATT over
//!   treated unit-periods (SDID's unit and time weights only reweight the *controls* and the
//!   *pre-periods*; the treated units and post-periods keep uniform weights). Standard error by
//!   the fixed-weights jackknife (default; needs at least two treated units), or placebo /
//!   bootstrap (`sdid_se`, `sdid_reps` replications drawn from a stream derived from the design
//!   seed and the replicate, common to every effect size); normal p-value and interval as
//!   `synthdid`.
//! - `synthetic_control`: Abadie-Diamond-Hainmueller synthetic control ([`SyntheticControl`])
//!   on the pre-period outcomes, for designs with exactly one treated unit, or for one chosen
//!   treated unit of several ([`ScUnit`]: the largest, the smallest or a random one; the other
//!   treated units are left out, so the donors are the never-treated units, and the estimand
//!   is the chosen unit's mean effect over its treated periods). The estimate is the mean
//!   post-period gap; the test is the placebo-in-space permutation p-value of the post/pre
//!   RMSPE ratio. There is no standard error or interval: `std_error`, `conf_low` and
//!   `conf_high` are NaN and coverage is NaN.
//! - `callable`: a user-supplied estimator (a Python callable), fitted through
//!   [`super::power::ReplicateFit`]; reports its own estimate and standard error (and
//!   optionally p-value and interval; normal ones are filled in otherwise).
//!
//! `twfe` and `att_gt` take unit-size weights (`weighted = true`); `sdid`, `synthetic_control`,
//! `sun_abraham` and `imputation` reject them. With `callable`, `weighted` only makes the
//! estimand size-weighted: the callable does its own weighting.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::panel::PanelDraw;
use super::power_result::Draw;
use super::SimulateError;
use crate::did::{Aggregate, AggregationKind, AttGt, DidImputation, EstMethod, SunAbraham};
use crate::error::ParamsError;
use crate::inference::RefDist;
use crate::regression::{Feols, FeolsChecked, RegressionError, Vcov};
use crate::results::Estimate;
use crate::synth::{Draws, Sdid, SdidSe, SyntheticControl};
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
    /// Synthetic difference-in-differences, cohort by cohort, jackknife standard error.
    Sdid,
    /// Synthetic control for one treated unit, placebo-in-space p-value, no standard error.
    SyntheticControl,
    /// A user-supplied estimator (see [`super::power::ReplicateFit`]).
    Callable,
}

/// Names accepted from Python (the first of each estimator is its serde name); `static_twfe` is
/// the Python name of the static TWFE regression (`twfe` alone means the event study elsewhere).
const NAMES: [(&str, PowerEstimator); 8] = [
    ("twfe", PowerEstimator::Twfe),
    ("static_twfe", PowerEstimator::Twfe),
    ("sun_abraham", PowerEstimator::SunAbraham),
    ("imputation", PowerEstimator::Imputation),
    ("att_gt", PowerEstimator::AttGt),
    ("sdid", PowerEstimator::Sdid),
    ("synthetic_control", PowerEstimator::SyntheticControl),
    ("callable", PowerEstimator::Callable),
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
        matches!(self, PowerEstimator::Twfe | PowerEstimator::AttGt | PowerEstimator::Callable)
    }

    /// The name used in Python and serde.
    pub fn name(self) -> &'static str {
        NAMES.iter().find(|(_, e)| *e == self).map_or("", |(n, _)| n)
    }
}

/// Which treated unit `synthetic_control` analyses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScUnit {
    /// The design's only treated unit (a design with several is an error).
    #[default]
    Only,
    /// The largest treated unit of the replicate (by size; ties: the lowest unit id).
    Largest,
    /// The smallest treated unit of the replicate (ties: the lowest unit id).
    Smallest,
    /// The treated unit with the lowest id: a random one, as units are assigned at random.
    Random,
}

/// An estimator with validated options, ready to fit replicates.
#[derive(Debug, Clone)]
pub(crate) enum Prepared {
    Twfe(Validated<FeolsChecked>),
    SunAbraham(Validated<SunAbraham>),
    Imputation(Validated<DidImputation>),
    AttGt(Validated<AttGt>, Aggregate),
    Sdid(Validated<Sdid>),
    SyntheticControl(ScUnit),
    /// Fitted outside (a callable given to [`super::power::Validated::run_with`]).
    Callable,
}

impl Prepared {
    /// Validate `estimator`'s options for the simulated frame's columns.
    pub(crate) fn new(
        estimator: PowerEstimator,
        weighted: bool,
        alpha: f64,
        sdid_se: SdidSe,
        sdid_reps: usize,
        sc_unit: ScUnit,
    ) -> Result<Prepared> {
        if weighted && !estimator.takes_weights() {
            return Err(ParamsError::InvalidParam {
                name: "weighted",
                value: "true".into(),
                reason: format!(
                    "the {} estimator does not take unit-size weights; only twfe and att_gt do",
                    estimator.name()
                ),
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
            PowerEstimator::Sdid => {
                let mut sdid = Sdid::new("outcome", "unit", "period", "treated").se(sdid_se).reps(sdid_reps);
                sdid.alpha = alpha;
                Prepared::Sdid(sdid.validate()?)
            }
            PowerEstimator::SyntheticControl => Prepared::SyntheticControl(sc_unit),
            PowerEstimator::Callable => Prepared::Callable,
        })
    }

    /// Fit replicate `replicate` (drawn from `seed`) and compare with its estimand.
    pub(crate) fn estimate(&self, draw: &PanelDraw, weighted: bool, seed: u64, replicate: u64) -> Result<Draw> {
        if let Prepared::SyntheticControl(which) = self {
            return synthetic_control(draw, *which);
        }
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
            Prepared::Sdid(m) => {
                let draws = Draws::Seeded(replicate_seed(seed, replicate));
                m.fit_with(&frame, &draws)?.estimates.swap_remove(0)
            }
            Prepared::SyntheticControl(_) | Prepared::Callable => {
                return Err(ParamsError::InvalidParam {
                    name: "estimator",
                    value: "callable".into(),
                    reason: "a callable estimator is fitted by the caller (run_with)".into(),
                }
                .into())
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

/// The seed of the SDID placebo/bootstrap draws of replicate `replicate`: a SplitMix64 mix of
/// the design seed and the replicate, so every replicate has its own draws, the same at every
/// effect size (common random numbers) and for any thread count.
fn replicate_seed(seed: u64, replicate: u64) -> u64 {
    let mut z = seed ^ replicate.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Synthetic control for the chosen treated unit, the other treated units left out: the
/// estimate is the mean post-period gap, the p-value the placebo-in-space permutation p-value,
/// no standard error or interval (NaN); the estimand is the unit's mean effect.
fn synthetic_control(draw: &PanelDraw, which: ScUnit) -> Result<Draw> {
    // Treated units as (unit, adoption, size), in unit order.
    let mut treated: Vec<(i64, i64, f64)> = Vec::new();
    for i in 0..draw.unit.len() {
        if draw.cohort[i] > 0 && treated.last().is_none_or(|t| t.0 != draw.unit[i]) {
            treated.push((draw.unit[i], draw.cohort[i], draw.size[i]));
        }
    }
    let chosen = match which {
        ScUnit::Only if treated.len() > 1 => {
            return Err(
                SimulateError::NeedsOneTreated { estimator: "synthetic_control", n_treated: treated.len() }.into()
            )
        }
        ScUnit::Only | ScUnit::Random => treated.first(),
        ScUnit::Largest => treated.iter().max_by(|a, b| a.2.total_cmp(&b.2).then(b.0.cmp(&a.0))),
        ScUnit::Smallest => treated.iter().min_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0))),
    };
    let &(unit, start, _) = chosen.ok_or(SimulateError::NoTreated)?;
    let keep: Vec<usize> = (0..draw.unit.len()).filter(|&i| draw.cohort[i] == 0 || draw.unit[i] == unit).collect();
    let sub = if keep.len() == draw.unit.len() { None } else { Some(draw.rows(&keep)) };
    let d = sub.as_ref().unwrap_or(draw);
    let sc = SyntheticControl::new("outcome", "unit", "period", &unit.to_string(), start).fit(&d.frame()?)?;
    let effects: Vec<f64> =
        (0..d.unit.len()).filter(|&i| d.unit[i] == unit && d.treated[i] == 1.0).map(|i| d.true_effect[i]).collect();
    Ok(Draw {
        estimate: sc.fit.att,
        std_error: f64::NAN,
        p_value: sc.p_value,
        conf_low: f64::NAN,
        conf_high: f64::NAN,
        estimand: effects.iter().sum::<f64>() / effects.len() as f64,
    })
}
