//! A configurable municipality-panel design for power analysis: who is treated when, how large
//! the effect is and how noisy the outcome.
//!
//! # Model
//!
//! Units $i = 1..N$ (municipalities) are observed in periods $t = t_0..t_1$. Each replicate
//! assigns the cohorts at random: a random permutation of the units gives the first
//! $n_1$ units adoption period $g_1$, the next $n_2$ units $g_2$, and so on; the rest are never
//! treated. The outcome (an employment rate, as a share) is
//!
//! $$y_{it} = \mu + a_i + \lambda_t + \varepsilon_{it} + u_{it} + \tau_{it}, \qquad
//! \varepsilon_{it} = \rho\,\varepsilon_{i,t-1} + \sigma\,\eta_{it},$$
//!
//! with unit effects $a_i \sim N(0, \sigma_a^2)$, period effects $\lambda_t \sim N(0,
//! \sigma_\lambda^2)$, a stationary AR(1) shock $\varepsilon$ (started from its stationary
//! distribution), and, when a mean unit size $\bar n$ is given, sampling noise of a rate
//! measured on $n_i$ people, $u_{it} \sim N(0, \mu(1-\mu)/n_i)$ (the normal approximation of
//! a binomial rate, so the model stays linear and the estimand exact). Unit sizes $n_i$ are
//! equal, or proportional to the populations of the 98 Danish municipalities (`sizes =
//! "municipalities"`, recycled when $N > 98$), scaled to mean $\bar n$; they are fixed across
//! replicates and returned as the `size` column (a natural regression weight).
//!
//! The treatment effect of unit $i$ at event time $e = t - g_i \ge 0$ is
//!
//! $$\tau_{it} = (\delta + \sigma_\delta z_i)\, m_{\min(e, K-1)},$$
//!
//! with $\delta$ = `effect`, unit heterogeneity $z_i \sim N(0, 1)$ scaled by `effect_sd`,
//! and the dynamic path $m_0..m_{K-1}$ = `dynamic` (the last value repeats; `[1.0]` is a
//! constant effect). No anticipation: $\tau_{it} = 0$ before adoption. The estimand a
//! replicate reports is the average $\tau_{it}$ over treated unit-periods (the ATT).
//!
//! # Defaults
//!
//! [`PanelDesign::default`]: 98 units, 2010-2024, 17 units treated from 2016 (9 post
//! periods), `effect = 0`, constant effect, $\mu = 0.35$, $\sigma_a = 0.04$,
//! $\sigma_\lambda = 0.02$, $\rho = 0.5$, $\sigma = 0.015$, municipal sizes with mean 150
//! refugees, seed `None` (drawn at random and recorded).
//!
//! # Determinism
//!
//! Replicate $r$ draws from `ChaCha8Rng::seed_from_u64(seed)` with `set_stream(r)`, in a
//! fixed order (assignment, period effects, then unit by unit), so a replicate is the same on
//! every platform and thread count, and two effect sizes with the same seed share every draw
//! (common random numbers).
//!
//! # Examples
//!
//! ```
//! use virkning::simulate::PanelDesign;
//! let design = PanelDesign::default().treated(17, 2016).effect(0.03).seed(7).validate().unwrap();
//! let draw = design.simulate(0);
//! assert_eq!(draw.outcome.len(), 98 * 15);
//! assert!((draw.estimand(false) - 0.03).abs() < 1e-12);
//! ```

use std::borrow::Cow;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::error::{check_sd, SimulateError};
use super::municipalities::{bundled_municipalities, normal, population_thousands};
use crate::data::{Column, DataError, Frame};
use crate::error::ParamsError;
use crate::traits::Validated;
use crate::Error;

/// Largest number of unit-periods one replicate may have (memory guard).
const MAX_ROWS: usize = 50_000_000;

/// A group of units adopting the treatment in the same period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cohort {
    /// Adoption period (first treated period).
    pub start: i64,
    /// Number of units adopting then.
    pub n_units: usize,
}

/// How large the units are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitSizes {
    /// Every unit has the mean size.
    Equal,
    /// Proportional to the populations of the 98 Danish municipalities (by municipality code).
    Municipalities,
}

