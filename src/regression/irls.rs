//! Generalised linear models by iteratively reweighted least squares: the numerical core,
//! callable on plain arrays from any module (propensity scores, benchmarking).
//!
//! # Model
//! $g(\mu_i) = x_i'\beta$ with prior weights $a_i$ (`weights` times `trials`):
//! - binomial, logit link: $y_i$ is a count of successes out of $m_i$ trials (or a proportion
//!   in $[0, 1]$ when `trials` is `None`, $m_i = 1$), $V(\mu) = \mu(1-\mu)$ on the proportion scale;
//! - Poisson, log link: $V(\mu) = \mu$;
//! - Gaussian, identity link: $V(\mu) = 1$ (weighted least squares).
//!
//! All three links are canonical, so the working weights are $W_i = a_i\,V(\mu_i)$ and each
//! step solves $(X'WX)\beta = X'Wz$ with $z_i = \eta_i + (y_i - \mu_i)/V(\mu_i)$ (Fisher scoring
//! = Newton). Start: $\mu_i = (m_i y_i + 1/2)/(m_i + 1)$ (binomial), $\mu_i = y_i + \bar y$ / 2
//! (Poisson), $\mu_i = y_i$ (Gaussian). A step that increases the deviance is halved (up to 30
//! times). Convergence: $|D_{t} - D_{t-1}| / (|D_t| + 0.1\,\bar w) < \text{tol}$ (R's `glm.control`
//! rule, default tol 1e-10, tighter than R's 1e-8), with $\bar w$ the mean of the `weights` (1
//! without): the rule is the same for weights times any constant, so the fit is too.
//!
//! The inverse information $(X'WX)^{-1}$ at the optimum is the model-based variance for the
//! binomial and Poisson families (dispersion 1); for the Gaussian it is multiplied by the
//! Pearson dispersion $\sum_i a_i (y_i - \mu_i)^2 / (n - k)$.
//!
//! # Separation
//! The maximum-likelihood estimate does not exist when a combination of regressors predicts
//! some outcomes perfectly (Albert & Anderson 1984): IRLS then drives fitted probabilities (or
//! Poisson means) to the boundary while the coefficients grow without bound. virkning reports
//! [`RegressionError::Separation`] when, at the end, an observation sitting at the boundary of
//! its outcome (y = 0 or y = m) has a fitted value within 1e-10 of it (|eta| beyond ~23), instead
//! of returning huge coefficients with meaningless standard errors as R and statsmodels do.
//!
//! # References
//! McCullagh & Nelder (1989) *Generalized Linear Models*, ch. 2; Albert & Anderson (1984).
//! Checked against statsmodels GLM in `tests/glm_reference.rs`.

use std::str::FromStr;

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::RegressionError;
use crate::error::ParamsError;
use crate::linalg::{cross, gram, spd_solve_inverse};

/// The distribution of the outcome (each with its canonical link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Binomial counts or proportions, logit link.
    Binomial,
    /// Poisson counts, log link.
    Poisson,
    /// Normal outcome, identity link (weighted least squares).
    Gaussian,
}

impl Family {
    /// Valid names, as accepted by [`FromStr`].
    pub const NAMES: [&'static str; 3] = ["binomial", "poisson", "gaussian"];

    /// Whether the dispersion is fixed at 1.
    pub fn fixed_dispersion(self) -> bool {
        !matches!(self, Family::Gaussian)
    }

    /// Inverse link $\mu = g^{-1}(\eta)$.
    #[inline]
    pub fn inverse_link(self, eta: f64) -> f64 {
        match self {
            Family::Binomial => {
                if eta >= 0.0 {
                    1.0 / (1.0 + (-eta).exp())
                } else {
                    let e = eta.exp();
                    e / (1.0 + e)
                }
            }
            Family::Poisson => eta.exp(),
            Family::Gaussian => eta,
        }
    }

    /// Link $\eta = g(\mu)$.
    #[inline]
    pub fn link(self, mu: f64) -> f64 {
        match self {
            Family::Binomial => (mu / (1.0 - mu)).ln(),
            Family::Poisson => mu.ln(),
            Family::Gaussian => mu,
        }
    }

    /// Variance function $V(\mu)$ (= $d\mu/d\eta$ for canonical links).
    #[inline]
    pub fn variance(self, mu: f64) -> f64 {
        match self {
            Family::Binomial => mu * (1.0 - mu),
            Family::Poisson => mu,
            Family::Gaussian => 1.0,
        }
    }

    /// Unit deviance $d(y, \mu)$ per unit of prior weight.
    #[inline]
    pub fn unit_deviance(self, y: f64, mu: f64) -> f64 {
        let ylogy = |a: f64, b: f64| if a > 0.0 { a * (a / b).ln() } else { 0.0 };
        match self {
            Family::Binomial => 2.0 * (ylogy(y, mu) + ylogy(1.0 - y, 1.0 - mu)),
            Family::Poisson => 2.0 * (ylogy(y, mu) - (y - mu)),
            Family::Gaussian => (y - mu) * (y - mu),
        }
    }
}

impl FromStr for Family {
    type Err = ParamsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "binomial" | "logit" | "logistic" => Ok(Family::Binomial),
            "poisson" => Ok(Family::Poisson),
            "gaussian" | "normal" => Ok(Family::Gaussian),
            _ => Err(ParamsError::UnknownChoice {
                name: "family",
                value: s.to_string(),
                valid: Family::NAMES.iter().map(|s| s.to_string()).collect(),
            }),
        }
    }
}

