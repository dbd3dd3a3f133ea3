//! Results of `att_gt` and its aggregations: plain serde data, plus the stored influence
//! functions (not serialised) that aggregations and the bootstrap reuse.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::cohort::{CohortCount, TimingReport};
use super::params::{AggregationKind, AttGt};
use crate::results::Diagnostic;

/// Pointwise intervals or a simultaneous (sup-t) band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Each interval covers its own effect at 1 - alpha.
    Pointwise,
    /// All intervals cover their effects jointly at 1 - alpha (multiplier-bootstrap sup-t).
    Simultaneous,
}

/// One ATT(g,t).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GroupTimeEffect {
    /// Cohort g (first treated period).
    pub cohort: i64,
    /// Period t.
    pub time: i64,
    /// The period t is compared with.
    pub base_period: i64,
    /// t - g.
    pub event_time: i64,
    /// Whether t >= g (post-treatment).
    pub post: bool,
    /// ATT(g,t) (`NaN` when it cannot be estimated; see the warnings).
    pub estimate: f64,
    /// Standard error (`NaN` for the universal base cell and cells with fewer than 2 treated units).
    pub std_error: f64,
    /// Lower end of the interval or band.
    pub conf_low: f64,
    /// Upper end.
    pub conf_high: f64,
    /// Treated units in the comparison.
    pub n_treated: usize,
    /// Control units in the comparison.
    pub n_control: usize,
}

/// Rows removed before estimation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DidDrops {
    /// Rows in the input.
    pub n_input_rows: usize,
    /// Rows with a missing outcome, covariate or weight, by column.
    pub missing_by_column: Vec<(String, usize)>,
    /// Units dropped because they are not observed (with complete data) in every period.
    pub n_unbalanced_units: usize,
    /// Periods dropped: with no never-treated units and not-yet-treated controls, periods from
    /// the last cohort's treatment on have no controls.
    pub dropped_periods: Vec<i64>,
    /// Cohort used only as a control (no never-treated units), if any.
    pub control_only_cohort: Option<i64>,
}

impl DidDrops {
    /// One sentence for summaries, empty when nothing was dropped.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let miss: Vec<String> =
            self.missing_by_column.iter().filter(|(_, c)| *c > 0).map(|(n, c)| format!("{n}: {c}")).collect();
        if !miss.is_empty() {
            parts.push(format!("rows with missing values dropped ({})", miss.join(", ")));
        }
        if self.n_unbalanced_units > 0 {
            parts.push(format!(
                "{} unit(s) not observed in every period dropped (balanced panel)",
                self.n_unbalanced_units
            ));
        }
        if !self.dropped_periods.is_empty() {
            let p: Vec<String> = self.dropped_periods.iter().map(|p| p.to_string()).collect();
            parts.push(format!("periods {} dropped (no never-treated units: no controls)", p.join(", ")));
        }
        if let Some(g) = self.control_only_cohort {
            parts.push(format!("cohort {g} used only as a control"));
        }
        parts.join("; ")
    }
}

/// Influence function of one ATT(g,t) over the units it uses (positions in the cohort-sorted
/// unit order, the half-open `ranges`): stored `values`, range after range, or for a cell
/// without covariates the closed form [`ClosedForm`] (then `values` is empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellInfluence {
    /// Half-open ranges of unit positions.
    pub ranges: Vec<(usize, usize)>,
    /// Values, range after range (empty when the cell has no estimate or is in closed form).
    pub values: Vec<f64>,
    /// The closed form of the values, if the cell has one.
    pub closed: Option<ClosedForm>,
}

/// Influence function of a cell without covariates:
/// $\psi_i = s_d\, w_i\, (Y_{i,cur} - Y_{i,base} - m_d)$ with $d = 1$ on the treated range
/// ($s_1 = n/W_1$, $m_1$ the treated mean change) and $d = 0$ on the control ranges
/// ($s_0 = -n/W_0$, $m_0$ the control mean change). Evaluated from the stored outcomes
/// ([`Influence::y`]) instead of holding one value per unit and cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClosedForm {
    /// Period index of the current and base periods.
    pub cur: usize,
    /// Base period index.
    pub base: usize,
    /// First unit position of the treated range.
    pub treated_start: usize,
    /// Mean change of the controls and of the treated.
    pub mean: [f64; 2],
    /// Scale of the controls and of the treated.
    pub scale: [f64; 2],
}

