//! Cox (1972) proportional-hazards regression by Newton-Raphson on the partial likelihood, with
//! step halving, as R survival's `coxph.fit`/`agreg.fit` (Therneau & Grambsch 2000, ch. 3).
//!
//! The hazard of row $i$ at time $t$ is $\lambda_0^{s(i)}(t) \exp(x_i'\beta + o_i)$ with a baseline
//! per stratum $s$. Each iteration is one risk-set pass ([`super::riskset`]): rows are sorted once
//! by stop time per stratum, strata run in parallel, and a pass costs O(n p^2).
//!
//! Newton step $\beta \leftarrow \beta + I(\beta)^{-1} U(\beta)$; when the log partial
//! likelihood falls, the step is halved towards the last accepted $\beta$. Converged when
//! $|1 - \ell_{old}/\ell_{new}| \le$ `tol` after a full step. A coefficient running to infinity
//! (monotone likelihood, "separation") is reported as R does: at convergence the remaining
//! Newton step $|U' I^{-1}|_j$ exceeds both `tol` and $\sqrt{\text{tol}}\,|\beta_j|$.
//!
//! Tests: likelihood ratio $2(\ell(\hat\beta) - \ell(0))$, Wald $\hat\beta' V^{-1} \hat\beta$
//! (with the robust $V$ when asked), score $U(0)' I(0)^{-1} U(0)$, each $\chi^2_p$.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::params::{check_alpha, Coxph};
use super::result::{ChiTest, CoxResult, HazardRatio};
use super::riskset::{linear_predictor, pass, Keep};
use super::sample::{build, CoxSample, CoxSpec};
use super::SurvivalError;
use crate::data::Frame;
use crate::inference::RefDist;
use crate::regression::SurvFormula;
use crate::results::{Diagnostic, Estimate};
use crate::traits::Validated;

/// A chi-square test with `df` degrees of freedom.
pub(crate) fn chi_test(statistic: f64, df: usize) -> ChiTest {
    let p_value = if df == 0 || !statistic.is_finite() {
        f64::NAN
    } else {
        ChiSquared::new(df as f64).map_or(f64::NAN, |c| c.sf(statistic.max(0.0)))
    };
    ChiTest { statistic, df, p_value }
}

/// Solve `I x = u` (row-major `I`) and return `(x, I^-1)`.
pub(crate) fn solve(imat: &[f64], u: &[f64], what: &'static str) -> Result<(Vec<f64>, Vec<Vec<f64>>), crate::Error> {
    let p = u.len();
    let rows: Vec<Vec<f64>> = (0..p).map(|i| imat[i * p..(i + 1) * p].to_vec()).collect();
    Ok(crate::linalg::spd_solve_inverse(&rows, u, what)?)
}

/// The converged Newton-Raphson state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct NewtonFit {
    pub beta: Vec<f64>,
    pub loglik_null: f64,
    pub loglik: f64,
    pub score_test: f64,
    pub var: Vec<Vec<f64>>,
    pub u: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
}

/// Newton-Raphson with step halving from `beta = 0`.
pub(crate) fn newton(s: &CoxSample, p: &Coxph) -> Result<NewtonFit, crate::Error> {
    let k = s.p;
    let mut beta = vec![0.0; k];
    let eta0 = linear_predictor(s, &beta);
    let (first, _) = pass(s, &eta0, p.ties, Keep::Sums);
    let loglik_null = first.loglik;
    if k == 0 {
        return Ok(NewtonFit {
            beta,
            loglik_null,
            loglik: loglik_null,
            score_test: 0.0,
            var: Vec::new(),
            u: Vec::new(),
            iterations: 0,
            converged: true,
        });
    }
    let (step, _) = solve(&first.imat, &first.u, "the Cox information matrix at beta = 0")?;
    let score_test: f64 = step.iter().zip(&first.u).map(|(a, b)| a * b).sum();
    let mut loglik = loglik_null;
    let mut cur = first;
    let mut newbeta: Vec<f64> = step;
    let mut halving = false;
    let mut converged = false;
    let mut iterations = 0;
    let mut change = f64::INFINITY;
    for iter in 1..=p.max_iter {
        iterations = iter;
        let eta = linear_predictor(s, &newbeta);
        let (next, _) = pass(s, &eta, p.ties, Keep::Sums);
        let newlk = next.loglik;
        change = (1.0 - loglik / newlk).abs();
        if newlk.is_finite() && change <= p.tol && !halving {
            beta = newbeta.clone();
            loglik = newlk;
            cur = next;
            converged = true;
            break;
        }
        if !newlk.is_finite() || newlk < loglik {
            halving = true;
            newbeta = newbeta.iter().zip(&beta).map(|(nb, b)| (nb + b) / 2.0).collect();
            continue;
        }
        halving = false;
        loglik = newlk;
        beta = newbeta.clone();
        let (step, _) = solve(&next.imat, &next.u, "the Cox information matrix")?;
        cur = next;
        newbeta = beta.iter().zip(&step).map(|(b, d)| b + d).collect();
    }
    if !converged {
        // The last accepted beta and its information (R returns the same with a warning).
        let eta = linear_predictor(s, &beta);
        cur = pass(s, &eta, p.ties, Keep::Sums).0;
        loglik = cur.loglik;
    }
    if !loglik.is_finite() {
        return Err(SurvivalError::NotConverged { iterations, change }.into());
    }
    let (_, var) = solve(&cur.imat, &cur.u, "the Cox information matrix at the estimate")?;
    Ok(NewtonFit { beta, loglik_null, loglik, score_test, var, u: cur.u, iterations, converged })
}

