//! Generalised linear models from a formula: `glm("jobs ~ unemployment + C(year)", family =
//! binomial, trials = "refugees")`. The numerics are in [`super::irls`]; this module builds the
//! design with the shared formula machinery (missing values dropped and counted, `C()`, `i()`,
//! interactions; collinear regressors dropped and named) and computes the variance.
//!
//! # Variance
//! - `iid` (default): the model-based $\phi (X'WX)^{-1}$ (statsmodels `nonrobust`);
//! - `hetero`/`HC1`: the sandwich $B (\sum_i s_i s_i') B \cdot n/(n-k)$ with scores
//!   $s_i = a_i (y_i - \mu_i) x_i$ (statsmodels `HC1`);
//! - `CR1` by one or more columns: cluster sums of the scores with $G/(G-1)\,(n-1)/(n-k)$
//!   (statsmodels `cluster` with its default corrections).
//!
//! Tests and intervals use the standard normal, as statsmodels and R's `glm` for fixed
//! dispersion. Fixed effects after `|` are not absorbed here: write them as `C(year)`.
//!
//! # References
//! McCullagh & Nelder (1989); Cameron & Miller (2015) for cluster-robust GLM variances.

use serde::{Deserialize, Serialize};

use super::design::{build, ColumnRecipe, ModelFrame, SampleSpec};
use super::formula::Formula;
use super::irls::{fit_glm_columns, Family, GlmFit, IrlsOptions};
use super::params::Vcov;
use crate::data::{DataError, Factor, Frame, Rows};
use crate::error::ParamsError;
use crate::inference::{InferenceError, RefDist, Scores, SmallSampleCorrection, VcovType};
use crate::results::{Diagnostic, DiagnosticCode, DropReport, Estimate};
use crate::traits::Validated;
use crate::Result;

/// A generalised linear model from a formula.
///
/// # Defaults
/// - `family`: binomial (logit link).
/// - `trials`, `weights`: none.
/// - `vcov`: `iid` (model-based).
/// - `irls`: [`IrlsOptions::default`] (`tol = 1e-10`, `max_iter = 100`).
/// - `collinear_tol`: `1e-10`; `alpha`: `0.05`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Glm {
    /// The formula (no `|` fixed effects).
    pub formula: String,
    /// Family (with its canonical link).
    pub family: Family,
    /// Column of numbers of trials (binomial counts).
    pub trials: Option<String>,
    /// Column of prior weights.
    pub weights: Option<String>,
    /// Variance estimator.
    pub vcov: Vcov,
    /// IRLS convergence.
    pub irls: IrlsOptions,
    /// Relative pivot threshold below which a regressor counts as collinear.
    pub collinear_tol: f64,
    /// 1 - confidence level.
    pub alpha: f64,
}

impl Default for Glm {
    fn default() -> Self {
        Glm::new("", Family::Binomial)
    }
}

impl Glm {
    /// Params for `formula` and `family` with every other option at its default.
    pub fn new(formula: impl Into<String>, family: Family) -> Self {
        Glm {
            formula: formula.into(),
            family,
            trials: None,
            weights: None,
            vcov: Vcov::new(VcovType::Iid),
            irls: IrlsOptions::default(),
            collinear_tol: 1e-10,
            alpha: 0.05,
        }
    }

    /// Set the trials column (binomial counts).
    pub fn trials(mut self, col: impl Into<String>) -> Self {
        self.trials = Some(col.into());
        self
    }

    /// Set the weights column.
    pub fn weights(mut self, col: impl Into<String>) -> Self {
        self.weights = Some(col.into());
        self
    }

    /// Set the variance estimator.
    pub fn vcov(mut self, vcov: Vcov) -> Self {
        self.vcov = vcov;
        self
    }

