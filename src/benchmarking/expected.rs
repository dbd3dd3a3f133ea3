//! Expected outcome given frame conditions, and the two sources of uncertainty of
//! performance = observed - expected.
//!
//! # Model
//! - `binomial`: $\text{employed}_i \sim \text{Bin}(n_i, p_i)$, $\text{logit}\,p_i = x_i'\beta$
//!   (IRLS, [`crate::regression::fit_glm`]); expected $e_i = \hat p_i$.
//! - `linear`: weighted least squares of the rate on $x_i$ with weights $n_i$
//!   (unweighted without size); expected $e_i = x_i'\hat\beta$.
//!
//! Performance $d_i = r_i - e_i$ has variance $v_i = s_i^2 + g_i' \hat V g_i$: the sampling
//! variance of the observed rate $s_i^2 = e_i(1-e_i)/n_i$ (binomial, evaluated at the
//! expected rate so that a 0 % or 100 % unit still has noise), and the parameter uncertainty
//! through the delta method, $g_i = e_i(1-e_i)x_i$ (binomial) or $g_i = x_i$ (linear),
//! $\hat V$ the model-based variance of $\hat\beta$. Without size the sampling variance is not
//! identified and the residual variance of the linear model is used (every unit is then noise
//! as far as shrinkage is concerned: pass `size`). The small covariance between $r_i$ and
//! $e_i$ (a unit's own leverage, at most $k/n$) is ignored.

use super::params::ExpectedModel;
use super::prepare::Sample;
use crate::regression::{fit_glm_columns, Family, GlmFit, IrlsOptions};
use crate::Result;

/// Expected values and variances per row of the sample.
#[derive(Debug, Clone)]
pub(crate) struct Expected {
    pub fit: GlmFit,
    /// Model-based variance of the coefficients.
    pub vcov: Vec<Vec<f64>>,
    pub expected: Vec<f64>,
    /// Variance of the expected value from parameter uncertainty.
    pub param_var: Vec<f64>,
    /// Sampling variance of the observed rate.
    pub sampling_var: Vec<f64>,
    pub family: Family,
}

pub(crate) fn fit_expected(s: &Sample, model: ExpectedModel) -> Result<Expected> {
    let (n, k) = (s.n(), s.k());
    let family = match model {
        ExpectedModel::Binomial => Family::Binomial,
        ExpectedModel::Linear => Family::Gaussian,
    };
    let fit = match (model, &s.size) {
        (ExpectedModel::Binomial, Some(size)) => {
            let y: Vec<f64> = s.rate.iter().zip(size).map(|(r, m)| r * m).collect();
            fit_glm_columns(&s.x, n, k, &y, None, Some(size), family, &IrlsOptions::default())?
        }
        _ => fit_glm_columns(&s.x, n, k, &s.rate, s.size.as_deref(), None, family, &IrlsOptions::default())?,
    };
    let vcov = fit.vcov();
    let expected = fit.fitted.clone();
    let param_var: Vec<f64> = (0..n)
        .map(|i| {
            let d = match family {
                Family::Binomial => expected[i] * (1.0 - expected[i]),
                _ => 1.0,
            };
            let g: Vec<f64> = (0..k).map(|j| d * s.x[j * n + i]).collect();
            (0..k).map(|a| (0..k).map(|b| g[a] * vcov[a][b] * g[b]).sum::<f64>()).sum::<f64>()
        })
        .collect();
    let sampling_var: Vec<f64> = match &s.size {
        Some(size) => expected.iter().zip(size).map(|(e, m)| (e * (1.0 - e)).max(0.0) / m).collect(),
        None => vec![fit.dispersion; n],
    };
    Ok(Expected { fit, vcov, expected, param_var, sampling_var, family })
}
