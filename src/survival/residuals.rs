//! Score (dfbeta) residuals and the robust variance of Lin & Wei (1989).
//!
//! The score residual of row $i$ (Therneau & Grambsch 2000, sec. 4.6) is
//! $L_i = \delta_i (x_i - \bar a(t_i)) - r_i \sum_{t_k \in (s_i, t_i]} \sum_j h_{kj} (x_i - a_{kj})$,
//! where $h_{kj}$ are the hazard increments of the tie method at event time $t_k$ (one per Efron
//! fraction $j$) and an event row sees its own time's fractions down-weighted by $1 - f_j$
//! (Efron) so that $\sum_i w_i L_i = U(\hat\beta)$ exactly. Cumulative sums of the hazard
//! increments per stratum make the residuals O(n p) after one recorded pass.
//!
//! Robust variance: $V = I^{-1} \left(\sum_g S_g S_g'\right) I^{-1}$ with
//! $S_g = \sum_{i \in g} w_i L_i$ (each row its own cluster without a cluster column), as R's
//! `coxph(robust = TRUE)` / `cluster =` (no small-sample factor).

use rayon::prelude::*;

use super::cox::NewtonFit;
use super::params::Ties;
use super::riskset::{linear_predictor, pass, EventTime, Keep};
use super::sample::CoxSample;

/// Cumulative hazard sums of one stratum, ascending in time.
pub(crate) struct Cumulative {
    pub times: Vec<f64>,
    pub h: Vec<f64>,
    pub hx: Vec<f64>,
}

impl Cumulative {
    pub fn new(rec: &[EventTime], p: usize) -> Self {
        let m = rec.len();
        let mut times = Vec::with_capacity(m);
        let mut h = Vec::with_capacity(m);
        let mut hx = Vec::with_capacity(m * p);
        let (mut ch, mut chx) = (0.0, vec![0.0; p]);
        for r in rec.iter().rev() {
            ch += r.haz;
            chx.iter_mut().zip(&r.hazx).for_each(|(a, b)| *a += b);
            times.push(r.time);
            h.push(ch);
            hx.extend_from_slice(&chx);
        }
        Cumulative { times, h, hx }
    }

    /// Index+1 of the last event time <= t (0 when none).
    pub fn upto(&self, t: f64) -> usize {
        self.times.partition_point(|&x| x <= t)
    }
}

/// Score residuals $L_i$ (column-major n x p, sample order) at the fitted beta.
pub(crate) fn score_residuals(s: &CoxSample, fit: &NewtonFit, ties: Ties) -> Vec<f64> {
    let (n, p) = (s.n, s.p);
    let eta = linear_predictor(s, &fit.beta);
    let (_, records) = pass(s, &eta, ties, Keep::Times);
    let cums: Vec<Cumulative> = records.iter().map(|r| Cumulative::new(r, p)).collect();
    let mut out = vec![0.0; n * p];
    let rows: Vec<Vec<f64>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let st = s.strata_codes[i] as usize;
            let c = &cums[st];
            let rec = &records[st];
            let r = eta[i].exp();
            let hi = c.upto(s.stop[i]);
            let lo = s.start.as_ref().map_or(0, |st| c.upto(st[i]));
            let at = |k: usize| if k == 0 { (0.0, None) } else { (c.h[k - 1], Some(&c.hx[(k - 1) * p..k * p])) };
            let (h1, hx1) = at(hi);
            let (h0, hx0) = at(lo);
            let mut l = vec![0.0; p];
            for j in 0..p {
                let xij = s.x[j * n + i];
                let hx = hx1.map_or(0.0, |v| v[j]) - hx0.map_or(0.0, |v| v[j]);
                l[j] = -r * (xij * (h1 - h0) - hx);
            }
            if s.event[i] && hi > 0 {
                // The record of this row's own event time (records are in descending time).
                let e = &rec[rec.len() - hi];
                for j in 0..p {
                    let xij = s.x[j * n + i];
                    l[j] += xij - e.xbar[j];
                    l[j] += r * ((e.haz - e.haz_d) * xij - (e.hazx[j] - e.hazx_d[j]));
                }
            }
            l
        })
        .collect();
    for (i, l) in rows.into_iter().enumerate() {
        for j in 0..p {
            out[j * n + i] = l[j];
        }
    }
    out
}

/// Robust (or cluster-robust) variance and the number of clusters.
pub(crate) fn robust_vcov(s: &CoxSample, fit: &NewtonFit, ties: Ties) -> (Vec<Vec<f64>>, usize) {
    let (n, p) = (s.n, s.p);
    let resid = score_residuals(s, fit, ties);
    let (g, code): (usize, Box<dyn Fn(usize) -> usize + Sync>) = match &s.cluster {
        Some(f) => (f.n_levels(), Box::new(move |i| f.codes[i] as usize)),
        None => (n, Box::new(|i| i)),
    };
    let mut sums = vec![0.0; g * p];
    for i in 0..n {
        let gi = code(i);
        for j in 0..p {
            sums[gi * p + j] += s.weights[i] * resid[j * n + i];
        }
    }
    let mut meat = vec![vec![0.0; p]; p];
    for a in 0..p {
        for b in 0..=a {
            let v: f64 = (0..g).map(|gi| sums[gi * p + a] * sums[gi * p + b]).sum();
            meat[a][b] = v;
            meat[b][a] = v;
        }
    }
    (crate::linalg::sandwich(&fit.var, &meat), g)
}
