//! Absorbing fixed effects: alternating projections with Irons-Tuck acceleration (Berge 2018,
//! the fixest algorithm).
//!
//! # Model
//! For a column $x$ and fixed-effect dimensions $q = 1..Q$ with level $g_q(i)$ of row $i$, find
//! $\alpha$ minimising $\sum_i w_i (x_i - \sum_q \alpha_q[g_q(i)])^2$ and return the residual
//! $\tilde x = x - \sum_q \alpha_q[g_q(i)]$ (the within transformation).
//!
//! In words: one Gauss-Seidel sweep sets each $\alpha_q$ to the weighted group mean of what the
//! other dimensions leave; the sweep is a linear map $F$ on $(\alpha_2, ..., \alpha_Q)$ whose fixed
//! point is the solution, and Irons-Tuck extrapolation $X - \frac{\langle \Delta, \Delta^2\rangle}
//! {\langle\Delta^2, \Delta^2\rangle}\Delta$ after every two sweeps speeds it up. One dimension
//! is solved exactly in one pass. Iteration stops when every coefficient changes by less than
//! `tol * (0.1 + |alpha|)` (fixest's rule: absolute near zero, relative otherwise).
//!
//! When the projections stall (their convergence rate says `tol` will not be reached within
//! `ap_sweeps` sweeps: weakly connected designs, e.g. workers moving along a chain of firms), the
//! dimension with the most levels is eliminated exactly and the Schur complement of the normal
//! equations in the other dimensions is solved from the current point by conjugate gradients.
//! The complement is assembled as a sparse matrix and factored by sparse Cholesky (see
//! `schur.rs`) once per fixed-effect structure, shared by all columns; preconditioned by that
//! factor, CG needs a handful of cheap steps over the levels instead of thousands of passes over
//! the data. When the complement would be too large (densely connected designs, where the
//! projections converge fast anyway), CG runs matrix-free with the block-Jacobi preconditioner,
//! stopping when the residual norm is below $10^{-2}\,\mathrm{tol}$ times that of the
//! right-hand side.
//!
//! # References
//! Berge, L. (2018). Efficient estimation of maximum likelihood models with multiple fixed-effects:
//! the R package FENmlm. Irons & Tuck (1969).

use super::schur::SchurFactor;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Tolerance and iteration cap of the demeaning engine.
///
/// # Defaults
/// `tol = 1e-8` (pyfixest's default, tighter than fixest's 1e-6), `max_iter = 10_000`,
/// `ap_sweeps = 50`: accelerated alternating projections for at most this many sweeps, then
/// conjugate gradients (hard, weakly connected designs converge far faster that way).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemeanOptions {
    /// Convergence tolerance on the fixed-effect coefficients.
    pub tol: f64,
    /// Maximum number of sweeps (projection sweeps plus conjugate-gradient steps).
    pub max_iter: usize,
    /// Projection sweeps before switching to conjugate gradients.
    pub ap_sweeps: usize,
}

impl Default for DemeanOptions {
    fn default() -> Self {
        DemeanOptions { tol: 1e-8, max_iter: 10_000, ap_sweeps: 50 }
    }
}

/// How one column's demeaning went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DemeanOutcome {
    /// Sweeps used.
    pub iterations: usize,
    /// Whether the tolerance was met.
    pub converged: bool,
    /// Largest scaled change in the last sweep.
    pub max_change: f64,
}

/// The fixed-effect structure of an estimation sample, prepared once and reused for every column.
#[derive(Debug, Clone)]
pub struct Demeaner<'a> {
    codes: Vec<&'a [u32]>,
    weights: Option<&'a [f64]>,
    inv_weight: Vec<Vec<f64>>,
    n: usize,
    /// The factored Schur complement, built by the first column whose projections stall and
    /// shared by all later ones (`None` inside when over budget).
    schur: OnceLock<Option<SchurFactor>>,
}