/// Coefficients whose remaining Newton step is large against their size: the likelihood
/// converged while they still run off (R's `toler.inf` rule).
pub(crate) fn infinite_coefficients(fit: &NewtonFit, tol: f64) -> Vec<usize> {
    let k = fit.beta.len();
    let toler_inf = tol.sqrt();
    (0..k)
        .filter(|&j| {
            let step: f64 = (0..k).map(|i| fit.u[i] * fit.var[i][j]).sum::<f64>().abs();
            step > tol && step > toler_inf * fit.beta[j].abs()
        })
        .collect()
}

impl Coxph {
    /// Check the options and parse the formula.
    ///
    /// # Errors
    /// [`crate::ParamsError`] for `alpha`, `tol` or `max_iter` out of range,
    /// [`crate::regression::FormulaError`] when the formula does not parse.
    pub fn validate(&self) -> crate::Result<Validated<Coxph>> {
        check_alpha(self.alpha)?;
        if !(self.tol > 0.0 && self.tol < 1.0) {
            return Err(crate::ParamsError::InvalidParam {
                name: "tol",
                value: self.tol.to_string(),
                reason: "must be in (0, 1)".into(),
            }
            .into());
        }
        SurvFormula::parse(&self.formula)?;
        Ok(Validated::new(self.clone()))
    }

    /// Fit the model on `frame`.
    ///
    /// # Errors
    /// Bad times or event codes ([`SurvivalError`]), no events, every regressor collinear,
    /// missing columns, a cluster column with one cluster, a singular information matrix.
    ///
    /// # Examples
    /// ```
    /// use std::borrow::Cow;
    /// use virkning::data::{Column, Frame};
    /// use virkning::survival::Coxph;
    /// let f = |v: Vec<f64>| Column::Float(Cow::Owned(v));
    /// let frame = Frame::new()
    ///     .with_column("time", f(vec![9.0, 1.0, 1.0, 6.0, 6.0, 8.0])).unwrap()
    ///     .with_column("status", f(vec![1.0, 1.0, 0.0, 1.0, 1.0, 0.0])).unwrap()
    ///     .with_column("x", f(vec![0.0, 1.0, 1.0, 1.0, 0.0, 0.0])).unwrap();
    /// let fit = Coxph::new("Surv(time, status) ~ x").fit(&frame).unwrap();
    /// // Therneau & Grambsch's Efron example: beta = 1.676857
    /// assert!((fit.coefficients[0].estimate - 1.676857).abs() < 1e-6);
    /// ```
    pub fn fit(&self, frame: &Frame<'_>) -> crate::Result<CoxResult> {
        self.validate()?.fit(frame)
    }
}