/// What aggregations and the bootstrap need: per-unit cohort, weight and cluster, and the
/// compact influence function of every ATT(g,t).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Influence {
    /// Cohort of each unit (0: never treated), units sorted by cohort.
    pub unit_cohort: Vec<i64>,
    /// Sampling weight of each unit (1 without weights).
    pub unit_weight: Vec<f64>,
    /// Cluster code of each unit (its own position when clustering by unit).
    pub unit_cluster: Vec<u32>,
    /// Number of clusters.
    pub n_clusters: usize,
    /// Outcome period after period (`T x n`, units in the order above), for closed-form cells.
    pub y: Vec<f64>,
    /// One per ATT(g,t), in the order of `effects`.
    pub cells: Vec<CellInfluence>,
    /// Outcome moments of each cohort block (in the order of the blocks of `unit_cohort`), or
    /// empty. Kept for sorted balanced panels by unit without weights or covariates: there the
    /// sum of squares of any combination of closed-form cells is a quadratic form in them.
    pub moments: Vec<BlockMoments>,
    /// The outcome copy `y` was left out ([`crate::did::AttGt`]'s `fit_deferred`): evaluating
    /// the functions unit by unit (a bootstrap) needs `GroupTimeEffects::restore_outcomes`.
    pub outcomes_deferred: bool,
}

/// Units per batch of [`BlockMoments::of_batch`].
pub const MOMENT_BATCH: usize = 64;

/// Moments of the outcome vectors $Y_i = (Y_{i1}, \dots, Y_{iT})$ of a cohort block: unit
/// count, period means $m$ and centred cross-products $C = \sum_i (Y_i - m)(Y_i - m)'$
/// (`T x T`, row-major), accumulated batch by batch with the pairwise update of Chan, Golub &
/// LeVeque (1979) so no raw second moment is formed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockMoments {
    /// Units.
    pub n: f64,
    /// Period means.
    pub mean: Vec<f64>,
    /// Centred cross-products, row-major.
    pub cross: Vec<f64>,
}

impl BlockMoments {
    /// No units, `nt` periods.
    pub fn empty(nt: usize) -> BlockMoments {
        BlockMoments { n: 0.0, mean: vec![0.0; nt], cross: vec![0.0; nt * nt] }
    }

    /// Set to the moments of a batch of `len <= MOMENT_BATCH` units held period-wise: period
    /// `j`'s values at `batch[j * MOMENT_BATCH..j * MOMENT_BATCH + len]` (`batch` holds a row
    /// for each of the `T` periods of `self`). Centres `batch` in place and sets the rest of
    /// each row to zero; allocates nothing.
    pub fn set_to_batch(&mut self, batch: &mut [f64], len: usize) {
        let nt = self.mean.len();
        assert!(len <= MOMENT_BATCH && batch.len() >= nt * MOMENT_BATCH, "a batch is T rows of MOMENT_BATCH units");
        let batch = &mut batch[..nt * MOMENT_BATCH];
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            return unsafe { batch_moments_avx2_fma(self, batch, len) };
        }
        batch_moments::<false>(self, batch, len);
    }

    /// Add another batch's moments (Chan, Golub & LeVeque's pairwise update).
    pub fn merge(&mut self, o: &BlockMoments) {
        if o.n == 0.0 {
            return;
        }
        if self.n == 0.0 {
            self.mean.copy_from_slice(&o.mean);
            self.cross.copy_from_slice(&o.cross);
            self.n = o.n;
            return;
        }
        let n = self.n + o.n;
        let f = self.n * o.n / n;
        let nt = self.mean.len();
        for (i, (row, orow)) in self.cross.chunks_mut(nt).zip(o.cross.chunks(nt)).enumerate() {
            let fdi = f * (o.mean[i] - self.mean[i]);
            for (((c, oc), om), m) in row.iter_mut().zip(orow).zip(&o.mean).zip(&self.mean) {
                *c += oc + fdi * (om - m);
            }
        }
        for (m, om) in self.mean.iter_mut().zip(&o.mean) {
            *m += (om - *m) * o.n / n;
        }
        self.n = n;
    }
}