/// The municipality-panel design (see the module docs for the model).
///
/// # Defaults
///
/// - `n_units`: 98; `first_period`: 2010; `last_period`: 2024.
/// - `cohorts`: one cohort of 17 units starting in 2016.
/// - `effect`: 0.0; `dynamic`: `[1.0]`; `effect_sd`: 0.0.
/// - `base_rate`: 0.35; `unit_sd`: 0.04; `time_sd`: 0.02; `rho`: 0.5; `sigma`: 0.015.
/// - `sizes`: `municipalities`; `mean_size`: `Some(150.0)` (`None`: no sampling noise).
/// - `seed`: `None` (drawn from the operating system and recorded in results).
///
/// # Errors
///
/// `validate()` returns [`SimulateError`] for treated counts that do not fit
/// ([`SimulateError::TooManyTreated`], [`SimulateError::NoTreated`],
/// [`SimulateError::NoControls`]), cohorts without pre or post periods, negative standard
/// deviations; [`ParamsError::InvalidParam`] for fewer than 2 units or periods, `rho` outside
/// $(-1, 1)$, non-finite effects, an empty `dynamic`, `base_rate` outside $(0, 1)$ or a
/// non-positive `mean_size`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PanelDesign {
    /// Number of units (municipalities).
    pub n_units: usize,
    /// First period.
    pub first_period: i64,
    /// Last period (inclusive).
    pub last_period: i64,
    /// Adoption cohorts; units not in a cohort are never treated.
    pub cohorts: Vec<Cohort>,
    /// Effect $\delta$ at full strength (share: 0.03 = 3 percentage points).
    pub effect: f64,
    /// Multipliers of the effect by event time 0, 1, ...; the last repeats.
    pub dynamic: Vec<f64>,
    /// Standard deviation of unit-specific effects (as a share, before the dynamic multiplier).
    pub effect_sd: f64,
    /// Mean outcome $\mu$.
    pub base_rate: f64,
    /// Standard deviation of the unit effects.
    pub unit_sd: f64,
    /// Standard deviation of the period effects.
    pub time_sd: f64,
    /// AR(1) coefficient of the unit shocks.
    pub rho: f64,
    /// Innovation standard deviation of the AR(1) shocks.
    pub sigma: f64,
    /// Unit sizes (relative).
    pub sizes: UnitSizes,
    /// Mean unit size (people behind each rate); `None` for no sampling noise.
    pub mean_size: Option<f64>,
    /// Seed; `None` draws one at random.
    pub seed: Option<u64>,
}

impl Default for PanelDesign {
    fn default() -> Self {
        PanelDesign {
            n_units: 98,
            first_period: 2010,
            last_period: 2024,
            cohorts: vec![Cohort { start: 2016, n_units: 17 }],
            effect: 0.0,
            dynamic: vec![1.0],
            effect_sd: 0.0,
            base_rate: 0.35,
            unit_sd: 0.04,
            time_sd: 0.02,
            rho: 0.5,
            sigma: 0.015,
            sizes: UnitSizes::Municipalities,
            mean_size: Some(150.0),
            seed: None,
        }
    }
}

impl PanelDesign {
    /// Set the number of units.
    pub fn units(mut self, n: usize) -> Self {
        self.n_units = n;
        self
    }

    /// Set the first and last period.
    pub fn periods(mut self, first: i64, last: i64) -> Self {
        self.first_period = first;
        self.last_period = last;
        self
    }

    /// One cohort: `n` units treated from `start` ("17 of 98 from 2016").
    pub fn treated(mut self, n: usize, start: i64) -> Self {
        self.cohorts = vec![Cohort { start, n_units: n }];
        self
    }

    /// Staggered adoption: `(start, n_units)` per cohort.
    pub fn cohorts(mut self, cohorts: impl IntoIterator<Item = (i64, usize)>) -> Self {
        self.cohorts = cohorts.into_iter().map(|(start, n_units)| Cohort { start, n_units }).collect();
        self
    }

    /// Set the effect at full strength.
    pub fn effect(mut self, effect: f64) -> Self {
        self.effect = effect;
        self
    }

    /// Set the dynamic multipliers by event time.
    pub fn dynamic(mut self, path: Vec<f64>) -> Self {
        self.dynamic = path;
        self
    }

    /// Set the standard deviation of unit-specific effects.
    pub fn effect_sd(mut self, sd: f64) -> Self {
        self.effect_sd = sd;
        self
    }

    /// Set the unit and period effect standard deviations.
    pub fn fixed_effect_sds(mut self, unit_sd: f64, time_sd: f64) -> Self {
        self.unit_sd = unit_sd;
        self.time_sd = time_sd;
        self
    }

