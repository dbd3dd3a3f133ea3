//! Individual refugee cohorts with time-to-job hazards, for evaluations at the person level.
//!
//! # Model
//!
//! $n$ persons are spread over $N$ municipalities (with probability proportional to the unit
//! sizes: equal, or the 98 municipalities' populations). The first `treated_units` units of a
//! random permutation of the units run the programme (cluster assignment), and everyone living
//! there is treated. Person $j$ in unit $i$ finds a job at time $T_j$ (months since arrival)
//! with hazard
//!
//! $$h_j(t) = h_0(t)\, \mathrm{HR}^{D_i}\, \nu_i, \qquad \log \nu_i \sim N(0, \sigma_\nu^2),$$
//!
//! a proportional-hazards model with baseline $h_0$ exponential ($h_0 = \lambda$), Weibull
//! ($H_0(t) = (t/s)^k$) or piecewise constant (rates $\lambda_0, \ldots, \lambda_K$ between
//! the cut points $c_1 < \ldots < c_K$), a treatment hazard ratio HR and an optional unit
//! frailty $\nu_i$. $T_j$ is drawn by inversion: $T_j = H_0^{-1}(E_j / (\mathrm{HR}^{D_i}
//! \nu_i))$ with $E_j \sim \mathrm{Exp}(1)$. Follow-up ends at $C_j = \min(\tau, U_j)$, with
//! administrative censoring at $\tau$ = `follow_up` and drop-out $U_j \sim
//! \mathrm{Exp}(\delta)$; the data are $(\min(T_j, C_j), 1[T_j \le C_j])$. Without frailty
//! the survival of a control is $S_0(t) = \exp(-H_0(t))$ and of a treated person
//! $S_0(t)^{\mathrm{HR}}$ ([`CohortDesign::survival`]).
//!
//! # Defaults
//!
//! [`CohortDesign::default`]: 3,000 persons in 98 municipalities (municipal sizes), 17 treated
//! units, Weibull baseline with shape 1.3 and scale 30 months (median time to a job about 23
//! months), hazard ratio 1, no frailty, 48 months of follow-up, no drop-out, seed `None`.
//!
//! # Determinism
//!
//! Replicate $r$ draws from ChaCha8 stream $r$ of the seed: identical on every platform and
//! for any thread count.
//!
//! # Examples
//!
//! ```
//! use virkning::simulate::{CohortDesign, Hazard};
//! let d = CohortDesign::default().hazard(Hazard::Exponential { rate: 0.05 }).seed(1).validate().unwrap();
//! let draw = d.simulate(0);
//! assert_eq!(draw.time.len(), 3000);
//! assert!(draw.time.iter().all(|&t| t > 0.0 && t <= 48.0));
//! assert!((d.survival(12.0, false) - (-0.6f64).exp()).abs() < 1e-12);
//! ```

use std::borrow::Cow;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp1};
use serde::{Deserialize, Serialize};

use super::error::{check_sd, SimulateError};
use super::municipalities::normal;
use super::panel::{relative_sizes, UnitSizes};
use crate::data::{Column, DataError, Frame};
use crate::error::ParamsError;
use crate::traits::Validated;
use crate::Error;

/// Largest cohort one replicate may have (memory guard).
const MAX_PERSONS: usize = 50_000_000;

/// Baseline hazard of finding a job (time in any unit, e.g. months).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Hazard {
    /// Constant hazard `rate`.
    Exponential {
        /// Hazard per unit of time.
        rate: f64,
    },
    /// Weibull: cumulative hazard $(t / \mathrm{scale})^{\mathrm{shape}}$.
    Weibull {
        /// Shape $k$ (above 1: rising hazard).
        shape: f64,
        /// Scale $s$ (time units).
        scale: f64,
    },
    /// Piecewise constant: `rates[0]` before `cuts[0]`, `rates[k]` between `cuts[k-1]` and
    /// `cuts[k]`, the last rate after the last cut.
    PiecewiseConstant {
        /// Increasing positive cut points.
        cuts: Vec<f64>,
        /// One non-negative rate per interval (`cuts.len() + 1`), the last positive.
        rates: Vec<f64>,
    },
}