    /// Check the options and parse the formula.
    ///
    /// # Errors
    /// [`ParamsError`] for invalid options, a formula error, [`InferenceError::Unsupported`] for
    /// HC3/CR3.
    pub fn validate(self) -> Result<Validated<GlmChecked>> {
        let formula = parse_plain(&self.formula, "glm", self.alpha)?;
        let bad = |name, value: String, reason: &str| ParamsError::InvalidParam { name, value, reason: reason.into() };
        if !(self.irls.tol > 0.0 && self.irls.tol < 1.0) {
            return Err(bad("tol", self.irls.tol.to_string(), "must be positive and below 1").into());
        }
        if self.irls.max_iter == 0 {
            return Err(bad("max_iter", "0".into(), "must be at least 1").into());
        }
        if self.trials.is_some() && self.family != Family::Binomial {
            return Err(bad(
                "trials",
                self.trials.clone().unwrap_or_default(),
                "only the binomial family takes trials",
            )
            .into());
        }
        match (self.vcov.kind, self.vcov.cluster.len()) {
            (VcovType::Iid | VcovType::Hc1, 0) | (VcovType::Cr1, 1..) => {}
            (VcovType::Cr1, _) => {
                return Err(bad("vcov", self.vcov.describe(), "CR1 needs at least one cluster column").into())
            }
            (VcovType::Iid | VcovType::Hc1, _) => {
                return Err(bad("vcov", self.vcov.describe(), "takes no cluster variable").into())
            }
            (VcovType::Hc3 | VcovType::Cr3, _) => {
                return Err(InferenceError::Unsupported {
                    vcov: self.vcov.describe(),
                    reason: "glm offers iid (model-based), hetero (HC1) and CR1".into(),
                }
                .into())
            }
        }
        Ok(Validated::new(GlmChecked { params: self, formula }))
    }

    /// Validate and fit on `frame`.
    ///
    /// # Errors
    /// Params, data and estimation errors (see [`super::fit_glm`]).
    pub fn fit(self, frame: &Frame<'_>) -> Result<GlmResult> {
        self.validate()?.fit(frame)
    }
}

/// `Glm` params after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct GlmChecked {
    /// The params as given.
    pub params: Glm,
    /// The parsed formula.
    pub formula: Formula,
}

/// A fitted GLM from a formula.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GlmResult {
    /// Coefficient table (normal reference distribution).
    pub coefficients: Vec<Estimate>,
    /// Variance-covariance matrix (row-major, table order).
    pub vcov: Vec<Vec<f64>>,
    /// Which variance.
    pub vcov_type: String,
    /// Family.
    pub family: Family,
    /// Observations used.
    pub n_obs: usize,
    /// Observations dropped, with reasons.
    pub drops: DropReport,
    /// Regressors dropped for collinearity.
    pub collinear: Vec<String>,
    /// Deviance.
    pub deviance: f64,
    /// Null deviance.
    pub null_deviance: f64,
    /// Log-likelihood.
    pub loglik: f64,
    /// Akaike information criterion $-2\ell + 2k$ (k includes the scale for the Gaussian).
    pub aic: f64,
    /// Pearson chi-squared.
    pub pearson_chi2: f64,
    /// Dispersion (1 for binomial and Poisson).
    pub dispersion: f64,
    /// Residual degrees of freedom.
    pub df_resid: usize,
    /// IRLS iterations.
    pub iterations: usize,
    /// Whether IRLS converged.
    pub converged: bool,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
    /// The params as given.
    pub params: Glm,
    /// How each regressor was built.
    pub recipes: Vec<ColumnRecipe>,
    /// virkning version.
    pub version: String,
    /// The array-level fit (fitted values, weights, information).
    #[serde(skip)]
    pub fit: Option<GlmFit>,
    /// Input rows of the estimation sample.
    #[serde(skip, default = "no_rows")]
    pub rows: Rows,
}

fn no_rows() -> Rows {
    Rows::All(0)
}

impl GlmResult {
    /// Coefficient called `term`.
    pub fn coef(&self, term: &str) -> Option<&Estimate> {
        self.coefficients.iter().find(|e| e.term == term)
    }

