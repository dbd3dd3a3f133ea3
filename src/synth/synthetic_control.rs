//! Synthetic control (Abadie & Gardeazabal 2003; Abadie, Diamond & Hainmueller 2010, 2015).
//!
//! Donor weights `w` on the simplex minimise `(X1 - X0 w)' V (X1 - X0 w)`, where the rows of
//! `X` are predictors: the pre-period means of the `predictors` columns followed by the outcome
//! in each of the `outcome_lags` periods (Synth's "special predictors"). Without `predictors`
//! the lags default to every pre-period; with them, to none. `V = diag(v)`, `sum v = 1`, is
//! supplied or chosen, as in Synth, to minimise the pre-period outcome MSPE
//! `|Y1,pre - Y0,pre w(V)|^2 / T0` (nested optimisation: Nelder-Mead over softmax-parametrised
//! `v`, started from equal weights and from outcome-only weights, with the inner QP solved
//! exactly by the active-set method [`simplex_least_squares`], warm-started from the previous
//! support). Predictors are scaled to unit variance across units first (Synth's convention).
//!
//! Outputs: weights, `v`, the synthetic path, gaps, pre/post RMSPE and the ATT (mean post gap).
//! Placebo inference lives in [`super::placebo`].

use serde::{Deserialize, Serialize};

use super::SynthError;
use crate::data::{Frame, Panel, Wide};
use crate::linalg::{simplex_least_squares, ColMat};
use crate::results::{Diagnostic, DiagnosticCode};

/// Relative weight of the pre-period outcome MSPE in the inner weight problem (tie-break).
const TIE_BREAK: f64 = 1e-6;

/// Options of [`SyntheticControl`].
///
/// # Defaults
/// `predictors = []`, `outcome_lags = None` (every pre-period outcome when there are no
/// predictors, none otherwise), `v = None` (optimised unless the rows are exactly the
/// pre-period outcomes), `placebo = true`, `max_evals = 4000`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyntheticControl {
    /// Outcome column.
    pub outcome: String,
    /// Unit column.
    pub unit: String,
    /// Time column.
    pub time: String,
    /// Label of the treated unit.
    pub treated_unit: String,
    /// First treated period.
    pub treatment_start: i64,
    /// Predictor columns (pre-period means).
    pub predictors: Vec<String>,
    /// Pre-periods whose outcome values are predictor rows.
    pub outcome_lags: Option<Vec<i64>>,
    /// Fixed predictor weights (one per predictor row: predictors then pre-period outcomes).
    pub v: Option<Vec<f64>>,
    /// Run the placebo-in-space fits (every donor as treated).
    pub placebo: bool,
    /// Cap on loss evaluations of the V optimisation.
    pub max_evals: usize,
}

impl Default for SyntheticControl {
    fn default() -> Self {
        SyntheticControl {
            outcome: String::new(),
            unit: String::new(),
            time: String::new(),
            treated_unit: String::new(),
            treatment_start: 0,
            predictors: Vec::new(),
            outcome_lags: None,
            v: None,
            placebo: true,
            max_evals: 4000,
        }
    }
}

/// A fitted synthetic control for one treated unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ScFit {
    /// Treated unit.
    pub unit: String,
    /// Donor labels.
    pub donors: Vec<String>,
    /// Donor weights.
    pub weights: Vec<f64>,
    /// Predictor names (rows of X).
    pub predictor_names: Vec<String>,
    /// Predictor weights (diagonal of V), sum 1.
    pub v: Vec<f64>,
    /// Predictor fit `(X1 - X0 w)' V (X1 - X0 w)` on the scaled predictors (Synth's `loss.w`).
    pub predictor_loss: f64,
    /// Treated outcome, every period.
    pub treated_path: Vec<f64>,
    /// Synthetic outcome, every period.
    pub synthetic_path: Vec<f64>,
    /// Treated minus synthetic.
    pub gaps: Vec<f64>,
    /// Root mean squared gap before treatment.
    pub rmspe_pre: f64,
    /// Root mean squared gap after treatment.
    pub rmspe_post: f64,
    /// Mean squared gap before treatment (pysyncon's `mspe`).
    pub mspe_pre: f64,
    /// Mean post-treatment gap.
    pub att: f64,
}

/// The prepared problem: outcomes, predictors, periods.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub y: Wide,
    /// Predictor values, units x rows (row-major), unscaled.
    pub x: Vec<f64>,
    pub names: Vec<String>,
    pub t0: usize,
    /// The rows are exactly the pre-period outcomes: no scaling, V equal, so the weights
    /// minimise the pre-period MSPE itself.
    pub outcome_rows_only: bool,
    /// Number of predictor-mean rows (they come first).
    pub n_pred: usize,
}

