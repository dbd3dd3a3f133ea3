//! Linear mixed model with a random intercept per group, by REML or ML (`mixedlm`).
//!
//! # Model
//! $y_{gi} = x_{gi}'\beta + u_g + \varepsilon_{gi}$, $u_g \sim N(0, \sigma_u^2)$,
//! $\varepsilon_{gi} \sim N(0, \sigma^2 / w_{gi})$ (optional weights). With the variance ratio
//! $\gamma = \sigma_u^2/\sigma^2$, $V_g/\sigma^2 = W_g^{-1} + \gamma 11'$ and
//! $\sigma^2 V_g^{-1} = W_g - c_g w_g w_g'$ with $c_g = \gamma / (1 + \gamma \sum_i w_{gi})$.
//! Everything the likelihood needs is therefore a function of the global cross-products
//! $X'WX, X'Wy, y'Wy$ and the per-group sums $s_g = \sum w$, $X_g'w_g$, $y_g'w_g$:
//! $A(\gamma) = X'WX - \sum_g c_g (X_g'w_g)(X_g'w_g)'$, $b(\gamma) = X'Wy - \sum_g c_g (X_g'w_g)(y_g'w_g)$,
//! $\hat\beta = A^{-1}b$, $r = y'Wy - \sum_g c_g (y_g'w_g)^2 - b'\hat\beta$.
//! The profiled criteria (lme4's, Bates et al. 2015, eq. 34 and 41) are
//! $-2\ell_{ML} = N(1 + \log(2\pi r/N)) + \sum_g \log(1+\gamma s_g) - \sum \log w$ and
//! $-2\ell_{REML} = (N-p)(1 + \log(2\pi r/(N-p))) + \sum_g \log(1+\gamma s_g) - \sum\log w + \log|A|$.
//! After one $O(Nk^2)$ pass, each evaluation costs $O(Sk^2 + k^3)$, independent of N, with S
//! the number of distinct group weights (group sizes): 1 for a balanced panel, at most G.
//!
//! The 1-D profile over $\tau = \sqrt\gamma$ is minimised by a log-spaced grid on
//! $[0, 10^4]$ (half-decade steps) followed by Brent's method in the best bracket (tolerance 1e-12 relative).
//! Then $\hat\sigma^2 = r/N$ (ML) or $r/(N-p)$ (REML), $\hat\sigma_u^2 = \hat\gamma\hat\sigma^2$,
//! $\widehat{\mathrm{Var}}(\hat\beta) = \hat\sigma^2 A^{-1}$ (as lme4), and the BLUPs
//! $\hat u_g = c_g (y_g - X_g\hat\beta)'w_g$ with prediction-error variance (Henderson 1975)
//! $\hat\sigma^2 (c_g + c_g^2 (X_g'w_g)' A^{-1} (X_g'w_g))$.
//!
//! # References
//! Bates, Mächler, Bolker & Walker (2015), *J. Stat. Softw.* 67(1); Henderson (1975);
//! Brent (1973). Checked against statsmodels MixedLM and lme4 in `tests/mixed_reference.rs`.

use serde::{Deserialize, Serialize};

use super::design::{build, ColumnRecipe, SampleSpec};
use super::formula::Formula;
use super::glm::{drop_collinear, parse_plain};
use super::RegressionError;
use crate::data::{Factor, Frame, Rows};
use crate::error::ParamsError;
use crate::inference::RefDist;
use crate::linalg::{brent_minimize, cross, gram, small_spd_solve_logdet, spd_solve_inverse};
use crate::results::{Diagnostic, DiagnosticCode, DropReport, Estimate};
use crate::traits::Validated;
use crate::Result;