impl Hazard {
    fn check(&self) -> Result<(), SimulateError> {
        let bad = |reason: String| Err(SimulateError::InvalidHazard { reason });
        let pos = |x: f64| x.is_finite() && x > 0.0;
        match self {
            Hazard::Exponential { rate } if !pos(*rate) => bad(format!("exponential rate {rate} must be positive")),
            Hazard::Weibull { shape, scale } if !(pos(*shape) && pos(*scale)) => {
                bad(format!("Weibull shape {shape} and scale {scale} must be positive"))
            }
            Hazard::PiecewiseConstant { cuts, rates } => {
                if rates.len() != cuts.len() + 1 {
                    return bad(format!(
                        "{} cut points need {} rates, got {}",
                        cuts.len(),
                        cuts.len() + 1,
                        rates.len()
                    ));
                }
                if cuts.iter().any(|c| !pos(*c)) || cuts.windows(2).any(|w| w[1] <= w[0]) {
                    return bad(format!("cut points {cuts:?} must be positive and increasing"));
                }
                if rates.iter().any(|r| !(r.is_finite() && *r >= 0.0)) || !pos(rates[rates.len() - 1]) {
                    return bad(format!("rates {rates:?} must be non-negative, the last positive"));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Cumulative baseline hazard $H_0(t)$.
    pub fn cumulative(&self, t: f64) -> f64 {
        match self {
            Hazard::Exponential { rate } => rate * t,
            Hazard::Weibull { shape, scale } => (t / scale).powf(*shape),
            Hazard::PiecewiseConstant { cuts, rates } => {
                let (mut acc, mut from) = (0.0, 0.0);
                for (k, &r) in rates.iter().enumerate() {
                    let to = cuts.get(k).copied().unwrap_or(f64::INFINITY).min(t);
                    if to > from {
                        acc += r * (to - from);
                    }
                    from = cuts.get(k).copied().unwrap_or(f64::INFINITY);
                    if from >= t {
                        break;
                    }
                }
                acc
            }
        }
    }

    /// $H_0^{-1}(h)$: the time at which the cumulative baseline hazard reaches `h`.
    pub fn inverse_cumulative(&self, h: f64) -> f64 {
        match self {
            Hazard::Exponential { rate } => h / rate,
            Hazard::Weibull { shape, scale } => scale * h.powf(1.0 / shape),
            Hazard::PiecewiseConstant { cuts, rates } => {
                let (mut acc, mut from) = (0.0, 0.0);
                for (k, &r) in rates.iter().enumerate() {
                    let to = cuts.get(k).copied().unwrap_or(f64::INFINITY);
                    let mass = r * (to - from);
                    if r > 0.0 && h <= acc + mass {
                        return from + (h - acc) / r;
                    }
                    acc += mass;
                    from = to;
                }
                f64::INFINITY
            }
        }
    }
}

/// A cohort of refugees with time-to-job hazards (see the module docs for the model).
///
/// # Defaults
///
/// `n_persons` 3000, `n_units` 98, `treated_units` 17, `sizes` municipalities, `hazard`
/// Weibull (shape 1.3, scale 30), `hazard_ratio` 1.0, `frailty_sd` 0.0, `follow_up` 48.0,
/// `dropout_rate` 0.0, `seed` `None`.
///
/// # Errors
///
/// `validate()`: [`SimulateError::TooManyTreated`] when `treated_units > n_units`,
/// [`SimulateError::InvalidHazard`], [`SimulateError::NegativeVariance`] for `frailty_sd`;
/// [`ParamsError::InvalidParam`] for no persons or units, a hazard ratio, follow-up or
/// drop-out rate that is not positive (drop-out: non-negative) and finite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CohortDesign {
    /// Persons in the cohort.
    pub n_persons: usize,
    /// Municipalities.
    pub n_units: usize,
    /// Municipalities running the programme (everyone living there is treated).
    pub treated_units: usize,
    /// Relative unit sizes (where persons live).
    pub sizes: UnitSizes,
    /// Baseline hazard of finding a job.
    pub hazard: Hazard,
    /// Treatment hazard ratio.
    pub hazard_ratio: f64,
    /// Standard deviation of the log unit frailty.
    pub frailty_sd: f64,
    /// Administrative censoring time.
    pub follow_up: f64,
    /// Drop-out (random censoring) rate per unit of time.
    pub dropout_rate: f64,
    /// Seed; `None` draws one at random.
    pub seed: Option<u64>,
}

impl Default for CohortDesign {
    fn default() -> Self {
        CohortDesign {
            n_persons: 3000,
            n_units: 98,
            treated_units: 17,
            sizes: UnitSizes::Municipalities,
            hazard: Hazard::Weibull { shape: 1.3, scale: 30.0 },
            hazard_ratio: 1.0,
            frailty_sd: 0.0,
            follow_up: 48.0,
            dropout_rate: 0.0,
            seed: None,
        }
    }
}

impl CohortDesign {
    /// Set the cohort size and the number of units.
    pub fn persons(mut self, n_persons: usize, n_units: usize) -> Self {
        self.n_persons = n_persons;
        self.n_units = n_units;
        self
    }

    /// Set the number of treated units.
    pub fn treated_units(mut self, n: usize) -> Self {
        self.treated_units = n;
        self
    }

    /// Set the baseline hazard.
    pub fn hazard(mut self, hazard: Hazard) -> Self {
        self.hazard = hazard;
        self
    }

    /// Set the treatment hazard ratio.
    pub fn hazard_ratio(mut self, hr: f64) -> Self {
        self.hazard_ratio = hr;
        self
    }

    /// Set the follow-up and the drop-out rate.
    pub fn censoring(mut self, follow_up: f64, dropout_rate: f64) -> Self {
        self.follow_up = follow_up;
        self.dropout_rate = dropout_rate;
        self
    }

    /// Set the frailty standard deviation.
    pub fn frailty_sd(mut self, sd: f64) -> Self {
        self.frailty_sd = sd;
        self
    }

    /// Set the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// True probability of still being without a job at `t` (no frailty), for a treated or a
    /// control person: $S_0(t)^{\mathrm{HR}^D}$.
    pub fn survival(&self, t: f64, treated: bool) -> f64 {
        let hr = if treated { self.hazard_ratio } else { 1.0 };
        (-hr * self.hazard.cumulative(t)).exp()
    }

    /// Check every option (see `# Errors` on [`CohortDesign`]) and resolve the seed.
    ///
    /// # Errors
    /// See [`CohortDesign`].
    pub fn validate(mut self) -> Result<Validated<CohortDesign>, Error> {
        let bad = |name, value: String, reason: &str| -> Error {
            ParamsError::InvalidParam { name, value, reason: reason.into() }.into()
        };
        if self.n_persons == 0 || self.n_persons > MAX_PERSONS {
            return Err(bad("n_persons", self.n_persons.to_string(), "must be between 1 and 50 million"));
        }
        if self.n_units == 0 {
            return Err(bad("n_units", "0".into(), "must be at least 1"));
        }
        if self.treated_units > self.n_units {
            return Err(SimulateError::TooManyTreated { n_treated: self.treated_units, n_units: self.n_units }.into());
        }
        self.hazard.check()?;
        if !(self.hazard_ratio.is_finite() && self.hazard_ratio > 0.0) {
            return Err(bad("hazard_ratio", self.hazard_ratio.to_string(), "must be positive and finite"));
        }
        check_sd("frailty_sd", self.frailty_sd)?;
        if !(self.follow_up.is_finite() && self.follow_up > 0.0) {
            return Err(bad("follow_up", self.follow_up.to_string(), "must be positive and finite"));
        }
        if !(self.dropout_rate.is_finite() && self.dropout_rate >= 0.0) {
            return Err(bad("dropout_rate", self.dropout_rate.to_string(), "must be non-negative and finite"));
        }
        if self.seed.is_none() {
            self.seed = Some(rand::random::<u64>());
        }
        Ok(Validated::new(self))
    }
}

/// One simulated cohort: one row per person.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortDraw {
    /// Person id, 1..=n.
    pub person: Vec<i64>,
    /// Unit (municipality) id, 1..=N.
    pub unit: Vec<i64>,
    /// 1 if the person's unit runs the programme.
    pub treated: Vec<f64>,
    /// Time to a job or to censoring.
    pub time: Vec<f64>,
    /// 1 if a job was found at `time`, 0 if censored.
    pub event: Vec<f64>,
}

impl CohortDraw {
    /// A frame viewing the columns (`person, unit, treated, time, event`).
    pub fn frame(&self) -> Result<Frame<'_>, DataError> {
        Frame::new()
            .with_column("person", Column::Int(Cow::Borrowed(&self.person)))?
            .with_column("unit", Column::Int(Cow::Borrowed(&self.unit)))?
            .with_column("treated", Column::Float(Cow::Borrowed(&self.treated)))?
            .with_column("time", Column::Float(Cow::Borrowed(&self.time)))?
            .with_column("event", Column::Float(Cow::Borrowed(&self.event)))
    }
}

impl Validated<CohortDesign> {
    /// The seed in use (resolved by `validate()`).
    pub fn seed_used(&self) -> u64 {
        self.seed.unwrap_or_default()
    }

