//! Fixed-effects OLS (`feols`).
//!
//! # Model
//! $y_i = x_i'\beta + \sum_{q=1}^{Q} \alpha_q[g_q(i)] + \varepsilon_i$, estimated by absorbing the
//! fixed effects (within transformation, see [`crate::linalg::Demeaner`]) and running weighted
//! least squares of $\tilde y$ on $\tilde X$ (Frisch-Waugh-Lovell). Regressors collinear with the
//! fixed effects or with earlier regressors are dropped and named; singletons are removed
//! iteratively. Variances: see [`crate::inference::Scores`].
//!
//! # Defaults
//! As fixest: CR1 clustered by the first fixed effect when there is one (iid otherwise),
//! `ssc(adj = TRUE, fixef.K = "nested", cluster.adj = TRUE, cluster.df = "min")`, t tests with
//! G - 1 degrees of freedom under clustering and N - K otherwise. Unlike fixest, singletons are
//! dropped by default (set `drop_singletons(false)` to keep them).
//!
//! # References
//! Berge (2018); Cameron, Gelbach & Miller (2011); Correia (2015) on singletons. Matched against
//! pyfixest 0.60 (= R fixest) in `tests/regression_reference.rs`.

use super::design::{build, drop_collinear, Evaluator, ModelFrame, SampleSpec};
use super::params::{Feols, FeolsChecked};
use super::result::{FeolsResult, FixedEffectInfo, FixedEffectValues};
use crate::data::{Factor, Frame, Rows};
use crate::inference::{jackknife_vcov, FixefK, InferenceError, RefDist, Scores, VcovType};
use crate::linalg::DemeanOptions;
use crate::linalg::{cross, gram, spd_solve_inverse, Demeaner};
use crate::results::{Convergence, Diagnostic, DiagnosticCode, Estimate};
use crate::traits::Validated;
use crate::Result;

/// Below this many clusters, cluster-robust tests over-reject: say so and point to the wild bootstrap.
const FEW_CLUSTERS: usize = 42;

impl Feols {
    /// Validate and fit on `frame`.
    ///
    /// # Errors
    /// Any params, formula, data or estimation error (see [`Validated::<FeolsChecked>::fit`]).
    ///
    /// # Examples
    /// ```
    /// use std::borrow::Cow;
    /// use virkning::data::{Column, Frame};
    /// use virkning::regression::{Feols, Vcov};
    /// use virkning::inference::VcovType;
    /// // y = 2 x + unit effect, exactly
    /// let unit = vec![1i64, 1, 2, 2, 3, 3];
    /// let x = vec![0.0, 1.0, 0.5, 2.0, 1.0, 4.0];
    /// let y: Vec<f64> = x.iter().zip(&unit).map(|(x, u)| 2.0 * x + *u as f64 * 10.0).collect();
    /// let frame = Frame::new()
    ///     .with_column("unit", Column::Int(Cow::Owned(unit))).unwrap()
    ///     .with_column("x", Column::Float(Cow::Owned(x))).unwrap()
    ///     .with_column("y", Column::Float(Cow::Owned(y))).unwrap();
    /// let fit = Feols::new("y ~ x | unit").vcov(Vcov::new(VcovType::Hc1)).fit(&frame).unwrap();
    /// assert!((fit.coef("x").unwrap().estimate - 2.0).abs() < 1e-10);
    /// ```
    pub fn fit(self, frame: &Frame<'_>) -> Result<FeolsResult> {
        self.validate()?.fit(frame)
    }
}

/// Fit `formula` on `frame` with default options.
pub fn feols(formula: &str, frame: &Frame<'_>) -> Result<FeolsResult> {
    Feols::new(formula).fit(frame)
}

