//! Persistence over periods: is a unit's performance stable, or noise?
//!
//! # Method
//! With performance $d_{it}$ and variance $v_{it}$ for every unit and period:
//! - the correlation across units of performance in consecutive periods (Pearson), per pair
//!   of periods and averaged;
//! - per unit, the precision-weighted mean $\bar d_i = \sum_t d_{it}/v_{it} / \sum_t 1/v_{it}$,
//!   its z-statistic $\bar d_i \sqrt{\sum_t 1/v_{it}}$ (H0: the unit performs as expected in
//!   every period) and the heterogeneity statistic $Q_i = \sum_t (d_{it} - \bar d_i)^2/v_{it}
//!   \sim \chi^2_{T_i-1}$ (H0: its performance is the same in every period, up to noise);
//! - overall, a random-intercept model of $d_{it}$ by unit with weights $1/v_{it}$, by ML
//!   ([`crate::regression::fit_random_intercept`]): the persistent between-unit variance
//!   $\sigma_u^2$, and the likelihood-ratio test of $\sigma_u^2 = 0$ with the boundary
//!   null distribution $\tfrac12\chi^2_0 + \tfrac12\chi^2_1$ (Self & Liang 1987).

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use crate::regression::fit_random_intercept;
use crate::Result;

/// One unit's persistence statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitPersistence {
    /// Unit.
    pub unit: String,
    /// Periods observed.
    pub n_periods: usize,
    /// Precision-weighted mean performance.
    pub mean_performance: f64,
    /// Its standard error.
    pub std_error: f64,
    /// p-value of H0: performance 0 in every period.
    pub p_persistent: f64,
    /// Heterogeneity statistic Q.
    pub q: f64,
    /// p-value of H0: performance constant over periods.
    pub p_unstable: f64,
}

/// Panel persistence report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Persistence {
    /// (period, previous period, correlation, units in both).
    pub correlations: Vec<(String, String, f64, usize)>,
    /// Mean of the consecutive-period correlations.
    pub mean_correlation: f64,
    /// Persistent between-unit variance of performance.
    pub persistent_variance: f64,
    /// Residual variance multiplier (1 when the noise model is right).
    pub noise_multiplier: f64,
    /// Likelihood-ratio statistic for a persistent unit component.
    pub lr_statistic: f64,
    /// Its p-value (boundary mixture).
    pub lr_p_value: f64,
    /// Per-unit statistics.
    pub units: Vec<UnitPersistence>,
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// Persistence from per-row performance `d`, variance `v`, unit and period codes.
pub(crate) fn persistence(
    d: &[f64],
    v: &[f64],
    unit: &[u32],
    unit_labels: &[String],
    period: &[u32],
    period_labels: &[String],
) -> Result<Persistence> {
    let (nu, np) = (unit_labels.len(), period_labels.len());
    let mut cell = vec![vec![None; np]; nu];
    for i in 0..d.len() {
        cell[unit[i] as usize][period[i] as usize] = Some(i);
    }
    let mut correlations = Vec::new();
    for t in 1..np {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for row in &cell {
            if let (Some(i), Some(j)) = (row[t - 1], row[t]) {
                a.push(d[i]);
                b.push(d[j]);
            }
        }
        if a.len() >= 3 {
            correlations.push((period_labels[t].clone(), period_labels[t - 1].clone(), pearson(&b, &a), a.len()));
        }
    }
    let mean_correlation = correlations.iter().map(|c| c.2).sum::<f64>() / correlations.len().max(1) as f64;
    let normal = Normal::standard();
    let units = (0..nu)
        .map(|u| {
            let idx: Vec<usize> = cell[u].iter().flatten().copied().collect();
            let sw: f64 = idx.iter().map(|&i| 1.0 / v[i]).sum();
            let mean = idx.iter().map(|&i| d[i] / v[i]).sum::<f64>() / sw;
            let q: f64 = idx.iter().map(|&i| (d[i] - mean).powi(2) / v[i]).sum();
            let df = idx.len().saturating_sub(1) as f64;
            let p_unstable = if df > 0.0 { ChiSquared::new(df).map_or(f64::NAN, |c| c.sf(q)) } else { f64::NAN };
            UnitPersistence {
                unit: unit_labels[u].clone(),
                n_periods: idx.len(),
                mean_performance: mean,
                std_error: (1.0 / sw).sqrt(),
                p_persistent: 2.0 * normal.sf((mean * sw.sqrt()).abs()),
                q,
                p_unstable,
            }
        })
        .collect();
    // Random-intercept model of performance with weights 1/v, by ML.
    let n = d.len();
    let w: Vec<f64> = v.iter().map(|v| 1.0 / v).collect();
    let ones = vec![1.0; n];
    let fit = fit_random_intercept(&ones, n, 1, d, unit, nu, Some(&w), false)?;
    // Log-likelihood without the unit component (weighted mean only).
    let sw: f64 = w.iter().sum();
    let mean = d.iter().zip(&w).map(|(d, w)| d * w).sum::<f64>() / sw;
    let r: f64 = d.iter().zip(&w).map(|(d, w)| w * (d - mean).powi(2)).sum();
    let nf = n as f64;
    let ll0 = -0.5 * (nf * (1.0 + (2.0 * std::f64::consts::PI * r / nf).ln()) - w.iter().map(|w| w.ln()).sum::<f64>());
    let lr = (2.0 * (fit.loglik - ll0)).max(0.0);
    let lr_p_value = 0.5 * ChiSquared::new(1.0).map_or(f64::NAN, |c| c.sf(lr)) * if lr > 0.0 { 1.0 } else { 2.0 };
    Ok(Persistence {
        correlations,
        mean_correlation,
        persistent_variance: fit.variance_components.group,
        noise_multiplier: fit.variance_components.residual,
        lr_statistic: lr,
        lr_p_value: lr_p_value.min(1.0),
        units,
    })
}
