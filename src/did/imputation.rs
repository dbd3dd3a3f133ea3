//! Borusyak, Jaravel & Spiess (2024) imputation estimator with its conservative standard errors
//! and pre-trend test.
//!
//! # Model
//! 1. Fit $y_{it} = \alpha_i + \lambda_t + x_{it}'\delta + \varepsilon_{it}$ on the untreated
//!    observations $\Omega_0$ (never treated, or before the cohort's first treated period) with
//!    the fixed-effect [`Demeaner`].
//! 2. Impute $\hat y_{it}(0) = \hat\alpha_i + \hat\lambda_t + x_{it}'\hat\delta$ for every treated
//!    observation and take $\hat\tau_{it} = y_{it} - \hat y_{it}(0)$.
//! 3. Average: $\hat\tau_w = \sum_{\Omega_1} w_{it}\hat\tau_{it}$ with $w$ equal over treated
//!    observations at event time $h$ (the horizon effects) or over all treated observations
//!    (the ATT).
//!
//! The estimator is linear in $y$: $\hat\tau_w = \sum_{it} v_{it} y_{it}$ with $v = w$ on
//! $\Omega_1$ and, on $\Omega_0$,
//! $v_0 = -[F_0 c + \tilde X_0(\tilde X_0'\tilde X_0)^{-1}(X_1'w - X_0'F_0 c)]$ where $F$ holds
//! the unit and period dummies, $F_0'F_0\,c = F_1'w$ (solved exactly by eliminating the units and
//! factoring the periods' Schur complement) and $\tilde X_0$ are the demeaned covariates. The
//! conservative variance (BJS Theorem 3) is
//! $\hat\sigma^2 = \sum_{\text{clusters}} \big(\sum_{it} v_{it}\tilde\varepsilon_{it}\big)^2$ with
//! $\tilde\varepsilon$ the step-1 residual on $\Omega_0$ and $\hat\tau_{it} - \bar\tau_{g,t}$ on
//! $\Omega_1$, where $\bar\tau_{g,t}$ averages the cohort-period cell with weights
//! $v_{it}\sum_{s \in \text{cluster and cell}} v_{is}$ (their "smart" averaging, Stata
//! `did_imputation`'s default `avgeffectsby(cohort, period)`).
//!
//! **Pre-trend test** (BJS Test 1): on $\Omega_0$ alone, regress $y$ on the fixed effects,
//! covariates and dummies for event times $-1, \dots, -K$ (`pretrends = K`) with CR1 standard
//! errors by cluster; report each coefficient and the joint Wald test that all are zero.
//!
//! # Defaults
//! All observed horizons, no pre-trend dummies (`pretrends = 0`), no covariates, clusters = units,
//! `alpha = 0.05` with normal critical values.
//!
//! # Errors
//! [`DidError::NothingToEstimate`] when no treated observation can be imputed; data and cohort
//! errors. Treated observations whose unit or period has no untreated observation cannot be
//! imputed: they are dropped and counted in a warning (with always-treated units, reported in
//! the timing report).
//!
//! # References
//! Borusyak, K., Jaravel, X. & Spiess, J. (2024). Revisiting event-study designs: robust and
//! efficient estimation. Review of Economic Studies 91(6). Matched against did-imputation 0.1.0
//! (a Python port of Stata `did_imputation`) in `tests/did_event_reference.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event_result::{
    CohortEffect, EventStudyMethod, EventStudyParams, EventStudyResult, EventTimeEstimate, WaldTest,
};
use super::staggered::{model_frame, quote, require_name, show_list, timing_source, Staggered, TIME, UNIT, Y};
use super::DidError;
use crate::data::{Column, Factor, Frame, Rows};
use crate::inference::RefDist;
use crate::linalg::{cross, gram, independent_columns, spd_solve_inverse, DemeanOptions, Demeaner};
use crate::regression::{Feols, Vcov};
use crate::results::{Diagnostic, DiagnosticCode, Estimate};
use crate::traits::Validated;
use crate::Result;

