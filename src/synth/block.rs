//! The block estimator of synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg,
//! Imbens & Wager 2021, Algorithm 1) and its SC and DiD special cases, on an outcome matrix
//! whose first `n0` rows are controls and first `t0` columns pre-treatment periods.
//!
//! Follows the R package `synthdid` (`synthdid_estimate`, `sc_estimate`, `did_estimate`)
//! exactly, so that estimates agree with R and synthdid-py to solver tolerance:
//!
//! * noise level `sigma` = sample SD of the first differences of the control pre-period block;
//! * unit weights `omega`: `min zeta_w^2 T0 |w|^2 + |w0 + Y_co,pre' w - ybar_tr,pre|^2` with
//!   `zeta_w = (N1 T1)^(1/4) sigma` (SDID; intercept) or `1e-6 sigma` (SC; no intercept);
//! * time weights `lambda`: the same with `zeta_l = 1e-6 sigma` on the collapsed matrix (SDID);
//!   zero (SC) or uniform (DiD);
//! * each weight vector solved by Frank-Wolfe ([`FwProblem`], `O(k)` per step on the Gram
//!   matrix) for at most 100 steps, then sparsified (weights at or below a quarter of the
//!   largest set to 0, renormalised) and solved again for at most 10,000 steps; stopping when a
//!   step lowers the objective by less than `(1e-5 sigma)^2`;
//! * `tau = (-omega, 1/N1)' Y (-lambda, 1/T1)`.

use serde::{Deserialize, Serialize};

use crate::linalg::{ColMat, FwProblem};

/// The three estimators of the framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SdidMethod {
    /// Synthetic difference-in-differences (unit and time weights, unit intercept).
    #[default]
    Sdid,
    /// Synthetic control (unit weights without intercept, no time weights).
    Sc,
    /// Difference-in-differences (uniform weights).
    Did,
}

impl std::str::FromStr for SdidMethod {
    type Err = crate::ParamsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sdid" => Ok(SdidMethod::Sdid),
            "sc" => Ok(SdidMethod::Sc),
            "did" => Ok(SdidMethod::Did),
            _ => Err(crate::ParamsError::UnknownChoice {
                name: "method",
                value: s.into(),
                valid: vec!["sdid".into(), "sc".into(), "did".into()],
            }),
        }
    }
}

/// A dense outcome block: `n x t` row-major, controls first, pre-periods first.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub y: Vec<f64>,
    pub n: usize,
    pub t: usize,
    pub n0: usize,
    pub t0: usize,
}

impl Block {
    /// The rows `rows` (any order, repeats allowed) with `n0` of them controls.
    pub fn rows(&self, rows: &[usize], n0: usize) -> Block {
        let mut y = Vec::with_capacity(rows.len() * self.t);
        for &r in rows {
            y.extend_from_slice(&self.y[r * self.t..(r + 1) * self.t]);
        }
        Block { y, n: rows.len(), t: self.t, n0, t0: self.t0 }
    }

    #[inline]
    fn at(&self, i: usize, s: usize) -> f64 {
        self.y[i * self.t + s]
    }
}

/// Tuning options of one fit (the R package's `opts`), kept for the resampling SEs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Opts {
    pub zeta_omega: f64,
    pub zeta_lambda: f64,
    pub omega_intercept: bool,
    pub lambda_intercept: bool,
    pub update_omega: bool,
    pub update_lambda: bool,
    pub min_decrease: f64,
    pub max_iter: usize,
    pub max_iter_pre_sparsify: usize,
}

/// Weights of one fit.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Weights {
    pub omega: Vec<f64>,
    pub lambda: Vec<f64>,
}

/// One fitted block.
#[derive(Debug, Clone)]
pub(crate) struct BlockFit {
    pub tau: f64,
    pub weights: Weights,
    pub opts: Opts,
    pub noise_level: f64,
    pub converged: bool,
}

/// `sd(apply(Y[1:N0, 1:T0], 1, diff))`: sample SD of first differences of the control
/// pre-period block.
pub(crate) fn noise_level(b: &Block) -> f64 {
    let mut d = Vec::with_capacity(b.n0 * b.t0.saturating_sub(1));
    for i in 0..b.n0 {
        for s in 1..b.t0 {
            d.push(b.at(i, s) - b.at(i, s - 1));
        }
    }
    if d.len() < 2 {
        return f64::NAN;
    }
    let m = d.iter().sum::<f64>() / d.len() as f64;
    (d.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (d.len() - 1) as f64).sqrt()
}

/// Default options and starting weights of `method` on `b` (R's defaults).
pub(crate) fn default_opts(method: SdidMethod, b: &Block, sigma: f64) -> (Opts, Weights) {
    let (n1, t1) = ((b.n - b.n0) as f64, (b.t - b.t0) as f64);
    let eta_omega = match method {
        SdidMethod::Sc => 1e-6,
        _ => (n1 * t1).powf(0.25),
    };
    let mut opts = Opts {
        zeta_omega: eta_omega * sigma,
        zeta_lambda: 1e-6 * sigma,
        omega_intercept: method != SdidMethod::Sc,
        lambda_intercept: true,
        update_omega: true,
        update_lambda: true,
        min_decrease: 1e-5 * sigma,
        max_iter: 10_000,
        max_iter_pre_sparsify: 100,
    };
    let mut w = Weights::default();
    match method {
        SdidMethod::Sdid => {}
        SdidMethod::Sc => {
            opts.update_lambda = false;
            w.lambda = vec![0.0; b.t0];
        }
        SdidMethod::Did => {
            opts.update_lambda = false;
            opts.update_omega = false;
            w.lambda = vec![1.0 / b.t0 as f64; b.t0];
            w.omega = vec![1.0 / b.n0 as f64; b.n0];
        }
    }
    (opts, w)
}

