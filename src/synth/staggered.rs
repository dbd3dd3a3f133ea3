//! The long panel with a 0/1 treatment column turned into adoption cohorts, and the
//! cohort-by-cohort estimator for staggered adoption.
//!
//! Each cohort `a` (units first treated in period `a`) is a block: the never-treated units as
//! controls, the cohort's units as treated, pre-periods before `a`, post-periods from `a` to the
//! end (as the Stata `sdid` package of Clarke, Pailanir, Athey & Imbens 2023, and synthdid-py's
//! `staggered_synthdid_estimate` with `control_pool="never_treated"`). The aggregate ATT is
//!
//! `tau = sum_a w_a tau_a`,  `w_a = N_a T_post,a / sum_b N_b T_post,b`,
//!
//! each cohort weighted by its number of treated unit-periods. With one cohort this is exactly
//! the block estimator of the R package.

use super::block::{fit_default, Block, BlockFit, SdidMethod};
use super::SynthError;
use crate::data::{Frame, Panel, Wide};

/// Adoption structure of a panel.
#[derive(Debug, Clone)]
pub(crate) struct Staggered {
    /// Outcomes, units x periods.
    pub y: Wide,
    /// Adoption period index of each unit (`None` = never treated).
    pub adoption: Vec<Option<usize>>,
}

/// One cohort: adoption period index and its units.
#[derive(Debug, Clone)]
pub(crate) struct Cohort {
    pub adoption: usize,
    pub treated: Vec<usize>,
    pub controls: Vec<usize>,
}

impl Staggered {
    /// Read outcome and treatment from the long panel.
    pub fn from_frame(
        frame: &Frame<'_>,
        unit: &str,
        time: &str,
        outcome: &str,
        treated: &str,
    ) -> crate::Result<Staggered> {
        let panel = Panel::new(frame, unit, time)?;
        let y = Wide::new(frame, &panel, outcome, "the outcome")?;
        let d = Wide::new(frame, &panel, treated, "the treatment indicator")?;
        let nt = y.n_periods();
        let mut adoption = Vec::with_capacity(y.n_units());
        for u in 0..y.n_units() {
            let row = d.row(u);
            if let Some(s) = row.iter().position(|&v| v != 0.0 && v != 1.0) {
                return Err(SynthError::NotBinary {
                    column: treated.into(),
                    value: crate::data::format_number(row[s]),
                    unit: y.units[u].clone(),
                    period: y.periods[s],
                }
                .into());
            }
            let first = row.iter().position(|&v| v == 1.0);
            if let Some(a) = first {
                if let Some(s) = (a..nt).find(|&s| row[s] == 0.0) {
                    return Err(SynthError::NotAbsorbing {
                        unit: y.units[u].clone(),
                        treated: y.periods[a],
                        untreated: y.periods[s],
                    }
                    .into());
                }
            }
            adoption.push(first);
        }
        if adoption.iter().all(Option::is_none) {
            return Err(SynthError::NoTreated { column: treated.into() }.into());
        }
        if adoption.iter().all(Option::is_some) {
            return Err(SynthError::NoControls.into());
        }
        Ok(Staggered { y, adoption })
    }

    /// Cohorts in adoption order, each with the never-treated units as controls.
    pub fn cohorts(&self) -> Vec<Cohort> {
        let controls: Vec<usize> = (0..self.adoption.len()).filter(|&u| self.adoption[u].is_none()).collect();
        let mut times: Vec<usize> = self.adoption.iter().flatten().copied().collect();
        times.sort_unstable();
        times.dedup();
        times
            .into_iter()
            .map(|a| Cohort {
                adoption: a,
                treated: (0..self.adoption.len()).filter(|&u| self.adoption[u] == Some(a)).collect(),
                controls: controls.clone(),
            })
            .collect()
    }

    /// The block of one cohort (controls first).
    pub fn block(&self, c: &Cohort) -> Block {
        let nt = self.y.n_periods();
        let mut y = Vec::with_capacity((c.controls.len() + c.treated.len()) * nt);
        for &u in c.controls.iter().chain(&c.treated) {
            y.extend_from_slice(self.y.row(u));
        }
        Block { y, n: c.controls.len() + c.treated.len(), t: nt, n0: c.controls.len(), t0: c.adoption }
    }

    /// Check that every cohort can be fitted.
    pub fn check(&self, method: SdidMethod) -> crate::Result<()> {
        for c in self.cohorts() {
            let what = format!("the cohort first treated in {}", self.y.periods[c.adoption]);
            let needed = if method == SdidMethod::Did { 1 } else { 2 };
            if c.adoption < needed {
                return Err(SynthError::TooFewPrePeriods { what, got: c.adoption, needed }.into());
            }
        }
        Ok(())
    }
}

/// Fits of every cohort and the aggregation shares.
#[derive(Debug, Clone)]
pub(crate) struct StaggeredFit {
    pub cohorts: Vec<Cohort>,
    pub fits: Vec<BlockFit>,
    pub shares: Vec<f64>,
    pub att: f64,
}

/// Fit each cohort with `method`'s defaults and aggregate.
pub(crate) fn fit_staggered(s: &Staggered, method: SdidMethod) -> StaggeredFit {
    let cohorts = s.cohorts();
    let nt = s.y.n_periods();
    let fits: Vec<BlockFit> = cohorts.iter().map(|c| fit_default(method, &s.block(c))).collect();
    let raw: Vec<f64> = cohorts.iter().map(|c| (c.treated.len() * (nt - c.adoption)) as f64).collect();
    let total: f64 = raw.iter().sum();
    let shares: Vec<f64> = raw.iter().map(|w| w / total).collect();
    let att = fits.iter().zip(&shares).map(|(f, w)| f.tau * w).sum();
    StaggeredFit { cohorts, fits, shares, att }
}