/// Fewer effective treated observations than this behind an estimate: warn (Stata
/// `did_imputation` suppresses such estimates at its default `minn(30)`).
const MIN_EFFECTIVE_N: f64 = 30.0;

/// Borusyak-Jaravel-Spiess imputation estimator.
///
/// # Defaults
/// `horizons` all observed, `pretrends` 0, `covariates` none, `cluster` the unit, `alpha` 0.05.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DidImputation {
    /// Outcome column.
    pub outcome: String,
    /// Unit id column.
    pub unit: String,
    /// Period column.
    pub time: String,
    /// First treated period column (0 or missing: never treated); empty when `treatment` is given.
    pub cohort: String,
    /// Instead of `cohort`: a 0/1 treatment column (the cohort is its first period at 1; it
    /// must not switch off).
    pub treatment: Option<String>,
    /// Time-varying covariates (their coefficients are fitted on untreated observations).
    pub covariates: Vec<String>,
    /// Event times to estimate (`None`: every observed event time >= 0).
    pub horizons: Option<Vec<i64>>,
    /// Number of pre-treatment event times (-1..-K) in the pre-trend test (0: no test); at most
    /// the earliest pre-treatment event time in the data (larger is an `InvalidParam` error).
    pub pretrends: usize,
    /// Cluster column (default: the unit).
    pub cluster: Option<String>,
    /// 1 - confidence level.
    pub alpha: f64,
}

impl Default for DidImputation {
    fn default() -> Self {
        DidImputation::new("", "", "", "")
    }
}

impl DidImputation {
    /// Params for the given column roles, other options at their defaults.
    pub fn new(
        outcome: impl Into<String>,
        unit: impl Into<String>,
        time: impl Into<String>,
        cohort: impl Into<String>,
    ) -> Self {
        DidImputation {
            outcome: outcome.into(),
            unit: unit.into(),
            time: time.into(),
            cohort: cohort.into(),
            treatment: None,
            covariates: Vec::new(),
            horizons: None,
            pretrends: 0,
            cluster: None,
            alpha: 0.05,
        }
    }

    /// Estimate these horizons only.
    pub fn horizons(mut self, h: Vec<i64>) -> Self {
        self.horizons = Some(h);
        self
    }

    /// Test `k` pre-treatment event times.
    pub fn pretrends(mut self, k: usize) -> Self {
        self.pretrends = k;
        self
    }

    /// Take the timing from a 0/1 treatment column instead of the cohort column.
    pub fn treatment(mut self, col: impl Into<String>) -> Self {
        self.cohort.clear();
        self.treatment = Some(col.into());
        self
    }

    /// Add covariates.
    pub fn covariates<S: Into<String>>(mut self, cols: impl IntoIterator<Item = S>) -> Self {
        self.covariates = cols.into_iter().map(Into::into).collect();
        self
    }

    /// Check the options.
    ///
    /// # Errors
    /// [`crate::ParamsError::InvalidParam`] for an empty column name, alpha outside (0, 1), a
    /// negative or repeated horizon.
    pub fn validate(self) -> Result<Validated<DidImputation>> {
        for (name, v) in [("outcome", &self.outcome), ("unit", &self.unit), ("time", &self.time)] {
            require_name(name, v)?;
        }
        timing_source(&self.cohort, self.treatment.as_deref())?;
        let bad =
            |name, value: String, reason: &str| crate::ParamsError::InvalidParam { name, value, reason: reason.into() };
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(bad("alpha", self.alpha.to_string(), "must be between 0 and 1").into());
        }
        if let Some(h) = &self.horizons {
            let mut s = h.clone();
            s.sort_unstable();
            s.dedup();
            if h.is_empty() || s.len() != h.len() || s[0] < 0 {
                return Err(bad(
                    "horizons",
                    format!("{h:?}"),
                    "must be distinct event times >= 0 (use pretrends for event times before treatment)",
                )
                .into());
            }
        }
        Ok(Validated::new(self))
    }

    /// Validate and fit.
    ///
    /// # Errors
    /// See the module docs.
    pub fn fit(self, frame: &Frame<'_>) -> Result<EventStudyResult> {
        self.validate()?.fit(frame)
    }
}