impl CellInfluence {
    /// Call `f(k, psi)` on the cell's units in `lo..hi`, a stretch at a time: `psi` holds the
    /// influence values of units `lo + k..lo + k + psi.len()`; `y` and `w` as in [`Influence`].
    #[inline]
    pub fn for_window(&self, y: &[f64], w: &[f64], lo: usize, hi: usize, mut f: impl FnMut(usize, &[f64])) {
        let n = w.len();
        let mut offset = 0;
        let mut buf = [0.0; 256];
        for &(ra, rb) in &self.ranges {
            let (a0, b0) = (ra.max(lo), rb.min(hi));
            if a0 < b0 {
                match &self.closed {
                    Some(c) => {
                        let d = usize::from(ra == c.treated_start);
                        let (m, sc) = (c.mean[d], c.scale[d]);
                        for s0 in (a0..b0).step_by(buf.len()) {
                            let s1 = (s0 + buf.len()).min(b0);
                            let (ycur, ybase) =
                                (&y[c.cur * n + s0..c.cur * n + s1], &y[c.base * n + s0..c.base * n + s1]);
                            for (((o, wu), yc), yb) in buf.iter_mut().zip(&w[s0..s1]).zip(ycur).zip(ybase) {
                                *o = sc * wu * ((yc - yb) - m);
                            }
                            f(s0 - lo, &buf[..s1 - s0]);
                        }
                    }
                    None => f(a0 - lo, &self.values[offset + a0 - ra..offset + b0 - ra]),
                }
            }
            offset += rb - ra;
        }
    }
}

/// Callaway & Sant'Anna group-time average treatment effects.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GroupTimeEffects {
    /// ATT(g,t) by cohort, then period.
    pub effects: Vec<GroupTimeEffect>,
    /// Pointwise or simultaneous.
    pub band: Band,
    /// Critical value of the intervals (normal quantile, or the sup-t bootstrap quantile).
    pub critical_value: f64,
    /// `analytic` or `bootstrap`.
    pub std_error_type: String,
    /// Units used.
    pub n_units: usize,
    /// Rows used (units x periods).
    pub n_obs: usize,
    /// Periods used.
    pub periods: Vec<i64>,
    /// Treated cohorts with their sizes.
    pub cohorts: Vec<CohortCount>,
    /// Never-treated units used.
    pub n_never_treated: usize,
    /// Cluster variable and number of clusters (`None`: by unit).
    pub clusters: Option<(String, usize)>,
    /// Timing validation report (first-period cohorts dropped, late cohorts recoded).
    pub timing: TimingReport,
    /// Rows and units dropped.
    pub drops: DidDrops,
    /// The params used.
    pub params: AttGt,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
    /// virkning version.
    pub version: String,
    /// Stored influence functions.
    #[serde(skip)]
    pub influence: Influence,
}

/// One aggregated effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AggregateRow {
    /// Event time, cohort or period (by kind); `None` for the overall effect.
    pub key: Option<i64>,
    /// Estimate.
    pub estimate: f64,
    /// Standard error.
    pub std_error: f64,
    /// Lower end of the interval or band.
    pub conf_low: f64,
    /// Upper end.
    pub conf_high: f64,
}

/// An aggregation of ATT(g,t) (R `did`'s `aggte`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AggregatedEffects {
    /// Which aggregation.
    pub kind: AggregationKind,
    /// Effects by event time / cohort / period (empty for `simple`).
    pub rows: Vec<AggregateRow>,
    /// The overall effect (for `dynamic`: the average over event times >= 0).
    pub overall: AggregateRow,
    /// Pointwise or simultaneous (over `rows`).
    pub band: Band,
    /// Critical value of the row intervals.
    pub critical_value: f64,
    /// 1 - confidence level.
    pub alpha: f64,
    /// `analytic` or `bootstrap`.
    pub std_error_type: String,
    /// Event-time window and balancing used.
    pub min_e: Option<i64>,
    /// Largest event time.
    pub max_e: Option<i64>,
    /// Balancing event time.
    pub balance_e: Option<i64>,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
    /// Rows of the fit aggregated.
    #[serde(default)]
    pub n_obs: usize,
    /// Units of the fit aggregated.
    #[serde(default)]
    pub n_units: usize,
}