/// Convergence settings of IRLS.
///
/// # Defaults
/// `tol = 1e-10` (relative change in deviance), `max_iter = 100`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IrlsOptions {
    /// Relative deviance change at which to stop.
    pub tol: f64,
    /// Iteration cap.
    pub max_iter: usize,
}

impl Default for IrlsOptions {
    fn default() -> Self {
        IrlsOptions { tol: 1e-10, max_iter: 100 }
    }
}

/// A fitted GLM on arrays: plain data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GlmFit {
    /// Family.
    pub family: Family,
    /// Coefficients, in column order.
    pub coefficients: Vec<f64>,
    /// Fitted means $\mu_i$ (proportions for the binomial family).
    pub fitted: Vec<f64>,
    /// Linear predictor $\eta_i = x_i'\beta$.
    pub linear_predictor: Vec<f64>,
    /// Working weights at the optimum $W_i = a_i V(\mu_i)$.
    pub working_weights: Vec<f64>,
    /// Prior weights $a_i$ (weights times trials).
    pub prior_weights: Vec<f64>,
    /// Outcome on the mean scale (proportions for the binomial family).
    pub y: Vec<f64>,
    /// Fisher information $X'WX$ (row-major), equal to minus the Hessian of the log-likelihood.
    pub information: Vec<Vec<f64>>,
    /// Its inverse $(X'WX)^{-1}$ (unscaled: multiply by `dispersion` for the model variance).
    pub inverse_information: Vec<Vec<f64>>,
    /// Dispersion: 1 for binomial and Poisson, the Pearson estimate for the Gaussian.
    pub dispersion: f64,
    /// Deviance.
    pub deviance: f64,
    /// Deviance of the intercept-only model (weighted mean).
    pub null_deviance: f64,
    /// Pearson chi-squared $\sum_i a_i (y_i - \mu_i)^2 / V(\mu_i)$.
    pub pearson_chi2: f64,
    /// Log-likelihood (full, with the binomial coefficients and log y! terms, as statsmodels).
    pub loglik: f64,
    /// IRLS iterations.
    pub iterations: usize,
    /// Whether the deviance criterion was met.
    pub converged: bool,
}

impl GlmFit {
    /// Model-based variance: dispersion times the inverse information.
    pub fn vcov(&self) -> Vec<Vec<f64>> {
        self.inverse_information.iter().map(|r| r.iter().map(|v| v * self.dispersion).collect()).collect()
    }

    /// Response residuals $y_i - \mu_i$ on the mean scale.
    pub fn response_residuals(&self) -> Vec<f64> {
        self.y.iter().zip(&self.fitted).map(|(y, m)| y - m).collect()
    }
}