    /// Fitted means placed at their input rows (`NaN` for rows not used).
    pub fn fitted_by_row(&self) -> Vec<f64> {
        let mut out = vec![f64::NAN; self.drops.n_input];
        if let Some(f) = &self.fit {
            for (k, v) in f.fitted.iter().enumerate() {
                out[self.rows.get(k)] = *v;
            }
        }
        out
    }
}

impl Validated<GlmChecked> {
    /// Fit on `frame`.
    ///
    /// # Errors
    /// Data errors (missing columns, non-numeric values, empty sample), outcome values outside
    /// the family's support, [`RegressionError::Separation`](super::RegressionError::Separation), [`RegressionError::NotConverged`](super::RegressionError::NotConverged),
    /// [`RegressionError::AllCollinear`](super::RegressionError::AllCollinear).
    pub fn fit(&self, frame: &Frame<'_>) -> Result<GlmResult> {
        let p = &self.params;
        let mut mf = build(
            frame,
            &SampleSpec {
                formula: &self.formula,
                weights: p.weights.as_deref(),
                clusters: &p.vcov.cluster,
                drop_singletons: false,
            },
        )?;
        let trials = match &p.trials {
            Some(t) => Some(take_trials(frame, t, &mut mf)?),
            None => None,
        };
        estimate(p, mf, trials)
    }
}

/// Drop collinear regressors (column scales = raw sums of squares); kept indices and dropped names.
pub(super) fn drop_collinear(mf: &mut ModelFrame, tol: f64) -> Result<(Vec<usize>, Vec<String>)> {
    let (n, k) = (mf.n(), mf.k());
    let scale: Vec<f64> = (1..=k).map(|j| mf.yx[j * n..(j + 1) * n].iter().map(|x| x * x).sum()).collect();
    // The pivots are compared with unweighted scales: weights on mean 1 make that scale-free.
    let mut w = mf.weights.clone();
    if let Some(w) = w.as_mut() {
        super::design::normalise_weights(w);
    }
    let (keep, collinear, _) = super::design::drop_collinear(&mut mf.yx, &mf.recipes, w.as_deref(), &scale, tol)?;
    Ok((keep, collinear))
}

/// Parse a formula for a model that absorbs no fixed effects and check `alpha`.
pub(super) fn parse_plain(text: &str, who: &str, alpha: f64) -> Result<Formula> {
    let formula = Formula::parse(text)?;
    if !formula.fixed_effects.is_empty() {
        return Err(ParamsError::InvalidParam {
            name: "formula",
            value: text.to_string(),
            reason: format!("{who} does not absorb fixed effects after `|`; write them as C(var)"),
        }
        .into());
    }
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(ParamsError::InvalidParam {
            name: "alpha",
            value: alpha.to_string(),
            reason: "must be between 0 and 1".into(),
        }
        .into());
    }
    Ok(formula)
}

/// Read the trials column on the sample; rows where it is missing are dropped and counted.
fn take_trials(frame: &Frame<'_>, name: &str, mf: &mut ModelFrame) -> Result<Vec<f64>> {
    let col = frame.numeric(name, "trials")?;
    let vals: Vec<f64> = mf.rows.iter().map(|i| col.value(i).unwrap_or(f64::NAN)).collect();
    if let Some(i) = vals.iter().position(|v| v.is_infinite()) {
        let count = vals.iter().filter(|v| v.is_infinite()).count();
        return Err(DataError::NonFinite { name: name.into(), count, first_row: mf.rows.get(i) }.into());
    }
    let keep: Vec<bool> = vals.iter().map(|v| !v.is_nan()).collect();
    let dropped = keep.iter().filter(|k| !**k).count();
    mf.drops.missing_by_column.push((name.to_string(), dropped));
    if dropped == 0 {
        return Ok(vals);
    }
    let n = mf.n();
    let m = n - dropped;
    if m == 0 {
        return Err(DataError::Empty { reason: format!("every row misses `{name}`") }.into());
    }
    let cols = mf.yx.len() / n;
    let mut yx = Vec::with_capacity(m * cols);
    for c in 0..cols {
        yx.extend(mf.yx[c * n..(c + 1) * n].iter().zip(&keep).filter(|(_, k)| **k).map(|(v, _)| *v));
    }
    mf.yx = yx;
    mf.weights = mf.weights.take().map(|w| w.into_iter().zip(&keep).filter(|(_, k)| **k).map(|(v, _)| v).collect());
    mf.clusters = std::mem::take(&mut mf.clusters)
        .into_iter()
        .map(|(nm, f)| (nm, std::sync::Arc::new(f.subset(&keep))))
        .collect();
    mf.rows = mf.rows.filter(&keep);
    mf.drops.n_missing += dropped;
    mf.drops.n_used = m;
    Ok(vals.into_iter().filter(|v| !v.is_nan()).collect())
}