/// Dense codes over a subset (levels ordered by first appearance is fine: only used internally).
fn recode(codes: impl Iterator<Item = usize>, n_levels: usize) -> (Vec<u32>, Vec<u32>, usize) {
    let mut map = vec![u32::MAX; n_levels];
    let mut next = 0u32;
    let out = codes
        .map(|c| {
            if map[c] == u32::MAX {
                map[c] = next;
                next += 1;
            }
            map[c]
        })
        .collect();
    (out, map, next as usize)
}

/// The step-1 design on the untreated observations.
struct Untreated {
    /// Input rows.
    rows: Vec<usize>,
    /// Dense unit and period codes of those rows.
    u: Vec<u32>,
    t: Vec<u32>,
    /// Maps from panel codes to dense codes (`u32::MAX`: absent).
    umap: Vec<u32>,
    tmap: Vec<u32>,
    nu: usize,
    nt: usize,
    /// Demeaned covariates (column-major) and `(X~'X~)^-1`.
    xt: Vec<f64>,
    xtx_inv: Vec<Vec<f64>>,
}

impl Untreated {
    /// Solve `F0'F0 c = b` (units first, then periods) by eliminating the units and factoring the
    /// periods' Schur complement with the first period's effect fixed at zero; returns `F0 c`
    /// on the untreated rows.
    fn fe_solve(&self, bu: &[f64], bt: &[f64]) -> Result<Vec<f64>> {
        let mut n_u = vec![0.0; self.nu];
        self.u.iter().for_each(|&u| n_u[u as usize] += 1.0);
        let mut by_unit: Vec<Vec<usize>> = vec![Vec::new(); self.nu];
        self.u.iter().zip(&self.t).for_each(|(&u, &t)| by_unit[u as usize].push(t as usize));
        let nt = self.nt;
        let mut s = vec![vec![0.0; nt]; nt];
        let mut rhs = bt.to_vec();
        for (i, ts) in by_unit.iter().enumerate() {
            for &a in ts {
                s[a][a] += 1.0;
                rhs[a] -= bu[i] / n_u[i];
                for &b in ts {
                    s[a][b] -= 1.0 / n_u[i];
                }
            }
        }
        let sub: Vec<Vec<f64>> = s[1..].iter().map(|r| r[1..].to_vec()).collect();
        let (ct_rest, _) = spd_solve_inverse(&sub, &rhs[1..], "period block of the untreated fixed effects")?;
        let ct: Vec<f64> = std::iter::once(0.0).chain(ct_rest).collect();
        let cu: Vec<f64> =
            (0..self.nu).map(|i| (bu[i] - by_unit[i].iter().map(|&t| ct[t]).sum::<f64>()) / n_u[i]).collect();
        Ok(self.u.iter().zip(&self.t).map(|(&u, &t)| cu[u as usize] + ct[t as usize]).collect())
    }
}