    /// Set the AR(1) coefficient and innovation standard deviation.
    pub fn ar1(mut self, rho: f64, sigma: f64) -> Self {
        self.rho = rho;
        self.sigma = sigma;
        self
    }

    /// Set the unit sizes and their mean (`None`: no sampling noise).
    pub fn sizes(mut self, sizes: UnitSizes, mean_size: Option<f64>) -> Self {
        self.sizes = sizes;
        self.mean_size = mean_size;
        self
    }

    /// Set the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Number of periods.
    pub fn n_periods(&self) -> usize {
        (self.last_period - self.first_period + 1).max(0) as usize
    }

    /// Check every option (see `# Errors` on [`PanelDesign`]) and resolve the seed.
    ///
    /// # Errors
    /// See [`PanelDesign`].
    pub fn validate(mut self) -> Result<Validated<PanelDesign>, Error> {
        let bad = |name, value: String, reason: &str| -> Error {
            ParamsError::InvalidParam { name, value, reason: reason.into() }.into()
        };
        if self.n_units < 2 {
            return Err(bad("n_units", self.n_units.to_string(), "must be at least 2"));
        }
        if self.last_period <= self.first_period {
            return Err(bad("last_period", self.last_period.to_string(), "must be after first_period"));
        }
        if self.last_period - self.first_period >= 10_000 || self.n_units.saturating_mul(self.n_periods()) > MAX_ROWS {
            return Err(bad("n_units", self.n_units.to_string(), "units x periods must be at most 50 million"));
        }
        let n_treated: usize = self.cohorts.iter().map(|c| c.n_units).sum();
        if n_treated == 0 {
            return Err(SimulateError::NoTreated.into());
        }
        if n_treated > self.n_units {
            return Err(SimulateError::TooManyTreated { n_treated, n_units: self.n_units }.into());
        }
        if n_treated == self.n_units {
            return Err(SimulateError::NoControls { n_units: self.n_units }.into());
        }
        for c in self.cohorts.iter().filter(|c| c.n_units > 0) {
            if c.start > self.last_period {
                return Err(SimulateError::NoPostPeriods { start: c.start, last_period: self.last_period }.into());
            }
            if c.start <= self.first_period {
                return Err(SimulateError::NoPrePeriods { start: c.start, first_period: self.first_period }.into());
            }
        }
        for (name, v) in
            [("effect_sd", self.effect_sd), ("unit_sd", self.unit_sd), ("time_sd", self.time_sd), ("sigma", self.sigma)]
        {
            check_sd(name, v)?;
        }
        if !(self.rho.is_finite() && self.rho.abs() < 1.0) {
            return Err(bad("rho", self.rho.to_string(), "must be in (-1, 1)"));
        }
        if !self.effect.is_finite() {
            return Err(bad("effect", self.effect.to_string(), "must be finite"));
        }
        if self.dynamic.is_empty() || self.dynamic.iter().any(|m| !m.is_finite()) {
            return Err(bad(
                "dynamic",
                format!("{:?}", self.dynamic),
                "must be a non-empty list of finite multipliers",
            ));
        }
        if !self.base_rate.is_finite() {
            return Err(bad("base_rate", self.base_rate.to_string(), "must be finite"));
        }
        if let Some(m) = self.mean_size {
            if !(m.is_finite() && m > 0.0) {
                return Err(bad("mean_size", m.to_string(), "must be positive (or None for no sampling noise)"));
            }
            if !(self.base_rate > 0.0 && self.base_rate < 1.0) {
                return Err(bad("base_rate", self.base_rate.to_string(), "must be in (0, 1) when mean_size is set"));
            }
        }
        if self.seed.is_none() {
            self.seed = Some(rand::random::<u64>());
        }
        Ok(Validated::new(self))
    }
}

/// Relative sizes of `n` units with mean 1: equal, or the bundled municipalities' populations
/// (by municipality code, recycled when `n > 98`).
pub(crate) fn relative_sizes(sizes: UnitSizes, n: usize) -> Vec<f64> {
    let rel: Vec<f64> = match sizes {
        UnitSizes::Equal => vec![1.0; n],
        UnitSizes::Municipalities => {
            let pops: Vec<f64> = bundled_municipalities()
                .map(|m| m.iter().map(|m| population_thousands(m.code)).collect())
                .unwrap_or_else(|_| vec![1.0]);
            (0..n).map(|i| pops[i % pops.len()]).collect()
        }
    };
    let mean = rel.iter().sum::<f64>() / n as f64;
    rel.iter().map(|r| r / mean).collect()
}

