//! The 2x2 panel estimators behind each ATT(g,t) and their influence functions, as DRDID
//! (Sant'Anna & Zhao 2020) computes them for R `did`:
//!
//! - `reg`: $\widehat{ATT} = \bar{\Delta Y}_{D=1} - \overline{X'\hat\beta}_{D=1}$ with $\hat\beta$ the
//!   weighted OLS of $\Delta Y$ on $X$ among controls (`reg_did_panel`);
//! - `ipw`: normalised (Hajek) weights $\hat p(X)/(1-\hat p(X))$ on the controls (`std_ipw_did_panel`);
//! - `dr`: both, the locally efficient doubly robust estimator (`drdid_panel`).
//!
//! Each returns the estimate and its influence function $\psi_i$ over the cell's units, so that
//! $\widehat{ATT} - ATT \approx \frac{1}{n}\sum_i \psi_i$; estimation of $\hat\beta$ and of the
//! propensity score enter $\psi$ through their asymptotic linear representations. Propensity
//! scores are capped at $1 - 10^{-6}$ and controls with $\hat p \ge$ `trim_level` get zero weight.

use super::params::EstMethod;
use crate::linalg::{cross, gram, spd_solve_inverse};

/// One 2x2 comparison: change in outcome, treated indicator, weights (mean 1), design with an
/// intercept in column 0 (column-major `n x p`).
pub(crate) struct Cell {
    pub dy: Vec<f64>,
    pub d: Vec<f64>,
    pub w: Vec<f64>,
    pub x: Vec<f64>,
    pub n: usize,
    pub p: usize,
}

/// Why a cell has no estimate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CellFailure {
    /// A design matrix (outcome regression or propensity score) is singular.
    Singular(&'static str),
    /// The propensity score separates treated and controls (max fitted >= 0.999).
    Overlap(f64),
}

/// Estimate, influence function over the cell's units, and controls trimmed.
pub(crate) struct CellFit {
    pub att: f64,
    pub inf: Vec<f64>,
    pub n_trimmed: usize,
}

/// Estimate one 2x2 comparison ([`Design::new`] then [`Design::fit`]).
pub(crate) fn estimate(cell: &Cell, method: EstMethod, trim_level: f64) -> Result<CellFit, CellFailure> {
    Design::new(cell, method, trim_level)?.fit(cell, &cell.dy)
}

fn mean(v: impl Iterator<Item = f64>, n: usize) -> f64 {
    v.sum::<f64>() / n as f64
}

/// `x_i . a` for every row (column 0 of `x` is the intercept).
fn rows_dot(x: &[f64], n: usize, p: usize, a: &[f64]) -> Vec<f64> {
    let mut out = vec![a[0]; n];
    for j in 1..p {
        let col = &x[j * n..(j + 1) * n];
        for (o, v) in out.iter_mut().zip(col) {
            *o += v * a[j];
        }
    }
    out
}

/// Column means of `x` weighted by `v` (`mean(v * x)`).
fn wmeans(x: &[f64], n: usize, p: usize, v: &[f64]) -> Vec<f64> {
    cross(x, n, p, v, None).into_iter().map(|s| s / n as f64).collect()
}

fn matvec(m: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    m.iter().map(|r| r.iter().zip(v).map(|(a, b)| a * b).sum()).collect()
}

/// The part of a 2x2 estimator that depends on the design only (covariates, treated
/// indicator, weights), not on the outcome change: the control outcome regression's Gram
/// matrix and `(X'W_0X/n)^{-1}`, the propensity scores, trimming, IPW weights, the
/// propensity-score Hessian and the outcome-regression estimation effects $a_1, a_3$. Every
/// ATT(g,t) whose comparison has the same units and covariates (time-invariant covariates, a
/// fixed control group: every period of a cohort) shares one `Design`; [`Design::fit`] then
/// costs a few passes over the units. The arithmetic is that of the one-cell estimators
/// (`reg_did_panel`, `std_ipw_did_panel`, `drdid_panel`), in the same order.
pub(crate) struct Design {
    method: EstMethod,
    /// Control weights of the outcome regression, `w (1 - D)`, its Gram matrix and `n (X'W_0X)^{-1}`.
    w0: Vec<f64>,
    g0: Vec<Vec<f64>>,
    xpx_inv: Vec<Vec<f64>>,
    /// Treated and (IPW) control weights with their means.
    wt: Vec<f64>,
    wc: Vec<f64>,
    mwt: f64,
    mwc: f64,
    /// Propensity-score Hessian `n (X' diag(w p (1-p)) X)^{-1}` and score `w (D - p)`.
    hess: Vec<Vec<f64>>,
    ps_score: Vec<f64>,
    /// Outcome-regression estimation effects (`reg`: `a1` only; `dr`: both).
    a1: Vec<f64>,
    a3: Vec<f64>,
    n_trimmed: usize,
}