    /// Simulate replicate `replicate` (its own random stream).
    pub fn simulate(&self, replicate: u64) -> CohortDraw {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed_used());
        rng.set_stream(replicate);
        let n_u = self.n_units;
        let mut order: Vec<usize> = (0..n_u).collect();
        for i in (1..n_u).rev() {
            let j = rng.random_range(0..=i);
            order.swap(i, j);
        }
        let mut treated_unit = vec![false; n_u];
        order[..self.treated_units].iter().for_each(|&u| treated_unit[u] = true);
        let frailty: Vec<f64> = (0..n_u).map(|_| (self.frailty_sd * normal(&mut rng)).exp()).collect();
        let mut cum = relative_sizes(self.sizes, n_u);
        for i in 1..n_u {
            cum[i] += cum[i - 1];
        }
        let total = cum[n_u - 1];

        let n = self.n_persons;
        let mut d = CohortDraw {
            person: (1..=n as i64).collect(),
            unit: Vec::with_capacity(n),
            treated: Vec::with_capacity(n),
            time: Vec::with_capacity(n),
            event: Vec::with_capacity(n),
        };
        for _ in 0..n {
            let x = rng.random_range(0.0..total);
            let u = cum.partition_point(|&c| c <= x).min(n_u - 1);
            let hr = if treated_unit[u] { self.hazard_ratio } else { 1.0 };
            let e: f64 = Exp1.sample(&mut rng);
            let t = self.hazard.inverse_cumulative(e / (hr * frailty[u]));
            let dropout = if self.dropout_rate > 0.0 {
                let e2: f64 = Exp1.sample(&mut rng);
                e2 / self.dropout_rate
            } else {
                f64::INFINITY
            };
            let c = self.follow_up.min(dropout);
            d.unit.push(u as i64 + 1);
            d.treated.push(if treated_unit[u] { 1.0 } else { 0.0 });
            d.time.push(t.min(c));
            d.event.push(if t <= c { 1.0 } else { 0.0 });
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piecewise_cumulative_and_inverse_agree() {
        let h = Hazard::PiecewiseConstant { cuts: vec![6.0, 12.0], rates: vec![0.0, 0.05, 0.1] };
        assert_eq!(h.cumulative(5.0), 0.0);
        assert!((h.cumulative(10.0) - 0.2).abs() < 1e-15);
        assert!((h.cumulative(20.0) - (0.3 + 0.8)).abs() < 1e-12);
        for t in [6.5, 10.0, 12.0, 30.0] {
            assert!((h.inverse_cumulative(h.cumulative(t)) - t).abs() < 1e-12);
        }
        let w = Hazard::Weibull { shape: 1.3, scale: 30.0 };
        assert!((w.inverse_cumulative(w.cumulative(17.0)) - 17.0).abs() < 1e-12);
    }

    #[test]
    fn bad_cohorts_are_specific_errors() {
        let err = |d: CohortDesign| d.validate().unwrap_err();
        assert!(matches!(
            err(CohortDesign::default().treated_units(99)),
            Error::Simulate(SimulateError::TooManyTreated { .. })
        ));
        let bad_pw = Hazard::PiecewiseConstant { cuts: vec![6.0], rates: vec![0.1] };
        assert!(matches!(
            err(CohortDesign::default().hazard(bad_pw)),
            Error::Simulate(SimulateError::InvalidHazard { .. })
        ));
        assert!(matches!(
            err(CohortDesign::default().hazard(Hazard::Exponential { rate: -1.0 })),
            Error::Simulate(SimulateError::InvalidHazard { .. })
        ));
        assert!(matches!(err(CohortDesign::default().hazard_ratio(0.0)), Error::Params(_)));
        assert!(matches!(
            err(CohortDesign::default().frailty_sd(-1.0)),
            Error::Simulate(SimulateError::NegativeVariance { .. })
        ));
    }
}
