//! Standard errors of synthetic DiD (Arkhangelsky et al. 2021, Algorithms 2-4).
//!
//! One adoption cohort (the R package's setting), exactly as `synthdid::vcov`:
//! * placebo: permute the controls, call the last `N1` of them treated, refit with the original
//!   regularisation (`zeta`) and the original weights as starting values (omega restricted to
//!   the placebo controls and renormalised);
//! * bootstrap: resample all units with replacement (draws without a treated or without a
//!   control unit are redrawn), refit the same way;
//! * jackknife: leave one unit out, weights held fixed (omega renormalised);
//!
//! and `se = sqrt((R - 1) / R) * sd(replicates)` (jackknife: `sqrt((n-1)^2/n * var(u))`).
//!
//! Several cohorts (staggered adoption), as synthdid-py's `staggered` module and Stata `sdid`:
//! placebo reassigns the treated units' adoption pattern to randomly chosen never-treated units,
//! bootstrap resamples units, and both refit every cohort from scratch; the jackknife holds the
//! cohort weights fixed and drops cohorts left without treated or control units.
//!
//! Replicate `r` draws from its own ChaCha8 stream (`seed`, stream `r`), so results do not
//! depend on the number of threads; replicates run in parallel with rayon.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::block::{fit_block, sum_normalize, tau_of, Block, BlockFit, SdidMethod};
use super::staggered::{fit_staggered, Staggered, StaggeredFit};
use super::SynthError;

/// Standard-error method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SdidSe {
    /// Placebo (permutation of controls).
    #[default]
    Placebo,
    /// Unit bootstrap.
    Bootstrap,
    /// Fixed-weights jackknife.
    Jackknife,
    /// No standard error.
    None,
}

impl std::str::FromStr for SdidSe {
    type Err = crate::ParamsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "placebo" => Ok(SdidSe::Placebo),
            "bootstrap" => Ok(SdidSe::Bootstrap),
            "jackknife" => Ok(SdidSe::Jackknife),
            "none" => Ok(SdidSe::None),
            _ => Err(crate::ParamsError::UnknownChoice {
                name: "se",
                value: s.into(),
                valid: vec!["placebo".into(), "bootstrap".into(), "jackknife".into(), "none".into()],
            }),
        }
    }
}

/// Where replicate draws come from: a seed (one stream per replicate) or given index vectors
/// (used to compare with a peer's own draws).
#[derive(Debug, Clone)]
pub enum Draws {
    /// ChaCha8 seeded; replicate `r` uses stream `r`.
    Seeded(u64),
    /// Explicit draws: permutations of the control positions (placebo) or unit indices
    /// (bootstrap), one vector per replicate.
    Given(Vec<Vec<usize>>),
}

fn rng(seed: u64, r: usize) -> ChaCha8Rng {
    let mut g = ChaCha8Rng::seed_from_u64(seed);
    g.set_stream(r as u64);
    g
}

fn permutation(g: &mut ChaCha8Rng, n: usize) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = g.random_range(0..=i);
        p.swap(i, j);
    }
    p
}

/// `sqrt((R - 1) / R) * sd(x)`: the population SD.
pub(crate) fn resampling_se(x: &[f64]) -> f64 {
    let r = x.len() as f64;
    if x.len() < 2 {
        return f64::NAN;
    }
    let m = x.iter().sum::<f64>() / r;
    (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / r).sqrt()
}

/// `sqrt(((n - 1) / n) * (n - 1) * var(u))`.
fn jackknife_se(u: &[f64]) -> f64 {
    let n = u.len() as f64;
    if u.len() < 2 {
        return f64::NAN;
    }
    let m = u.iter().sum::<f64>() / n;
    let var = u.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
    ((n - 1.0) / n * (n - 1.0) * var).sqrt()
}

/// Replicate estimates and the standard error.
#[derive(Debug, Clone)]
pub(crate) struct SeOutcome {
    pub se: f64,
    pub replicates: Vec<f64>,
}