/// `sparsify_function`: zero weights at or below max/4 and renormalise.
fn sparsify(v: &[f64]) -> Vec<f64> {
    let mx = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut out: Vec<f64> = v.iter().map(|&x| if x <= mx / 4.0 { 0.0 } else { x }).collect();
    let s: f64 = out.iter().sum();
    if s == 0.0 {
        return vec![1.0 / v.len() as f64; v.len()];
    }
    out.iter_mut().for_each(|x| *x /= s);
    out
}

/// `x / sum(x)`, or uniform when the sum is zero (R's `sum_normalize`).
pub(crate) fn sum_normalize(x: &[f64]) -> Vec<f64> {
    let s: f64 = x.iter().sum();
    if s != 0.0 {
        x.iter().map(|v| v / s).collect()
    } else {
        vec![1.0 / x.len() as f64; x.len()]
    }
}

/// Solve for one weight vector: first round, sparsify, second round. Returns the weights and
/// whether the final round met its decrease criterion.
fn solve_weights(
    mat: &[f64],
    n: usize,
    k1: usize,
    zeta: f64,
    intercept: bool,
    init: Option<&[f64]>,
    o: &Opts,
) -> (Vec<f64>, bool) {
    // Centring and the Gram matrix once for both rounds.
    let problem = FwProblem::new(ColMat::new(mat, n, k1), zeta, intercept);
    let first = problem.solve(init, o.min_decrease, o.max_iter_pre_sparsify);
    let start = sparsify(&first.weights);
    let second = problem.solve(Some(&start), o.min_decrease, o.max_iter);
    (second.weights, second.converged)
}

/// Fit the block with options `o` and starting/fixed weights `w` (R's `synthdid_estimate`).
pub(crate) fn fit_block(b: &Block, o: &Opts, w: &Weights, noise_level: f64) -> BlockFit {
    let (n, t, n0, t0) = (b.n, b.t, b.n0, b.t0);
    let (n1, t1) = (n - n0, t - t0);
    let mut weights = w.clone();
    let mut converged = true;
    if o.update_lambda || o.update_omega {
        // Collapsed form, stored column-major for each problem.
        let post_mean = |i: usize| (t0..t).map(|s| b.at(i, s)).sum::<f64>() / t1 as f64;
        let tr_mean = |s: usize| (n0..n).map(|i| b.at(i, s)).sum::<f64>() / n1 as f64;
        if o.update_lambda {
            // Rows: controls (n0); columns: pre-periods then the post mean.
            let mut m = Vec::with_capacity(n0 * (t0 + 1));
            for s in 0..t0 {
                m.extend((0..n0).map(|i| b.at(i, s)));
            }
            m.extend((0..n0).map(post_mean));
            let init = (!w.lambda.is_empty()).then_some(&w.lambda[..]);
            let (l, c) = solve_weights(&m, n0, t0 + 1, o.zeta_lambda, o.lambda_intercept, init, o);
            weights.lambda = l;
            converged &= c;
        }
        if o.update_omega {
            // Rows: pre-periods (t0); columns: controls then the treated mean.
            let mut m = Vec::with_capacity(t0 * (n0 + 1));
            for i in 0..n0 {
                m.extend((0..t0).map(|s| b.at(i, s)));
            }
            m.extend((0..t0).map(tr_mean));
            let init = (!w.omega.is_empty()).then_some(&w.omega[..]);
            let (om, c) = solve_weights(&m, t0, n0 + 1, o.zeta_omega, o.omega_intercept, init, o);
            weights.omega = om;
            converged &= c;
        }
    }
    let tau = tau_of(b, &weights.omega, &weights.lambda);
    BlockFit { tau, weights, opts: o.clone(), noise_level, converged }
}

/// `(-omega, 1/N1)' Y (-lambda, 1/T1)`.
pub(crate) fn tau_of(b: &Block, omega: &[f64], lambda: &[f64]) -> f64 {
    let (n1, t1) = ((b.n - b.n0) as f64, (b.t - b.t0) as f64);
    let mut tau = 0.0;
    for i in 0..b.n {
        let u = if i < b.n0 { -omega[i] } else { 1.0 / n1 };
        if u == 0.0 {
            continue;
        }
        let row = &b.y[i * b.t..(i + 1) * b.t];
        let mut s = 0.0;
        for (k, &v) in row.iter().enumerate() {
            let c = if k < b.t0 { -lambda[k] } else { 1.0 / t1 };
            s += c * v;
        }
        tau += u * s;
    }
    tau
}

/// Fit `method` on `b` with R's defaults.
pub(crate) fn fit_default(method: SdidMethod, b: &Block) -> BlockFit {
    let sigma = noise_level(b);
    let (o, w) = default_opts(method, b, sigma);
    fit_block(b, &o, &w, sigma)
}

/// Per-period effects of a fitted block: treated minus omega-weighted controls in each post
/// period, net of the lambda-weighted pre-period difference (synthdid's effect curve), plus the
/// treated mean path and the synthetic (omega-weighted, intercept-shifted) path.
pub(crate) fn paths(b: &Block, w: &Weights) -> (Vec<f64>, Vec<f64>) {
    let n1 = (b.n - b.n0) as f64;
    let treated: Vec<f64> = (0..b.t).map(|s| (b.n0..b.n).map(|i| b.at(i, s)).sum::<f64>() / n1).collect();
    let synth: Vec<f64> = (0..b.t).map(|s| (0..b.n0).map(|i| w.omega[i] * b.at(i, s)).sum::<f64>()).collect();
    (treated, synth)
}