fn estimate(p: &Glm, mut mf: ModelFrame, trials: Option<Vec<f64>>) -> Result<GlmResult> {
    let n = mf.n();
    let names: Vec<String> = mf.recipes.iter().map(|r| r.name.clone()).collect();
    let (keep, collinear) = drop_collinear(&mut mf, p.collinear_tol)?;
    let w = mf.weights.as_deref();
    let kk = keep.len();
    let (y, x) = mf.yx.split_at(n);
    let fit = fit_glm_columns(x, n, kk, y, w, trials.as_deref(), p.family, &p.irls)?;
    let resid = fit.response_residuals();
    let scores =
        Scores { x, n, k: kk, resid: &resid, weights: Some(&fit.prior_weights), bread: &fit.inverse_information };
    let mut warnings = Vec::new();
    let ssc = SmallSampleCorrection::default();
    let vcov = match p.vcov.kind {
        VcovType::Iid => fit.vcov(),
        VcovType::Hc1 => scores.hc1(kk, &ssc),
        VcovType::Cr1 => {
            let clusters: Vec<&Factor> = mf.clusters.iter().map(|(_, f)| &**f).collect();
            let (v, repaired) = scores.cr1(&clusters, kk, &ssc);
            if repaired {
                warnings.push(Diagnostic::new(DiagnosticCode::VcovNotPsd, "the multi-way cluster variance was not positive semidefinite; negative eigenvalues were set to zero"));
            }
            v
        }
        VcovType::Hc3 | VcovType::Cr3 => unreachable!("rejected by validate()"),
    };
    if !collinear.is_empty() {
        warnings.push(Diagnostic::new(
            DiagnosticCode::Collinearity,
            format!("dropped for collinearity: {}", collinear.join(", ")),
        ));
    }
    let dist = RefDist::Normal;
    let coefficients = keep
        .iter()
        .enumerate()
        .map(|(j, &src)| Estimate::new(names[src].clone(), fit.coefficients[j], vcov[j][j].sqrt(), &dist, p.alpha))
        .collect();
    let n_scale = usize::from(!p.family.fixed_dispersion());
    Ok(GlmResult {
        coefficients,
        vcov,
        vcov_type: p.vcov.describe(),
        family: p.family,
        n_obs: n,
        drops: mf.drops.clone(),
        collinear,
        deviance: fit.deviance,
        null_deviance: fit.null_deviance,
        loglik: fit.loglik,
        aic: -2.0 * fit.loglik + 2.0 * (kk + n_scale) as f64,
        pearson_chi2: fit.pearson_chi2,
        dispersion: fit.dispersion,
        df_resid: n - kk,
        iterations: fit.iterations,
        converged: fit.converged,
        warnings,
        params: p.clone(),
        recipes: keep.iter().map(|&j| mf.recipes[j].clone()).collect(),
        version: crate::VERSION.to_string(),
        fit: Some(fit),
        rows: mf.rows,
    })
}