/// Standard error of a staggered (or single-cohort) fit.
pub(crate) fn standard_error(
    s: &Staggered,
    fit: &StaggeredFit,
    method: SdidMethod,
    kind: SdidSe,
    reps: usize,
    draws: &Draws,
) -> crate::Result<SeOutcome> {
    let n_treated = s.adoption.iter().filter(|a| a.is_some()).count();
    let n_control = s.adoption.len() - n_treated;
    crate::inference::check_memory("reps", reps, 8.0 * reps as f64, "the replicates")?;
    match kind {
        SdidSe::None => Ok(SeOutcome { se: f64::NAN, replicates: Vec::new() }),
        SdidSe::Placebo => {
            if n_control <= n_treated {
                return Err(SynthError::PlaceboTooFewControls { n_control, n_treated }.into());
            }
            let reps = match draws {
                Draws::Given(d) => d.len(),
                Draws::Seeded(_) => reps,
            };
            let one = fit.cohorts.len() == 1;
            let block = one.then(|| s.block(&fit.cohorts[0]));
            let x: Vec<f64> = (0..reps)
                .into_par_iter()
                .map(|r| {
                    if crate::inference::interrupted() {
                        return f64::NAN;
                    }
                    let perm = match draws {
                        Draws::Given(d) => d[r].clone(),
                        Draws::Seeded(seed) => permutation(&mut rng(*seed, r), n_control),
                    };
                    match &block {
                        Some(b) => placebo_block(b, &fit.fits[0], &perm),
                        None => placebo_staggered(s, method, &perm),
                    }
                })
                .collect();
            crate::inference::check_interrupt()?;
            Ok(SeOutcome { se: resampling_se(&x), replicates: x })
        }
        SdidSe::Bootstrap => {
            if n_treated < 2 {
                return Err(SynthError::TooFewTreated { method: "bootstrap", n_treated }.into());
            }
            let n = s.adoption.len();
            let x: Vec<f64> = match draws {
                Draws::Given(d) => d.par_iter().filter_map(|ind| bootstrap_one(s, fit, method, ind)).collect(),
                Draws::Seeded(seed) => (0..reps)
                    .into_par_iter()
                    .map(|r| {
                        let mut g = rng(*seed, r);
                        loop {
                            if crate::inference::interrupted() {
                                return f64::NAN;
                            }
                            let mut ind: Vec<usize> = (0..n).map(|_| g.random_range(0..n)).collect();
                            ind.sort_unstable();
                            if let Some(v) = bootstrap_one(s, fit, method, &ind) {
                                return v;
                            }
                        }
                    })
                    .collect(),
            };
            crate::inference::check_interrupt()?;
            Ok(SeOutcome { se: resampling_se(&x), replicates: x })
        }
        SdidSe::Jackknife => {
            if n_treated < 2 {
                return Err(SynthError::TooFewTreated { method: "jackknife", n_treated }.into());
            }
            if fit.cohorts.len() == 1 && fit.fits[0].weights.omega.iter().filter(|&&w| w != 0.0).count() == 1 {
                return Err(SynthError::JackknifeSingleDonor.into());
            }
            let u: Vec<f64> = (0..s.adoption.len())
                .into_par_iter()
                .map(|i| jackknife_one(s, fit, i))
                .collect::<Vec<f64>>()
                .into_iter()
                .filter(|v| v.is_finite())
                .collect();
            Ok(SeOutcome { se: jackknife_se(&u), replicates: u })
        }
    }
}

/// One placebo replicate on a single block (R's `placebo_se` theta).
fn placebo_block(b: &Block, fit: &BlockFit, perm: &[usize]) -> f64 {
    let n1 = b.n - b.n0;
    let n0 = b.n0 - n1;
    let sub = b.rows(perm, n0);
    let mut w = fit.weights.clone();
    let keep: Vec<f64> = perm[..n0].iter().map(|&i| fit.weights.omega[i]).collect();
    w.omega = sum_normalize(&keep);
    fit_block(&sub, &fit.opts, &w, fit.noise_level).tau
}