impl Validated<DidImputation> {
    /// Fit on `frame`.
    ///
    /// # Errors
    /// See the module docs.
    pub fn fit(&self, frame: &Frame<'_>) -> Result<EventStudyResult> {
        let p = &**self;
        let data =
            Staggered::new(frame, &p.outcome, &p.unit, &p.time, timing_source(&p.cohort, p.treatment.as_deref())?)?;
        let covs: Vec<&Column<'_>> =
            p.covariates.iter().map(|c| frame.numeric(c, "a covariate")).collect::<std::result::Result<_, _>>()?;
        let n = data.n_rows();
        let complete = |i: usize| !data.y[i].is_nan() && covs.iter().all(|c| !c.is_missing(i));
        let n_missing = (0..n).filter(|&i| !complete(i)).count();
        let treated = |i: usize| data.cohort(i).is_some_and(|g| data.period(i) >= g);
        let rows0: Vec<usize> = (0..n).filter(|&i| complete(i) && !treated(i)).collect();
        if rows0.is_empty() {
            return Err(DidError::NothingToEstimate {
                reason: "no untreated observation to fit the unit and period effects on".into(),
            }
            .into());
        }
        let (u, umap, nu) = recode(rows0.iter().map(|&i| data.unit(i)), data.panel.unit.n_levels());
        let (t, tmap, nt) = recode(rows0.iter().map(|&i| data.t(i)), data.panel.periods.len());
        let n0 = rows0.len();
        let opts = DemeanOptions { tol: 1e-12, max_iter: 100_000, ..DemeanOptions::default() };
        let demeaner = Demeaner::new(vec![&u, &t], &[nu, nt], None);
        // Covariates: demeaned on the untreated sample; delta from the within regression.
        let x0: Vec<f64> =
            covs.iter().flat_map(|c| rows0.iter().map(move |&i| c.value(i).unwrap_or(f64::NAN))).collect();
        let mut xt = x0.clone();
        demeaner.demean_columns(&mut xt, &opts);
        // Covariates absorbed by the fixed effects or collinear with earlier ones are dropped and
        // reported, as `feols` does (the same rule and tolerance).
        let (kept, x0, xt, collinear) = drop_collinear(&p.covariates, covs.clone(), x0, xt, n0);
        let k = kept.len();
        let mut y0: Vec<f64> = rows0.iter().map(|&i| data.y[i]).collect();
        let (delta, xtx_inv) = if k > 0 {
            let mut yt = y0.clone();
            demeaner.demean(&mut yt, &opts);
            spd_solve_inverse(
                &gram(&xt, n0, k, None),
                &cross(&xt, n0, k, &yt, None),
                "covariates on untreated observations",
            )?
        } else {
            (Vec::new(), Vec::new())
        };
        for (j, d) in delta.iter().enumerate() {
            y0.iter_mut().zip(&x0[j * n0..(j + 1) * n0]).for_each(|(y, x)| *y -= d * x);
        }
        let (conv, alphas) = demeaner.demean(&mut y0, &opts);
        let resid0 = y0; // y - FE - x'delta on the untreated rows
        let design = Untreated { rows: rows0, u, t, umap, tmap, nu, nt, xt, xtx_inv };

        // Impute the treated observations whose unit and period have untreated observations.
        let xval = |i: usize| kept.iter().map(|c| c.value(i).unwrap_or(f64::NAN)).collect::<Vec<f64>>();
        let mut rows1 = Vec::new();
        let mut tau = Vec::new();
        let mut n_not_imputable = 0usize;
        for i in (0..n).filter(|&i| complete(i) && treated(i)) {
            let (cu, ct) = (design.umap[data.unit(i)], design.tmap[data.t(i)]);
            if cu == u32::MAX || ct == u32::MAX {
                if !data.first_period_treated(i) {
                    n_not_imputable += 1;
                }
                continue;
            }
            let fit = alphas[0][cu as usize]
                + alphas[1][ct as usize]
                + xval(i).iter().zip(&delta).map(|(x, d)| x * d).sum::<f64>();
            rows1.push(i);
            tau.push(data.y[i] - fit);
        }
        if rows1.is_empty() {
            return Err(DidError::NothingToEstimate {
                reason:
                    "no treated observation can be imputed (every treated unit or period lacks untreated observations)"
                        .into(),
            }
            .into());
        }
        let mut warnings = Vec::new();
        if !collinear.is_empty() {
            warnings.push(Diagnostic::new(
                crate::results::DiagnosticCode::Collinearity,
                format!("dropped for collinearity: {}", collinear.join(", ")),
            ));
        }
        if n_not_imputable > 0 {
            warnings.push(Diagnostic::new(
                DiagnosticCode::NotImputable,
                format!("{n_not_imputable} treated observation(s) dropped: their unit or period has no untreated observation to impute from"),
            ));
        }
        if !conv.converged {
            warnings.push(Diagnostic::new(
                DiagnosticCode::Convergence,
                "fixed-effect demeaning of the untreated sample did not converge",
            ));
        }

        // Clusters.
        let all_rows = Rows::All(n);
        let cluster_fac = match &p.cluster {
            Some(c) => {
                let col = frame.column(c)?;
                if let Some(i) = (0..n).find(|&i| col.is_missing(i)) {
                    return Err(crate::data::DataError::InvalidValue {
                        name: c.clone(),
                        reason: format!("missing cluster at row {i}"),
                    }
                    .into());
                }
                Factor::encode(col, &all_rows)
            }
            None => data.panel.unit.clone(),
        };
        let n_cl = cluster_fac.n_levels();
        let cl = |i: usize| cluster_fac.codes[i] as usize;
        let mut used = vec![false; n_cl];
        design.rows.iter().chain(&rows1).for_each(|&i| used[cl(i)] = true);
        crate::data::require_clusters(p.cluster.as_deref().unwrap_or(&p.unit), used.iter().filter(|u| **u).count())?;

        // Estimands: horizons and the ATT.
        let e1: Vec<i64> = rows1.iter().map(|&i| data.event_time(i).unwrap_or_default()).collect();
        let horizons: Vec<i64> = match &p.horizons {
            Some(h) => h.clone(),
            None => {
                let mut h = e1.clone();
                h.sort_unstable();
                h.dedup();
                h
            }
        };
        let mut observed: Vec<i64> = e1.clone();
        observed.sort_unstable();
        observed.dedup();
        let empty: Vec<i64> = horizons.iter().copied().filter(|h| observed.binary_search(h).is_err()).collect();
        if !empty.is_empty() {
            let what = format!(
                "horizon(s) {} have no imputable treated observation (observed horizons: {})",
                show_list(&empty),
                show_list(&observed)
            );
            if empty.len() == horizons.len() {
                return Err(DidError::NothingToEstimate { reason: what }.into());
            }
            warnings.push(Diagnostic::new(
                crate::results::DiagnosticCode::Identification,
                format!("{what}: they are left out"),
            ));
        }
        let dist = RefDist::Normal;
        let x1: Vec<Vec<f64>> = rows1.iter().map(|&i| xval(i)).collect();
        let estimate = |term: String, w1: &[f64]| -> Result<Option<(Estimate, usize, Vec<f64>)>> {
            let n_used = w1.iter().filter(|w| **w != 0.0).count();
            if n_used == 0 {
                return Ok(None);
            }
            let est: f64 = w1.iter().zip(&tau).map(|(w, t)| w * t).sum();
            // v on untreated rows.
            let mut bu = vec![0.0; design.nu];
            let mut bt = vec![0.0; design.nt];
            for (&i, &w) in rows1.iter().zip(w1) {
                bu[design.umap[data.unit(i)] as usize] += w;
                bt[design.tmap[data.t(i)] as usize] += w;
            }
            let f0c = design.fe_solve(&bu, &bt)?;
            let mut v0: Vec<f64> = f0c.iter().map(|x| -x).collect();
            if k > 0 {
                let mut g = vec![0.0; k];
                for (xr, &w) in x1.iter().zip(w1) {
                    g.iter_mut().zip(xr).for_each(|(gj, x)| *gj += w * x);
                }
                for (j, gj) in g.iter_mut().enumerate() {
                    *gj -= x0[j * n0..(j + 1) * n0].iter().zip(&f0c).map(|(x, c)| x * c).sum::<f64>();
                }
                let a: Vec<f64> = design.xtx_inv.iter().map(|r| r.iter().zip(&g).map(|(x, y)| x * y).sum()).collect();
                for (j, aj) in a.iter().enumerate() {
                    v0.iter_mut().zip(&design.xt[j * n0..(j + 1) * n0]).for_each(|(v, x)| *v -= aj * x);
                }
            }
            // Treated residuals: tau minus its "smart" cohort x period average.
            let mut s_cl: BTreeMap<(usize, i64, usize), f64> = BTreeMap::new();
            for (&i, &w) in rows1.iter().zip(w1) {
                *s_cl.entry((cl(i), data.cohort(i).unwrap_or_default(), data.t(i))).or_default() += w;
            }
            let mut num: BTreeMap<(i64, usize), f64> = BTreeMap::new();
            let mut den: BTreeMap<(i64, usize), f64> = BTreeMap::new();
            for ((&i, &w), &tv) in rows1.iter().zip(w1).zip(&tau) {
                let key = (data.cohort(i).unwrap_or_default(), data.t(i));
                let sw = w * s_cl[&(cl(i), key.0, key.1)];
                *num.entry(key).or_default() += sw * tv;
                *den.entry(key).or_default() += sw;
            }
            let mut by_cluster = vec![0.0; n_cl];
            for ((&i, &w), &tv) in rows1.iter().zip(w1).zip(&tau) {
                let key = (data.cohort(i).unwrap_or_default(), data.t(i));
                let avg = if den[&key] != 0.0 { num[&key] / den[&key] } else { 0.0 };
                by_cluster[cl(i)] += w * (tv - avg);
            }
            for ((&i, v), r) in design.rows.iter().zip(&v0).zip(&resid0) {
                by_cluster[cl(i)] += v * r;
            }
            let se = by_cluster.iter().map(|s| s * s).sum::<f64>().sqrt();
            Ok(Some((Estimate::new(term, est, se, &dist, p.alpha), n_used, by_cluster)))
        };
        let mut event_times = Vec::new();
        let mut cluster_scores: Vec<Vec<f64>> = Vec::new();
        let mut effective = Vec::new();
        for &h in &horizons {
            let n_h = e1.iter().filter(|&&e| e == h).count();
            let w1: Vec<f64> = e1.iter().map(|&e| if e == h && n_h > 0 { 1.0 / n_h as f64 } else { 0.0 }).collect();
            if let Some((est, n_used, scores)) = estimate(format!("event_time::{h}"), &w1)? {
                cluster_scores.push(scores);
                if (n_used as f64) < MIN_EFFECTIVE_N {
                    effective.push(h.to_string());
                }
                event_times.push(EventTimeEstimate::new(h, est, n_used));
            }
        }
        if !effective.is_empty() {
            warnings.push(Diagnostic::new(
                DiagnosticCode::SmallClusters,
                format!("fewer than {MIN_EFFECTIVE_N} treated observations behind event time(s) {}: standard errors may be unreliable", effective.join(", ")),
            ));
        }
        let n1 = rows1.len() as f64;
        let att = estimate("ATT".into(), &vec![1.0 / n1; rows1.len()])?.map(|x| x.0);
        // Cohort x event-time cells, for plots by cohort (standard errors of each cell average).
        let single = data.single_unit_cohorts();
        warnings.extend(data.single_unit_warning());
        let mut cohort_effects = Vec::new();
        let mut cells: BTreeMap<(i64, i64), usize> = BTreeMap::new();
        for &i in &rows1 {
            *cells.entry((data.cohort(i).unwrap_or_default(), data.event_time(i).unwrap_or_default())).or_default() +=
                1;
        }
        for (&(g, e), &cnt) in &cells {
            let n_e = e1.iter().filter(|&&x| x == e).count();
            let w1: Vec<f64> = rows1
                .iter()
                .zip(&e1)
                .map(|(&i, &x)| if x == e && data.cohort(i) == Some(g) { 1.0 / cnt as f64 } else { 0.0 })
                .collect();
            if let Some((est, _, _)) = estimate(format!("cohort::{g}:event_time::{e}"), &w1)? {
                let cell = CohortEffect {
                    cohort: g,
                    event_time: e,
                    estimate: est,
                    weight: cnt as f64 / n_e as f64,
                    n_obs: cnt,
                };
                cohort_effects.push(if single.contains(&g) { cell.without_std_error() } else { cell });
            }
        }

        // Pre-trend test on the untreated observations.
        let (pre, pretrend) = if p.pretrends > 0 {
            let lags = pretrend_lags(&data, &design.rows, p.pretrends, &mut warnings)?;
            self.pretrend_test(&data, frame, &design.rows, &lags)?
        } else {
            (Vec::new(), None)
        };
        // Covariance of the horizon estimates: sums over clusters of products of their scores.
        let vcov: Vec<Vec<f64>> = cluster_scores
            .iter()
            .map(|a| cluster_scores.iter().map(|b| a.iter().zip(b).map(|(x, y)| x * y).sum()).collect())
            .collect();
        let mut all = pre;
        all.extend(event_times);
        let mut units: Vec<usize> = design.rows.iter().chain(&rows1).map(|&i| data.unit(i)).collect();
        units.sort_unstable();
        units.dedup();
        Ok(EventStudyResult {
            method: EventStudyMethod::Imputation,
            event_times: all,
            vcov,
            att,
            cohort_effects,
            pretrend,
            reference: None,
            n_obs: design.rows.len() + rows1.len(),
            n_units: units.len(),
            cluster: (p.cluster.clone().unwrap_or_else(|| p.unit.clone()), n_cl),
            n_missing,
            control: "never_treated_and_not_yet_treated".into(),
            timing: data.timing.report.clone(),
            warnings,
            params: EventStudyParams::Imputation(p.clone()),
            df_t: None,
            version: crate::VERSION.to_string(),
        })
    }