impl Validated<Coxph> {
    /// Fit on `frame` (see [`Coxph::fit`]).
    pub fn fit(&self, frame: &Frame<'_>) -> crate::Result<CoxResult> {
        let p: &Coxph = self;
        let formula = SurvFormula::parse(&p.formula)?;
        let spec = CoxSpec {
            formula: &formula,
            weights: p.weights.as_deref(),
            offset: p.offset.as_deref(),
            cluster: p.cluster.as_deref(),
            collinear_tol: p.collinear_tol,
        };
        let s = build(frame, &spec)?;
        let fit = newton(&s, p)?;
        let robust = p.robust || p.cluster.is_some();
        let mut warnings = Vec::new();
        if !s.collinear.is_empty() {
            warnings.push(Diagnostic::new(
                crate::results::DiagnosticCode::Collinearity,
                format!("dropped as collinear (or constant): {}", s.collinear.join(", ")),
            ));
        }
        if s.n_zero_duration > 0 {
            warnings.push(Diagnostic::new(
                crate::results::DiagnosticCode::ZeroDuration,
                format!("{} rows with a zero duration dropped (no time at risk)", s.n_zero_duration),
            ));
        }
        if !robust && s.weights.iter().any(|w| w.fract() != 0.0) {
            warnings.push(Diagnostic::new(
                crate::results::DiagnosticCode::Weights,
                "non-integer weights with the model-based variance (frequency weights); for sampling weights use robust=True, which R's coxph switches to by default",
            ));
        }
        let inf = infinite_coefficients(&fit, p.tol);
        if !fit.converged && inf.is_empty() {
            warnings.push(Diagnostic::new(
                crate::results::DiagnosticCode::Convergence,
                format!("Newton-Raphson stopped after {} iterations without converging", fit.iterations),
            ));
        }
        if !inf.is_empty() {
            let names: Vec<&str> = inf.iter().map(|&j| s.recipes[j].name.as_str()).collect();
            warnings.push(Diagnostic::new(
                crate::results::DiagnosticCode::Separation,
                format!(
                    "the partial likelihood converged before {}: the coefficient(s) may be infinite (monotone likelihood; an event pattern separated by the regressor)",
                    names.join(", ")
                ),
            ));
        }
        let (vcov, naive_vcov, n_clusters) = if robust && s.p > 0 {
            let (v, g) = super::residuals::robust_vcov(&s, &fit, p.ties);
            (v, Some(fit.var.clone()), Some(g))
        } else {
            (fit.var.clone(), None, None)
        };
        let dist = RefDist::Normal;
        let coefficients: Vec<Estimate> = (0..s.p)
            .map(|j| Estimate::new(s.recipes[j].name.clone(), fit.beta[j], vcov[j][j].sqrt(), &dist, p.alpha))
            .collect();
        let hazard_ratios = coefficients
            .iter()
            .map(|e| HazardRatio {
                term: e.term.clone(),
                hazard_ratio: e.estimate.exp(),
                conf_low: e.conf_low.exp(),
                conf_high: e.conf_high.exp(),
            })
            .collect();
        let wald = if s.p > 0 {
            let rows: Vec<Vec<f64>> = vcov.clone();
            match crate::linalg::spd_solve_inverse(&rows, &fit.beta, "the coefficient variance") {
                Ok((sol, _)) => sol.iter().zip(&fit.beta).map(|(a, b)| a * b).sum(),
                Err(_) => f64::NAN,
            }
        } else {
            0.0
        };
        let n_events = s.event.iter().filter(|&&e| e).count();
        let vcov_type = match (&p.cluster, robust) {
            (Some(_), _) => "cluster",
            (None, true) => "robust",
            _ => "model",
        };
        Ok(CoxResult {
            params: p.clone(),
            coefficients,
            hazard_ratios,
            vcov,
            naive_vcov,
            vcov_type: vcov_type.to_string(),
            loglik_null: fit.loglik_null,
            loglik: fit.loglik,
            likelihood_ratio: chi_test(2.0 * (fit.loglik - fit.loglik_null), s.p),
            wald: chi_test(wald, s.p),
            score: chi_test(fit.score_test, s.p),
            iterations: fit.iterations,
            converged: fit.converged,
            n_obs: s.n,
            n_events,
            n_strata: s.strata_labels.len(),
            strata: s.strata_labels.clone(),
            n_clusters,
            means: s.means.clone(),
            collinear: s.collinear.clone(),
            n_zero_duration: s.n_zero_duration,
            drops: s.drops.clone(),
            warnings,
            recipes: s.recipes.clone(),
            fit: Some(std::sync::Arc::new(super::result::FitState { sample: s, newton: fit })),
        })
    }
}
