//! Randomization inference: re-assign treatment across units and recompute the estimate.
//!
//! # Method
//! Under the sharp null of no effect for any unit, the assignment is exchangeable across units
//! (Fisher 1935; Young 2019; Hess 2017's `ritest`). Each replicate draws a uniform permutation
//! $\pi$ of the units and gives unit $u$ the adoption time of unit $\pi(u)$ (never-treated units
//! carry "never"), so the number of treated units and the distribution of adoption times are
//! kept. The statistic is recomputed by any estimator (a closure), and
//! $p = \#\{b : |T_b| \ge |T|\} / B$ (two-sided, as `ritest`; ties decided with the relative
//! tolerance [`super::dist::TIE`] and counted), with Monte Carlo standard error
//! $\sqrt{p(1-p)/B}$. Replicates whose statistic cannot be computed are `NaN`, counted in
//! `n_failed` and left out of $B$.
//!
//! Replicate `b` draws its permutation from `ChaCha8Rng::seed_from_u64(seed)` on stream `b`, so
//! results do not depend on the number of threads.
//!
//! # References
//! Fisher (1935); Young (2019, QJE); Hess (2017, Stata Journal) for `ritest`; MacKinnon & Webb
//! (2020, J. Econometrics) on randomization inference with few treated clusters.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::boot_weights::fresh_seed;
use super::dist::at_least_as_extreme;
use super::{check_interrupt, check_memory, interrupted, InferenceError};
use crate::error::ParamsError;
use crate::traits::Validated;

/// Randomization-inference options.
///
/// # Defaults
/// `reps = 999`, no seed (one from the clock, reported).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiTest {
    /// Permutations.
    pub reps: usize,
    /// Seed.
    pub seed: Option<u64>,
}

impl Default for RiTest {
    fn default() -> Self {
        RiTest { reps: 999, seed: None }
    }
}

impl RiTest {
    /// Set the number of permutations.
    pub fn reps(mut self, reps: usize) -> Self {
        self.reps = reps;
        self
    }
    /// Set the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
    /// Check the options.
    ///
    /// # Errors
    /// [`ParamsError::InvalidParam`] for `reps = 0`.
    pub fn validate(self) -> Result<Validated<RiTest>, ParamsError> {
        super::check_draws("reps", self.reps)?;
        Ok(Validated::new(self))
    }
}

/// The outcome of a randomization test.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RiResult {
    /// What was tested (coefficient name).
    pub term: String,
    /// The statistic on the actual assignment.
    pub statistic: f64,
    /// Randomization p-value.
    pub p_value: f64,
    /// Its Monte Carlo standard error.
    pub p_value_se: f64,
    /// Permutations with a finite statistic (those the p-value is computed from).
    pub reps: usize,
    /// Permutations whose re-estimation failed (e.g. a permuted cohort too small to estimate):
    /// `NaN` in `distribution`, left out of the p-value and reported.
    #[serde(default)]
    pub n_failed: usize,
    /// Units permuted.
    pub n_units: usize,
    /// Units ever treated.
    pub n_treated: usize,
    /// Options with the seed used.
    pub params: RiTest,
    /// The statistic under each permutation.
    pub distribution: Vec<f64>,
}

/// Uniform permutation of `0..n` for replicate `b` (Fisher-Yates on stream `b`).
pub fn permutation(n: usize, seed: u64, b: usize) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(b as u64);
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        p.swap(i, j);
    }
    p
}

/// Run the randomization test: `statistic(perm)` recomputes the estimate when unit `u` takes
/// the assignment of unit `perm[u]` (`perm` = identity gives the actual estimate).
///
/// # Errors
/// Whatever `statistic` returns; [`InferenceError::BadHypothesis`] when the actual statistic is
/// not finite or fewer than two units are given.
pub fn randomization_test<F>(
    term: &str,
    n_units: usize,
    n_treated: usize,
    params: &Validated<RiTest>,
    statistic: F,
) -> crate::Result<RiResult>
where
    F: Fn(&[usize]) -> crate::Result<f64> + Sync,
{
    // Every unit may be treated (staggered timing is still permuted); callers reject
    // assignments that no permutation changes.
    if n_units < 2 || n_treated == 0 {
        return Err(InferenceError::BadHypothesis {
            reason: format!(
                "randomization inference needs treated and untreated units ({n_treated} of {n_units} treated)"
            ),
        }
        .into());
    }
    let actual = statistic(&(0..n_units).collect::<Vec<_>>())?;
    if !actual.is_finite() {
        return Err(InferenceError::BadHypothesis { reason: "the statistic is not finite".into() }.into());
    }
    let seed = params.seed.unwrap_or_else(fresh_seed);
    // The distribution and its finite copy.
    check_memory("reps", params.reps, 16.0 * params.reps as f64, "the randomization distribution")?;
    let distribution: Vec<f64> = (0..params.reps)
        .into_par_iter()
        .map(|b| if interrupted() { f64::NAN } else { statistic(&permutation(n_units, seed, b)).unwrap_or(f64::NAN) })
        .collect();
    check_interrupt()?;
    let valid: Vec<f64> = distribution.iter().copied().filter(|v| v.is_finite()).collect();
    let count = valid.iter().filter(|v| at_least_as_extreme(actual, **v)).count();
    let reps = valid.len().max(1);
    let p = count as f64 / reps as f64;
    Ok(RiResult {
        term: term.to_string(),
        statistic: actual,
        p_value: p,
        p_value_se: (p * (1.0 - p) / reps as f64).sqrt(),
        reps: valid.len(),
        n_failed: params.reps - valid.len(),
        n_units,
        n_treated,
        params: RiTest { reps: params.reps, seed: Some(seed) },
        distribution,
    })
}