impl Problem {
    pub fn n_rows(&self) -> usize {
        self.names.len()
    }

    pub fn build(frame: &Frame<'_>, p: &SyntheticControl) -> crate::Result<Problem> {
        let panel = Panel::new(frame, &p.unit, &p.time)?;
        let y = Wide::new(frame, &panel, &p.outcome, "the outcome")?;
        let t0 = y.periods.iter().filter(|&&t| t < p.treatment_start).count();
        let (first, last) = (y.periods[0], *y.periods.last().unwrap_or(&0));
        if t0 == y.n_periods() {
            return Err(
                SynthError::StartOutside { start: p.treatment_start, side: "post-treatment", first, last }.into()
            );
        }
        if t0 < 2 {
            return Err(SynthError::TooFewPrePeriods {
                what: format!("treated unit {}", p.treated_unit),
                got: t0,
                needed: 2,
            }
            .into());
        }
        let nu = y.n_units();
        let mut names = Vec::new();
        let mut cols: Vec<Vec<f64>> = Vec::new();
        for name in &p.predictors {
            let w = Wide::new(frame, &panel, name, "a predictor")?;
            let m: Vec<f64> = (0..nu).map(|u| w.row(u)[..t0].iter().sum::<f64>() / t0 as f64).collect();
            names.push(format!("{name} (mean)"));
            cols.push(m);
        }
        let lags: Vec<usize> = match &p.outcome_lags {
            None if p.predictors.is_empty() => (0..t0).collect(),
            None => Vec::new(),
            Some(l) => {
                let mut idx = Vec::with_capacity(l.len());
                for &period in l {
                    match y.periods[..t0].iter().position(|&t| t == period) {
                        Some(s) if !idx.contains(&s) => idx.push(s),
                        Some(_) => {}
                        None => {
                            return Err(SynthError::BadPredictor {
                                name: "outcome_lags".into(),
                                reason: format!(
                                    "{period} is not a pre-treatment period (pre-periods run {first}..{})",
                                    y.periods[t0 - 1]
                                ),
                            }
                            .into())
                        }
                    }
                }
                idx
            }
        };
        if p.predictors.is_empty() && lags.is_empty() {
            return Err(SynthError::BadPredictor {
                name: "outcome_lags".into(),
                reason: "is empty and there are no predictors: nothing to match on".into(),
            }
            .into());
        }
        let outcome_rows_only = p.predictors.is_empty() && lags.len() == t0;
        for &s in &lags {
            names.push(format!("{} {}", p.outcome, y.periods[s]));
            cols.push((0..nu).map(|u| y.row(u)[s]).collect());
        }
        let k = names.len();
        let mut x = vec![0.0; nu * k];
        for (r, c) in cols.iter().enumerate() {
            for u in 0..nu {
                x[u * k + r] = c[u];
            }
        }
        let n_pred = p.predictors.len();
        Ok(Problem { y, x, names, t0, outcome_rows_only, n_pred })
    }