/// One placebo replicate with staggered adoption: the adoption pattern of the treated units
/// (in unit order) moves to the first controls of the permutation; fit from scratch.
fn placebo_staggered(s: &Staggered, method: SdidMethod, perm: &[usize]) -> f64 {
    let controls: Vec<usize> = (0..s.adoption.len()).filter(|&u| s.adoption[u].is_none()).collect();
    let pattern: Vec<Option<usize>> = s.adoption.iter().copied().filter(Option::is_some).collect();
    let nt = pattern.len();
    // Rows: remaining controls, then placebo-treated.
    let order: Vec<usize> = perm[nt..].iter().chain(&perm[..nt]).map(|&p| controls[p]).collect();
    let mut adoption = vec![None; order.len()];
    for (k, a) in pattern.iter().enumerate() {
        adoption[order.len() - nt + k] = *a;
    }
    let sub = subset(s, &order, adoption);
    fit_staggered(&sub, method).att
}

fn subset(s: &Staggered, rows: &[usize], adoption: Vec<Option<usize>>) -> Staggered {
    let nt = s.y.n_periods();
    let mut values = Vec::with_capacity(rows.len() * nt);
    for &u in rows {
        values.extend_from_slice(s.y.row(u));
    }
    let units = rows.iter().map(|&u| s.y.units[u].clone()).collect();
    Staggered { y: crate::data::Wide { values, units, periods: s.y.periods.clone() }, adoption }
}

/// One bootstrap replicate on the sorted draw `ind` (block rows for one cohort, units otherwise); `None` when the draw has no treated
/// or no control unit.
fn bootstrap_one(s: &Staggered, fit: &StaggeredFit, method: SdidMethod, ind: &[usize]) -> Option<f64> {
    if fit.cohorts.len() == 1 {
        // R: `ind` indexes the block rows (controls first); omega starts from the original
        // weights of the drawn controls.
        let b = s.block(&fit.cohorts[0]);
        let f = &fit.fits[0];
        let n0 = ind.iter().filter(|&&r| r < b.n0).count();
        if n0 == 0 || n0 == ind.len() {
            return None;
        }
        let sub = b.rows(ind, n0);
        let mut w = f.weights.clone();
        let keep: Vec<f64> = ind[..n0].iter().map(|&r| f.weights.omega[r]).collect();
        w.omega = sum_normalize(&keep);
        return Some(fit_block(&sub, &f.opts, &w, f.noise_level).tau);
    }
    // Staggered: `ind` indexes units; never-treated first (stable), refit from scratch.
    let n_tr = ind.iter().filter(|&&u| s.adoption[u].is_some()).count();
    if n_tr == 0 || n_tr == ind.len() {
        return None;
    }
    let mut rows: Vec<usize> = ind.to_vec();
    rows.sort_by_key(|&u| s.adoption[u].map_or(-1, |a| a as i64));
    let adoption = rows.iter().map(|&u| s.adoption[u]).collect();
    let sub = subset(s, &rows, adoption);
    if sub.check(method).is_err() {
        return None;
    }
    Some(fit_staggered(&sub, method).att)
}

/// Aggregate ATT without unit `drop`, all weights fixed (omega renormalised per cohort).
fn jackknife_one(s: &Staggered, fit: &StaggeredFit, drop: usize) -> f64 {
    let nt = s.y.n_periods();
    let (mut num, mut den) = (0.0, 0.0);
    for (c, f) in fit.cohorts.iter().zip(&fit.fits) {
        let controls: Vec<usize> = (0..c.controls.len()).filter(|&k| c.controls[k] != drop).collect();
        let treated: Vec<usize> = c.treated.iter().copied().filter(|&u| u != drop).collect();
        if controls.is_empty() || treated.is_empty() {
            continue;
        }
        let b = s.block(c);
        let rows: Vec<usize> = controls
            .iter()
            .copied()
            .chain((0..c.treated.len()).filter(|&k| c.treated[k] != drop).map(|k| b.n0 + k))
            .collect();
        let sub = b.rows(&rows, controls.len());
        let omega = sum_normalize(&controls.iter().map(|&k| f.weights.omega[k]).collect::<Vec<_>>());
        let tau = tau_of(&sub, &omega, &f.weights.lambda);
        let w = (treated.len() * (nt - c.adoption)) as f64;
        num += w * tau;
        den += w;
    }
    if den == 0.0 {
        f64::NAN
    } else {
        num / den
    }
}