impl<'a> Demeaner<'a> {
    /// Prepare dimensions given by dense `codes` (each `0..n_levels[q]`) and optional weights.
    /// Every level must have positive total weight (levels come from the sample itself).
    pub fn new(codes: Vec<&'a [u32]>, n_levels: &[usize], weights: Option<&'a [f64]>) -> Self {
        let n = codes.first().map_or(0, |c| c.len());
        let inv_weight = codes
            .iter()
            .zip(n_levels)
            .map(|(c, &nl)| {
                let mut sw = vec![0.0; nl];
                match weights {
                    None => c.iter().for_each(|&g| sw[g as usize] += 1.0),
                    Some(w) => c.iter().zip(w).for_each(|(&g, &wi)| sw[g as usize] += wi),
                }
                sw.into_iter().map(|s| if s > 0.0 { 1.0 / s } else { 0.0 }).collect()
            })
            .collect();
        Demeaner { codes, weights, inv_weight, n, schur: OnceLock::new() }
    }

    /// The same engine without the assembled Schur complement (matrix-free CG only).
    #[cfg(test)]
    fn without_factor(mut self) -> Self {
        self.schur = OnceLock::from(None);
        self
    }

    /// Number of fixed-effect dimensions.
    pub fn n_dims(&self) -> usize {
        self.codes.len()
    }

    /// Demean the `ncols` columns of a column-major buffer in place, in parallel.
    pub fn demean_columns(&self, data: &mut [f64], opts: &DemeanOptions) -> Vec<DemeanOutcome> {
        if self.n == 0 || self.codes.is_empty() {
            return Vec::new();
        }
        data.par_chunks_mut(self.n).map(|col| self.demean(col, opts).0).collect()
    }

    /// Demean one column in place and return the fixed-effect coefficients (one vector per dimension).
    pub fn demean(&self, x: &mut [f64], opts: &DemeanOptions) -> (DemeanOutcome, Vec<Vec<f64>>) {
        let q = self.codes.len();
        let sums: Vec<Vec<f64>> = (0..q).map(|d| self.group_sums(d, x)).collect();
        let mut alpha: Vec<Vec<f64>> = self.inv_weight.iter().map(|iw| vec![0.0; iw.len()]).collect();
        let outcome = if q == 1 {
            alpha[0] = sums[0].iter().zip(&self.inv_weight[0]).map(|(s, iw)| s * iw).collect();
            DemeanOutcome { iterations: 1, converged: true, max_change: 0.0 }
        } else {
            self.solve(&sums, &mut alpha, opts)
        };
        self.subtract(x, &alpha);
        (outcome, alpha)
    }

    /// Weighted sum of `x` within each level of dimension `d`.
    fn group_sums(&self, d: usize, x: &[f64]) -> Vec<f64> {
        let mut s = vec![0.0; self.inv_weight[d].len()];
        match self.weights {
            None => self.codes[d].iter().zip(x).for_each(|(&g, &xi)| s[g as usize] += xi),
            Some(w) => self.codes[d].iter().zip(x).zip(w).for_each(|((&g, &xi), &wi)| s[g as usize] += wi * xi),
        }
        s
    }

    fn subtract(&self, x: &mut [f64], alpha: &[Vec<f64>]) {
        for (d, codes) in self.codes.iter().enumerate() {
            let a = &alpha[d];
            x.iter_mut().zip(*codes).for_each(|(xi, &g)| *xi -= a[g as usize]);
        }
    }

    /// Update dimension `d` given all the others (one Gauss-Seidel step).
    fn update(&self, d: usize, sums: &[f64], alpha: &mut [Vec<f64>], acc: &mut Vec<f64>) {
        acc.clear();
        acc.resize(sums.len(), 0.0);
        let cd = self.codes[d];
        let others: Vec<(&[u32], &[f64])> =
            (0..self.codes.len()).filter(|&r| r != d).map(|r| (self.codes[r], alpha[r].as_slice())).collect();
        match (others.as_slice(), self.weights) {
            ([(c1, a1)], None) => {
                for (&g, &h) in cd.iter().zip(c1.iter()) {
                    acc[g as usize] += a1[h as usize];
                }
            }
            ([(c1, a1)], Some(w)) => {
                for ((&g, &h), &wi) in cd.iter().zip(c1.iter()).zip(w) {
                    acc[g as usize] += wi * a1[h as usize];
                }
            }
            _ => {
                for i in 0..self.n {
                    let s: f64 = others.iter().map(|(c, a)| a[c[i] as usize]).sum();
                    acc[cd[i] as usize] += self.weights.map_or(s, |w| w[i] * s);
                }
            }
        }
        let iw = &self.inv_weight[d];
        alpha[d].iter_mut().zip(sums).zip(acc.iter()).zip(iw).for_each(|(((a, s), c), iw)| *a = (s - c) * iw);
    }