/// Random-intercept linear mixed model.
///
/// # Defaults
/// `reml = true`, no weights, `alpha = 0.05`, `collinear_tol = 1e-10`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MixedLm {
    /// Fixed-effects formula (no `|`).
    pub formula: String,
    /// Grouping column (one random intercept per level).
    pub group: String,
    /// REML (true) or ML.
    pub reml: bool,
    /// Optional weights: residual variance $\sigma^2/w$.
    pub weights: Option<String>,
    /// Relative pivot threshold for collinear regressors.
    pub collinear_tol: f64,
    /// 1 - confidence level.
    pub alpha: f64,
}

impl Default for MixedLm {
    fn default() -> Self {
        MixedLm::new("", "")
    }
}

impl MixedLm {
    /// Params for `formula` with random intercepts by `group`.
    pub fn new(formula: impl Into<String>, group: impl Into<String>) -> Self {
        MixedLm {
            formula: formula.into(),
            group: group.into(),
            reml: true,
            weights: None,
            collinear_tol: 1e-10,
            alpha: 0.05,
        }
    }

    /// REML (true) or ML (false).
    pub fn reml(mut self, yes: bool) -> Self {
        self.reml = yes;
        self
    }

    /// Weights column.
    pub fn weights(mut self, col: impl Into<String>) -> Self {
        self.weights = Some(col.into());
        self
    }

    /// Check options and parse the formula.
    ///
    /// # Errors
    /// [`ParamsError`] or a formula error.
    pub fn validate(self) -> Result<Validated<MixedChecked>> {
        let formula = parse_plain(&self.formula, "mixedlm", self.alpha)?;
        let bad = |name, value: String, reason: &str| ParamsError::InvalidParam { name, value, reason: reason.into() };
        if self.group.is_empty() {
            return Err(bad("group", String::new(), "a grouping column is required").into());
        }
        Ok(Validated::new(MixedChecked { params: self, formula }))
    }

    /// Validate and fit.
    ///
    /// # Errors
    /// See [`Validated::<MixedChecked>::fit`].
    pub fn fit(self, frame: &Frame<'_>) -> Result<MixedResult> {
        self.validate()?.fit(frame)
    }
}

/// `MixedLm` params after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct MixedChecked {
    /// Params as given.
    pub params: MixedLm,
    /// Parsed formula.
    pub formula: Formula,
}

/// Estimated variance components.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VarianceComponents {
    /// Variance of the random intercepts $\sigma_u^2$.
    pub group: f64,
    /// Residual variance $\sigma^2$ (for unit weight).
    pub residual: f64,
}

/// The array-level fit of a random-intercept model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RandomInterceptFit {
    /// Fixed effects.
    pub beta: Vec<f64>,
    /// Their variance $\hat\sigma^2 A^{-1}$.
    pub vcov: Vec<Vec<f64>>,
    /// Variance components.
    pub variance_components: VarianceComponents,
    /// Variance ratio $\gamma$.
    pub ratio: f64,
    /// Log-likelihood (REML or ML).
    pub loglik: f64,
    /// Best linear unbiased predictions of the random intercepts, by group code.
    pub blup: Vec<f64>,
    /// Their prediction-error variances.
    pub blup_var: Vec<f64>,
    /// Criterion evaluations.
    pub evaluations: usize,
    /// Whether Brent's method met its tolerance.
    pub converged: bool,
}

/// Sufficient statistics of the profile: global cross-products, and the per-group sums pooled
/// over groups with the same total weight (all groups of a balanced panel share one `c_g`, so
/// an evaluation then costs O(k^2 + k^3) whatever the number of groups).
struct Profile {
    n: usize,
    k: usize,
    xtx: Vec<Vec<f64>>,
    xty: Vec<f64>,
    yty: f64,
    /// (total weight s, groups with it, sum of sx sx', sum of sx sy, sum of sy^2).
    buckets: Vec<(f64, f64, Vec<Vec<f64>>, Vec<f64>, f64)>,
    sum_log_w: f64,
    reml: bool,
}

struct Eval {
    m2ll: f64,
    beta: Vec<f64>,
    a: Vec<Vec<f64>>,
    r: f64,
}