/// Fit a GLM by IRLS with default [`IrlsOptions`].
///
/// `x` is `n x k` (include a column of ones for an intercept), `y` the outcome (counts of
/// successes when `trials` is given, else proportions for the binomial), `weights` optional
/// non-negative prior weights, `trials` optional positive numbers of trials (binomial only).
///
/// # Errors
/// [`RegressionError::InvalidGlmInput`] for shapes or values outside the family's support,
/// [`RegressionError::Separation`] when the MLE does not exist,
/// [`RegressionError::NotConverged`] when IRLS does not converge, and a linear-algebra error
/// for a singular design.
///
/// ```
/// use ndarray::{array, Array2};
/// use virkning::regression::{fit_glm, Family};
/// let x = Array2::from_shape_vec((6, 2), vec![1., 0., 1., 1., 1., 2., 1., 3., 1., 4., 1., 5.]).unwrap();
/// let y = array![0., 1., 0., 1., 1., 1.];
/// let fit = fit_glm(x.view(), y.view(), None, None, Family::Binomial).unwrap();
/// assert!(fit.converged && fit.coefficients[1] > 0.0);
/// ```
pub fn fit_glm(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    weights: Option<ArrayView1<'_, f64>>,
    trials: Option<ArrayView1<'_, f64>>,
    family: Family,
) -> Result<GlmFit, crate::Error> {
    fit_glm_with(x, y, weights, trials, family, &IrlsOptions::default())
}

/// [`fit_glm`] with explicit convergence options.
///
/// # Errors
/// As [`fit_glm`].
pub fn fit_glm_with(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    weights: Option<ArrayView1<'_, f64>>,
    trials: Option<ArrayView1<'_, f64>>,
    family: Family,
    opts: &IrlsOptions,
) -> Result<GlmFit, crate::Error> {
    let (n, k) = x.dim();
    let shape = |what: &str, len: usize| -> Result<(), crate::Error> {
        if len != n {
            return Err(RegressionError::InvalidGlmInput { reason: format!("{what} has {len} rows, x has {n}") }.into());
        }
        Ok(())
    };
    shape("y", y.len())?;
    if let Some(w) = &weights {
        shape("weights", w.len())?;
    }
    if let Some(t) = &trials {
        shape("trials", t.len())?;
    }
    let mut xc = vec![0.0; n * k];
    for j in 0..k {
        xc[j * n..(j + 1) * n].iter_mut().zip(x.column(j)).for_each(|(o, v)| *o = *v);
    }
    let y: Vec<f64> = y.iter().copied().collect();
    let w: Option<Vec<f64>> = weights.map(|w| w.iter().copied().collect());
    let t: Option<Vec<f64>> = trials.map(|t| t.iter().copied().collect());
    fit_glm_columns(&xc, n, k, &y, w.as_deref(), t.as_deref(), family, opts)
}

/// Check the outcome and turn counts into proportions; returns (y on the mean scale, prior weights).
fn prepare(
    y: &[f64],
    weights: Option<&[f64]>,
    trials: Option<&[f64]>,
    family: Family,
) -> Result<(Vec<f64>, Vec<f64>), RegressionError> {
    let bad = |reason: String| RegressionError::InvalidGlmInput { reason };
    let first = |pred: &dyn Fn(usize) -> bool| (0..y.len()).find(|&i| pred(i));
    if let Some(i) = first(&|i| !y[i].is_finite()) {
        return Err(bad(format!("the outcome is not finite at row {i} ({})", y[i])));
    }
    if let Some(w) = weights {
        if let Some(i) = first(&|i| !(w[i].is_finite() && w[i] >= 0.0)) {
            return Err(bad(format!("weights must be finite and non-negative; row {i} has {}", w[i])));
        }
    }
    let mut a: Vec<f64> = weights.map_or_else(|| vec![1.0; y.len()], <[f64]>::to_vec);
    let mut yy = y.to_vec();
    match (family, trials) {
        (Family::Binomial, Some(t)) => {
            if let Some(i) = first(&|i| !(t[i].is_finite() && t[i] > 0.0)) {
                return Err(bad(format!("trials must be positive; row {i} has {} (drop units with no trials)", t[i])));
            }
            if let Some(i) = first(&|i| y[i] < 0.0 || y[i] > t[i]) {
                return Err(bad(format!("successes must lie in [0, trials]; row {i} has {} of {}", y[i], t[i])));
            }
            for i in 0..y.len() {
                yy[i] = y[i] / t[i];
                a[i] *= t[i];
            }
        }
        (Family::Binomial, None) => {
            if let Some(i) = first(&|i| !(0.0..=1.0).contains(&y[i])) {
                return Err(bad(format!(
                    "a binomial outcome without trials must be a proportion in [0, 1]; row {i} has {} (pass trials for counts)",
                    y[i]
                )));
            }
        }
        (_, Some(_)) => return Err(bad("trials are only used by the binomial family".into())),
        (Family::Poisson, None) => {
            if let Some(i) = first(&|i| y[i] < 0.0) {
                return Err(bad(format!("a Poisson outcome must be non-negative; row {i} has {}", y[i])));
            }
        }
        (Family::Gaussian, None) => {}
    }
    Ok((yy, a))
}

