//! Breslow (1974) baseline cumulative hazard per stratum and predicted survival curves.
//!
//! $\hat\Lambda_0(t) = \sum_{t_k \le t} \sum_j h_{kj}$ with the hazard increments of the tie
//! method ($w_d / S_0$ for Breslow; the Efron fractions' $(w_d/d)/D_{kj}$ for Efron, R's
//! `ctype = 2`), at $x = 0$ (not at the covariate means: R's `basehaz(centered = FALSE)`).
//! A new row's curve is $S(t \mid x) = \exp(-\hat\Lambda_0(t) e^{x'\hat\beta})$ (R's
//! `survfit.coxph`, `stype = 2`). Times are every distinct stop time of the stratum.

use serde::{Deserialize, Serialize};

use super::cox::NewtonFit;
use super::params::Ties;
use super::riskset::{linear_predictor, pass, Keep};
use super::sample::CoxSample;

/// The baseline cumulative hazard of one stratum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineHazard {
    /// Stratum label ("all" without strata).
    pub stratum: String,
    /// Distinct stop times, ascending.
    pub time: Vec<f64>,
    /// Cumulative hazard at x = 0.
    pub cumhaz: Vec<f64>,
}

pub(crate) fn baseline(s: &CoxSample, fit: &NewtonFit, ties: Ties) -> Vec<BaselineHazard> {
    let eta = linear_predictor(s, &fit.beta);
    let (_, records) = pass(s, &eta, ties, Keep::Times);
    let shift = (-s.means.iter().zip(&fit.beta).map(|(m, b)| m * b).sum::<f64>()).exp();
    s.strata
        .iter()
        .zip(records)
        .zip(&s.strata_labels)
        .map(|((st, rec), label)| {
            let mut time: Vec<f64> = st.by_stop.iter().rev().map(|&i| s.stop[i as usize]).collect();
            time.dedup();
            let mut cumhaz = Vec::with_capacity(time.len());
            let mut ev = rec.iter().rev().peekable();
            let mut acc = 0.0;
            for &t in &time {
                if ev.peek().is_some_and(|e| e.time == t) {
                    acc += ev.next().map_or(0.0, |e| e.haz) * shift;
                }
                cumhaz.push(acc);
            }
            BaselineHazard { stratum: label.clone(), time, cumhaz }
        })
        .collect()
}