    /// BJS Test 1: `y ~ 1{e = -1} + ... + 1{e = -K} + covariates | unit + period` on the
    /// untreated rows, CR1 by cluster; `lags` are the `h` of the event times `-h` tested.
    fn pretrend_test(
        &self,
        data: &Staggered,
        frame: &Frame<'_>,
        rows0: &[usize],
        lags: &[i64],
    ) -> Result<(Vec<EventTimeEstimate>, Option<WaldTest>)> {
        let p = &**self;
        // Bounded by the data: one dummy per pre-treatment event time the untreated rows have.
        let most = rows0.iter().filter_map(|&i| data.event_time(i)).filter(|e| *e < 0).map(|e| -e).max().unwrap_or(0);
        if p.pretrends as i64 > most {
            let reason = format!("the earliest pre-treatment event time in the data is -{most}; use at most {most}");
            let value = p.pretrends.to_string();
            return Err(crate::ParamsError::InvalidParam { name: "pretrends", value, reason }.into());
        }
        let mut extra = Vec::new();
        let mut terms = Vec::new();
        for &h in lags {
            let name = format!(".pre{h}");
            let col: Vec<f64> = rows0.iter().map(|&i| if data.event_time(i) == Some(-h) { 1.0 } else { 0.0 }).collect();
            extra.push((name.clone(), Column::Float(col.into())));
            terms.push(name);
        }
        terms.extend(p.covariates.iter().map(|c| quote(c)));
        let mut copy: Vec<&str> = p.covariates.iter().map(String::as_str).collect();
        if let Some(c) = &p.cluster {
            copy.push(c);
        }
        let mf = model_frame(data, frame, rows0, &copy, extra)?;
        let formula = format!("{Y} ~ {} | {UNIT} + {TIME}", terms.join(" + "));
        let mut params = Feols::new(formula).vcov(Vcov::cr1([p.cluster.as_deref().unwrap_or(UNIT)]));
        params.alpha = p.alpha;
        let fit = params.fit(&mf)?;
        let mut out = Vec::new();
        let mut idx = Vec::new();
        let lost: Vec<String> = lags
            .iter()
            .filter(|h| !fit.coefficients.iter().any(|e| e.term == format!(".pre{h}")))
            .map(|h| (-h).to_string())
            .collect();
        if !lost.is_empty() {
            return Err(DidError::NotIdentified {
                estimator: "did_imputation",
                what: format!("pre-trend event time(s) {}", lost.join(", ")),
                advice: "use fewer pretrends: when the pre-trend dummies cover every untreated period of the treated units they sum to those units' effects",
            }
            .into());
        }
        for &h in lags.iter().rev() {
            let name = format!(".pre{h}");
            if let Some(j) = fit.coefficients.iter().position(|e| e.term == name) {
                let c = &fit.coefficients[j];
                let n_obs = rows0.iter().filter(|&&i| data.event_time(i) == Some(-h)).count();
                out.push(EventTimeEstimate::new(
                    -h,
                    Estimate { term: format!("event_time::{}", -h), ..c.clone() },
                    n_obs,
                ));
                idx.push(j);
            }
        }
        let b: Vec<f64> = idx.iter().map(|&j| fit.coefficients[j].estimate).collect();
        let v: Vec<Vec<f64>> = idx.iter().map(|&a| idx.iter().map(|&c| fit.vcov[a][c]).collect()).collect();
        Ok((out, WaldTest::chi2("pre-treatment coefficients are zero (BJS Test 1)", &b, &v)))
    }
}

