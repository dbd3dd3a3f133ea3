//! Wild cluster bootstrap for linear models, by the cluster-level algorithm of Roodman,
//! MacKinnon, Nielsen & Webb (2019, "Fast and wild"), so that the cost per draw is
//! O(G_var x G_boot), independent of the number of observations.
//!
//! # Model
//! The input is the (fixed-effect partialled, FWL) design $\tilde X$ (n x k), outcome
//! $\tilde y$, one or more variance cluster variables and a bootstrap cluster variable. For the
//! hypothesis $R\beta = \theta$ with bread $B = (\tilde X'\tilde X)^{-1}$:
//! - WCR (`impose_null`): residuals of the restricted fit
//!   $\tilde\beta = \hat\beta - B R'(RBR')^{-1}(R\hat\beta - \theta)$; WCU: of $\hat\beta$.
//! - Bootstrap sample $y^* = X\beta_0 + \tilde u \odot v_{h(i)}$, with one weight per bootstrap
//!   cluster $h$; then $R\beta^* - R\beta_0 = \sum_h C_h v_h$, $C_h = RB\,X_h'\tilde u_h$.
//! - Its cluster-robust variance: for every variance cluster $c$ (of every term of the
//!   Cameron-Gelbach-Miller multi-way sum) the score $RB X_c'u^*_c = \sum_h J_{ch} v_h$ with
//!   $J_{ch} = \sum_{f \in c \cap h} RB X_f'\tilde u_f - RB X_c'X_c B S_h$, $S_h = X_h'\tilde u_h$;
//!   so all draws are one matrix product $J V$ (V is G_boot x B) and
//!   $t^*_b = \sum_h C_h v_{hb} / \sqrt{\sum_c \omega_c (JV)_{cb}^2}$, where $\omega_c$ carries the
//!   small-sample factor and the sign of the multi-way term.
//! - Type "31" (WCR3/WCU3, MacKinnon, Nielsen & Webb 2023): the bootstrap residuals of bootstrap
//!   cluster $h$ come from the fit without cluster $h$ (restricted or not), as in
//!   `wildboottest`'s `WCR3x`/`WCU3x`.
//! - Everything above is affine in $\theta$, so each draw is kept as five numbers (numerator and
//!   the quadratic of its variance in $\theta$): p-values at any $\theta$ cost O(B), and the
//!   confidence interval is found by inverting the p-value function (bisection to machine
//!   precision on the same draws).
//!
//! p-value: $\frac1B\sum_b 1\{|t^*_b| \ge |t|(1 - 10^{-9})\}$ (symmetric, as `wildboottest`
//! and `boottest`). Ties count as exceeding, decided with the relative tolerance
//! [`super::dist::TIE`]: under WCR11/WCU11 the draws $v = \pm 1$ reproduce the sample, so their
//! $|t^*|$ equals $|t|$ up to rounding, and a p-value must not depend on which way rounding went
//! (`fwildclusterboot` and `wildboottest` compare strictly, `|t| < |t*|`, with no tolerance).
//!
//! # Scale and edges
//! - The columns of $X$ and $y$ are scaled by powers of two (exact) to a largest absolute value
//!   in $[1, 2)$ before anything is accumulated, and the hypothesis with them, so the test and
//!   the interval are the same for a regressor in units of $10^{-10}$ or $10^{300}$ (and no
//!   product overflows); numbers are otherwise bit for bit those of the unscaled computation.
//! - Test inversion works in units of the standard error of $R\hat\beta$: bracket by doubling
//!   from 2 se, scan inward, bisect. Far from the estimate $|t(\theta)|$ grows linearly while
//!   most $|t^*_b(\theta)|$ level off, but the draws that reproduce the sample (under WCR11 the
//!   identity and its mirror) tie with it at every $\theta$, so the p-value never falls below
//!   their share (3 clusters: 2 of 8 draws, 0.25). When the p-value is still above `alpha` at
//!   $2^{20} \approx 10^6$ standard errors from the estimate, that end is reported as infinite
//!   with an `unbounded_interval` warning saying why, never as the far point where rounding
//!   happened to break the ties.
//!
//! # References
//! Roodman, MacKinnon, Nielsen & Webb (2019), Stata Journal 19(1); MacKinnon & Webb (2018) on
//! subcluster bootstraps; MacKinnon, Nielsen & Webb (2023), JAE, on jackknife (CV3) variants;
//! Webb (2023) on six-point weights. Matched against wildboottest 0.3.2 with full enumeration in
//! `tests/wildboot_reference.rs`.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::boot_weights::{fresh_seed, BootWeights, DrawPlan};
use super::dist::at_least_as_extreme;
use super::{check_interrupt, interrupted, InferenceError, SmallSampleCorrection};
use crate::data::Factor;
use crate::error::ParamsError;
use crate::linalg::{matmul_cm, pinv_sym, spd_solve_inverse};
use crate::results::Diagnostic;
use crate::traits::Validated;

