//! Aggregations of ATT(g,t) (R `did`'s `aggte`), reusing the stored influence functions.
//!
//! With $\pi_g$ the (weighted) share of units in cohort $g$:
//! - simple: $\theta = \sum_{g \le t} \pi_g ATT(g,t) / \sum_{g \le t} \pi_g$;
//! - dynamic: $\theta(e) = \sum_g \pi_g ATT(g, g+e) / \sum_g \pi_g$ over cohorts observed at $e$,
//!   overall the mean of $\theta(e)$ over $e \ge 0$;
//! - group: $\theta(g) = $ mean of $ATT(g,t)$ over $t \ge g$, overall $\sum_g \pi_g \theta(g)/\sum_g \pi_g$;
//! - calendar: $\theta(t) = \sum_{g \le t} \pi_g ATT(g,t)/\sum_{g \le t}\pi_g$, overall their mean.
//!
//! The influence function of each aggregate is the weighted sum of the ATT(g,t) influence
//! functions plus the term for estimating the weights $\pi_g$ (R `did`'s `wif`):
//! $\psi^w_i = \big(w_i a_i - T\big)/S - \big(w_i c_i - S\big)T/S^2$, with $S = \sum_k \pi_k$,
//! $T = \sum_k \pi_k ATT_k$ over the cells $k$ kept, $a_i$ the sum of kept ATTs of unit $i$'s
//! cohort and $c_i$ their number. Cells without an estimate (NaN) are left out with a warning.

use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};

use super::att_gt::cohort_blocks;
use super::params::{check_alpha, Aggregate, AggregationKind};
use super::result::{AggregateRow, AggregatedEffects, Band, CellInfluence, GroupTimeEffects, Influence};
use super::DidError;
use crate::inference::multiplier_bootstrap;
use crate::results::{Diagnostic, DiagnosticCode};

/// Units per chunk of the evaluation passes for `rows` influence functions: every row's
/// values for a chunk stay in cache (about 512 KiB).
fn chunk_len(rows: usize) -> usize {
    ((1 << 16) / rows.max(1)).clamp(256, 4096)
}

/// Standard errors of every ATT(g,t) from the stored influence functions (`NaN` when zero).
pub(crate) fn cell_std_errors(inf: &Influence) -> Vec<f64> {
    let ctx = Ctx::new(inf);
    let n = ctx.n;
    if inf.n_clusters != n || ctx.has_moments() {
        return ctx.std_errors(&single_cells(inf));
    }
    // By unit: sums of squares over each cell's own units, chunk after chunk in parallel.
    let chunk = 2048;
    let parts: Vec<Vec<f64>> = (0..n.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            let (lo, hi) = (c * chunk, ((c + 1) * chunk).min(n));
            let ss = |cell: &CellInfluence| {
                let mut ss = 0.0;
                cell.for_window(&inf.y, &inf.unit_weight, lo, hi, |_, psi| {
                    ss += psi.iter().map(|v| v * v).sum::<f64>()
                });
                ss
            };
            inf.cells.iter().map(ss).collect()
        })
        .collect();
    (0..inf.cells.len()).map(|k| positive(parts.iter().map(|p| p[k]).sum::<f64>().sqrt() / n as f64)).collect()
}

/// `x` when it is a positive finite standard error, else `NaN`.
fn positive(x: f64) -> f64 {
    if x > 0.0 && x.is_finite() {
        x
    } else {
        f64::NAN
    }
}

/// Cluster sums (column-major `n_clusters x cells`) of every ATT(g,t)'s influence function.
pub(crate) fn cell_cluster_sums(inf: &Influence) -> Vec<f64> {
    let ctx = Ctx::new(inf);
    ctx.cluster_sums(&single_cells(inf))
}

fn single_cells(inf: &Influence) -> Vec<Combo> {
    (0..inf.cells.len()).map(|k| Combo { cells: vec![(k, 1.0)], beta: Vec::new() }).collect()
}