impl Validated<FeolsChecked> {
    /// Fit on `frame`.
    ///
    /// # Errors
    /// Data errors (missing column, non-numeric outcome, infinite values, empty sample, single
    /// cluster), [`RegressionError::AllCollinear`](super::RegressionError::AllCollinear), [`InferenceError`] when the variance cannot be
    /// computed.
    pub fn fit(&self, frame: &Frame<'_>) -> Result<FeolsResult> {
        let p = &self.params;
        let mf = build(
            frame,
            &SampleSpec {
                formula: &self.formula,
                weights: p.weights.as_deref(),
                clusters: &self.vcov.cluster,
                drop_singletons: p.drop_singletons,
            },
        )?;
        estimate(self, mf)
    }
}

fn estimate(chk: &FeolsChecked, mut mf: ModelFrame) -> Result<FeolsResult> {
    let p = &chk.params;
    let (n, k) = (mf.n(), mf.k());
    if let Some(w) = mf.weights.as_mut() {
        super::design::normalise_weights(w);
    }
    let w = mf.weights.as_deref();
    let wsum = |v: &[f64], f: &dyn Fn(f64) -> f64| -> f64 {
        match w {
            None => v.iter().map(|x| f(*x)).sum(),
            Some(w) => v.iter().zip(w).map(|(x, w)| w * f(*x)).sum(),
        }
    };
    // Total sum of squares and column scales before absorbing fixed effects.
    let sw = w.map_or(n as f64, |w| w.iter().sum());
    let ybar = wsum(&mf.yx[..n], &|y| y) / sw;
    let tss = wsum(&mf.yx[..n], &|y| (y - ybar) * (y - ybar));
    let scale: Vec<f64> = (1..=k).map(|j| wsum(&mf.yx[j * n..(j + 1) * n], &|x| x * x)).collect();

    // Few treated clusters (0/1 regressors, raw values): checked before demeaning.
    let names_all: Vec<String> = mf.recipes.iter().map(|r| r.name.clone()).collect();
    let few_treated = match mf.clusters.first() {
        Some((_, c)) => crate::inference::few_treated_clusters(&names_all, &mf.yx[n..], n, c),
        None => Vec::new(),
    };

    // Absorb fixed effects from outcome and regressors.
    let codes: Vec<&[u32]> = mf.fixed_effects.iter().map(|(_, f)| f.codes.as_slice()).collect();
    let levels: Vec<usize> = mf.fixed_effects.iter().map(|(_, f)| f.n_levels()).collect();
    let demeaner = Demeaner::new(codes, &levels, w);
    // CR3 with fixed effects refits without each cluster, so it needs the data before demeaning.
    let original = (chk.vcov.kind == VcovType::Cr3 && demeaner.n_dims() > 0).then(|| mf.yx.clone());
    let mut alphas: Vec<Vec<Vec<f64>>> = Vec::new();
    let mut convergence = Convergence { converged: true, iterations: 0, tolerance: p.demean.tol };
    if demeaner.n_dims() > 0 {
        use rayon::prelude::*;
        let results: Vec<_> = mf.yx.par_chunks_mut(n).map(|col| demeaner.demean(col, &p.demean)).collect();
        for (out, a) in results {
            convergence.converged &= out.converged;
            convergence.iterations = convergence.iterations.max(out.iterations);
            alphas.push(a);
        }
    }
    let tss_within = wsum(&mf.yx[..n], &|y| y * y);

    // Collinearity.
    let names: Vec<String> = mf.recipes.iter().map(|r| r.name.clone()).collect();
    let (keep, collinear, g_full) = drop_collinear(&mut mf.yx, &mf.recipes, w, &scale, p.collinear_tol)?;
    let kk = keep.len();
    let g: Vec<Vec<f64>> = keep.iter().map(|&a| keep.iter().map(|&b| g_full[a][b]).collect()).collect();
    let (y, x) = mf.yx.split_at(n);
    let xty = cross(x, n, kk, y, w);
    let (mut beta, bread) = spd_solve_inverse(&g, &xty, "X'WX")?;
    let residuals = |beta: &[f64]| {
        let mut r = y.to_vec();
        for (j, b) in beta.iter().enumerate() {
            r.iter_mut().zip(&x[j * n..(j + 1) * n]).for_each(|(r, xv)| *r -= b * xv);
        }
        r
    };
    let mut resid = residuals(&beta);
    // Iterative refinement: the normal equations square the condition number; re-solving for
    // the correction X'W(y - Xb) recovers the digits lost (NIST Longley to 1e-10).
    for _ in 0..2 {
        let xtr = cross(x, n, kk, &resid, w);
        let correction: Vec<f64> = bread.iter().map(|row| row.iter().zip(&xtr).map(|(a, c)| a * c).sum()).collect();
        beta.iter_mut().zip(&correction).for_each(|(b, c)| *b += c);
        resid = residuals(&beta);
    }

    // Degrees of freedom.
    let clusters: Vec<&Factor> = mf.clusters.iter().map(|(_, f)| &**f).collect();
    let nested: Vec<bool> = mf.fixed_effects.iter().map(|(_, fe)| clusters.iter().any(|c| nested_in(fe, c))).collect();
    let fe_full = fe_param_count(&levels, &vec![false; levels.len()]);
    let k_full = kk + fe_full;
    if n <= k_full {
        return Err(InferenceError::NoDegreesOfFreedom { n_obs: n, n_params: k_full }.into());
    }
    let k_ssc = kk
        + match p.ssc.fixef_k {
            FixefK::None => 0,
            FixefK::Full => fe_full,
            FixefK::Nested => fe_param_count(&levels, &nested),
        };
    let scores = Scores { x, n, k: kk, resid: &resid, weights: w, bread: &bread };
    let rss = scores.rss();
    let df_resid = n - k_full;
    let mut warnings = Vec::new();
    let g_min = clusters.iter().map(|c| c.n_levels()).min();
    let vcov = match chk.vcov.kind {
        VcovType::Iid => scores.iid(k_full, &p.ssc),
        VcovType::Hc1 => scores.hc1(k_full, &p.ssc),
        VcovType::Hc3 => {
            let mut h = scores.leverage();
            match levels.len() {
                0 => {}
                1 => {
                    let c = &mf.fixed_effects[0].1;
                    let mut swg = vec![0.0; c.n_levels()];
                    c.codes.iter().enumerate().for_each(|(i, &gi)| swg[gi as usize] += w.map_or(1.0, |w| w[i]));
                    h.iter_mut().enumerate().for_each(|(i, hi)| *hi += w.map_or(1.0, |w| w[i]) / swg[c.codes[i] as usize]);
                }
                _ => {
                    return Err(InferenceError::Unsupported {
                        vcov: "HC3".into(),
                        reason: "leverage with two or more fixed-effect dimensions is not computed; use HC1 or a cluster-robust vcov".into(),
                    }
                    .into())
                }
            }
            let v = scores.hc3(&h);
            let c = p.ssc.adj_factor(n, k_full) * p.ssc.cluster_factor(n);
            v.iter().map(|r| r.iter().map(|x| x * c).collect()).collect()
        }
        VcovType::Cr1 => {
            let (v, repaired) = scores.cr1(&clusters, k_ssc, &p.ssc);
            if repaired {
                warnings.push(Diagnostic::new(DiagnosticCode::VcovNotPsd, "the multi-way cluster variance was not positive semidefinite; negative eigenvalues were set to zero"));
            }
            v
        }
        VcovType::Cr3 => {
            let deltas = match &original {
                None => scores.cr3_deltas(clusters[0], &g),
                Some(orig) => refit_deltas(orig, &mf, &keep, &beta, clusters[0], &p.demean),
            };
            let factor = p.ssc.adj_factor(n, k_ssc) * p.ssc.cluster_factor(clusters[0].n_levels());
            jackknife_vcov(&deltas, kk, factor)
        }
    };
    let df_t = match g_min {
        Some(gm) => (gm - 1) as f64,
        None => df_resid as f64,
    };
    if let Some(gm) = g_min {
        if gm < FEW_CLUSTERS {
            warnings.push(Diagnostic::new(
                DiagnosticCode::SmallClusters,
                format!("only {gm} clusters: cluster-robust tests over-reject with few clusters; prefer the restricted wild cluster bootstrap (`wildboot(param, bootstrap=vk.Bootstrap(weights=\"webb\"))`)"),
            ));
        }
    }
    warnings.extend(few_treated);
    if !collinear.is_empty() {
        warnings.push(Diagnostic::new(
            DiagnosticCode::Collinearity,
            format!("dropped for collinearity: {}", collinear.join(", ")),
        ));
    }
    if !convergence.converged {
        warnings.push(Diagnostic::new(
            DiagnosticCode::Convergence,
            format!(
                "fixed-effect demeaning stopped after {} iterations without reaching tol = {:e}",
                convergence.iterations, p.demean.tol
            ),
        ));
    }
    let dist = RefDist::StudentT(df_t);
    let kept_names: Vec<&String> = keep.iter().map(|&j| &names[j]).collect();
    let coefficients =
        (0..kk).map(|j| Estimate::new(kept_names[j].clone(), beta[j], vcov[j][j].sqrt(), &dist, p.alpha)).collect();

    // Fixed-effect estimates: alpha(y) - sum_j beta_j alpha(x_j), normalised.
    let fixef = recover_fixef(&mf, &alphas, &keep, &beta);
    let r2 = 1.0 - rss / tss;
    Ok(FeolsResult {
        coefficients,
        vcov,
        vcov_type: chk.vcov.describe(),
        n_obs: n,
        drops: mf.drops.clone(),
        collinear,
        fixed_effects: mf
            .fixed_effects
            .iter()
            .zip(&nested)
            .map(|((name, f), &nested_in_cluster)| FixedEffectInfo {
                name: name.clone(),
                n_levels: f.n_levels(),
                nested_in_cluster,
            })
            .collect(),
        clusters: mf.clusters.iter().map(|(n, f)| (n.clone(), f.n_levels())).collect(),
        n_params: k_ssc,
        df_resid,
        df_t,
        rss,
        r2,
        adj_r2: 1.0 - (1.0 - r2) * (n as f64 - 1.0) / df_resid as f64,
        r2_within: (!levels.is_empty()).then(|| 1.0 - rss / tss_within),
        sigma: (rss / df_resid as f64).sqrt(),
        ssc: p.ssc,
        convergence,
        warnings,
        params: p.clone(),
        recipes: keep.iter().map(|&j| mf.recipes[j].clone()).collect(),
        version: crate::VERSION.to_string(),
        residuals: resid,
        fixef,
        rows: mf.rows,
    })
}