impl Profile {
    fn new(n: usize, xtx: Vec<Vec<f64>>, xty: Vec<f64>, yty: f64, sw: &[f64], sx: &[Vec<f64>], sy: &[f64]) -> Self {
        let k = xty.len();
        let mut order: Vec<usize> = (0..sw.len()).collect();
        order.sort_by(|&a, &b| sw[a].total_cmp(&sw[b]));
        let mut buckets: Vec<(f64, f64, Vec<Vec<f64>>, Vec<f64>, f64)> = Vec::new();
        for g in order {
            if buckets.last().is_none_or(|b| b.0 != sw[g]) {
                buckets.push((sw[g], 0.0, vec![vec![0.0; k]; k], vec![0.0; k], 0.0));
            }
            let b = buckets.last_mut().expect("pushed above");
            b.1 += 1.0;
            for i in 0..k {
                for j in 0..k {
                    b.2[i][j] += sx[g][i] * sx[g][j];
                }
                b.3[i] += sx[g][i] * sy[g];
            }
            b.4 += sy[g] * sy[g];
        }
        Profile { n, k, xtx, xty, yty, buckets, sum_log_w: 0.0, reml: true }
    }

    fn eval(&self, tau: f64) -> std::result::Result<Eval, crate::Error> {
        let (n, k) = (self.n as f64, self.k);
        let gamma = tau * tau;
        let mut a = self.xtx.clone();
        let mut b = self.xty.clone();
        let mut q = self.yty;
        let mut logdet_v = -self.sum_log_w;
        for (s, count, m, v, qq) in &self.buckets {
            let c = gamma / (1.0 + gamma * s);
            logdet_v += count * (1.0 + gamma * s).ln();
            for i in 0..k {
                for j in 0..k {
                    a[i][j] -= c * m[i][j];
                }
                b[i] -= c * v[i];
            }
            q -= c * qq;
        }
        let (beta, logdet_a) = small_spd_solve_logdet(&a, &b, "X'V^-1X (mixedlm)")?;
        let r = (q - b.iter().zip(&beta).map(|(x, y)| x * y).sum::<f64>()).max(f64::MIN_POSITIVE);
        let m2ll = if self.reml {
            let df = n - k as f64;
            df * (1.0 + (2.0 * std::f64::consts::PI * r / df).ln()) + logdet_v + logdet_a
        } else {
            n * (1.0 + (2.0 * std::f64::consts::PI * r / n).ln()) + logdet_v
        };
        Ok(Eval { m2ll, beta, a, r })
    }
}