    /// One sweep F: from (alpha_2..alpha_Q) in `alpha`, recompute alpha_1 then alpha_2..alpha_Q.
    fn sweep(&self, sums: &[Vec<f64>], alpha: &mut [Vec<f64>], acc: &mut Vec<f64>) {
        for d in 0..self.codes.len() {
            self.update(d, &sums[d], alpha, acc);
        }
    }

    fn solve(&self, sums: &[Vec<f64>], alpha: &mut [Vec<f64>], opts: &DemeanOptions) -> DemeanOutcome {
        let mut acc = Vec::new();
        let flat = |a: &[Vec<f64>]| -> Vec<f64> { a[1..].iter().flatten().copied().collect() };
        let unflat = |a: &mut [Vec<f64>], v: &[f64]| {
            let mut off = 0;
            for ad in a[1..].iter_mut() {
                let l = ad.len();
                ad.copy_from_slice(&v[off..off + l]);
                off += l;
            }
        };
        if let Some(Some(factor)) = self.schur.get() {
            return self.factored_solve(factor, sums, alpha, opts, 0);
        }
        let mut x = flat(alpha);
        let mut iterations = 0;
        let mut max_change = f64::INFINITY;
        let mut history = Vec::new();
        let ap_limit = opts.ap_sweeps.min(opts.max_iter);
        while iterations < ap_limit && !stalled(&history, opts.tol, ap_limit - iterations) {
            self.sweep(sums, alpha, &mut acc);
            let gx = flat(alpha);
            iterations += 1;
            max_change = scaled_change(&x, &gx);
            if max_change < opts.tol {
                return DemeanOutcome { iterations, converged: true, max_change };
            }
            self.sweep(sums, alpha, &mut acc);
            let ggx = flat(alpha);
            iterations += 1;
            max_change = scaled_change(&gx, &ggx);
            if max_change < opts.tol {
                return DemeanOutcome { iterations, converged: true, max_change };
            }
            history.push(max_change);
            // Irons-Tuck extrapolation.
            let (mut vprod, mut ssq) = (0.0, 0.0);
            for i in 0..x.len() {
                let delta = ggx[i] - gx[i];
                let delta2 = delta - (gx[i] - x[i]);
                vprod += delta * delta2;
                ssq += delta2 * delta2;
            }
            if ssq > 0.0 && ssq.is_finite() {
                let c = vprod / ssq;
                x.iter_mut().zip(&ggx).zip(&gx).for_each(|((xi, g2), g1)| *xi = g2 - c * (g2 - g1));
            } else {
                x = ggx;
            }
            unflat(alpha, &x);
        }
        // Make alpha_1 consistent with the last alpha_2..alpha_Q, then hand over to CG.
        let mut acc2 = Vec::new();
        self.update(0, &sums[0], alpha, &mut acc2);
        if iterations < opts.max_iter {
            let factor = self.schur.get_or_init(|| {
                let budget = (self.n / 2).max(100_000);
                SchurFactor::build(&self.codes, &self.inv_weight, self.weights, self.eliminated(), budget)
            });
            return match factor {
                Some(factor) => self.factored_solve(factor, sums, alpha, opts, iterations),
                None => self.conjugate_gradient(sums, alpha, opts, iterations),
            };
        }
        DemeanOutcome { iterations, converged: false, max_change }
    }