    /// Fit unit `treated` against `donors`, with `v` fixed, or optimised when `optimise` and
    /// there are predictors besides the pre-period outcomes (otherwise V is equal).
    pub fn fit(&self, treated: usize, donors: &[usize], v: Option<&[f64]>, optimise: bool, max_evals: usize) -> ScFit {
        let k = self.n_rows();
        let nd = donors.len();
        // Scale each predictor row to unit SD across the units in this fit (Synth), unless the
        // pre-period outcomes are the only predictors: then the weights minimise the
        // pre-period MSPE itself.
        let units: Vec<usize> = std::iter::once(treated).chain(donors.iter().copied()).collect();
        let scale: Vec<f64> = (0..k)
            .map(|r| {
                if self.outcome_rows_only {
                    return 1.0;
                }
                let vals: Vec<f64> = units.iter().map(|&u| self.x[u * k + r]).collect();
                let s = sd(&vals);
                if s > 0.0 {
                    s
                } else {
                    1.0
                }
            })
            .collect();
        let x1: Vec<f64> = (0..k).map(|r| self.x[treated * k + r] / scale[r]).collect();
        let x0: Vec<f64> = donors
            .iter()
            .flat_map(|&u| (0..k).map(move |r| (u, r)))
            .map(|(u, r)| self.x[u * k + r] / scale[r])
            .collect();
        // Outcome loss on the pre-period.
        let t0 = self.t0;
        let y1: Vec<f64> = self.y.row(treated)[..t0].to_vec();
        let y0: Vec<f64> = donors.iter().flat_map(|&u| self.y.row(u)[..t0].to_vec()).collect();
        let y0m = ColMat::new(&y0, t0, nd);
        let mut support: Vec<usize> = Vec::new();
        // Tie-break: when the predictors do not pin the weights down (the treated unit inside
        // the donors' hull in predictor space fits exactly with many weight vectors), Synth's
        // answer depends on where its solver stops. We add the pre-period outcome MSPE with a
        // relative weight TIE_BREAK, which selects, among (near-)equal predictor fits, the
        // weights with the best outcome fit and moves unique solutions by O(TIE_BREAK).
        let y1_sq: f64 = y1.iter().map(|a| a * a).sum::<f64>().max(f64::MIN_POSITIVE);
        let augment = !self.outcome_rows_only;
        let rows = if augment { k + t0 } else { k };
        let solve = |vv: &[f64], support: &mut Vec<usize>| -> Vec<f64> {
            let sq: Vec<f64> = vv.iter().map(|v| v.max(0.0).sqrt()).collect();
            let x1v: f64 = x1.iter().zip(vv).map(|(a, v)| a * a * v).sum();
            let c = (TIE_BREAK * x1v.max(f64::MIN_POSITIVE) / y1_sq).sqrt();
            let mut z = Vec::with_capacity(rows * nd);
            for (j, col) in x0.chunks(k).enumerate() {
                z.extend(col.iter().zip(&sq).map(|(a, s)| a * s));
                if augment {
                    z.extend(y0m.col(j).iter().map(|a| a * c));
                }
            }
            let mut t: Vec<f64> = x1.iter().zip(&sq).map(|(a, s)| a * s).collect();
            if augment {
                t.extend(y1.iter().map(|a| a * c));
            }
            let sol = simplex_least_squares(ColMat::new(&z, rows, nd), &t, Some(support), 1e-13);
            *support = (0..nd).filter(|&j| sol.weights[j] > 0.0).collect();
            sol.weights
        };
        let loss = |w: &[f64]| -> f64 {
            let mut s = 0.0;
            for r in 0..t0 {
                let fitted: f64 = (0..nd).map(|j| y0m.col(j)[r] * w[j]).sum();
                s += (y1[r] - fitted).powi(2);
            }
            s / t0 as f64
        };
        let v_final: Vec<f64> = match v {
            Some(v) => {
                let s: f64 = v.iter().sum();
                v.iter().map(|x| x / s).collect()
            }
            None if !optimise || self.outcome_rows_only || k == 1 => vec![1.0 / k as f64; k],
            None => {
                // Starting points: equal weights, and (with both kinds of rows) the outcome
                // rows only, which nearly minimises the outcome MSPE when there are many lags.
                let equal = vec![0.0; k];
                let n_pred = self.n_pred;
                let mut starts = vec![equal.clone()];
                if n_pred > 0 && n_pred < k {
                    let mut outcome_only = vec![0.0; k];
                    outcome_only[..n_pred].iter_mut().for_each(|v| *v = -20.0);
                    starts.push(outcome_only);
                }
                let to_v = |th: &[f64]| -> Vec<f64> {
                    let m = th.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let e: Vec<f64> = th.iter().map(|t| (t - m).exp()).collect();
                    let s: f64 = e.iter().sum();
                    e.iter().map(|x| x / s).collect()
                };
                let mut best = (f64::INFINITY, equal.clone());
                let per_start = max_evals / starts.len();
                for start in starts {
                    let (th, val) = nelder_mead(
                        |th| {
                            let w = solve(&to_v(th), &mut support);
                            loss(&w)
                        },
                        &start,
                        per_start,
                    );
                    if val < best.0 {
                        best = (val, th);
                    }
                }
                to_v(&best.1)
            }
        };
        let w = solve(&v_final, &mut support);
        let predictor_loss: f64 =
            (0..k).map(|r| v_final[r] * (x1[r] - (0..nd).map(|j| x0[j * k + r] * w[j]).sum::<f64>()).powi(2)).sum();
        let nt = self.y.n_periods();
        let treated_path = self.y.row(treated).to_vec();
        let synthetic_path: Vec<f64> =
            (0..nt).map(|s| donors.iter().zip(&w).map(|(&u, wj)| self.y.row(u)[s] * wj).sum()).collect();
        let gaps: Vec<f64> = treated_path.iter().zip(&synthetic_path).map(|(a, b)| a - b).collect();
        let mspe_pre = gaps[..t0].iter().map(|g| g * g).sum::<f64>() / t0 as f64;
        let post = &gaps[t0..];
        let rmspe_post = (post.iter().map(|g| g * g).sum::<f64>() / post.len() as f64).sqrt();
        ScFit {
            unit: self.y.units[treated].clone(),
            donors: donors.iter().map(|&u| self.y.units[u].clone()).collect(),
            weights: w,
            predictor_names: self.names.clone(),
            v: v_final,
            predictor_loss,
            att: post.iter().sum::<f64>() / post.len() as f64,
            treated_path,
            synthetic_path,
            rmspe_pre: mspe_pre.sqrt(),
            rmspe_post,
            mspe_pre,
            gaps,
        }
    }
}