/// Free fixed-effect parameters: the sum of levels less one for each dimension after the
/// first; a dimension nested in a cluster (`nested[q]`) then counts only its one constant
/// (fixest's `fixef.K = "nested"`).
pub(super) fn fe_param_count(levels: &[usize], nested: &[bool]) -> usize {
    let full = levels.iter().sum::<usize>().saturating_sub(levels.len().saturating_sub(1));
    let removed: usize = levels.iter().zip(nested).filter(|(_, n)| **n).map(|(l, _)| l - 1).sum();
    full - removed
}

/// Exact leave-one-cluster-out deltas: refit (re-absorbing the fixed effects) without each
/// cluster, in parallel.
fn refit_deltas(
    orig: &[f64],
    mf: &ModelFrame,
    keep: &[usize],
    beta: &[f64],
    cluster: &Factor,
    opts: &DemeanOptions,
) -> Vec<Vec<f64>> {
    use rayon::prelude::*;
    let n = mf.n();
    let kk = keep.len();
    (0..cluster.n_levels() as u32)
        .into_par_iter()
        .map(|c| {
            let mask: Vec<bool> = cluster.codes.iter().map(|&g| g != c).collect();
            let rows: Vec<usize> = (0..n).filter(|&i| mask[i]).collect();
            let m = rows.len();
            let fes: Vec<Factor> = mf.fixed_effects.iter().map(|(_, f)| f.subset(&mask)).collect();
            let w: Option<Vec<f64>> = mf.weights.as_ref().map(|w| rows.iter().map(|&i| w[i]).collect());
            let mut yx = vec![0.0; m * (kk + 1)];
            for (dst, src) in std::iter::once(0).chain(keep.iter().map(|j| j + 1)).enumerate() {
                let col = &orig[src * n..(src + 1) * n];
                yx[dst * m..(dst + 1) * m].iter_mut().zip(&rows).for_each(|(o, &i)| *o = col[i]);
            }
            let levels: Vec<usize> = fes.iter().map(Factor::n_levels).collect();
            let d = Demeaner::new(fes.iter().map(|f| f.codes.as_slice()).collect(), &levels, w.as_deref());
            d.demean_columns(&mut yx, opts);
            let (y, x) = yx.split_at(m);
            let g = gram(x, m, kk, w.as_deref());
            let xty = cross(x, m, kk, y, w.as_deref());
            match spd_solve_inverse(&g, &xty, "leave-one-cluster-out X'WX") {
                Ok((b, _)) => b.iter().zip(beta).map(|(a, b)| a - b).collect(),
                Err(_) => vec![f64::NAN; kk],
            }
        })
        .collect()
}