fn deviance(family: Family, y: &[f64], mu: &[f64], a: &[f64]) -> f64 {
    y.iter().zip(mu).zip(a).map(|((y, m), a)| a * family.unit_deviance(*y, *m)).sum()
}

/// [`fit_glm_with`] on a column-major `n x k` design given as a slice (no copy).
///
/// # Errors
/// As [`fit_glm`].
#[allow(clippy::too_many_arguments)]
pub fn fit_glm_columns(
    x: &[f64],
    n: usize,
    k: usize,
    y: &[f64],
    weights: Option<&[f64]>,
    trials: Option<&[f64]>,
    family: Family,
    opts: &IrlsOptions,
) -> Result<GlmFit, crate::Error> {
    let (y, a) = prepare(y, weights, trials, family)?;
    if n <= k {
        return Err(RegressionError::TooFewObservations { n_obs: n, n_params: k }.into());
    }
    let m: Vec<f64> = trials.map_or_else(|| vec![1.0; n], <[f64]>::to_vec);
    let sa: f64 = a.iter().sum();
    if sa <= 0.0 {
        return Err(RegressionError::InvalidGlmInput { reason: "every prior weight is zero".into() }.into());
    }
    let ybar = y.iter().zip(&a).map(|(y, a)| y * a).sum::<f64>() / sa;
    // The deviance scales with the weights: the stopping and step-halving rules compare it on
    // the scale of weights with mean 1, so that weights times any constant give the same fit.
    let wscale = weights.map_or(1.0, |w| {
        let s: f64 = w.iter().sum();
        if s > 0.0 && s.is_finite() {
            s / w.len() as f64
        } else {
            1.0
        }
    });
    let mut mu: Vec<f64> = match family {
        Family::Binomial => y.iter().zip(&m).map(|(y, m)| (m * y + 0.5) / (m + 1.0)).collect(),
        Family::Poisson => y.iter().map(|y| (y + ybar) / 2.0 + 1e-3).collect(),
        Family::Gaussian => y.clone(),
    };
    let mut eta: Vec<f64> = mu.iter().map(|m| family.link(*m)).collect();
    let linear = |beta: &[f64]| -> Vec<f64> {
        let mut e = vec![0.0; n];
        for (j, b) in beta.iter().enumerate() {
            e.iter_mut().zip(&x[j * n..(j + 1) * n]).for_each(|(e, xv)| *e += b * xv);
        }
        e
    };
    let mut beta: Vec<f64> = vec![0.0; k];
    let mut dev = f64::INFINITY;
    let mut converged = false;
    let mut iterations = 0;
    let mut last_change = f64::INFINITY;
    let mut info_inv: Vec<Vec<f64>> = Vec::new();
    let mut info: Vec<Vec<f64>> = Vec::new();
    for it in 1..=opts.max_iter {
        iterations = it;
        let wk: Vec<f64> = mu.iter().zip(&a).map(|(m, a)| a * family.variance(*m)).collect();
        let z: Vec<f64> =
            (0..n).map(|i| eta[i] + (y[i] - mu[i]) / family.variance(mu[i]).max(f64::MIN_POSITIVE)).collect();
        let g = gram(x, n, k, Some(&wk));
        let rhs = cross(x, n, k, &z, Some(&wk));
        let (new_beta, inv) = spd_solve_inverse(&g, &rhs, "X'WX (IRLS)")?;
        info = g;
        info_inv = inv;
        // Step halving when the deviance does not decrease (or is not finite).
        let mut step = new_beta;
        let mut new_eta = linear(&step);
        let mut new_mu: Vec<f64> = new_eta.iter().map(|e| family.inverse_link(*e)).collect();
        let mut new_dev = deviance(family, &y, &new_mu, &a);
        let mut halvings = 0;
        while it > 1 && (!new_dev.is_finite() || new_dev > dev * (1.0 + 1e-12) + 1e-12 * wscale) && halvings < 30 {
            step = step.iter().zip(&beta).map(|(s, b)| (s + b) / 2.0).collect();
            new_eta = linear(&step);
            new_mu = new_eta.iter().map(|e| family.inverse_link(*e)).collect();
            new_dev = deviance(family, &y, &new_mu, &a);
            halvings += 1;
        }
        beta = step;
        eta = new_eta;
        mu = new_mu;
        last_change = (new_dev - dev).abs() / (new_dev.abs() + 0.1 * wscale);
        dev = new_dev;
        if last_change < opts.tol {
            converged = true;
            break;
        }
    }
    // Separation: perfectly predicted boundary outcomes.
    if matches!(family, Family::Binomial | Family::Poisson) {
        let eps = 1e-10;
        let perfect = |i: usize| {
            a[i] > 0.0
                && match family {
                    Family::Binomial => (y[i] == 0.0 && mu[i] < eps) || (y[i] == 1.0 && mu[i] > 1.0 - eps),
                    _ => y[i] == 0.0 && mu[i] < eps,
                }
        };
        if let Some(row) = (0..n).find(|&i| perfect(i)) {
            let n_perfect = (0..n).filter(|&i| perfect(i)).count();
            return Err(
                RegressionError::Separation { family: format!("{family:?}").to_lowercase(), row, n_perfect }.into()
            );
        }
    }
    if !converged {
        return Err(RegressionError::NotConverged {
            what: "IRLS".into(),
            iterations,
            tolerance: opts.tol,
            last_change,
        }
        .into());
    }
    // Final working weights and information at the optimum.
    let wk: Vec<f64> = mu.iter().zip(&a).map(|(m, a)| a * family.variance(*m)).collect();
    let g = gram(x, n, k, Some(&wk));
    if let Ok((_, inv)) = spd_solve_inverse(&g, &vec![0.0; k], "X'WX (IRLS)") {
        info = g;
        info_inv = inv;
    }
    let pearson_chi2: f64 =
        (0..n).map(|i| a[i] * (y[i] - mu[i]).powi(2) / family.variance(mu[i]).max(f64::MIN_POSITIVE)).sum();
    let dispersion = if family.fixed_dispersion() { 1.0 } else { pearson_chi2 / (n - k) as f64 };
    let null_mu = vec![ybar; n];
    let null_deviance = deviance(family, &y, &null_mu, &a);
    let loglik = loglik(family, &y, &mu, &a, &m, weights, dispersion, dev);
    Ok(GlmFit {
        family,
        coefficients: beta,
        fitted: mu,
        linear_predictor: eta,
        working_weights: wk,
        prior_weights: a,
        y,
        information: info,
        inverse_information: info_inv,
        dispersion,
        deviance: dev,
        null_deviance,
        pearson_chi2,
        loglik,
        iterations,
        converged,
    })
}