/// One simulated replicate of a [`PanelDesign`]: columns sorted by unit, then period.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelDraw {
    /// Unit id, 1..=N.
    pub unit: Vec<i64>,
    /// Period.
    pub period: Vec<i64>,
    /// Outcome.
    pub outcome: Vec<f64>,
    /// 1 from the unit's adoption period on, else 0.
    pub treated: Vec<f64>,
    /// Adoption period of the unit, 0 = never treated.
    pub cohort: Vec<i64>,
    /// Unit size (people behind the rate).
    pub size: Vec<f64>,
    /// The true effect $\tau_{it}$ in the row.
    pub true_effect: Vec<f64>,
}

impl PanelDraw {
    /// The replicate's estimand: the mean true effect over treated unit-periods, weighted by
    /// `size` when `weighted`.
    pub fn estimand(&self, weighted: bool) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for i in 0..self.treated.len() {
            if self.treated[i] == 1.0 {
                let w = if weighted { self.size[i] } else { 1.0 };
                num += w * self.true_effect[i];
                den += w;
            }
        }
        num / den
    }

    /// The rows `rows` (in that order).
    pub fn rows(&self, rows: &[usize]) -> PanelDraw {
        fn pick<T: Copy>(v: &[T], rows: &[usize]) -> Vec<T> {
            rows.iter().map(|&i| v[i]).collect()
        }
        PanelDraw {
            unit: pick(&self.unit, rows),
            period: pick(&self.period, rows),
            outcome: pick(&self.outcome, rows),
            treated: pick(&self.treated, rows),
            cohort: pick(&self.cohort, rows),
            size: pick(&self.size, rows),
            true_effect: pick(&self.true_effect, rows),
        }
    }

    /// A frame viewing the columns (`unit, period, outcome, treated, cohort, size, true_effect`).
    pub fn frame(&self) -> Result<Frame<'_>, DataError> {
        fn f(v: &[f64]) -> Column<'_> {
            Column::Float(Cow::Borrowed(v))
        }
        fn i(v: &[i64]) -> Column<'_> {
            Column::Int(Cow::Borrowed(v))
        }
        Frame::new()
            .with_column("unit", i(&self.unit))?
            .with_column("period", i(&self.period))?
            .with_column("outcome", f(&self.outcome))?
            .with_column("treated", f(&self.treated))?
            .with_column("cohort", i(&self.cohort))?
            .with_column("size", f(&self.size))?
            .with_column("true_effect", f(&self.true_effect))
    }
}

impl Validated<PanelDesign> {
    /// The seed in use (resolved by `validate()`).
    pub fn seed_used(&self) -> u64 {
        self.seed.unwrap_or_default()
    }

    /// Unit sizes (fixed across replicates), mean `mean_size` (mean 1 without sampling noise).
    pub fn unit_sizes(&self) -> Vec<f64> {
        let target = self.mean_size.unwrap_or(1.0);
        relative_sizes(self.sizes, self.n_units).iter().map(|r| r * target).collect()
    }

    /// Simulate replicate `replicate` (its own random stream).
    pub fn simulate(&self, replicate: u64) -> PanelDraw {
        self.simulate_with(replicate, &self.unit_sizes(), self.effect)
    }

    /// Simulate replicate `replicate` with precomputed `sizes` and the effect set to `effect`
    /// (every random draw is independent of `effect`: common random numbers).
    pub(crate) fn simulate_with(&self, replicate: u64, sizes: &[f64], effect: f64) -> PanelDraw {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed_used());
        rng.set_stream(replicate);
        let (n, t_n) = (self.n_units, self.n_periods());