    /// The Schur complement of the normal equations after eliminating dimension `e` exactly,
    /// applied to `beta` (all dimensions but `e`): $D_o' W M_e D_o \beta$, where $M_e$ removes
    /// weighted group means of dimension `e`. Two passes over the data.
    fn schur_apply(&self, e: usize, beta: &[Vec<f64>], out: &mut [Vec<f64>], t: &mut [f64], mean_e: &mut [f64]) {
        t.iter_mut().for_each(|v| *v = 0.0);
        for (q, (codes, b)) in self.codes.iter().zip(beta).enumerate() {
            if q != e {
                t.iter_mut().zip(codes.iter()).for_each(|(v, &g)| *v += b[g as usize]);
            }
        }
        self.weighted_group_mean(e, t, mean_e);
        let ce = self.codes[e];
        match self.weights {
            None => t.iter_mut().zip(ce).for_each(|(v, &g)| *v -= mean_e[g as usize]),
            Some(w) => t.iter_mut().zip(ce).zip(w).for_each(|((v, &g), w)| *v = (*v - mean_e[g as usize]) * w),
        }
        for (q, (codes, o)) in self.codes.iter().zip(out.iter_mut()).enumerate() {
            if q != e {
                o.iter_mut().for_each(|v| *v = 0.0);
                codes.iter().zip(t.iter()).for_each(|(&g, v)| o[g as usize] += v);
            }
        }
    }

    /// Weighted mean of `t` within each level of dimension `d`.
    fn weighted_group_mean(&self, d: usize, t: &[f64], mean: &mut [f64]) {
        mean.iter_mut().for_each(|m| *m = 0.0);
        match self.weights {
            None => self.codes[d].iter().zip(t).for_each(|(&g, v)| mean[g as usize] += v),
            Some(w) => self.codes[d].iter().zip(t).zip(w).for_each(|((&g, v), w)| mean[g as usize] += w * v),
        }
        mean.iter_mut().zip(&self.inv_weight[d]).for_each(|(m, iw)| *m *= iw);
    }

    /// The dimension with the most levels, eliminated exactly in the Schur complement.
    fn eliminated(&self) -> usize {
        (0..self.codes.len()).max_by_key(|&q| self.inv_weight[q].len()).unwrap_or(0)
    }

    /// Right-hand side of the Schur system, $D_o^\top W (x - D_e \bar x_e)$: one pass over the
    /// data per dimension, no row-sized buffer.
    fn schur_rhs(&self, e: usize, sums: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let xbar: Vec<f64> = sums[e].iter().zip(&self.inv_weight[e]).map(|(s, iw)| s * iw).collect();
        let ce = self.codes[e];
        let mut b: Vec<Vec<f64>> = self.inv_weight.iter().map(|iw| vec![0.0; iw.len()]).collect();
        for q in (0..b.len()).filter(|&q| q != e) {
            let mut sc = vec![0.0; b[q].len()];
            let cq = self.codes[q];
            match self.weights {
                None => cq.iter().zip(ce).for_each(|(&h, &g)| sc[h as usize] += xbar[g as usize]),
                Some(w) => cq.iter().zip(ce).zip(w).for_each(|((&h, &g), w)| sc[h as usize] += w * xbar[g as usize]),
            }
            b[q] = sums[q].iter().zip(&sc).map(|(s, c)| s - c).collect();
        }
        b
    }