/// Nelder-Mead minimisation (standard coefficients 1, 2, 0.5, 0.5; initial simplex steps of 1).
fn nelder_mead(mut f: impl FnMut(&[f64]) -> f64, x0: &[f64], max_evals: usize) -> (Vec<f64>, f64) {
    let n = x0.len();
    let mut pts: Vec<Vec<f64>> = vec![x0.to_vec()];
    for i in 0..n {
        let mut p = x0.to_vec();
        p[i] += 1.0;
        pts.push(p);
    }
    let mut vals: Vec<f64> = pts.iter().map(|p| f(p)).collect();
    let mut evals = n + 1;
    while evals < max_evals {
        let mut idx: Vec<usize> = (0..=n).collect();
        idx.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
        pts = idx.iter().map(|&i| pts[i].clone()).collect();
        vals = idx.iter().map(|&i| vals[i]).collect();
        if (vals[n] - vals[0]).abs() <= 1e-10 * (vals[0].abs() + 1e-12) {
            break;
        }
        let c: Vec<f64> = (0..n).map(|j| pts[..n].iter().map(|p| p[j]).sum::<f64>() / n as f64).collect();
        let at = |a: f64| -> Vec<f64> { (0..n).map(|j| c[j] + a * (pts[n][j] - c[j])).collect() };
        let xr = at(-1.0);
        let fr = f(&xr);
        evals += 1;
        if fr < vals[0] {
            let xe = at(-2.0);
            let fe = f(&xe);
            evals += 1;
            if fe < fr {
                pts[n] = xe;
                vals[n] = fe;
            } else {
                pts[n] = xr;
                vals[n] = fr;
            }
        } else if fr < vals[n - 1] {
            pts[n] = xr;
            vals[n] = fr;
        } else {
            let xc = if fr < vals[n] { at(-0.5) } else { at(0.5) };
            let fc = f(&xc);
            evals += 1;
            if fc < vals[n].min(fr) {
                pts[n] = xc;
                vals[n] = fc;
            } else {
                for i in 1..=n {
                    pts[i] = (0..n).map(|j| pts[0][j] + 0.5 * (pts[i][j] - pts[0][j])).collect();
                    vals[i] = f(&pts[i]);
                }
                evals += n;
            }
        }
    }
    let b = (0..=n).min_by(|&a, &b| vals[a].total_cmp(&vals[b])).unwrap_or(0);
    (pts[b].clone(), vals[b])
}

/// Diagnostics of a fit: the treated unit above or below every donor (hence outside their
/// convex hull) in more than 10 % of the pre-periods, reported with the pre-period RMSPE
/// against the treated unit's own pre-period SD; donors with a constant pre-period outcome.
pub(crate) fn diagnostics(p: &Problem, treated: usize, donors: &[usize], fit: &ScFit) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let outside: Vec<i64> = (0..p.t0)
        .filter(|&s| {
            let v = p.y.row(treated)[s];
            donors.iter().all(|&u| p.y.row(u)[s] < v) || donors.iter().all(|&u| p.y.row(u)[s] > v)
        })
        .map(|s| p.y.periods[s])
        .collect();
    // More than 10 % of the pre-periods: a lone period just outside the range is noise.
    if outside.len() * 10 > p.t0 {
        out.push(Diagnostic::new(
            DiagnosticCode::PoorFit,
            format!(
                "the treated unit {} lies outside the donors' range (so outside their convex hull) in {} of {} pre-periods (e.g. {}); pre-period RMSPE {:.4} against a treated pre-period SD of {:.4}: the synthetic control can only approximate it there",
                fit.unit,
                outside.len(),
                p.t0,
                outside[0],
                fit.rmspe_pre,
                sd(&p.y.row(treated)[..p.t0])
            ),
        ));
    }
    let constant: Vec<String> = donors
        .iter()
        .filter(|&&u| {
            let r = &p.y.row(u)[..p.t0];
            r.iter().all(|&v| v == r[0])
        })
        .map(|&u| p.y.units[u].clone())
        .collect();
    if !constant.is_empty() {
        out.push(Diagnostic::new(
            DiagnosticCode::ConstantDonors,
            format!("donor(s) with a constant pre-period outcome: {} (kept; their placebo fits are excluded from the p-value when the pre-period RMSPE is 0)", constant.join(", ")),
        ));
    }
    out
}

fn sd(x: &[f64]) -> f64 {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1).max(1) as f64).sqrt()
}