        // Assignment: a random permutation; cohorts take the first units in order.
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = rng.random_range(0..=i);
            order.swap(i, j);
        }
        let mut start = vec![0i64; n];
        let mut pos = 0;
        for c in &self.cohorts {
            for &u in &order[pos..pos + c.n_units] {
                start[u] = c.start;
            }
            pos += c.n_units;
        }

        let lambda: Vec<f64> = (0..t_n).map(|_| self.time_sd * normal(&mut rng)).collect();
        let stationary = self.sigma / (1.0 - self.rho * self.rho).sqrt();
        let mu = self.base_rate;
        let rows = n * t_n;
        let mut d = PanelDraw {
            unit: Vec::with_capacity(rows),
            period: Vec::with_capacity(rows),
            outcome: Vec::with_capacity(rows),
            treated: Vec::with_capacity(rows),
            cohort: Vec::with_capacity(rows),
            size: Vec::with_capacity(rows),
            true_effect: Vec::with_capacity(rows),
        };
        for i in 0..n {
            let a = self.unit_sd * normal(&mut rng);
            let unit_effect = effect + self.effect_sd * normal(&mut rng);
            let sampling_sd = self.mean_size.map_or(0.0, |_| (mu * (1.0 - mu) / sizes[i]).sqrt());
            let mut eps = stationary * normal(&mut rng);
            for (k, lam) in lambda.iter().enumerate() {
                let t = self.first_period + k as i64;
                if k > 0 {
                    eps = self.rho * eps + self.sigma * normal(&mut rng);
                }
                let u = sampling_sd * normal(&mut rng);
                let on = start[i] > 0 && t >= start[i];
                let tau = if on {
                    let e = ((t - start[i]) as usize).min(self.dynamic.len() - 1);
                    unit_effect * self.dynamic[e]
                } else {
                    0.0
                };
                d.unit.push(i as i64 + 1);
                d.period.push(t);
                d.outcome.push(mu + a + lam + eps + u + tau);
                d.treated.push(if on { 1.0 } else { 0.0 });
                d.cohort.push(start[i]);
                d.size.push(sizes[i]);
                d.true_effect.push(tau);
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohorts_are_assigned_as_asked() {
        let d = PanelDesign::default().cohorts([(2014, 5), (2018, 7)]).seed(1).validate().unwrap();
        let draw = d.simulate(3);
        let t = d.n_periods();
        let starts: Vec<i64> = (0..d.n_units).map(|i| draw.cohort[i * t]).collect();
        assert_eq!(starts.iter().filter(|&&s| s == 2014).count(), 5);
        assert_eq!(starts.iter().filter(|&&s| s == 2018).count(), 7);
        assert_eq!(starts.iter().filter(|&&s| s == 0).count(), 98 - 12);
        // Another replicate draws another assignment; the same replicate the same one.
        assert_ne!(d.simulate(4).cohort, draw.cohort);
        assert_eq!(d.simulate(3), draw);
    }

    #[test]
    fn common_random_numbers_across_effects() {
        let d = PanelDesign::default().dynamic(vec![0.5, 1.0]).seed(9).validate().unwrap();
        let sizes = d.unit_sizes();
        let a = d.simulate_with(2, &sizes, 0.0);
        let b = d.simulate_with(2, &sizes, 0.04);
        for i in 0..a.outcome.len() {
            assert!((b.outcome[i] - a.outcome[i] - b.true_effect[i]).abs() < 1e-15);
        }
        // Dynamic path: half the effect in the adoption period, full after.
        let e0: Vec<f64> =
            (0..b.period.len()).filter(|&i| b.period[i] == b.cohort[i]).map(|i| b.true_effect[i]).collect();
        assert!(e0.iter().all(|&x| (x - 0.02).abs() < 1e-15));
        let mean_size = sizes.iter().sum::<f64>() / sizes.len() as f64;
        assert!((mean_size - 150.0).abs() < 1e-9);
    }

    #[test]
    fn bad_designs_are_specific_errors() {
        use crate::error::Error as E;
        let err = |p: PanelDesign| p.validate().unwrap_err();
        assert!(matches!(
            err(PanelDesign::default().treated(99, 2016)),
            E::Simulate(SimulateError::TooManyTreated { n_treated: 99, n_units: 98 })
        ));
        assert!(matches!(err(PanelDesign::default().treated(98, 2016)), E::Simulate(SimulateError::NoControls { .. })));
        assert!(matches!(err(PanelDesign::default().treated(0, 2016)), E::Simulate(SimulateError::NoTreated)));
        assert!(matches!(
            err(PanelDesign::default().treated(5, 2025)),
            E::Simulate(SimulateError::NoPostPeriods { .. })
        ));
        assert!(matches!(
            err(PanelDesign::default().treated(5, 2010)),
            E::Simulate(SimulateError::NoPrePeriods { .. })
        ));
        assert!(matches!(
            err(PanelDesign::default().ar1(0.5, -0.1)),
            E::Simulate(SimulateError::NegativeVariance { name: "sigma", .. })
        ));
        assert!(matches!(err(PanelDesign::default().ar1(1.0, 0.1)), E::Params(_)));
        assert!(matches!(err(PanelDesign::default().dynamic(vec![])), E::Params(_)));
    }
}