impl Design {
    /// The outcome-free part of `cell`'s estimator (`cell.dy` is not read).
    pub(crate) fn new(c: &Cell, method: EstMethod, trim_level: f64) -> Result<Design, CellFailure> {
        let n = c.n;
        let nf = n as f64;
        let ols = |c: &Cell| -> Result<(Vec<f64>, Vec<Vec<f64>>, Vec<Vec<f64>>), CellFailure> {
            let w0: Vec<f64> = c.w.iter().zip(&c.d).map(|(w, d)| w * (1.0 - d)).collect();
            let g = gram(&c.x, c.n, c.p, Some(&w0));
            let (_, inv) = spd_solve_inverse(&g, &vec![0.0; c.p], "outcome regression")
                .map_err(|_| CellFailure::Singular("outcome regression"))?;
            let xpx_inv = inv.iter().map(|r| r.iter().map(|v| v * nf).collect()).collect();
            Ok((w0, g, xpx_inv))
        };
        let mut out = Design {
            method,
            w0: Vec::new(),
            g0: Vec::new(),
            xpx_inv: Vec::new(),
            wt: Vec::new(),
            wc: Vec::new(),
            mwt: 0.0,
            mwc: 0.0,
            hess: Vec::new(),
            ps_score: Vec::new(),
            a1: Vec::new(),
            a3: Vec::new(),
            n_trimmed: 0,
        };
        if method == EstMethod::Reg {
            (out.w0, out.g0, out.xpx_inv) = ols(c)?;
            out.wt = c.w.iter().zip(&c.d).map(|(w, d)| w * d).collect();
            out.mwt = mean(out.wt.iter().copied(), n);
            let m1 = wmeans(&c.x, n, c.p, &out.wt);
            out.a1 = rows_dot(&c.x, n, c.p, &matvec(&out.xpx_inv, &m1));
            return Ok(out);
        }
        let raw = if c.p == 1 {
            let (sw, swd) = c.w.iter().zip(&c.d).fold((0.0, 0.0), |(a, b), (w, d)| (a + w, b + w * d));
            vec![swd / sw; n]
        } else {
            propensity(c)?
        };
        let max_ps = raw.iter().copied().fold(0.0, f64::max);
        if max_ps >= 0.999 {
            return Err(CellFailure::Overlap(max_ps));
        }
        let ps: Vec<f64> = raw.iter().map(|p| p.min(1.0 - 1e-6)).collect();
        let keep: Vec<f64> = (0..n).map(|i| if c.d[i] > 0.5 || ps[i] < trim_level { 1.0 } else { 0.0 }).collect();
        out.n_trimmed = keep.iter().filter(|&&k| k == 0.0).count();
        out.wt = (0..n).map(|i| keep[i] * c.w[i] * c.d[i]).collect();
        out.wc = (0..n).map(|i| keep[i] * c.w[i] * ps[i] * (1.0 - c.d[i]) / (1.0 - ps[i])).collect();
        (out.mwt, out.mwc) = (mean(out.wt.iter().copied(), n), mean(out.wc.iter().copied(), n));
        // Propensity-score information at the capped scores, (X' diag(w p (1-p)) X / n)^{-1}.
        let v: Vec<f64> = (0..n).map(|i| c.w[i] * ps[i] * (1.0 - ps[i])).collect();
        let info = gram(&c.x, n, c.p, Some(&v));
        let (_, info_inv) = spd_solve_inverse(&info, &vec![0.0; c.p], "propensity score information")
            .map_err(|_| CellFailure::Singular("propensity score"))?;
        out.hess = info_inv.iter().map(|r| r.iter().map(|v| v * nf).collect()).collect();
        out.ps_score = (0..n).map(|i| c.w[i] * (c.d[i] - ps[i])).collect();
        if method == EstMethod::Dr {
            (out.w0, out.g0, out.xpx_inv) = ols(c)?;
            let m1 = wmeans(&c.x, n, c.p, &out.wt);
            let m3 = wmeans(&c.x, n, c.p, &out.wc);
            out.a1 = rows_dot(&c.x, n, c.p, &matvec(&out.xpx_inv, &m1));
            out.a3 = rows_dot(&c.x, n, c.p, &matvec(&out.xpx_inv, &m3));
        }
        Ok(out)
    }

    /// The control outcome regression's coefficients for outcome changes `dy`.
    fn control_beta(&self, c: &Cell, dy: &[f64]) -> Result<Vec<f64>, CellFailure> {
        let rhs = cross(&c.x, c.n, c.p, dy, Some(&self.w0));
        let (beta, _) = spd_solve_inverse(&self.g0, &rhs, "outcome regression")
            .map_err(|_| CellFailure::Singular("outcome regression"))?;
        if beta.iter().any(|b| !b.is_finite()) {
            return Err(CellFailure::Singular("outcome regression"));
        }
        Ok(beta)
    }