    /// Conjugate gradients on the assembled Schur complement, preconditioned by its sparse
    /// Cholesky factor: each step costs a sparse product over the levels, not a pass over the
    /// data, and a handful of steps suffice. Starts from the current `alpha`; the eliminated
    /// dimension is recovered at the end.
    fn factored_solve(
        &self,
        factor: &SchurFactor,
        sums: &[Vec<f64>],
        alpha: &mut [Vec<f64>],
        opts: &DemeanOptions,
        mut iterations: usize,
    ) -> DemeanOutcome {
        let e = factor.eliminated();
        let b = factor.stack(&self.schur_rhs(e, sums));
        let dot = |u: &[f64], v: &[f64]| -> f64 { u.iter().zip(v).map(|(x, y)| x * y).sum() };
        let mut x = factor.stack(alpha);
        let mut ap = vec![0.0; x.len()];
        factor.apply(&x, &mut ap);
        let mut r: Vec<f64> = b.iter().zip(&ap).map(|(bv, av)| bv - av).collect();
        let b_norm = dot(&b, &b).sqrt().max(f64::MIN_POSITIVE);
        let target = 1e-2 * opts.tol * b_norm;
        let mut z = factor.precondition(&r);
        let mut p = z.clone();
        let mut rz = dot(&r, &z);
        let mut r_norm = dot(&r, &r).sqrt();
        let mut converged = r_norm <= target;
        // With an exact preconditioner the residual drops to rounding level in a step or two;
        // below that, the singular directions of S turn the search directions into noise, so
        // the best iterate is kept and accepted at `tol` once progress stops.
        let (mut best_x, mut best_r) = (x.clone(), r_norm);
        while !converged && iterations < opts.max_iter {
            factor.apply(&p, &mut ap);
            iterations += 1;
            let pap = dot(&p, &ap);
            if !(pap > 0.0) {
                break;
            }
            let step = rz / pap;
            x.iter_mut().zip(&p).for_each(|(xv, pv)| *xv += step * pv);
            r.iter_mut().zip(&ap).for_each(|(rv, av)| *rv -= step * av);
            r_norm = dot(&r, &r).sqrt();
            if r_norm < best_r {
                best_x.copy_from_slice(&x);
                best_r = r_norm;
            } else if r_norm > 10.0 * best_r {
                break;
            }
            converged = r_norm <= target;
            z = factor.precondition(&r);
            let rz_new = dot(&r, &z);
            let beta = rz_new / rz;
            rz = rz_new;
            p.iter_mut().zip(&z).for_each(|(pv, zv)| *pv = zv + beta * *pv);
        }
        let x = best_x;
        let converged = best_r <= opts.tol * b_norm;
        let r_norm = best_r;
        factor.unstack(&x, alpha);
        let mut acc = Vec::new();
        self.update(e, &sums[e], alpha, &mut acc);
        DemeanOutcome { iterations, converged, max_change: r_norm / b_norm }
    }

    /// Preconditioned conjugate gradients on the Schur complement, applied matrix-free (two
    /// passes over the data per step) with the block-Jacobi preconditioner: the fallback when
    /// the assembled complement would be too large. Starts from the current `alpha`; the
    /// eliminated dimension is recovered at the end.
    fn conjugate_gradient(
        &self,
        sums: &[Vec<f64>],
        alpha: &mut [Vec<f64>],
        opts: &DemeanOptions,
        mut iterations: usize,
    ) -> DemeanOutcome {
        let e = self.eliminated();
        let others = |q: usize| q != e;
        let dot = |u: &[Vec<f64>], v: &[Vec<f64>]| -> f64 {
            (0..u.len()).filter(|&q| others(q)).map(|q| u[q].iter().zip(&v[q]).map(|(x, y)| x * y).sum::<f64>()).sum()
        };
        let precond = |r: &[Vec<f64>]| -> Vec<Vec<f64>> {
            r.iter().zip(&self.inv_weight).map(|(rq, iw)| rq.iter().zip(iw).map(|(x, w)| x * w).collect()).collect()
        };
        let zeros = || -> Vec<Vec<f64>> { self.inv_weight.iter().map(|iw| vec![0.0; iw.len()]).collect() };
        let mut t = vec![0.0; self.n];
        let mut mean_e = vec![0.0; self.inv_weight[e].len()];
        let b = self.schur_rhs(e, sums);
        let mut ap = zeros();
        self.schur_apply(e, alpha, &mut ap, &mut t, &mut mean_e);
        let mut r: Vec<Vec<f64>> =
            b.iter().zip(&ap).map(|(bq, aq)| bq.iter().zip(aq).map(|(x, y)| x - y).collect()).collect();
        let b_norm = dot(&b, &b).sqrt().max(f64::MIN_POSITIVE);
        let target = 1e-2 * opts.tol * b_norm;
        let mut z = precond(&r);
        let mut p = z.clone();
        let mut rz = dot(&r, &z);
        let mut r_norm = dot(&r, &r).sqrt();
        let mut converged = false;
        while iterations < opts.max_iter {
            if r_norm <= target {
                converged = true;
                break;
            }
            self.schur_apply(e, &p, &mut ap, &mut t, &mut mean_e);
            iterations += 1;
            let pap = dot(&p, &ap);
            if !(pap > 0.0) {
                converged = r_norm <= target;
                break;
            }
            let step = rz / pap;
            for q in (0..alpha.len()).filter(|&q| others(q)) {
                alpha[q].iter_mut().zip(&p[q]).for_each(|(a, pv)| *a += step * pv);
                r[q].iter_mut().zip(&ap[q]).for_each(|(rv, av)| *rv -= step * av);
            }
            r_norm = dot(&r, &r).sqrt();
            z = precond(&r);
            let rz_new = dot(&r, &z);
            let beta = rz_new / rz;
            rz = rz_new;
            for q in (0..p.len()).filter(|&q| others(q)) {
                p[q].iter_mut().zip(&z[q]).for_each(|(pv, zv)| *pv = zv + beta * *pv);
            }
        }
        let mut acc = Vec::new();
        self.update(e, &sums[e], alpha, &mut acc);
        DemeanOutcome { iterations, converged, max_change: r_norm / b_norm }
    }
}