/// How the bootstrap residuals are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BootType {
    /// Residuals of the full-sample fit (WCR11 / WCU11).
    #[serde(rename = "11")]
    Standard,
    /// Residuals of cluster h from the fit without cluster h (WCR31 / WCU31).
    #[serde(rename = "31")]
    Jackknife,
}

/// Wild cluster bootstrap options.
///
/// # Defaults
/// `reps = 9999`, Rademacher weights, null imposed (WCR), type "11", no seed (one from the
/// clock, reported), `alpha = 0.05`, confidence interval on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WildBoot {
    /// Bootstrap draws (replaced by 2^G under full enumeration).
    pub reps: usize,
    /// Weight distribution.
    pub weights: BootWeights,
    /// Impose the null on the bootstrap DGP (WCR) or not (WCU).
    pub impose_null: bool,
    /// Residual type.
    pub bootstrap_type: BootType,
    /// Seed of the draws.
    pub seed: Option<u64>,
    /// 1 - confidence level of the interval.
    pub alpha: f64,
    /// Compute the confidence interval by test inversion.
    pub conf_int: bool,
}

impl Default for WildBoot {
    fn default() -> Self {
        WildBoot {
            reps: 9999,
            weights: BootWeights::Rademacher,
            impose_null: true,
            bootstrap_type: BootType::Standard,
            seed: None,
            alpha: 0.05,
            conf_int: true,
        }
    }
}

impl WildBoot {
    /// Set the number of draws.
    pub fn reps(mut self, reps: usize) -> Self {
        self.reps = reps;
        self
    }
    /// Set the weights.
    pub fn weights(mut self, w: BootWeights) -> Self {
        self.weights = w;
        self
    }
    /// WCR (`true`) or WCU (`false`).
    pub fn impose_null(mut self, yes: bool) -> Self {
        self.impose_null = yes;
        self
    }
    /// Set the residual type.
    pub fn bootstrap_type(mut self, t: BootType) -> Self {
        self.bootstrap_type = t;
        self
    }
    /// Set the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Check the options.
    ///
    /// # Errors
    /// [`ParamsError::InvalidParam`] for `reps = 0` or `alpha` outside (0, 1).
    pub fn validate(self) -> Result<Validated<WildBoot>, ParamsError> {
        super::check_draws("reps", self.reps)?;
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(ParamsError::InvalidParam {
                name: "alpha",
                value: self.alpha.to_string(),
                reason: "must be between 0 and 1".into(),
            });
        }
        Ok(Validated::new(self))
    }
}

/// The data of a bootstrap: the partialled design, outcome and clusters. Weighted models pass
/// $\sqrt{w}\tilde X$ and $\sqrt{w}\tilde y$.
#[derive(Debug, Clone)]
pub struct BootProblem<'a> {
    /// Column-major `n x k` partialled regressors.
    pub x: &'a [f64],
    /// Partialled outcome.
    pub y: &'a [f64],
    /// Rows.
    pub n: usize,
    /// Regressors.
    pub k: usize,
    /// Variance cluster variables (name, factor); two or more for multi-way.
    pub clusters: Vec<(&'a str, &'a Factor)>,
    /// Bootstrap clusters (name, factor); `None` bootstraps by the first variance cluster.
    pub bootcluster: Option<(&'a str, &'a Factor)>,
    /// Small-sample correction of the variance in the t-statistics.
    pub ssc: SmallSampleCorrection,
    /// Parameters K counted in (N-1)/(N-K).
    pub n_params: usize,
}

/// A linear hypothesis $R\beta = r$.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hypothesis {
    /// Label (`x`, `x1 - x2`).
    pub label: String,
    /// Row vector R (length k).
    pub r_vec: Vec<f64>,
    /// Right-hand side r.
    pub r: f64,
}