impl fmt::Display for GroupTimeEffects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Group-time ATT (Callaway & Sant'Anna): {} ~ {}, method {}, controls {}",
            self.params.outcome,
            self.params.timing_column(),
            self.params.method.as_str(),
            match self.params.control_group {
                super::ControlGroup::NeverTreated => "never treated",
                super::ControlGroup::NotYetTreated => "not yet treated",
            }
        )?;
        writeln!(
            f,
            "{:>8} {:>8} {:>12} {:>12} {:>12} {:>12}",
            "cohort", "time", "estimate", "std.error", "low", "high"
        )?;
        for e in &self.effects {
            writeln!(
                f,
                "{:>8} {:>8} {:>12.6} {:>12.6} {:>12.6} {:>12.6}",
                e.cohort, e.time, e.estimate, e.std_error, e.conf_low, e.conf_high
            )?;
        }
        write!(
            f,
            "Units: {}, periods: {}, {} band",
            self.n_units,
            self.periods.len(),
            match self.band {
                Band::Pointwise => "pointwise",
                Band::Simultaneous => "simultaneous",
            }
        )
    }
}

/// [`batch_moments`] compiled for AVX2 with fused multiply-adds.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn batch_moments_avx2_fma(out: &mut BlockMoments, batch: &mut [f64], len: usize) {
    batch_moments::<true>(out, batch, len);
}

/// `a * b + c`, fused (one rounding) when `FUSED`.
#[inline(always)]
fn madd<const FUSED: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FUSED {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// The dot products of `x` with each of four rows of [`MOMENT_BATCH`] values, in four lanes
/// each: sixteen independent sums, so the loop runs at the machine's throughput.
#[inline(always)]
fn dot4x4<const FUSED: bool>(x: &[f64], ys: [&[f64]; 4]) -> [f64; 4] {
    fn whole(r: &[f64]) -> &[f64; MOMENT_BATCH] {
        r[..MOMENT_BATCH].try_into().expect("a whole row")
    }
    let (x, [a, b, c, d]) = (whole(x), ys.map(whole));
    let mut acc = [[0.0f64; 4]; 4];
    for k in (0..MOMENT_BATCH).step_by(4) {
        for l in 0..4 {
            acc[0][l] = madd::<FUSED>(x[k + l], a[k + l], acc[0][l]);
            acc[1][l] = madd::<FUSED>(x[k + l], b[k + l], acc[1][l]);
            acc[2][l] = madd::<FUSED>(x[k + l], c[k + l], acc[2][l]);
            acc[3][l] = madd::<FUSED>(x[k + l], d[k + l], acc[3][l]);
        }
    }
    acc.map(|a| (a[0] + a[1]) + (a[2] + a[3]))
}

/// See [`BlockMoments::set_to_batch`]: means, centring, then the upper triangle of the
/// cross-products, four at a time ([`dot4x4`] over whole rows, zero beyond `len`), mirrored.
#[inline(always)]
fn batch_moments<const FUSED: bool>(out: &mut BlockMoments, batch: &mut [f64], len: usize) {
    const B: usize = MOMENT_BATCH;
    let nt = out.mean.len();
    out.n = len as f64;
    if len == 0 {
        out.mean.fill(0.0);
        out.cross.fill(0.0);
        return;
    }
    let ones = [1.0; B];
    for (row, m) in batch.chunks_exact_mut(B).zip(out.mean.iter_mut()) {
        row[len..].fill(0.0);
        *m = dot4x4::<FUSED>(row, [&ones; 4])[0] / len as f64;
        row[..len].iter_mut().for_each(|v| *v -= *m);
    }
    let row = |j: usize| &batch[j * B..(j + 1) * B];
    for i in 0..nt {
        for j0 in (i..nt).step_by(4) {
            let other = |q: usize| if j0 + q < nt { row(j0 + q) } else { row(i) };
            let c = dot4x4::<FUSED>(row(i), [other(0), other(1), other(2), other(3)]);
            for (q, &v) in c.iter().enumerate().take(nt - j0) {
                out.cross[i * nt + j0 + q] = v;
                out.cross[(j0 + q) * nt + i] = v;
            }
        }
    }
}