/// Adoption time of each unit from a 0/1 treatment that stays on once on: `Some(first treated
/// period)` or `None` for never treated.
///
/// # Errors
/// [`InferenceError::BadHypothesis`] when the treatment is not 0/1 or switches off.
pub fn adoption_times(unit: &[u32], time: &[f64], treat: &[f64], n_units: usize) -> crate::Result<Vec<Option<f64>>> {
    let mut first: Vec<Option<f64>> = vec![None; n_units];
    for i in 0..unit.len() {
        let d = treat[i];
        if d != 0.0 && d != 1.0 {
            return Err(InferenceError::BadHypothesis {
                reason: format!(
                    "randomization inference permutes adoption times: the treatment must be 0/1, found {d}"
                ),
            }
            .into());
        }
        if d == 1.0 {
            let f = &mut first[unit[i] as usize];
            *f = Some(f.map_or(time[i], |t: f64| t.min(time[i])));
        }
    }
    for i in 0..unit.len() {
        if let Some(g) = first[unit[i] as usize] {
            if time[i] >= g && treat[i] == 0.0 {
                return Err(InferenceError::BadHypothesis {
                    reason: "randomization inference permutes adoption times: the treatment must stay on once a unit adopts (absorbing)".into(),
                }
                .into());
            }
        }
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_uniform_and_reproducible() {
        assert_eq!(permutation(10, 3, 5), permutation(10, 3, 5));
        let mut counts = [0usize; 4];
        for b in 0..4000 {
            counts[permutation(4, 1, b)[0]] += 1;
        }
        assert!(counts.iter().all(|c| (*c as f64 - 1000.0).abs() < 120.0), "{counts:?}");
    }

    #[test]
    fn failed_replicates_are_nan_counted_and_left_out() {
        // The statistic fails whenever unit 0 keeps its own assignment (about 1 in 5 draws).
        let stat = |perm: &[usize]| -> crate::Result<f64> {
            if perm[0] == 0 && perm != [0, 1, 2, 3, 4] {
                return Err(InferenceError::BadHypothesis { reason: "refit failed".into() }.into());
            }
            Ok(perm[1] as f64 - 2.0)
        };
        let p = RiTest::default().reps(500).seed(2).validate().unwrap();
        let r = randomization_test("s", 5, 2, &p, stat).unwrap();
        let nan = r.distribution.iter().filter(|v| v.is_nan()).count();
        assert!(nan > 50 && nan < 150, "{nan}");
        assert_eq!((r.n_failed, r.reps), (nan, 500 - nan));
        let valid: Vec<f64> = r.distribution.iter().copied().filter(|v| v.is_finite()).collect();
        let expect = valid.iter().filter(|v| v.abs() >= 1.0 - 1e-10).count() as f64 / valid.len() as f64;
        assert_eq!(r.p_value, expect);
    }

    #[test]
    fn difference_in_means_p_value_is_exact_under_enumerable_null() {
        // Unit outcomes 0..8, units 6 and 7 treated: the difference is the largest possible.
        let y: Vec<f64> = (0..8).map(f64::from).collect();
        let treated = [false, false, false, false, false, false, true, true];
        let stat = |perm: &[usize]| -> crate::Result<f64> {
            let (mut s1, mut s0) = (0.0, 0.0);
            for u in 0..8 {
                if treated[perm[u]] {
                    s1 += y[u] / 2.0;
                } else {
                    s0 += y[u] / 6.0;
                }
            }
            Ok(s1 - s0)
        };
        let p = RiTest::default().reps(20000).seed(9).validate().unwrap();
        let r = randomization_test("d", 8, 2, &p, stat).unwrap();
        // |T| is reached by {6,7} and {0,1} only: p = 2 / C(8,2) = 1/14.
        assert!((r.p_value - 1.0 / 14.0).abs() < 4.0 * r.p_value_se, "{}", r.p_value);
    }
}