/// The outcome of a wild cluster bootstrap.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WildBootResult {
    /// The hypothesis tested.
    pub hypothesis: Hypothesis,
    /// $R\hat\beta$.
    pub estimate: f64,
    /// Cluster-robust t-statistic $(R\hat\beta - r)/se$.
    pub statistic: f64,
    /// Bootstrap p-value.
    pub p_value: f64,
    /// Confidence interval by test inversion.
    pub conf_int: Option<(f64, f64)>,
    /// Draws used (2^G under enumeration).
    pub reps: usize,
    /// Whether every Rademacher sign vector was used.
    pub enumerated: bool,
    /// Bootstrap clusters.
    pub n_bootclusters: usize,
    /// Clusters of each variance cluster variable.
    pub n_clusters: Vec<usize>,
    /// The options, with the seed used.
    pub params: WildBoot,
    /// Bootstrap t-statistics under the null.
    #[serde(skip)]
    pub t_boot: Vec<f64>,
    /// Warnings: `unbounded_interval` when the interval has an infinite end, and why.
    #[serde(default)]
    pub warnings: Vec<Diagnostic>,
}

/// Per-draw summary: numerator `n0 + d n1` and variance `a + 2 b d + c d^2`, with d = theta - r.
#[derive(Debug, Clone, Copy, Default)]
struct Draw {
    n0: f64,
    n1: f64,
    a: f64,
    b: f64,
    c: f64,
}

impl Draw {
    fn t(&self, d: f64) -> f64 {
        (self.n0 + d * self.n1) / (self.a + d * (2.0 * self.b + d * self.c)).sqrt()
    }
}

/// Cell-level sufficient statistics: the cells are the intersection of the bootstrap and every
/// variance cluster variable.
struct Cells {
    n_cells: usize,
    /// X_f'X_f, k*k row-major per cell.
    xx: Vec<f64>,
    /// X_f'y_f per cell.
    xy: Vec<f64>,
    /// Bootstrap cluster of each cell.
    boot: Vec<usize>,
    /// Cluster of each cell in each variance term.
    terms: Vec<Term>,
}

struct Term {
    of_cell: Vec<usize>,
    n_levels: usize,
    weight: f64,
}

/// The power of two that brings the largest finite absolute value of `v` into [1, 2) (1 for a
/// zero column): multiplying by it is exact.
fn pow2_scale(v: &[f64]) -> f64 {
    let m = v.iter().filter(|x| x.is_finite()).fold(0.0f64, |m, x| m.max(x.abs()));
    if m == 0.0 {
        return 1.0;
    }
    let e = (m.log2().floor() as i32).clamp(-1000, 1000);
    2f64.powi(-e)
}

/// Cell sums of $X_f'X_f$ and $X_f'y$ of the scaled columns $x_a s_a$, $y s_y$.
fn cell_stats(p: &BootProblem<'_>, cell: &Factor, sx: &[f64], sy: f64) -> (Vec<f64>, Vec<f64>) {
    let (n, k, nc) = (p.n, p.k, cell.n_levels());
    let width = k * k + k;
    let chunk = 1 << 14;
    let zero = || vec![0.0; nc * width];
    let acc = (0..n.div_ceil(chunk))
        .into_par_iter()
        .fold(zero, |mut acc, j| {
            let mut row = vec![0.0; k];
            for i in j * chunk..((j + 1) * chunk).min(n) {
                let base = cell.codes[i] as usize * width;
                let s = &mut acc[base..base + width];
                for (a, r) in row.iter_mut().enumerate() {
                    *r = p.x[a * n + i] * sx[a];
                }
                let yi = p.y[i] * sy;
                for (a, &xa) in row.iter().enumerate() {
                    for (b, &xb) in row.iter().enumerate() {
                        s[a * k + b] += xa * xb;
                    }
                    s[k * k + a] += xa * yi;
                }
            }
            acc
        })
        .reduce(zero, |mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            a
        });
    let mut xx = Vec::with_capacity(nc * k * k);
    let mut xy = Vec::with_capacity(nc * k);
    for c in acc.chunks(width) {
        xx.extend_from_slice(&c[..k * k]);
        xy.extend_from_slice(&c[k * k..]);
    }
    (xx, xy)
}