/// Whether every level of `fe` falls in a single cluster.
pub(super) fn nested_in(fe: &Factor, cluster: &Factor) -> bool {
    let mut map = vec![u32::MAX; fe.n_levels()];
    for (&f, &c) in fe.codes.iter().zip(&cluster.codes) {
        let m = &mut map[f as usize];
        if *m == u32::MAX {
            *m = c;
        } else if *m != c {
            return false;
        }
    }
    true
}

fn recover_fixef(mf: &ModelFrame, alphas: &[Vec<Vec<f64>>], keep: &[usize], beta: &[f64]) -> Vec<FixedEffectValues> {
    if alphas.is_empty() {
        return Vec::new();
    }
    let mut fe: Vec<Vec<f64>> = alphas[0].clone();
    for (b, &j) in beta.iter().zip(keep) {
        for (d, a) in fe.iter_mut().zip(&alphas[j + 1]) {
            d.iter_mut().zip(a).for_each(|(v, x)| *v -= b * x);
        }
    }
    for q in 1..fe.len() {
        let shift = fe[q].first().copied().unwrap_or(0.0);
        fe[q].iter_mut().for_each(|v| *v -= shift);
        fe[0].iter_mut().for_each(|v| *v += shift);
    }
    mf.fixed_effects
        .iter()
        .zip(fe)
        .map(|((name, f), values)| FixedEffectValues { name: name.clone(), labels: f.labels.clone(), values })
        .collect()
}