/// An aggregate's influence function: $\sum_k a_k \psi_k$ over cells `(k, a_k)` plus the
/// weight-estimation term, $w_i \beta_b$ for units of block $b$ (the constant parts of R
/// `did`'s `wif` cancel: $\psi^w_i = w_i (a_i/S - c_i T/S^2)$).
#[derive(Debug, Clone, Default)]
struct Combo {
    cells: Vec<(usize, f64)>,
    beta: Vec<f64>,
}

impl Combo {
    /// `sum_r c_r combo_r`.
    fn sum<'a>(parts: impl IntoIterator<Item = (f64, &'a Combo)>, n_blocks: usize) -> Combo {
        let mut out = Combo { cells: Vec::new(), beta: vec![0.0; n_blocks] };
        for (c, r) in parts {
            out.cells.extend(r.cells.iter().map(|&(k, a)| (k, c * a)));
            for (b, v) in out.beta.iter_mut().zip(&r.beta) {
                *b += c * v;
            }
        }
        out
    }
}

struct Ctx<'a> {
    inf: &'a Influence,
    blocks: Vec<(i64, usize, usize)>,
    /// Weight total of each block.
    block_weight: Vec<f64>,
    n: usize,
}

impl<'a> Ctx<'a> {
    fn new(inf: &'a Influence) -> Ctx<'a> {
        let blocks = cohort_blocks(&inf.unit_cohort);
        let block_weight = blocks.iter().map(|b| inf.unit_weight[b.1..b.2].iter().sum::<f64>()).collect();
        Ctx { inf, blocks, block_weight, n: inf.unit_cohort.len() }
    }

    /// Share of (weighted) units in cohort g.
    fn pg(&self, g: i64) -> f64 {
        self.blocks.iter().zip(&self.block_weight).filter(|(b, _)| b.0 == g).map(|(_, w)| w).sum::<f64>()
            / self.n as f64
    }

    /// The weight-estimation term for kept items `(cohort, pg, att)`, as a per-block slope.
    fn wif(&self, kept: &[(i64, f64, f64)]) -> Vec<f64> {
        let s: f64 = kept.iter().map(|k| k.1).sum();
        let t: f64 = kept.iter().map(|k| k.1 * k.2).sum();
        self.blocks
            .iter()
            .map(|&(g, _, _)| {
                let a: f64 = kept.iter().filter(|k| k.0 == g).map(|k| k.2).sum();
                let c = kept.iter().filter(|k| k.0 == g).count() as f64;
                a / s - c * t / (s * s)
            })
            .collect()
    }

    /// Whether the blocks' outcome moments are kept ([`Influence::moments`]; then weights are 1
    /// and clusters are units).
    fn has_moments(&self) -> bool {
        !self.inf.moments.is_empty() && self.inf.moments.len() == self.blocks.len() && self.inf.n_clusters == self.n
    }

    /// $\sum_i \psi_i^2$ of a combo from the blocks' outcome moments, or `None` when a cell
    /// holds stored values. On block $b$ every closed-form cell is
    /// $s_d (Y_{i,cur} - Y_{i,base} - m_d)$ and the weight term the constant $\beta_b$, so the
    /// combo is $\psi_i = a_b'(Y_i - \bar Y_b) + k_b$ and, the centred part summing to zero in
    /// the block, $\sum_{i \in b} \psi_i^2 = a_b' C_b a_b + n_b k_b^2$ exactly.
    fn moment_ss(&self, combo: &Combo) -> Option<f64> {
        let m = &self.inf.moments;
        let nt = m.first()?.mean.len();
        let nb = self.blocks.len();
        let mut a = vec![0.0; nb * nt];
        let mut k = vec![0.0; nb];
        for (kb, beta) in k.iter_mut().zip(&combo.beta) {
            *kb = *beta;
        }
        for &(c, coef) in &combo.cells {
            let cell = &self.inf.cells[c];
            let Some(cf) = &cell.closed else {
                if cell.ranges.is_empty() {
                    continue;
                }
                return None;
            };
            for &(ra, rb) in &cell.ranges {
                let b = self.blocks.iter().position(|bl| bl.1 == ra && bl.2 == rb)?;
                let d = usize::from(ra == cf.treated_start);
                let s = coef * cf.scale[d];
                a[b * nt + cf.cur] += s;
                a[b * nt + cf.base] -= s;
                k[b] += s * ((m[b].mean[cf.cur] - m[b].mean[cf.base]) - cf.mean[d]);
            }
        }
        let mut ss = 0.0;
        for (b, mb) in m.iter().enumerate() {
            let ab = &a[b * nt..(b + 1) * nt];
            let mut q = 0.0;
            for (row, &ai) in mb.cross.chunks(nt).zip(ab) {
                if ai != 0.0 {
                    q += ai * row.iter().zip(ab).map(|(c, aj)| c * aj).sum::<f64>();
                }
            }
            ss += q + mb.n * k[b] * k[b];
        }
        Some(ss)
    }

    /// Values of every combo on units `lo..lo + out.len() / combos.len()`, row after row.
    fn eval_chunk(&self, combos: &[Combo], lo: usize, out: &mut [f64]) {
        let len = out.len() / combos.len().max(1);
        let hi = lo + len;
        out.fill(0.0);
        let w = &self.inf.unit_weight;
        for (combo, row) in combos.iter().zip(out.chunks_mut(len.max(1))) {
            for &(k, a) in &combo.cells {
                self.inf.cells[k].for_window(&self.inf.y, w, lo, hi, |j, psi| {
                    for (o, v) in row[j..j + psi.len()].iter_mut().zip(psi) {
                        *o += a * v;
                    }
                });
            }
            for (&(_, ba, bb), &beta) in self.blocks.iter().zip(&combo.beta) {
                let (a0, b0) = (ba.max(lo), bb.min(hi));
                if a0 < b0 && beta != 0.0 {
                    for (o, wu) in row[a0 - lo..b0 - lo].iter_mut().zip(&w[a0..b0]) {
                        *o += beta * wu;
                    }
                }
            }
        }
    }

    /// Cluster sums of the combos' influence functions (column-major `n_clusters x rows`); by
    /// unit they are the functions themselves. Unit chunks in parallel.
    fn cluster_sums(&self, combos: &[Combo]) -> Vec<f64> {
        let (n, r) = (self.n, combos.len());
        let chunk = chunk_len(r);
        if self.inf.n_clusters == n {
            let mut out = vec![0.0; n * r];
            let mut pieces: Vec<Vec<&mut [f64]>> = (0..n.div_ceil(chunk)).map(|_| Vec::with_capacity(r)).collect();
            for col in out.chunks_mut(n) {
                for (c, piece) in col.chunks_mut(chunk).enumerate() {
                    pieces[c].push(piece);
                }
            }
            pieces.into_par_iter().enumerate().for_each_init(Vec::new, |buf, (c, mut cols)| {
                let len = cols.first().map_or(0, |p| p.len());
                buf.resize(len * r, 0.0);
                self.eval_chunk(combos, c * chunk, buf);
                for (dst, src) in cols.iter_mut().zip(buf.chunks(len)) {
                    dst.copy_from_slice(src);
                }
            });
            return out;
        }
        let g = self.inf.n_clusters;
        let mut out = vec![0.0; g * r];
        let mut buf = Vec::new();
        for lo in (0..n).step_by(chunk) {
            let len = chunk.min(n - lo);
            buf.resize(len * r, 0.0);
            self.eval_chunk(combos, lo, &mut buf);
            for (col, vals) in out.chunks_mut(g).zip(buf.chunks(len)) {
                for (u, v) in (lo..lo + len).zip(vals) {
                    col[self.inf.unit_cluster[u] as usize] += v;
                }
            }
        }
        out
    }

    /// Standard errors $\sqrt{\sum_c (\sum_{i \in c} \psi_i)^2}/n$ of the combos; by unit
    /// without holding the functions (sums of squares over unit chunks, in parallel).
    fn std_errors(&self, combos: &[Combo]) -> Vec<f64> {
        let (n, r) = (self.n, combos.len());
        let chunk = chunk_len(r);
        let from_moments: Option<Vec<f64>> =
            if self.has_moments() { combos.iter().map(|c| self.moment_ss(c)).collect() } else { None };
        let ss: Vec<f64> = if let Some(ss) = from_moments {
            ss
        } else if self.inf.outcomes_deferred {
            // Not reached: outcomes are deferred only when every cell is in closed form.
            vec![f64::NAN; r]
        } else if self.inf.n_clusters == n {
            let parts: Vec<Vec<f64>> = (0..n.div_ceil(chunk))
                .into_par_iter()
                .map_init(Vec::new, |buf, c| {
                    let len = chunk.min(n - c * chunk);
                    buf.resize(len * r, 0.0);
                    self.eval_chunk(combos, c * chunk, buf);
                    buf.chunks(len).map(|v| v.iter().map(|x| x * x).sum::<f64>()).collect()
                })
                .collect();
            (0..r).map(|j| parts.iter().map(|p| p[j]).sum()).collect()
        } else {
            let sums = self.cluster_sums(combos);
            sums.chunks(self.inf.n_clusters).map(|col| col.iter().map(|x| x * x).sum()).collect()
        };
        ss.iter().map(|s| positive(s.sqrt() / n as f64)).collect()
    }
}

/// A row under construction: key, estimate, influence function.
type Built = (Option<i64>, f64, Combo);

impl GroupTimeEffects {
    /// Aggregate the ATT(g,t) (simple, dynamic, group or calendar).
    ///
    /// # Errors
    /// [`DidError::EmptyAggregation`] when the selection holds no estimate; params errors for
    /// `alpha` out of range or fewer bootstrap draws than [`crate::inference::MIN_DRAWS`].
    pub fn aggregate(&self, opts: &Aggregate) -> crate::Result<AggregatedEffects> {
        aggregate(self, opts)
    }
}

fn aggregate(res: &GroupTimeEffects, opts: &Aggregate) -> crate::Result<AggregatedEffects> {
    let alpha = opts.alpha.unwrap_or(res.params.alpha);
    check_alpha(alpha)?;
    let bootstrap = opts.bootstrap.unwrap_or(res.params.bootstrap);
    if let Some(b) = bootstrap {
        crate::inference::check_draws("bootstrap", b.n_boot)?;
    }
    if bootstrap.is_some() && res.influence.outcomes_deferred {
        return Err(DidError::DataChanged.into());
    }
    let kind_name = opts.kind.as_str();
    let inf = &res.influence;
    let n = inf.unit_cohort.len();
    let ctx = Ctx::new(inf);
    let fx = &res.effects;
    let mut warnings = Vec::new();
    let valid: Vec<bool> = fx.iter().map(|e| e.estimate.is_finite()).collect();
    let n_nan = valid.iter().filter(|v| !**v).count();
    if n_nan > 0 {
        warnings.push(Diagnostic::new(
            DiagnosticCode::Identification,
            format!("{n_nan} ATT(g,t) without an estimate left out of the {kind_name} aggregation"),
        ));
    }
    let (min_e, max_e) = (opts.min_e.unwrap_or(i64::MIN), opts.max_e.unwrap_or(i64::MAX));
    let in_window = |k: usize| valid[k] && fx[k].post && fx[k].event_time >= min_e && fx[k].event_time <= max_e;
    let pg: Vec<f64> = fx.iter().map(|e| ctx.pg(e.cohort)).collect();
    let empty = |reason: String| -> crate::Error { DidError::EmptyAggregation { kind: kind_name, reason }.into() };
    // Weighted average of the cells `which`, with the weight-estimation term when `wif`.
    let n_blocks = ctx.blocks.len();
    let combine = |key: Option<i64>, which: &[usize], wif: bool| -> Built {
        let s: f64 = which.iter().map(|&k| pg[k]).sum();
        let mut combo = Combo { cells: Vec::with_capacity(which.len()), beta: vec![0.0; n_blocks] };
        let mut est = 0.0;
        for &k in which {
            let a = pg[k] / s;
            est += a * fx[k].estimate;
            combo.cells.push((k, a));
        }
        if wif {
            let kept: Vec<(i64, f64, f64)> = which.iter().map(|&k| (fx[k].cohort, pg[k], fx[k].estimate)).collect();
            combo.beta = ctx.wif(&kept);
        }
        (key, est, combo)
    };
    let mean_of = |rows: &[Built]| -> Built {
        let m = rows.len() as f64;
        let combo = Combo::sum(rows.iter().map(|r| (1.0 / m, &r.2)), n_blocks);
        (None, rows.iter().map(|r| r.1).sum::<f64>() / m, combo)
    };
    let (rows, overall): (Vec<Built>, Built) = match opts.kind {
        AggregationKind::Simple => {
            let keep: Vec<usize> = (0..fx.len()).filter(|&k| in_window(k)).collect();
            if keep.is_empty() {
                return Err(empty("no post-treatment ATT(g,t) in the event-time window".into()));
            }
            (Vec::new(), combine(None, &keep, true))
        }
        AggregationKind::Group => {
            let mut rows = Vec::new();
            for c in &res.cohorts {
                let which: Vec<usize> = (0..fx.len()).filter(|&k| fx[k].cohort == c.cohort && in_window(k)).collect();
                if which.is_empty() {
                    return Err(empty(format!("cohort {} has no post-treatment ATT(g,t) in the window", c.cohort)));
                }
                rows.push(combine(Some(c.cohort), &which, false));
            }
            // Overall: cohort effects weighted by cohort size, with the weight-estimation term.
            let kept: Vec<(i64, f64, f64)> =
                rows.iter().map(|r| (r.0.unwrap_or(0), ctx.pg(r.0.unwrap_or(0)), r.1)).collect();
            let s: f64 = kept.iter().map(|k| k.1).sum();
            let mut combo = Combo::sum(rows.iter().zip(&kept).map(|(r, k)| (k.1 / s, &r.2)), n_blocks);
            for (b, v) in combo.beta.iter_mut().zip(ctx.wif(&kept)) {
                *b += v;
            }
            let est = kept.iter().map(|k| k.1 * k.2).sum::<f64>() / s;
            (rows, (None, est, combo))
        }
        AggregationKind::Dynamic => {
            let mut include: Vec<bool> = valid.clone();
            let mut eseq: Vec<i64> = Vec::new();
            if let Some(be) = opts.balance_e {
                let max_t = fx.iter().map(|e| e.time).max().unwrap_or(0);
                let min_t = res.periods.first().copied().unwrap_or(0);
                let required: Vec<i64> = {
                    let mut r: Vec<i64> = fx
                        .iter()
                        .filter(|e| max_t - e.cohort >= be && e.event_time >= 0 && e.event_time <= be)
                        .map(|e| e.event_time)
                        .collect();
                    r.sort_unstable();
                    r.dedup();
                    r
                };
                let complete: Vec<i64> = res
                    .cohorts
                    .iter()
                    .map(|c| c.cohort)
                    .filter(|&g| max_t - g >= be)
                    .filter(|&g| {
                        required
                            .iter()
                            .all(|&e| (0..fx.len()).any(|k| valid[k] && fx[k].cohort == g && fx[k].event_time == e))
                    })
                    .collect();
                if complete.is_empty() {
                    return Err(empty(format!("no cohort is observed at every event time 0..={be}")));
                }
                for (k, inc) in include.iter_mut().enumerate() {
                    *inc = *inc && complete.contains(&fx[k].cohort);
                }
                eseq.extend((0..fx.len()).filter(|&k| include[k]).map(|k| fx[k].event_time));
                eseq.retain(|&e| e <= be && e >= be - max_t + min_t);
            } else {
                eseq.extend((0..fx.len()).filter(|&k| include[k]).map(|k| fx[k].event_time));
            }
            eseq.sort_unstable();
            eseq.dedup();
            eseq.retain(|&e| e >= min_e && e <= max_e);
            if eseq.is_empty() {
                return Err(empty("no event time in the window".into()));
            }
            let rows: Vec<Built> = eseq
                .iter()
                .map(|&e| {
                    let which: Vec<usize> = (0..fx.len()).filter(|&k| include[k] && fx[k].event_time == e).collect();
                    combine(Some(e), &which, true)
                })
                .collect();
            let post: Vec<Built> = rows.iter().filter(|r| r.0.unwrap_or(-1) >= 0).cloned().collect();
            let overall = if post.is_empty() { (None, f64::NAN, Combo::default()) } else { mean_of(&post) };
            (rows, overall)
        }
        AggregationKind::Calendar => {
            let min_g = res.cohorts.iter().map(|c| c.cohort).min().unwrap_or(i64::MAX);
            let rows: Vec<Built> = res
                .periods
                .iter()
                .filter(|&&t| t >= min_g)
                .filter_map(|&t| {
                    let which: Vec<usize> =
                        (0..fx.len()).filter(|&k| valid[k] && fx[k].time == t && fx[k].post).collect();
                    (!which.is_empty()).then(|| combine(Some(t), &which, true))
                })
                .collect();
            if rows.is_empty() {
                return Err(empty("no period has a post-treatment ATT(g,t)".into()));
            }
            let overall = mean_of(&rows);
            (rows, overall)
        }
    };
    let z = Normal::standard().inverse_cdf(1.0 - alpha / 2.0);
    let mut all: Vec<Built> = rows;
    all.push(overall);
    let combos: Vec<Combo> = all.iter().map(|r| r.2.clone()).collect();
    let mut se: Vec<f64> = ctx.std_errors(&combos);
    let (mut band, mut crit, mut se_type) = (Band::Pointwise, z, "analytic".to_string());
    if let Some(b) = bootstrap {
        let sums = ctx.cluster_sums(&combos);
        let draws = multiplier_bootstrap(
            &sums,
            inf.n_clusters,
            all.len(),
            1.0 / n as f64,
            b.n_boot,
            b.weights,
            opts.seed.or(res.params.seed).unwrap_or(0),
        )?;
        let bse = draws.std_errors();
        for (s, b) in se.iter_mut().zip(bse) {
            *s = if s.is_finite() { b } else { f64::NAN };
        }
        se_type = format!("bootstrap ({} {} draws)", b.n_boot, format!("{:?}", b.weights).to_lowercase());
        let cols: Vec<usize> = (0..all.len() - 1).collect();
        if !cols.is_empty() {
            let c = draws.sup_t_critical(&se, &cols, alpha);
            if c.is_finite() && c >= z {
                band = Band::Simultaneous;
                crit = c;
            }
        }
    }
    let last = all.len() - 1;
    let mk = |i: usize, r: &Built, c: f64| AggregateRow {
        key: r.0,
        estimate: r.1,
        std_error: se[i],
        conf_low: r.1 - c * se[i],
        conf_high: r.1 + c * se[i],
    };
    let out_rows: Vec<AggregateRow> = all[..last].iter().enumerate().map(|(i, r)| mk(i, r, crit)).collect();
    let overall_row = mk(last, &all[last], z);
    Ok(AggregatedEffects {
        kind: opts.kind,
        rows: out_rows,
        overall: overall_row,
        band,
        critical_value: crit,
        alpha,
        std_error_type: se_type,
        min_e: opts.min_e,
        max_e: opts.max_e,
        balance_e: opts.balance_e,
        warnings,
        n_obs: res.n_obs,
        n_units: res.n_units,
    })
}