fn check_clusters(name: &str, f: &Factor) -> crate::Result<()> {
    crate::data::require_clusters(name, f.n_levels())?;
    let counts = f.counts();
    let singles: Vec<&str> =
        counts.iter().zip(&f.labels).filter(|(c, _)| **c == 1).map(|(_, l)| l.as_str()).take(5).collect();
    if !singles.is_empty() {
        return Err(InferenceError::SingletonClusters {
            name: name.to_string(),
            n: counts.iter().filter(|c| **c == 1).count(),
            examples: singles.join(", "),
        }
        .into());
    }
    Ok(())
}

fn build_cells(p: &BootProblem<'_>, sx: &[f64], sy: f64) -> crate::Result<(Cells, usize, Factor)> {
    let (bname, boot) = p.bootcluster.unwrap_or(p.clusters[0]);
    let mut all: Vec<(&str, &Factor)> = p.clusters.clone();
    all.push((bname, boot));
    for (name, f) in &all {
        check_clusters(name, f)?;
    }
    // Cells: bootcluster x every variance cluster (skipping factors equal to the bootcluster).
    let mut cell = boot.clone();
    for (_, f) in &p.clusters {
        if f.codes != boot.codes {
            cell = Factor::interact(&cell, f);
        }
    }
    let nc = cell.n_levels();
    let mut first = vec![usize::MAX; nc];
    for (i, &c) in cell.codes.iter().enumerate() {
        if first[c as usize] == usize::MAX {
            first[c as usize] = i;
        }
    }
    let factors: Vec<&Factor> = p.clusters.iter().map(|(_, f)| *f).collect();
    let terms = super::multiway::multiway_terms(&factors, p.n, p.n_params, &p.ssc)
        .into_iter()
        .map(|t| Term {
            of_cell: first.iter().map(|&i| t.factor.codes[i] as usize).collect(),
            n_levels: t.factor.n_levels(),
            weight: t.weight,
        })
        .collect();
    let (xx, xy) = cell_stats(p, &cell, sx, sy);
    let boot_of: Vec<usize> = first.iter().map(|&i| boot.codes[i] as usize).collect();
    Ok((Cells { n_cells: nc, xx, xy, boot: boot_of, terms }, boot.n_levels(), cell))
}

