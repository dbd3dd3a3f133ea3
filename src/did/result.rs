//! Results of `att_gt` and its aggregations: plain serde data, plus the stored influence
//! functions (not serialised) that aggregations and the bootstrap reuse.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::cohort::{CohortCount, TimingReport};
use super::params::{AggregationKind, AttGt};
pub use crate::linalg::{BlockMoments, MOMENT_BATCH};
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
