//! The risk-set pass behind every Cox quantity: one sweep per stratum over the rows sorted by
//! stop time (descending), adding each row to the running risk-set sums when its stop time is
//! reached and removing it when the sweep passes its start time (counting-process data), so a
//! pass costs O(n p^2) and no pair of rows is ever visited (Therneau & Grambsch 2000, ch. 3;
//! the `agreg`/`coxfit6` scheme of R survival).
//!
//! At an event time $t$ with $d$ events of total weight $w_d$, risk-set sums
//! $S_0 = \sum_{R(t)} w_i r_i$, $S_1 = \sum w_i r_i x_i$, $S_2 = \sum w_i r_i x_i x_i'$
//! ($r_i = e^{\eta_i}$) and the same sums $e_0, e_1, e_2$ over the events:
//! - Breslow (1974): $\ell \mathrel{+}= \sum_D w_i \eta_i - w_d \log S_0$,
//!   $U \mathrel{+}= \sum_D w_i x_i - w_d \bar x$, $I \mathrel{+}= w_d (S_2/S_0 - \bar x \bar x')$,
//!   $\bar x = S_1/S_0$.
//! - Efron (1977): the $d$ tied events leave the risk set in equal fractions; for
//!   $k = 0..d-1$, $f = k/d$, $D_k = S_0 - f e_0$, $a_k = (S_1 - f e_1)/D_k$:
//!   $\ell \mathrel{-}= (w_d/d) \log D_k$, $U \mathrel{-}= (w_d/d) a_k$,
//!   $I \mathrel{+}= (w_d/d)((S_2 - f e_2)/D_k - a_k a_k')$; these sums over $k$ are
//!   expanded into scalar sums of $1/D_k$ and $1/D_k^2$ (weighted by powers of $f$), so a
//!   time with $d$ tied events costs $O(d + p^2)$.
//!
//! With `record`, the pass also keeps per event time the hazard increments that residuals,
//! the baseline hazard and the proportional-hazards test need.

use rayon::prelude::*;

use super::params::Ties;
use super::sample::{CoxSample, Stratum};

/// Log partial likelihood, score and information (row-major p x p).
#[derive(Debug, Clone)]
pub(crate) struct Pass {
    pub loglik: f64,
    pub u: Vec<f64>,
    pub imat: Vec<f64>,
}

/// What one event time leaves behind for residuals and baselines.
#[derive(Debug, Clone)]
pub(crate) struct EventTime {
    pub time: f64,
    /// Hazard increment $\sum_k (w_d/d)/D_k$ for a row at risk, and for an event row
    /// ($\sum_k (1-f_k)(w_d/d)/D_k$; equal under Breslow).
    pub haz: f64,
    pub haz_d: f64,
    /// $\sum_k h_k a_k$ and $\sum_k (1-f_k) h_k a_k$ (p each).
    pub hazx: Vec<f64>,
    pub hazx_d: Vec<f64>,
    /// Mean of the $a_k$ (the Schoenfeld-residual centre) and the Schoenfeld sum
    /// $\sum_D w_i x_i - w_d \bar a$.
    pub xbar: Vec<f64>,
    pub schoen: Vec<f64>,
    /// This time's information contribution (p x p), kept only when asked.
    pub info: Vec<f64>,
}

/// How much to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Keep {
    Sums,
    Times,
    TimesWithInfo,
}

/// One pass at linear predictor `eta` (centred regressors plus offset).
pub(crate) fn pass(s: &CoxSample, eta: &[f64], ties: Ties, keep: Keep) -> (Pass, Vec<Vec<EventTime>>) {
    let p = s.p;
    let parts: Vec<(Pass, Vec<EventTime>)> =
        s.strata.par_iter().map(|st| stratum_pass(s, st, eta, ties, keep)).collect();
    let mut total = Pass { loglik: 0.0, u: vec![0.0; p], imat: vec![0.0; p * p] };
    let mut times = Vec::with_capacity(parts.len());
    for (ps, t) in parts {
        total.loglik += ps.loglik;
        total.u.iter_mut().zip(&ps.u).for_each(|(a, b)| *a += b);
        total.imat.iter_mut().zip(&ps.imat).for_each(|(a, b)| *a += b);
        times.push(t);
    }
    (total, times)
}

#[inline]
fn add_row(sign: f64, wr: f64, xi: &[f64], s0: &mut f64, s1: &mut [f64], s2: &mut [f64]) {
    let p = xi.len();
    let v = sign * wr;
    *s0 += v;
    for a in 0..p {
        let va = v * xi[a];
        s1[a] += va;
        let row = &mut s2[a * p..a * p + a + 1];
        for (b, r) in row.iter_mut().enumerate() {
            *r += va * xi[b];
        }
    }
}