/// Whether accelerated projections are too slow to reach `tol` within `remaining` sweeps, judged
/// from the largest scaled change at the end of each pair of sweeps (`history`) over the last
/// four sweeps. Irons-Tuck steps are not monotone, so no verdict before six sweeps.
fn stalled(history: &[f64], tol: f64, remaining: usize) -> bool {
    let p = history.len();
    if p < 3 {
        return false;
    }
    let (now, before) = (history[p - 1], history[p - 3]);
    let rate = (now / before).powf(0.25);
    if !(rate < 1.0) {
        return true;
    }
    (tol / now).ln() / rate.ln() > remaining as f64
}

fn scaled_change(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / (0.1 + x.abs())).fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_within(x: &[f64], c1: &[u32], c2: &[u32]) -> Vec<f64> {
        // Many plain alternating projections (no acceleration) as a slow reference.
        let mut r = x.to_vec();
        for _ in 0..20_000 {
            for c in [c1, c2] {
                let nl = *c.iter().max().unwrap() as usize + 1;
                let (mut s, mut n) = (vec![0.0; nl], vec![0.0; nl]);
                for (i, &g) in c.iter().enumerate() {
                    s[g as usize] += r[i];
                    n[g as usize] += 1.0;
                }
                for (i, &g) in c.iter().enumerate() {
                    r[i] -= s[g as usize] / n[g as usize];
                }
            }
        }
        r
    }

    #[test]
    fn two_way_unbalanced_matches_plain_projections() {
        let n = 60;
        let c1: Vec<u32> = (0..n).map(|i| (i % 7) as u32).collect();
        let c2: Vec<u32> = (0..n).map(|i| ((i * i + 3) % 5) as u32).collect();
        let x: Vec<f64> = (0..n).map(|i| ((i * 37) % 11) as f64 + 0.1 * i as f64).collect();
        let d = Demeaner::new(vec![&c1, &c2], &[7, 5], None);
        let mut y = x.clone();
        let (out, alpha) = d.demean(&mut y, &DemeanOptions { tol: 1e-13, ..Default::default() });
        assert!(out.converged);
        let r = brute_within(&x, &c1, &c2);
        for (a, b) in y.iter().zip(&r) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
        // x = sum of fixed effects + within residual
        for i in 0..n {
            let fit = alpha[0][c1[i] as usize] + alpha[1][c2[i] as usize];
            assert!((x[i] - fit - y[i]).abs() < 1e-9);
        }
    }

    #[test]
    fn conjugate_gradients_solve_a_weakly_connected_chain() {
        // Workers move along a chain of firms: projections alone converge very slowly.
        let n = 4000;
        let c1: Vec<u32> = (0..n).map(|i| (i / 4) as u32).collect();
        let c2: Vec<u32> = (0..n).map(|i| ((i / 4 + (i % 4) / 2) % 500) as u32).collect();
        let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64 / 10.0).collect();
        let d = Demeaner::new(vec![&c1, &c2], &[1000, 500], None).without_factor();
        let mut y = x.clone();
        let (out, alpha) = d.demean(&mut y, &DemeanOptions { tol: 1e-10, ap_sweeps: 4, ..Default::default() });
        assert!(out.converged, "{out:?}");
        // Normal equations hold: the within residual sums to zero in every group of both dimensions.
        for (c, nl) in [(&c1, 1000), (&c2, 500)] {
            let mut s = vec![0.0; nl];
            c.iter().zip(&y).for_each(|(&g, r)| s[g as usize] += r);
            assert!(s.iter().all(|v| v.abs() < 1e-6), "{:?}", s.iter().fold(0.0f64, |m, v| m.max(v.abs())));
        }
        for i in 0..n {
            assert!((x[i] - alpha[0][c1[i] as usize] - alpha[1][c2[i] as usize] - y[i]).abs() < 1e-9);
        }
    }

    #[test]
    fn factored_schur_solves_weighted_three_way_chains_with_two_components() {
        // Two separate chains of firms (two connected components), workers moving along them,
        // a year effect, and sampling weights: the case the sparse Cholesky path exists for.
        let (workers, years) = (3000usize, 6usize);
        let n = workers * years;
        let worker: Vec<u32> = (0..n).map(|i| (i / years) as u32).collect();
        let year: Vec<u32> = (0..n).map(|i| (i % years) as u32).collect();
        let firm: Vec<u32> = (0..n)
            .map(|i| {
                let (w, t) = (i / years, i % years);
                let chain = (w % 2) * 200;
                (chain + (w / 2 + t) % 200) as u32
            })
            .collect();
        let weights: Vec<f64> = (0..n).map(|i| 0.5 + ((i * 31) % 7) as f64 / 4.0).collect();
        let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64 / 10.0 + (i % years) as f64).collect();
        let d = Demeaner::new(vec![&worker, &firm, &year], &[workers, 400, years], Some(&weights));
        let opts = DemeanOptions { tol: 1e-10, ..Default::default() };
        for column in 0..2 {
            let x: Vec<f64> = x.iter().map(|v| v * (1.0 + column as f64)).collect();
            let mut y = x.clone();
            let (out, alpha) = d.demean(&mut y, &opts);
            assert!(out.converged, "{out:?}");
            assert!(
                matches!(d.schur.get(), Some(Some(_))),
                "the Schur factor was not built: {out:?} {:?}",
                d.schur.get().map(|f| f.is_some())
            );
            if column == 1 {
                assert!(out.iterations <= 5, "the second column should reuse the factor: {out:?}");
            }
            // The two conditions that define the projection: the residual is orthogonal to every
            // fixed-effect dummy, and x minus the residual is a sum of fixed effects.
            for (c, nl) in [(&worker, workers), (&firm, 400), (&year, years)] {
                let mut s = vec![0.0; nl];
                c.iter().zip(&y).zip(&weights).for_each(|((&g, r), w)| s[g as usize] += w * r);
                let worst = s.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                assert!(worst < 1e-6, "group sums {worst}");
            }
            for i in 0..n {
                let fit = alpha[0][worker[i] as usize] + alpha[1][firm[i] as usize] + alpha[2][year[i] as usize];
                assert!((x[i] - fit - y[i]).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn demeaning_is_idempotent_and_one_way_exact() {
        let c1: Vec<u32> = vec![0, 0, 1, 1, 1];
        let w = [1.0, 3.0, 1.0, 1.0, 2.0];
        let d = Demeaner::new(vec![&c1], &[2], Some(&w));
        let mut x = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        d.demean(&mut x, &DemeanOptions::default());
        assert!((x[0] - (1.0 - 1.75)).abs() < 1e-14);
        let before = x.clone();
        d.demean(&mut x, &DemeanOptions::default());
        for (a, b) in x.iter().zip(&before) {
            assert!((a - b).abs() < 1e-14);
        }
    }
}