    /// The estimate and influence function for outcome changes `dy` over the design's units.
    /// Fused passes over the units (the sums in the order of the one-cell estimators, so the
    /// same bits): fitted values and residuals with the two weighted means, the propensity
    /// estimation effect's moments, then the influence values.
    pub(crate) fn fit(&self, c: &Cell, dy: &[f64]) -> Result<CellFit, CellFailure> {
        let (n, p) = (c.n, c.p);
        let nf = n as f64;
        let x = &c.x;
        let (wt, wc, mwt, mwc) = (&self.wt, &self.wc, self.mwt, self.mwc);
        let dot = |b: &[f64], i: usize| {
            let mut acc = b[0];
            for j in 1..p {
                acc += x[j * n + i] * b[j];
            }
            acc
        };
        if self.method == EstMethod::Reg {
            let beta = self.control_beta(c, dy)?;
            let fitted: Vec<f64> = (0..n).map(|i| dot(&beta, i)).collect();
            let (mut st, mut sc) = (0.0, 0.0);
            for i in 0..n {
                st += wt[i] * dy[i];
                sc += wt[i] * fitted[i];
            }
            let (eta_treat, eta_cont) = (st / nf / mwt, sc / nf / mwt);
            let inf = (0..n)
                .map(|i| {
                    let score = self.w0[i] * (dy[i] - fitted[i]);
                    let treat = (wt[i] * dy[i] - wt[i] * eta_treat) / mwt;
                    let cont = (wt[i] * fitted[i] - wt[i] * eta_cont + score * self.a1[i]) / mwt;
                    treat - cont
                })
                .collect();
            return Ok(CellFit { att: eta_treat - eta_cont, inf, n_trimmed: 0 });
        }
        let dr = self.method == EstMethod::Dr;
        let resid: Vec<f64> = if dr {
            let beta = self.control_beta(c, dy)?;
            (0..n).map(|i| dy[i] - dot(&beta, i)).collect()
        } else {
            dy.to_vec()
        };
        let (mut st, mut sc) = (0.0, 0.0);
        for i in 0..n {
            st += wt[i] * resid[i];
            sc += wc[i] * resid[i];
        }
        let (eta_treat, eta_cont) = (st / nf / mwt, sc / nf / mwc);
        // Estimation effect of the propensity score: a2 = X hess mean(x wc (resid - eta_cont)).
        let mut m2 = vec![0.0; p];
        for i in 0..n {
            let v = wc[i] * (resid[i] - eta_cont);
            m2[0] += v;
            for j in 1..p {
                m2[j] += x[j * n + i] * v;
            }
        }
        m2.iter_mut().for_each(|m| *m /= nf);
        let b2 = matvec(&self.hess, &m2);
        let inf = (0..n)
            .map(|i| {
                let a2 = dot(&b2, i);
                let (s, a1, a3) = if dr { (self.w0[i] * resid[i], self.a1[i], self.a3[i]) } else { (0.0, 0.0, 0.0) };
                let treat = (wt[i] * resid[i] - wt[i] * eta_treat - s * a1) / mwt;
                let cont = (wc[i] * resid[i] - wc[i] * eta_cont + self.ps_score[i] * a2 - s * a3) / mwc;
                treat - cont
            })
            .collect();
        Ok(CellFit { att: eta_treat - eta_cont, inf, n_trimmed: self.n_trimmed })
    }
}