/// Fit a random-intercept model on a column-major `n x k` design with group codes in
/// `0..n_groups`.
///
/// # Errors
/// [`RegressionError::TooFewObservations`] when `n <= k`, a linear-algebra error for a
/// singular design, [`RegressionError::InvalidGlmInput`] for non-finite values or negative weights.
pub fn fit_random_intercept(
    x: &[f64],
    n: usize,
    k: usize,
    y: &[f64],
    groups: &[u32],
    n_groups: usize,
    weights: Option<&[f64]>,
    reml: bool,
) -> Result<RandomInterceptFit> {
    if n <= k {
        return Err(RegressionError::TooFewObservations { n_obs: n, n_params: k }.into());
    }
    if let Some(w) = weights {
        if let Some(i) = w.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(RegressionError::InvalidGlmInput {
                reason: format!("weights must be positive; row {i} has {}", w[i]),
            }
            .into());
        }
    }
    let wt = |i: usize| weights.map_or(1.0, |w| w[i]);
    let mut sw = vec![0.0; n_groups];
    let mut sx = vec![vec![0.0; k]; n_groups];
    let mut sy = vec![0.0; n_groups];
    for i in 0..n {
        let g = groups[i] as usize;
        let w = wt(i);
        sw[g] += w;
        sy[g] += w * y[i];
        for j in 0..k {
            sx[g][j] += w * x[j * n + i];
        }
    }
    let yty: f64 = (0..n).map(|i| wt(i) * y[i] * y[i]).sum();
    let mut prof = Profile::new(n, gram(x, n, k, weights), cross(x, n, k, y, weights), yty, &sw, &sx, &sy);
    prof.sum_log_w = weights.map_or(0.0, |w| w.iter().map(|v| v.ln()).sum());
    prof.reml = reml;
    // Grid over tau = sqrt(gamma), then Brent in the best bracket.
    let mut grid = vec![0.0];
    grid.extend((0..=16).map(|i| 10f64.powf(-4.0 + 0.5 * f64::from(i))));
    let mut evaluations = 0;
    let mut f = |t: f64| -> f64 {
        evaluations += 1;
        prof.eval(t).map_or(f64::INFINITY, |e| e.m2ll)
    };
    let vals: Vec<f64> = grid.iter().map(|&t| f(t)).collect();
    let best = (0..grid.len()).min_by(|&a, &b| vals[a].total_cmp(&vals[b])).unwrap_or(0);
    if !vals[best].is_finite() {
        // Surface the underlying error (singular design).
        prof.eval(grid[best])?;
    }
    let lo = grid[best.saturating_sub(1)];
    let hi = grid[(best + 1).min(grid.len() - 1)];
    let (tau, fmin, converged) = brent_minimize(&mut f, lo, hi, 1e-12, 200);
    let tau = if vals[best] < fmin { grid[best] } else { tau };
    let e = prof.eval(tau)?;
    let (_, a_inv) = spd_solve_inverse(&e.a, &vec![0.0; k], "X'V^-1X (mixedlm)")?;
    let df = if reml { n - k } else { n } as f64;
    let sigma2 = e.r / df;
    let gamma = tau * tau;
    let vcov: Vec<Vec<f64>> = a_inv.iter().map(|r| r.iter().map(|v| v * sigma2).collect()).collect();
    let mut blup = vec![0.0; n_groups];
    let mut blup_var = vec![0.0; n_groups];
    for g in 0..n_groups {
        let c = gamma / (1.0 + gamma * sw[g]);
        let sxb: f64 = sx[g].iter().zip(&e.beta).map(|(a, b)| a * b).sum();
        blup[g] = c * (sy[g] - sxb);
        let quad: f64 = (0..k).map(|i| (0..k).map(|j| sx[g][i] * a_inv[i][j] * sx[g][j]).sum::<f64>()).sum();
        blup_var[g] = sigma2 * (c + c * c * quad);
    }
    Ok(RandomInterceptFit {
        beta: e.beta,
        vcov,
        variance_components: VarianceComponents { group: gamma * sigma2, residual: sigma2 },
        ratio: gamma,
        loglik: -0.5 * e.m2ll,
        blup,
        blup_var,
        evaluations,
        converged,
    })
}

/// A fitted random-intercept model from a formula.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MixedResult {
    /// Fixed-effect table (normal reference distribution, as statsmodels).
    pub coefficients: Vec<Estimate>,
    /// Variance of the fixed effects.
    pub vcov: Vec<Vec<f64>>,
    /// Variance components.
    pub variance_components: VarianceComponents,
    /// Log-likelihood (REML or ML, as fitted).
    pub loglik: f64,
    /// Whether REML was used.
    pub reml: bool,
    /// Observations used.
    pub n_obs: usize,
    /// Groups.
    pub n_groups: usize,
    /// Group labels.
    pub group_labels: Vec<String>,
    /// BLUPs of the random intercepts (in label order).
    pub random_effects: Vec<f64>,
    /// Their prediction-error variances.
    pub random_effects_var: Vec<f64>,
    /// Observations dropped.
    pub drops: DropReport,
    /// Regressors dropped for collinearity.
    pub collinear: Vec<String>,
    /// Criterion evaluations.
    pub evaluations: usize,
    /// Whether the optimiser converged.
    pub converged: bool,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
    /// Params as given.
    pub params: MixedLm,
    /// How each regressor was built.
    pub recipes: Vec<ColumnRecipe>,
    /// virkning version.
    pub version: String,
    /// Input rows used.
    #[serde(skip, default = "no_rows")]
    pub rows: Rows,
}