/// Full log-likelihood as statsmodels computes it: binomial with $\log\binom{m}{y}$ (times the
/// prior weight over trials), Poisson with $-\log y!$, Gaussian with the ML scale
/// $\hat\sigma^2 = D / \sum w$... here statsmodels' `scale` (Pearson) convention is followed for
/// the Gaussian so that `loglik` equals `GLM(...).fit().llf`.
#[allow(clippy::too_many_arguments)]
fn loglik(
    family: Family,
    y: &[f64],
    mu: &[f64],
    a: &[f64],
    m: &[f64],
    weights: Option<&[f64]>,
    _dispersion: f64,
    dev: f64,
) -> f64 {
    use statrs::function::gamma::ln_gamma;
    let n = y.len();
    match family {
        Family::Binomial => (0..n)
            .map(|i| {
                let w = weights.map_or(1.0, |w| w[i]);
                let s = m[i] * y[i];
                let comb = ln_gamma(m[i] + 1.0) - ln_gamma(s + 1.0) - ln_gamma(m[i] - s + 1.0);
                let term = |c: f64, p: f64| if c > 0.0 { c * p.ln() } else { 0.0 };
                w * (comb + term(s, mu[i]) + term(m[i] - s, 1.0 - mu[i]))
            })
            .sum(),
        Family::Poisson => (0..n)
            .map(|i| {
                let lp = if y[i] > 0.0 { y[i] * mu[i].ln() } else { 0.0 };
                a[i] * (lp - mu[i] - ln_gamma(y[i] + 1.0))
            })
            .sum(),
        Family::Gaussian => {
            // statsmodels: llf = -nobs/2 * (log(2 pi D / nobs) + 1) + sum(log w)/2 (var_weights).
            let nf = n as f64;
            let slw: f64 = a.iter().filter(|w| **w > 0.0).map(|w| w.ln()).sum();
            -nf / 2.0 * ((2.0 * std::f64::consts::PI * dev / nf).ln() + 1.0) + slw / 2.0
        }
    }
}