/// Propensity scores: the weighted logit of `D` on the design by IRLS, exactly as the shared
/// GLM ([`crate::regression::fit_glm_columns`], binomial, deviance tolerance 1e-12, at most
/// 100 iterations, step halving) computes them, without what `att_gt` does not use (the
/// log-likelihood with its `ln_gamma` terms, null deviance, Pearson statistic, final
/// information matrix). Separation or non-convergence means no overlap; a singular
/// information matrix (or too few units) a singular design.
fn propensity(c: &Cell) -> Result<Vec<f64>, CellFailure> {
    use crate::regression::Family;
    let fam = Family::Binomial;
    let (n, k, y, a) = (c.n, c.p, &c.d, &c.w);
    let singular = CellFailure::Singular("propensity score");
    if n <= k || a.iter().sum::<f64>() <= 0.0 {
        return Err(singular);
    }
    let deviance =
        |mu: &[f64]| -> f64 { y.iter().zip(mu).zip(a).map(|((y, m), a)| a * fam.unit_deviance(*y, *m)).sum() };
    let mut mu: Vec<f64> = y.iter().map(|y| (y + 0.5) / 2.0).collect();
    let mut eta: Vec<f64> = mu.iter().map(|m| fam.link(*m)).collect();
    let mut beta = vec![0.0; k];
    let mut dev = f64::INFINITY;
    let mut converged = false;
    for it in 1..=100 {
        let wk: Vec<f64> = mu.iter().zip(a).map(|(m, a)| a * fam.variance(*m)).collect();
        let z: Vec<f64> =
            (0..n).map(|i| eta[i] + (y[i] - mu[i]) / fam.variance(mu[i]).max(f64::MIN_POSITIVE)).collect();
        let g = gram(&c.x, n, k, Some(&wk));
        let rhs = cross(&c.x, n, k, &z, Some(&wk));
        let (mut step, _) = spd_solve_inverse(&g, &rhs, "X'WX (IRLS)").map_err(|_| singular.clone())?;
        let mut new_eta = rows_dot_all(&c.x, n, &step);
        let mut new_mu: Vec<f64> = new_eta.iter().map(|e| fam.inverse_link(*e)).collect();
        let mut new_dev = deviance(&new_mu);
        let mut halvings = 0;
        while it > 1 && (!new_dev.is_finite() || new_dev > dev * (1.0 + 1e-12) + 1e-12) && halvings < 30 {
            step = step.iter().zip(&beta).map(|(s, b)| (s + b) / 2.0).collect();
            new_eta = rows_dot_all(&c.x, n, &step);
            new_mu = new_eta.iter().map(|e| fam.inverse_link(*e)).collect();
            new_dev = deviance(&new_mu);
            halvings += 1;
        }
        beta = step;
        eta = new_eta;
        mu = new_mu;
        let change = (new_dev - dev).abs() / (new_dev.abs() + 0.1);
        dev = new_dev;
        if change < 1e-12 {
            converged = true;
            break;
        }
    }
    let eps = 1e-10;
    let perfect = (0..n).any(|i| a[i] > 0.0 && ((y[i] == 0.0 && mu[i] < eps) || (y[i] == 1.0 && mu[i] > 1.0 - eps)));
    if perfect || !converged {
        return Err(CellFailure::Overlap(1.0));
    }
    Ok(mu)
}

/// `X beta` over all columns of the column-major `n x k` design (the GLM's linear predictor,
/// accumulated column after column from zero, as the shared IRLS does).
fn rows_dot_all(x: &[f64], n: usize, beta: &[f64]) -> Vec<f64> {
    let mut e = vec![0.0; n];
    for (j, b) in beta.iter().enumerate() {
        e.iter_mut().zip(&x[j * n..(j + 1) * n]).for_each(|(e, xv)| *e += b * xv);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(dy: Vec<f64>, d: Vec<f64>, z: Option<Vec<f64>>) -> Cell {
        let n = dy.len();
        let mut x = vec![1.0; n];
        let p = if let Some(z) = z {
            x.extend(z);
            2
        } else {
            1
        };
        Cell { dy, d, w: vec![1.0; n], x, n, p }
    }

    #[test]
    fn no_covariates_is_the_difference_in_mean_changes_for_every_method() {
        let c = cell(vec![3.0, 5.0, 1.0, 2.0, 0.0], vec![1.0, 1.0, 0.0, 0.0, 0.0], None);
        for m in [EstMethod::Reg, EstMethod::Ipw, EstMethod::Dr] {
            let f = estimate(&c, m, 0.995).unwrap();
            assert!((f.att - (4.0 - 1.0)).abs() < 1e-12, "{m:?}");
            // psi = (n / n_1)(dy - mean_1) for treated, -(n / n_0)(dy - mean_0) for controls.
            let want = [-2.5, 2.5, 0.0, -5.0 / 3.0, 5.0 / 3.0];
            for (a, b) in f.inf.iter().zip(want) {
                assert!((a - b).abs() < 1e-12, "{m:?}: {:?}", f.inf);
            }
        }
    }

    #[test]
    fn binary_covariate_reweights_controls() {
        // With a saturated binary covariate, every method gives the within-stratum comparison
        // averaged over the treated distribution of z.
        let z = vec![0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let d = vec![1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let dy = vec![2.0, 5.0, 7.0, 1.0, 0.0, 3.0, 4.0, 2.0];
        // Stratum z=0: treated 2, controls mean 0.5 -> 1.5; z=1: treated 6, controls 3 -> 3.
        let want = (1.5 + 2.0 * 3.0) / 3.0;
        for m in [EstMethod::Reg, EstMethod::Ipw, EstMethod::Dr] {
            let f = estimate(&cell(dy.clone(), d.clone(), Some(z.clone())), m, 0.995).unwrap();
            assert!((f.att - want).abs() < 1e-10, "{m:?} {}", f.att);
            assert!(f.inf.iter().sum::<f64>().abs() < 1e-9);
        }
    }
}
