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

pub(crate) fn estimate(cell: &Cell, method: EstMethod, trim_level: f64) -> Result<CellFit, CellFailure> {
    match method {
        EstMethod::Reg => reg(cell),
        EstMethod::Ipw => weighting(cell, trim_level, false),
        EstMethod::Dr => weighting(cell, trim_level, true),
    }
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

/// Weighted OLS of `dy` on `x` among controls: fitted values for everyone, `(X'WX/n)^{-1}`,
/// and the control residual weights `w (1-D) (dy - fit)`.
struct ControlOls {
    fitted: Vec<f64>,
    xpx_inv: Vec<Vec<f64>>,
    score: Vec<f64>,
}

fn control_ols(c: &Cell) -> Result<ControlOls, CellFailure> {
    let wc: Vec<f64> = c.w.iter().zip(&c.d).map(|(w, d)| w * (1.0 - d)).collect();
    let g = gram(&c.x, c.n, c.p, Some(&wc));
    let rhs = cross(&c.x, c.n, c.p, &c.dy, Some(&wc));
    let (beta, inv) =
        spd_solve_inverse(&g, &rhs, "outcome regression").map_err(|_| CellFailure::Singular("outcome regression"))?;
    if beta.iter().any(|b| !b.is_finite()) {
        return Err(CellFailure::Singular("outcome regression"));
    }
    let fitted = rows_dot(&c.x, c.n, c.p, &beta);
    let nf = c.n as f64;
    let xpx_inv = inv.iter().map(|r| r.iter().map(|v| v * nf).collect()).collect();
    let score = (0..c.n).map(|i| wc[i] * (c.dy[i] - fitted[i])).collect();
    Ok(ControlOls { fitted, xpx_inv, score })
}

fn matvec(m: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    m.iter().map(|r| r.iter().zip(v).map(|(a, b)| a * b).sum()).collect()
}

fn reg(c: &Cell) -> Result<CellFit, CellFailure> {
    let n = c.n;
    let ols = control_ols(c)?;
    let wt: Vec<f64> = c.w.iter().zip(&c.d).map(|(w, d)| w * d).collect();
    let mwt = mean(wt.iter().copied(), n);
    let eta_treat = mean((0..n).map(|i| wt[i] * c.dy[i]), n) / mwt;
    let eta_cont = mean((0..n).map(|i| wt[i] * ols.fitted[i]), n) / mwt;
    let m1 = wmeans(&c.x, n, c.p, &wt);
    let a1 = rows_dot(&c.x, n, c.p, &matvec(&ols.xpx_inv, &m1));
    let inf = (0..n)
        .map(|i| {
            let treat = (wt[i] * c.dy[i] - wt[i] * eta_treat) / mwt;
            let cont = (wt[i] * ols.fitted[i] - wt[i] * eta_cont + ols.score[i] * a1[i]) / mwt;
            treat - cont
        })
        .collect();
    Ok(CellFit { att: eta_treat - eta_cont, inf, n_trimmed: 0 })
}

fn weighting(c: &Cell, trim_level: f64, doubly_robust: bool) -> Result<CellFit, CellFailure> {
    let n = c.n;
    let nf = n as f64;
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
    let n_trimmed = keep.iter().filter(|&&k| k == 0.0).count();
    let wt: Vec<f64> = (0..n).map(|i| keep[i] * c.w[i] * c.d[i]).collect();
    let wc: Vec<f64> = (0..n).map(|i| keep[i] * c.w[i] * ps[i] * (1.0 - c.d[i]) / (1.0 - ps[i])).collect();
    let (mwt, mwc) = (mean(wt.iter().copied(), n), mean(wc.iter().copied(), n));
    // Propensity-score information at the capped scores, (X' diag(w p (1-p)) X / n)^{-1}.
    let v: Vec<f64> = (0..n).map(|i| c.w[i] * ps[i] * (1.0 - ps[i])).collect();
    let info = gram(&c.x, n, c.p, Some(&v));
    let (_, info_inv) = spd_solve_inverse(&info, &vec![0.0; c.p], "propensity score information")
        .map_err(|_| CellFailure::Singular("propensity score"))?;
    let hess: Vec<Vec<f64>> = info_inv.iter().map(|r| r.iter().map(|v| v * nf).collect()).collect();
    let ps_score: Vec<f64> = (0..n).map(|i| c.w[i] * (c.d[i] - ps[i])).collect();

    let ols = if doubly_robust { Some(control_ols(c)?) } else { None };
    let resid: Vec<f64> = match &ols {
        Some(o) => (0..n).map(|i| c.dy[i] - o.fitted[i]).collect(),
        None => c.dy.clone(),
    };
    let eta_treat = mean((0..n).map(|i| wt[i] * resid[i]), n) / mwt;
    let eta_cont = mean((0..n).map(|i| wc[i] * resid[i]), n) / mwc;
    // Estimation effect of the propensity score.
    let m2 = wmeans(&c.x, n, c.p, &(0..n).map(|i| wc[i] * (resid[i] - eta_cont)).collect::<Vec<_>>());
    let a2 = rows_dot(&c.x, n, c.p, &matvec(&hess, &m2));
    // Estimation effect of the outcome regression (dr only).
    let (a1, a3) = match &ols {
        Some(o) => {
            let m1 = wmeans(&c.x, n, c.p, &wt);
            let m3 = wmeans(&c.x, n, c.p, &wc);
            (rows_dot(&c.x, n, c.p, &matvec(&o.xpx_inv, &m1)), rows_dot(&c.x, n, c.p, &matvec(&o.xpx_inv, &m3)))
        }
        None => (vec![0.0; n], vec![0.0; n]),
    };
    let ols_score = |i: usize| ols.as_ref().map_or(0.0, |o| o.score[i]);
    let inf = (0..n)
        .map(|i| {
            let treat = (wt[i] * resid[i] - wt[i] * eta_treat - ols_score(i) * a1[i]) / mwt;
            let cont = (wc[i] * resid[i] - wc[i] * eta_cont + ps_score[i] * a2[i] - ols_score(i) * a3[i]) / mwc;
            treat - cont
        })
        .collect();
    Ok(CellFit { att: eta_treat - eta_cont, inf, n_trimmed })
}

/// Propensity scores by the shared logistic GLM (weighted, deviance tolerance 1e-12). Separation
/// or non-convergence means no overlap; any other failure is a singular design.
fn propensity(c: &Cell) -> Result<Vec<f64>, CellFailure> {
    use crate::regression::{fit_glm_columns, Family, IrlsOptions, RegressionError};
    let opts = IrlsOptions { tol: 1e-12, max_iter: 100 };
    match fit_glm_columns(&c.x, c.n, c.p, &c.d, Some(&c.w), None, Family::Binomial, &opts) {
        Ok(fit) => Ok(fit.fitted),
        Err(crate::Error::Regression(RegressionError::Separation { .. } | RegressionError::NotConverged { .. })) => {
            Err(CellFailure::Overlap(1.0))
        }
        Err(_) => Err(CellFailure::Singular("propensity score")),
    }
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