/// The pre-trend lags `h` (event times `-h`, `1 <= h <= pretrends`) with untreated
/// observations; the requested ones without any are reported in `warnings`.
///
/// # Errors
/// [`DidError::NothingToEstimate`] when none of the requested event times is observed.
fn pretrend_lags(
    data: &Staggered,
    rows0: &[usize],
    pretrends: usize,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<i64>> {
    let k = i64::try_from(pretrends).unwrap_or(i64::MAX);
    let seen: std::collections::BTreeSet<i64> =
        rows0.iter().filter_map(|&i| data.event_time(i)).filter(|&e| e < 0).map(|e| -e).collect();
    let lags: Vec<i64> = seen.range(1..=k).copied().collect();
    let deepest = seen.last().copied().unwrap_or(0);
    let mut gaps: Vec<i64> = (1..=k.min(deepest)).filter(|h| !seen.contains(h)).map(|h| -h).collect();
    let beyond = k > deepest;
    if lags.is_empty() {
        return Err(DidError::NothingToEstimate {
            reason: format!("pretrends = {pretrends}: no untreated observation at event times -1 to -{k}"),
        }
        .into());
    }
    if !gaps.is_empty() || beyond {
        gaps.truncate(8);
        let mut what = show_list(&gaps);
        if beyond {
            what = format!("{what}{}every one before -{deepest}", if gaps.is_empty() { "" } else { " and " });
        }
        warnings.push(Diagnostic::new(
            crate::results::DiagnosticCode::Identification,
            format!("pretrends = {pretrends}: pre-treatment event time(s) {what} have no untreated observation and are not tested"),
        ));
    }
    Ok(lags)
}

/// Keep the covariates whose demeaned columns `xt` (column-major, `n0` rows each) are linearly
/// independent ([`independent_columns`] with `feols`' default tolerance, relative to the raw
/// squared norms of `x0`); returns the kept columns, their raw and demeaned values and the
/// names of the dropped ones.
#[allow(clippy::type_complexity)]
fn drop_collinear<'c, 'a>(
    names: &[String],
    covs: Vec<&'c Column<'a>>,
    x0: Vec<f64>,
    xt: Vec<f64>,
    n0: usize,
) -> (Vec<&'c Column<'a>>, Vec<f64>, Vec<f64>, Vec<String>) {
    let k = covs.len();
    if k == 0 {
        return (covs, x0, xt, Vec::new());
    }
    let scale: Vec<f64> = (0..k).map(|j| x0[j * n0..(j + 1) * n0].iter().map(|x| x * x).sum()).collect();
    let keep = independent_columns(&gram(&xt, n0, k, None), &scale, Feols::default().collinear_tol);
    if keep.len() == k {
        return (covs, x0, xt, Vec::new());
    }
    let dropped = (0..k).filter(|j| !keep.contains(j)).map(|j| names[j].clone()).collect();
    let pick = |v: &[f64]| keep.iter().flat_map(|&j| v[j * n0..(j + 1) * n0].iter().copied()).collect::<Vec<f64>>();
    (keep.iter().map(|&j| covs[j]).collect(), pick(&x0), pick(&xt), dropped)
}