fn stratum_pass(s: &CoxSample, st: &Stratum, eta: &[f64], ties: Ties, keep: Keep) -> (Pass, Vec<EventTime>) {
    let p = s.p;
    let n = s.n;
    let mut out = Pass { loglik: 0.0, u: vec![0.0; p], imat: vec![0.0; p * p] };
    let mut times = Vec::new();
    let (mut s0, mut s1, mut s2) = (0.0, vec![0.0; p], vec![0.0; p * p]);
    let (mut e1, mut e2, mut xsum) = (vec![0.0; p], vec![0.0; p * p], vec![0.0; p]);
    let mut xi = vec![0.0; p];
    let mut at_risk = 0usize;
    let mut rm = 0usize; // next row (by start) to remove
    let order = &st.by_stop;
    let mut i = 0;
    let mut tmp2 = vec![0.0; p * p];
    while i < order.len() {
        let t = s.stop[order[i] as usize];
        let (mut d, mut wd, mut e0, mut etasum) = (0usize, 0.0, 0.0, 0.0);
        e1.iter_mut().for_each(|v| *v = 0.0);
        e2.iter_mut().for_each(|v| *v = 0.0);
        xsum.iter_mut().for_each(|v| *v = 0.0);
        while i < order.len() && s.stop[order[i] as usize] == t {
            let r = order[i] as usize;
            for (c, v) in xi.iter_mut().enumerate() {
                *v = s.x[c * n + r];
            }
            let w = s.weights[r];
            let wr = w * eta[r].exp();
            add_row(1.0, wr, &xi, &mut s0, &mut s1, &mut s2);
            at_risk += 1;
            if s.event[r] {
                d += 1;
                wd += w;
                etasum += w * eta[r];
                add_row(1.0, wr, &xi, &mut e0, &mut e1, &mut e2);
                xsum.iter_mut().zip(&xi).for_each(|(q, x)| *q += w * x);
            }
            i += 1;
        }
        if let Some(start) = &s.start {
            while rm < st.by_start.len() && start[st.by_start[rm] as usize] >= t {
                let r = st.by_start[rm] as usize;
                for (c, v) in xi.iter_mut().enumerate() {
                    *v = s.x[c * n + r];
                }
                add_row(-1.0, s.weights[r] * eta[r].exp(), &xi, &mut s0, &mut s1, &mut s2);
                at_risk -= 1;
                rm += 1;
            }
            if at_risk == 0 {
                s0 = 0.0;
                s1.iter_mut().for_each(|v| *v = 0.0);
                s2.iter_mut().for_each(|v| *v = 0.0);
            }
        }
        if d == 0 {
            continue;
        }
        out.loglik += etasum;
        out.u.iter_mut().zip(&xsum).for_each(|(u, x)| *u += x);
        let efron = ties == Ties::Efron && d > 1;
        let nk = if efron { d } else { 1 };
        let wk = wd / nk as f64;
        let mut rec = (keep != Keep::Sums).then(|| EventTime {
            time: t,
            haz: 0.0,
            haz_d: 0.0,
            hazx: vec![0.0; p],
            hazx_d: vec![0.0; p],
            xbar: vec![0.0; p],
            schoen: xsum.clone(),
            info: if keep == Keep::TimesWithInfo { vec![0.0; p * p] } else { Vec::new() },
        });
        // The Efron fractions enter only through scalar sums over k (so a time with d tied
        // events costs O(d + p^2), not O(d p^2)): with D_k = S0 - f_k e0 and weights w_k,
        // A_m = sum w_k f_k^m / D_k, B_m = sum w_k f_k^m / D_k^2, C_m = sum f_k^m / D_k:
        // U -= S1 A0 - e1 A1; I += S2 A0 - e2 A1 - (S1 S1' B0 - (S1 e1' + e1 S1') B1 + e1 e1' B2).
        let (mut a0, mut a1, mut b0, mut b1, mut b2, mut c0, mut c1) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for k in 0..nk {
            let f = if efron { k as f64 / d as f64 } else { 0.0 };
            let den = s0 - f * e0;
            out.loglik -= wk * den.ln();
            let (h, h2) = (wk / den, wk / (den * den));
            a0 += h;
            a1 += f * h;
            b0 += h2;
            b1 += f * h2;
            b2 += f * f * h2;
            c0 += 1.0 / den;
            c1 += f / den;
        }
        for c in 0..p {
            out.u[c] -= s1[c] * a0 - e1[c] * a1;
            for b in 0..=c {
                let v = s2[c * p + b] * a0
                    - e2[c * p + b] * a1
                    - (s1[c] * s1[b] * b0 - (s1[c] * e1[b] + e1[c] * s1[b]) * b1 + e1[c] * e1[b] * b2);
                tmp2[c * p + b] = v;
                out.imat[c * p + b] += v;
            }
        }
        if let Some(r) = rec.as_mut() {
            r.haz = a0;
            r.haz_d = a0 - a1;
            for c in 0..p {
                r.hazx[c] = s1[c] * b0 - e1[c] * b1;
                r.hazx_d[c] = s1[c] * (b0 - b1) - e1[c] * (b1 - b2);
                r.xbar[c] = (s1[c] * c0 - e1[c] * c1) / nk as f64;
            }
            if !r.info.is_empty() {
                for c in 0..p {
                    for b in 0..=c {
                        r.info[c * p + b] = tmp2[c * p + b];
                        r.info[b * p + c] = tmp2[c * p + b];
                    }
                }
            }
        }
        if let Some(mut r) = rec {
            for c in 0..p {
                r.schoen[c] -= wd * r.xbar[c];
            }
            times.push(r);
        }
    }
    for c in 0..p {
        for b in 0..c {
            out.imat[b * p + c] = out.imat[c * p + b];
        }
    }
    (out, times)
}

/// Linear predictor $x_i'\beta + o_i$ on the centred regressors, in parallel over row chunks.
pub(crate) fn linear_predictor(s: &CoxSample, beta: &[f64]) -> Vec<f64> {
    let n = s.n;
    let mut eta = s.offset.clone();
    eta.par_chunks_mut(1 << 14).enumerate().for_each(|(ci, chunk)| {
        let lo = ci << 14;
        for (c, b) in beta.iter().enumerate() {
            let xc = &s.x[c * n + lo..c * n + lo + chunk.len()];
            chunk.iter_mut().zip(xc).for_each(|(e, x)| *e += b * x);
        }
    });
    eta
}