fn mat_vec(m: &[f64], k: usize, v: &[f64]) -> Vec<f64> {
    (0..k).map(|a| (0..k).map(|b| m[a * k + b] * v[b]).sum()).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn flat(rows: &[Vec<f64>]) -> Vec<f64> {
    rows.iter().flatten().copied().collect()
}

/// Run the wild cluster bootstrap of `hyp` on `prob`.
///
/// # Errors
/// [`crate::data::DataError::SingleCluster`] for a cluster variable with one level,
/// [`InferenceError::SingletonClusters`] for clusters of one observation,
/// [`InferenceError::BadHypothesis`] for a restriction of the wrong length or on nothing,
/// a linear-algebra error for a singular design.
pub fn wild_bootstrap(
    prob: &BootProblem<'_>,
    hyp: &Hypothesis,
    params: &Validated<WildBoot>,
) -> crate::Result<WildBootResult> {
    let k = prob.k;
    if prob.clusters.is_empty() {
        return Err(InferenceError::BadHypothesis {
            reason: "the wild cluster bootstrap needs a cluster variable".into(),
        }
        .into());
    }
    if hyp.r_vec.len() != k || hyp.r_vec.iter().all(|v| *v == 0.0) || !hyp.r.is_finite() {
        return Err(InferenceError::BadHypothesis {
            reason: format!("R must have {k} entries, not all zero, and r must be finite"),
        }
        .into());
    }
    // Scale-free: exact power-of-two scaling of every column and of y, and of the hypothesis
    // with them (R~_a = R_a s_a h, r~ = r s_y h, h bringing R~ into [1, 2)); estimates and the
    // interval are unscaled at the end (by `unit` = s_y h).
    let n = prob.n;
    let sx: Vec<f64> = (0..k).map(|a| pow2_scale(&prob.x[a * n..(a + 1) * n])).collect();
    let sy = pow2_scale(prob.y);
    let r_vec: Vec<f64> = hyp.r_vec.iter().zip(&sx).map(|(r, s)| r * s).collect();
    let h = pow2_scale(&r_vec);
    let unit = sy * h;
    let scaled = Hypothesis { label: hyp.label.clone(), r_vec: r_vec.iter().map(|r| r * h).collect(), r: hyp.r * unit };
    let (cells, n_boot, _) = build_cells(prob, &sx, sy)?;
    let plan_reps = DrawPlan::new(n_boot, params.reps, params.weights, 0).reps;
    // The draws (five numbers each) and their t-statistics, plus a block of weights per thread.
    let bytes = plan_reps as f64 * (std::mem::size_of::<Draw>() + 8) as f64;
    super::check_memory("reps", params.reps, bytes, "the wild bootstrap draws")?;
    let original = hyp;
    let hyp = &scaled;
    let nc = cells.n_cells;
    let kk = k * k;
    let rv = &hyp.r_vec;

    // Totals, bread, estimates.
    let mut xx_tot = vec![0.0; kk];
    let mut xy_tot = vec![0.0; k];
    for f in 0..nc {
        xx_tot.iter_mut().zip(&cells.xx[f * kk..(f + 1) * kk]).for_each(|(a, b)| *a += b);
        xy_tot.iter_mut().zip(&cells.xy[f * k..(f + 1) * k]).for_each(|(a, b)| *a += b);
    }
    let xx_rows: Vec<Vec<f64>> = xx_tot.chunks(k).map(<[f64]>::to_vec).collect();
    let (beta, bread) = spd_solve_inverse(&xx_rows, &xy_tot, "X'X")?;
    let bread = flat(&bread);
    let rb: Vec<f64> = (0..k).map(|b| (0..k).map(|a| rv[a] * bread[a * k + b]).sum()).collect(); // R B
    let rbr = dot(&rb, rv);
    if rbr.is_nan() || rbr <= 0.0 {
        return Err(InferenceError::BadHypothesis { reason: "R B R' is not positive".into() }.into());
    }
    let estimate = dot(rv, &beta);

    // Scores of each cell, affine in d = theta - r: s0 + d s1 (k each).
    let p = &params;
    let (s0, s1) =
        cell_scores(&cells, k, &beta, &bread, &xx_tot, &xy_tot, hyp, n_boot, p.impose_null, p.bootstrap_type);
    let su: Vec<f64> = (0..nc)
        .flat_map(|f| {
            let g = mat_vec(&cells.xx[f * kk..(f + 1) * kk], k, &beta);
            let xy = &cells.xy;
            (0..k).map(move |a| xy[f * k + a] - g[a]).collect::<Vec<_>>()
        })
        .collect();

    // Observed statistic: CR1 with the unrestricted residuals.
    let a_hat: Vec<f64> = (0..nc).map(|f| dot(&rb, &su[f * k..(f + 1) * k])).collect();
    let mut var = 0.0;
    for t in &cells.terms {
        let mut z = vec![0.0; t.n_levels];
        (0..nc).for_each(|f| z[t.of_cell[f]] += a_hat[f]);
        var += t.weight * z.iter().map(|v| v * v).sum::<f64>();
    }
    if var.is_nan() || var <= 0.0 {
        return Err(InferenceError::Unsupported {
            vcov: "wild bootstrap".into(),
            reason: "the cluster-robust variance of R beta is not positive".into(),
        }
        .into());
    }
    let se = var.sqrt();
    let statistic = (estimate - hyp.r) / se;

    // J (rows: numerator, then every cluster of every term) for the two parts.
    let m = 1 + cells.terms.iter().map(|t| t.n_levels).sum::<usize>();
    let omega: Vec<f64> = cells.terms.iter().flat_map(|t| std::iter::repeat_n(t.weight, t.n_levels)).collect();
    let j0 = j_matrix(&cells, k, &bread, &rb, &s0, n_boot, m);
    let j1 = s1.as_ref().map(|s1| j_matrix(&cells, k, &bread, &rb, s1, n_boot, m));

    let seed = p.seed.unwrap_or_else(fresh_seed);
    let plan = DrawPlan::new(n_boot, p.reps, p.weights, seed);
    let draws: Vec<Draw> = (0..plan.n_blocks())
        .into_par_iter()
        .flat_map_iter(|blk| {
            // One relaxed load per block of 256 draws: an interrupt stops the run within a block.
            if interrupted() {
                return Vec::new();
            }
            let v = plan.block(blk);
            let len = v.len() / n_boot;
            let p0 = matmul_cm(&j0, &v, m, n_boot, len);
            let p1 = j1.as_ref().map(|j1| matmul_cm(j1, &v, m, n_boot, len));
            (0..len)
                .map(|c| {
                    let q0 = &p0[c * m..(c + 1) * m];
                    let mut d = Draw { n0: q0[0], ..Draw::default() };
                    for (w, x0) in omega.iter().zip(&q0[1..]) {
                        d.a += w * x0 * x0;
                    }
                    if let Some(p1) = &p1 {
                        let q1 = &p1[c * m..(c + 1) * m];
                        d.n1 = q1[0];
                        for ((w, x0), x1) in omega.iter().zip(&q0[1..]).zip(&q1[1..]) {
                            d.b += w * x0 * x1;
                            d.c += w * x1 * x1;
                        }
                    }
                    d
                })
                .collect::<Vec<_>>()
        })
        .collect();
    check_interrupt()?;

    // Sequential: one p-value is O(B) cheap arithmetic, and the interval needs ~150 of them; a
    // parallel section per call costs more in thread hand-offs than it saves (badly so on a
    // loaded machine). The two ends of the interval run in parallel instead.
    let pval = |d: f64| -> f64 {
        let t = (estimate - hyp.r - d) / se;
        draws.iter().filter(|dr| at_least_as_extreme(t, dr.t(d))).count() as f64 / draws.len() as f64
    };
    let p_value = pval(0.0);
    let mut warnings = Vec::new();
    let conf_int = if p.conf_int {
        let centre = estimate - hyp.r;
        let (lo, hi) =
            rayon::join(|| invert(&pval, centre, se, p.alpha, -1.0), || invert(&pval, centre, se, p.alpha, 1.0));
        check_interrupt()?;
        if lo.is_infinite() || hi.is_infinite() {
            let floor = pval(centre - FAR * se).max(pval(centre + FAR * se));
            warnings.push(unbounded(floor, p.alpha, plan.reps, n_boot, plan.enumerate));
        }
        Some(((lo + hyp.r) / unit, (hi + hyp.r) / unit))
    } else {
        None
    };
    let mut used: WildBoot = WildBoot::clone(params);
    used.seed = Some(seed);
    Ok(WildBootResult {
        hypothesis: original.clone(),
        estimate: estimate / unit,
        statistic,
        p_value,
        conf_int,
        reps: plan.reps,
        enumerated: plan.enumerate,
        n_bootclusters: n_boot,
        n_clusters: prob.clusters.iter().map(|(_, f)| f.n_levels()).collect(),
        params: used,
        t_boot: draws.iter().map(|d| d.t(0.0)).collect(),
        warnings,
    })
}

/// How far, in standard errors of $R\hat\beta$, the interval search goes: $2^{20} \approx 10^6$.
/// A p-value still above alpha there stays so (the draws that reproduce the sample tie with it
/// at any distance), and beyond it rounding, not the data, would decide where it falls.
const FAR: f64 = (1u64 << 20) as f64;

fn unbounded(floor: f64, alpha: f64, reps: usize, g: usize, enumerated: bool) -> Diagnostic {
    let draws =
        if enumerated { format!("all {reps} sign vectors of {g} bootstrap clusters") } else { format!("{reps} draws") };
    let why = format!(
        "the bootstrap p-value is still {floor:.4} (above alpha = {alpha}) a million standard errors from the \
         estimate ({draws}; the draws that reproduce the sample tie with it at any distance)"
    );
    Diagnostic::new(
        crate::results::DiagnosticCode::UnboundedInterval,
        format!(
            "the {}% wild bootstrap interval is unbounded: {why}; use more clusters, Webb weights \
             (weights=\"webb\") or a larger alpha",
            (100.0 * (1.0 - alpha) * 1e6).round() / 1e6
        ),
    )
}

/// Cell scores $X_f'(y_f - X_f \beta_0(d))$ as `s0 + d s1`; `s1` is `None` when the residuals do
/// not depend on the hypothesised value (WCU).
#[allow(clippy::too_many_arguments)]
fn cell_scores(
    cells: &Cells,
    k: usize,
    beta: &[f64],
    bread: &[f64],
    xx_tot: &[f64],
    xy_tot: &[f64],
    hyp: &Hypothesis,
    n_boot: usize,
    impose_null: bool,
    kind: BootType,
) -> (Vec<f64>, Option<Vec<f64>>) {
    let (nc, kk) = (cells.n_cells, k * k);
    // The coefficients behind the residuals of each cell, b0 + d b1.
    let coefs: Vec<(Vec<f64>, Vec<f64>)> = match kind {
        BootType::Standard => {
            let fit = if impose_null { restricted(bread, xy_tot, k, hyp) } else { (beta.to_vec(), vec![0.0; k]) };
            vec![fit; n_boot]
        }
        BootType::Jackknife => {
            let mut xx_h = vec![0.0; n_boot * kk];
            let mut xy_h = vec![0.0; n_boot * k];
            for f in 0..nc {
                let h = cells.boot[f];
                xx_h[h * kk..(h + 1) * kk].iter_mut().zip(&cells.xx[f * kk..(f + 1) * kk]).for_each(|(a, b)| *a += b);
                xy_h[h * k..(h + 1) * k].iter_mut().zip(&cells.xy[f * k..(f + 1) * k]).for_each(|(a, b)| *a += b);
            }
            (0..n_boot)
                .into_par_iter()
                .map(|h| {
                    let xx: Vec<f64> = xx_tot.iter().zip(&xx_h[h * kk..(h + 1) * kk]).map(|(a, b)| a - b).collect();
                    let xy: Vec<f64> = xy_tot.iter().zip(&xy_h[h * k..(h + 1) * k]).map(|(a, b)| a - b).collect();
                    if impose_null {
                        restricted_pinv(&xx, &xy, k, hyp)
                    } else {
                        let inv = flat(&pinv_sym(&xx.chunks(k).map(<[f64]>::to_vec).collect::<Vec<_>>()));
                        (mat_vec(&inv, k, &xy), vec![0.0; k])
                    }
                })
                .collect()
        }
    };
    let mut s0 = vec![0.0; nc * k];
    let mut s1 = vec![0.0; nc * k];
    for f in 0..nc {
        let (b0, b1) = &coefs[cells.boot[f]];
        let g = &cells.xx[f * kk..(f + 1) * kk];
        let (g0, g1) = (mat_vec(g, k, b0), mat_vec(g, k, b1));
        for a in 0..k {
            s0[f * k + a] = cells.xy[f * k + a] - g0[a];
            s1[f * k + a] = -g1[a];
        }
    }
    let varies = impose_null;
    (s0, varies.then_some(s1))
}

/// Restricted least squares $\tilde\beta(d) = \hat\beta - BR'(RBR')^{-1}(R\hat\beta - r - d)$
/// from the bread and $X'y$: returns (b0, b1).
fn restricted(bread: &[f64], xy: &[f64], k: usize, hyp: &Hypothesis) -> (Vec<f64>, Vec<f64>) {
    let beta = mat_vec(bread, k, xy);
    let br: Vec<f64> = mat_vec(bread, k, &hyp.r_vec);
    let rbr = dot(&hyp.r_vec, &br);
    let gap = dot(&hyp.r_vec, &beta) - hyp.r;
    let b0 = beta.iter().zip(&br).map(|(b, a)| b - a * gap / rbr).collect();
    let b1 = br.iter().map(|a| a / rbr).collect();
    (b0, b1)
}

/// Restricted least squares by a null-space basis and a pseudo-inverse (the leave-one-cluster-out
/// design may be singular): $\beta = (r + d)\,c + N(N'AN)^+N'(X'y - (r+d) A c)$, $c = R'/(RR')$.
fn restricted_pinv(xx: &[f64], xy: &[f64], k: usize, hyp: &Hypothesis) -> (Vec<f64>, Vec<f64>) {
    let rv = &hyp.r_vec;
    let rr = dot(rv, rv);
    let c: Vec<f64> = rv.iter().map(|x| x / rr).collect();
    let pivot = (0..k).max_by(|&a, &b| rv[a].abs().total_cmp(&rv[b].abs())).unwrap_or(0);
    // Null-space basis: e_i - (R_i / R_pivot) e_pivot for i != pivot.
    let basis: Vec<Vec<f64>> = (0..k)
        .filter(|&i| i != pivot)
        .map(|i| {
            let mut v = vec![0.0; k];
            v[i] = 1.0;
            v[pivot] = -rv[i] / rv[pivot];
            v
        })
        .collect();
    let q = basis.len();
    let ac = mat_vec(xx, k, &c);
    let nan = |v: &[f64]| -> Vec<f64> { basis.iter().map(|b| dot(b, v)).collect() };
    let nan_mat: Vec<Vec<f64>> =
        basis.iter().map(|bi| basis.iter().map(|bj| dot(bi, &mat_vec(xx, k, bj))).collect()).collect();
    let pinv = pinv_sym(&nan_mat);
    let lift = |g: Vec<f64>| -> Vec<f64> {
        let gamma: Vec<f64> = (0..q).map(|i| dot(&pinv[i], &g)).collect();
        (0..k).map(|a| basis.iter().zip(&gamma).map(|(b, g)| b[a] * g).sum()).collect()
    };
    let lift_y = lift(nan(xy));
    let lift_c = lift(nan(&ac));
    let b0: Vec<f64> = (0..k).map(|a| hyp.r * c[a] + lift_y[a] - hyp.r * lift_c[a]).collect();
    let b1: Vec<f64> = (0..k).map(|a| c[a] - lift_c[a]).collect();
    (b0, b1)
}

/// The matrix whose product with a block of weights gives, in row 0, the bootstrap numerator
/// $R\beta^* - R\beta_0$ and, in the other rows, every cluster's bootstrap score $RB X_c'u^*_c$.
/// Column-major `m x n_boot`.
fn j_matrix(cells: &Cells, k: usize, bread: &[f64], rb: &[f64], s: &[f64], n_boot: usize, m: usize) -> Vec<f64> {
    let (nc, kk) = (cells.n_cells, k * k);
    let a: Vec<f64> = (0..nc).map(|f| dot(rb, &s[f * k..(f + 1) * k])).collect();
    let mut s_h = vec![0.0; n_boot * k];
    for f in 0..nc {
        let h = cells.boot[f];
        s_h[h * k..(h + 1) * k].iter_mut().zip(&s[f * k..(f + 1) * k]).for_each(|(x, y)| *x += y);
    }
    let mut j = vec![0.0; m * n_boot];
    for f in 0..nc {
        j[cells.boot[f] * m] += a[f];
    }
    let mut row = 1;
    for t in &cells.terms {
        // w_c = B G_c B R' as a row: (R B) G_c B.
        let mut g_c = vec![0.0; t.n_levels * kk];
        for f in 0..nc {
            let c = t.of_cell[f];
            g_c[c * kk..(c + 1) * kk].iter_mut().zip(&cells.xx[f * kk..(f + 1) * kk]).for_each(|(x, y)| *x += y);
            j[cells.boot[f] * m + row + c] += a[f];
        }
        for c in 0..t.n_levels {
            let g = &g_c[c * kk..(c + 1) * kk];
            let rbg: Vec<f64> = (0..k).map(|b| (0..k).map(|a| rb[a] * g[a * k + b]).sum()).collect();
            let w: Vec<f64> = (0..k).map(|b| (0..k).map(|a| rbg[a] * bread[a * k + b]).sum()).collect();
            for h in 0..n_boot {
                j[h * m + row + c] -= dot(&w, &s_h[h * k..(h + 1) * k]);
            }
        }
        row += t.n_levels;
    }
    j
}

/// Outermost point on one side (`side` = -1 or +1) of `centre` where the p-value function falls
/// to `alpha`, in units of `se`: infinite when it is still above `alpha` at [`FAR`] standard
/// errors; otherwise bracket by doubling from 2 se (up to `FAR`), scan a grid inward, bisect.
fn invert(pval: &(dyn Fn(f64) -> f64 + Sync), centre: f64, se: f64, alpha: f64, side: f64) -> f64 {
    if pval(centre + side * FAR * se) > alpha {
        return side * f64::INFINITY;
    }
    let mut width = 2.0 * se;
    while pval(centre + side * width) > alpha {
        width *= 2.0;
        if width >= FAR * se || interrupted() {
            width = FAR * se;
            break;
        }
    }
    // Scan from outside inward for the outermost point still inside the interval.
    const GRID: usize = 16;
    let mut outer = width;
    let mut inner = 0.0;
    for i in (0..GRID).rev() {
        let w = width * i as f64 / GRID as f64;
        if pval(centre + side * w) > alpha {
            inner = w;
            break;
        }
        outer = w;
    }
    for _ in 0..200 {
        if interrupted() {
            break;
        }
        let mid = 0.5 * (inner + outer);
        if mid <= inner || mid >= outer {
            break;
        }
        if pval(centre + side * mid) > alpha {
            inner = mid;
        } else {
            outer = mid;
        }
    }
    centre + side * 0.5 * (inner + outer)
}