impl FeolsResult {
    /// Predict the outcome for every row of `frame` (fixed effects included); rows with a
    /// missing regressor or a fixed-effect level not seen in estimation get `NaN`.
    ///
    /// # Errors
    /// A missing column.
    pub fn predict(&self, frame: &Frame<'_>) -> Result<Vec<f64>> {
        let n = frame.n_rows();
        let rows = Rows::All(n);
        let mut out = vec![0.0; n];
        let mut col = vec![0.0; n];
        for (e, recipe) in self.coefficients.iter().zip(&self.recipes) {
            Evaluator::new(frame, &recipe.components, &rows)?.fill(&rows, &mut col);
            out.iter_mut().zip(&col).for_each(|(o, c)| *o += e.estimate * c);
        }
        let fe_specs = super::formula::Formula::parse(&self.params.formula)?.fixed_effects;
        for (spec, values) in fe_specs.iter().zip(&self.fixef) {
            let cols: Vec<_> = spec.iter().map(|c| frame.column(c)).collect::<Result<_, _>>()?;
            let lookup: std::collections::HashMap<&str, f64> =
                values.labels.iter().map(String::as_str).zip(values.values.iter().copied()).collect();
            for (i, o) in out.iter_mut().enumerate() {
                let label: Vec<String> = cols.iter().map(|c| c.label(i)).collect();
                *o += lookup.get(label.join("^").as_str()).copied().unwrap_or(f64::NAN);
            }
        }
        Ok(out)
    }
}