fn no_rows() -> Rows {
    Rows::All(0)
}

impl MixedResult {
    /// Coefficient called `term`.
    pub fn coef(&self, term: &str) -> Option<&Estimate> {
        self.coefficients.iter().find(|e| e.term == term)
    }
}

impl Validated<MixedChecked> {
    /// Fit on `frame`.
    ///
    /// # Errors
    /// Data errors (missing columns, empty sample), [`RegressionError::TooFewObservations`],
    /// [`RegressionError::AllCollinear`], a singular design.
    pub fn fit(&self, frame: &Frame<'_>) -> Result<MixedResult> {
        let p = &self.params;
        let mut mf = build(
            frame,
            &SampleSpec {
                formula: &self.formula,
                weights: p.weights.as_deref(),
                clusters: std::slice::from_ref(&p.group),
                drop_singletons: false,
            },
        )
        .map_err(|e| match e {
            // One group is allowed to fail as a cluster; report it as a model error.
            crate::Error::Data(crate::data::DataError::SingleCluster { .. }) => {
                RegressionError::TooFewObservations { n_obs: 1, n_params: 2 }.into()
            }
            other => other,
        })?;
        let n = mf.n();
        // Weights on mean 1: sigma^2 is the residual variance at an average weight, whatever their scale.
        if let Some(w) = mf.weights.as_mut() {
            super::design::normalise_weights(w);
        }
        let (keep, collinear) = drop_collinear(&mut mf, p.collinear_tol)?;
        let names: Vec<String> = mf.recipes.iter().map(|r| r.name.clone()).collect();
        let w = mf.weights.as_deref();
        let kk = keep.len();
        let group: &Factor = &mf.clusters[0].1;
        let (y, x) = mf.yx.split_at(n);
        let fit = fit_random_intercept(x, n, kk, y, &group.codes, group.n_levels(), w, p.reml)?;
        let mut warnings = Vec::new();
        if !collinear.is_empty() {
            warnings.push(Diagnostic::new(
                DiagnosticCode::Collinearity,
                format!("dropped for collinearity: {}", collinear.join(", ")),
            ));
        }
        if !fit.converged {
            warnings.push(Diagnostic::new(DiagnosticCode::Convergence, "Brent's method stopped before its tolerance"));
        }
        if fit.ratio < 1e-7 {
            warnings.push(Diagnostic::new(
                DiagnosticCode::Boundary,
                "the random-intercept variance is estimated at (or near) zero: the model reduces to OLS",
            ));
        }
        let dist = RefDist::Normal;
        let coefficients = keep
            .iter()
            .enumerate()
            .map(|(j, &src)| Estimate::new(names[src].clone(), fit.beta[j], fit.vcov[j][j].sqrt(), &dist, p.alpha))
            .collect();
        Ok(MixedResult {
            coefficients,
            vcov: fit.vcov,
            variance_components: fit.variance_components,
            loglik: fit.loglik,
            reml: p.reml,
            n_obs: n,
            n_groups: group.n_levels(),
            group_labels: group.labels.clone(),
            random_effects: fit.blup,
            random_effects_var: fit.blup_var,
            drops: mf.drops.clone(),
            collinear,
            evaluations: fit.evaluations,
            converged: fit.converged,
            warnings,
            params: p.clone(),
            recipes: keep.iter().map(|&j| mf.recipes[j].clone()).collect(),
            version: crate::VERSION.to_string(),
            rows: mf.rows,
        })
    }
}
