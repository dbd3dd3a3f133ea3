//! Callaway & Sant'Anna (2021) group-time average treatment effects on panel data.
//!
//! # Model
//! For cohort $g$ (units first treated in period $g$) and period $t$,
//! $ATT(g,t) = E[Y_t(g) - Y_t(0) \mid G = g]$ is identified by a 2x2 comparison of the change
//! $Y_t - Y_b$ between cohort $g$ and a control group, with base period $b$:
//! $b = g - \delta - 1$ for post-treatment cells ($\delta$ = anticipation) and, with a varying
//! base period, $b = t - 1$ for pre-treatment cells. Controls are the never treated, or the
//! never treated plus units not yet treated (cohort $> \max(t, b) + \delta$). Each 2x2 is
//! estimated by outcome regression, normalised IPW or the doubly robust estimator
//! ([`super::drdid`]); covariates enter at the earlier of the two periods (the base period
//! except for pre-periods under a universal base), so time-varying covariates are allowed.
//!
//! The influence function of each ATT(g,t) over the $n$ units, $\psi_i = (n/n_{gt})\,\psi^{2\times2}_i$,
//! gives analytic standard errors $\sqrt{\sum_c (\sum_{i \in c}\psi_i)^2}/n$ with clusters $c$
//! (units by default, or any variable constant within units, such as a region), the multiplier
//! bootstrap and every aggregation ([`super::aggregate`]).
//!
//! Cost: a sorted balanced panel is prepared without encoding ids (`att_gt_sorted.rs`); any
//! other balanced panel is counting-sorted into that layout once its ids are coded. Cells with
//! covariates that have the same units and covariate values share one [`Design`] (the
//! propensity score and the Gram matrices: with time-invariant covariates and never-treated
//! controls one per cohort, not one per cell). Cells
//! without covariates are differences of weighted mean changes: one parallel pass over chunks
//! of units sums every cell's part at once, and they keep their means instead of influence
//! values (evaluated from the outcomes when needed); cells with covariates run the 2x2
//! estimators in parallel and store their values over the cell's units only. Standard errors of
//! all cells come from one more pass over unit chunks. On the sorted path (unit weights,
//! clusters = units) the pass that places the outcomes also accumulates each cohort block's
//! outcome moments ([`BlockMoments`]: means and centred period cross-products); cell means
//! then come from them, and the standard error of every cell and aggregate is a quadratic form
//! in them (`aggregate.rs`), with no pass over units. The period-wise outcome copy is still
//! kept for the multiplier bootstrap and cells in stored form.
//!
//! Panels must be balanced for the panel estimator: units not observed (with complete data)
//! in every period are dropped and reported, as R `did` does by default.
//!
//! # References
//! Callaway & Sant'Anna (2021), *Difference-in-differences with multiple time periods*, J.
//! Econometrics 225(2); Sant'Anna & Zhao (2020), *Doubly robust difference-in-differences
//! estimators*, J. Econometrics 219(1). Matches R `did` 2.x through csdid 0.4.3 (tests).

use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};

use super::cohort::{CohortSource, ControlGroup, Timing, TimingReport};

#[path = "att_gt_sorted.rs"]
mod sorted;
use super::aggregate::{cell_cluster_sums, cell_std_errors};
use super::drdid::{estimate, Cell, CellFailure, CellFit, Design};
use super::params::{AttGt, BasePeriod};
use super::result::{
    Band, BlockMoments, CellInfluence, ClosedForm, DidDrops, GroupTimeEffect, GroupTimeEffects, Influence,
};
use super::DidError;
use crate::data::{Column, DataError, Factor, Frame, Panel, Rows};
use crate::inference::multiplier_bootstrap;
use crate::linalg::independent_columns;
use crate::results::{Diagnostic, DiagnosticCode};
use crate::traits::Validated;

/// Units sorted by cohort with their outcomes and covariates in wide form.
pub(crate) struct Prepared {
    pub n: usize,
    pub periods: Vec<i64>,
    /// Outcome, period after period (`T x n`: unit `u` in period `s` at `s * n + u`), so
    /// that the change between two periods streams through two contiguous rows.
    pub y: Vec<f64>,
    /// Covariates, `(unit, period, k)` row-major with `x_periods` periods per unit: all
    /// periods, or 1 when they are time-invariant (the sorted path stores them once).
    pub x: Vec<f64>,
    pub k: usize,
    pub x_periods: usize,
    /// Every unit's covariates are the same in all periods (then cells share designs).
    pub x_invariant: bool,
    pub w: Vec<f64>,
    pub cohort: Vec<i64>,
    pub cluster: Vec<u32>,
    pub n_clusters: usize,
    /// (cohort, start, end) blocks of the sorted units; cohort 0 = never treated.
    pub blocks: Vec<(i64, usize, usize)>,
    /// Cohorts whose ATT(g,t) are estimated.
    pub treated: Vec<i64>,
    pub drops: DidDrops,
    pub timing: TimingReport,
    /// Outcome moments of each cohort block (sorted path), or empty ([`Influence::moments`]).
    pub moments: Vec<BlockMoments>,
}

impl Validated<AttGt> {
    /// Estimate every ATT(g,t).
    ///
    /// # Errors
    /// Data errors (columns, duplicates, infinite values, negative weights), timing errors
    /// ([`DidError`]), and [`DataError::Empty`] when no balanced unit is left.
    pub fn fit(&self, frame: &Frame<'_>) -> crate::Result<GroupTimeEffects> {
        att_gt(self, frame)
    }
}

impl AttGt {
    /// Validate, then estimate (see [`Validated::<AttGt>::fit`]).
    ///
    /// # Errors
    /// As `validate()` and `fit`.
    pub fn fit(&self, frame: &Frame<'_>) -> crate::Result<GroupTimeEffects> {
        self.clone().validate()?.fit(frame)
    }
}

fn finite_check(col: &Column<'_>, name: &str) -> Result<(), DataError> {
    let bad: Vec<usize> = (0..col.len()).filter(|&i| col.value(i).is_some_and(f64::is_infinite)).collect();
    match bad.first() {
        Some(&first_row) => Err(DataError::NonFinite { name: name.to_string(), count: bad.len(), first_row }),
        None => Ok(()),
    }
}

/// `outcomes: false` lets the sorted path skip the period-wise outcome copy.
pub(crate) fn prepare(p: &AttGt, frame: &Frame<'_>, outcomes: bool) -> crate::Result<Prepared> {
    let fast = !tests::general_only();
    if let Some(prep) = sorted::prepare(p, frame, outcomes).filter(|_| fast) {
        return Ok(prep);
    }
    let panel = Panel::new(frame, &p.unit, &p.time)?;
    if let Some(prep) = sorted_copy(p, frame, &panel).filter(|_| fast).and_then(|f| sorted::prepare(p, &f, outcomes)) {
        return Ok(prep);
    }
    let ycol = frame.numeric(&p.outcome, "the outcome")?;
    let xcols: Vec<&Column<'_>> =
        p.covariates.iter().map(|c| frame.numeric(c, "a covariate")).collect::<Result<_, _>>()?;
    let wcol = p.weights.as_deref().map(|w| frame.numeric(w, "weights")).transpose()?;
    let ccol = p.cluster.as_deref().map(|c| frame.column(c)).transpose()?;
    finite_check(ycol, &p.outcome)?;
    for (c, name) in xcols.iter().zip(&p.covariates) {
        finite_check(c, name)?;
    }
    if let (Some(w), Some(name)) = (wcol, &p.weights) {
        finite_check(w, name)?;
        let neg = (0..w.len()).filter(|&i| w.value(i).is_some_and(|v| v < 0.0)).count();
        if neg > 0 {
            return Err(DataError::InvalidWeights { name: name.clone(), count: neg, reason: "negative" }.into());
        }
    }
    let source = match &p.treatment {
        Some(t) => CohortSource::Treatment(t),
        None => CohortSource::FirstTreated(&p.cohort),
    };
    let timing = Timing::new(frame, &panel, source, p.anticipation)?;
    timing.require_controls(p.control_group, p.timing_column())?;

    let n_rows = frame.n_rows();
    let nt_all = panel.time.n_levels();
    let n_units_all = panel.unit.n_levels();
    // Usable rows: unit kept and outcome, covariates, weight present. One pass counts the
    // missing values (of kept units) by column, the periods with data and each unit's usable rows.
    let mut cols: Vec<(&str, &Column<'_>)> = vec![(&p.outcome, ycol)];
    cols.extend(p.covariates.iter().map(String::as_str).zip(xcols.iter().copied()));
    if let (Some(w), Some(name)) = (wcol, &p.weights) {
        cols.push((name, w));
    }
    let (ucodes, tcodes) = (&panel.unit.codes, &panel.time.codes);
    let usable = |i: usize| !timing.dropped[ucodes[i] as usize] && !cols.iter().any(|(_, c)| c.is_missing(i));
    let mut n_missing = vec![0usize; cols.len()];
    let mut has_period = vec![false; nt_all];
    let mut count = vec![0u32; n_units_all];
    for i in 0..n_rows {
        let u = ucodes[i] as usize;
        if timing.dropped[u] {
            continue;
        }
        let mut ok = true;
        for (m, (_, c)) in n_missing.iter_mut().zip(&cols) {
            if c.is_missing(i) {
                *m += 1;
                ok = false;
            }
        }
        if ok {
            has_period[tcodes[i] as usize] = true;
            count[u] += 1;
        }
    }
    let missing: Vec<(String, usize)> =
        cols.iter().zip(&n_missing).map(|((name, _), &c)| (name.to_string(), c)).collect();
    // Periods with data; with no never-treated units and not-yet-treated controls, periods
    // from the last cohort's (anticipated) treatment on have no controls.
    let mut drops = DidDrops { n_input_rows: n_rows, missing_by_column: missing, ..Default::default() };
    let kept_cohorts = timing.cohorts();
    let mut treated: Vec<i64> = kept_cohorts.iter().map(|c| c.cohort).collect();
    if timing.report.n_never_treated == 0 && p.control_group == ControlGroup::NotYetTreated {
        let latest = *treated.last().expect("require_controls checked cohorts");
        for (s, h) in has_period.iter_mut().enumerate() {
            if *h && panel.periods[s] >= latest - p.anticipation {
                *h = false;
                drops.dropped_periods.push(panel.periods[s]);
            }
        }
        treated.pop();
        drops.control_only_cohort = Some(latest);
    }
    let period_pos: Vec<Option<usize>> = {
        let mut pos = 0;
        has_period
            .iter()
            .map(|&h| {
                if h {
                    pos += 1;
                    Some(pos - 1)
                } else {
                    None
                }
            })
            .collect()
    };
    let periods: Vec<i64> = (0..nt_all).filter(|&s| has_period[s]).map(|s| panel.periods[s]).collect();
    let nt = periods.len();
    if nt < 2 {
        return Err(
            DidError::NothingToEstimate { reason: format!("{nt} period(s) with data; at least 2 are needed") }.into()
        );
    }
    // Balance: a unit is used when it has a usable row in every kept period (recounted when
    // periods with data were dropped).
    if !drops.dropped_periods.is_empty() {
        count.iter_mut().for_each(|c| *c = 0);
        for i in (0..n_rows).filter(|&i| usable(i) && period_pos[tcodes[i] as usize].is_some()) {
            count[ucodes[i] as usize] += 1;
        }
    }
    let count = |u: usize| count[u] as usize;
    let cohort_of = |u: usize| timing.cohort[u].unwrap_or(0);
    drops.n_unbalanced_units = (0..n_units_all).filter(|&u| !timing.dropped[u] && count(u) != nt).count();
    let levels: Vec<i64> = kept_cohorts.iter().map(|c| c.cohort).collect();
    let units = cohort_order(&timing, &levels, |u| !timing.dropped[u] && count(u) == nt);
    let n = units.len();
    if n == 0 {
        return Err(DataError::Empty { reason: "no unit is observed with complete data in every period".into() }.into());
    }
    let mut pos_of = vec![usize::MAX; n_units_all];
    for (pos, &u) in units.iter().enumerate() {
        pos_of[u] = pos;
    }
    let k = xcols.len();
    let mut y = vec![f64::NAN; n * nt];
    let mut x = vec![f64::NAN; n * nt * k];
    let mut w = vec![f64::NAN; n];
    for i in 0..n_rows {
        let pos = pos_of[panel.unit.codes[i] as usize];
        let Some(s) = period_pos[panel.time.codes[i] as usize] else { continue };
        if pos == usize::MAX || !usable(i) {
            continue;
        }
        y[s * n + pos] = ycol.value(i).unwrap_or(f64::NAN);
        for (j, c) in xcols.iter().enumerate() {
            x[(pos * nt + s) * k + j] = c.value(i).unwrap_or(f64::NAN);
        }
        let wi = wcol.map_or(1.0, |c| c.value(i).unwrap_or(f64::NAN));
        if w[pos].is_nan() {
            w[pos] = wi;
        } else if (w[pos] - wi).abs() > 1e-12 * w[pos].abs().max(f64::MIN_POSITIVE) {
            return Err(DidError::VariesWithinUnit {
                role: "weights",
                column: p.weights.clone().unwrap_or_default(),
                unit_name: p.unit.clone(),
                unit: panel.unit.labels[units[pos]].clone(),
            }
            .into());
        }
    }
    if w.iter().sum::<f64>() <= 0.0 {
        return Err(DataError::InvalidWeights {
            name: p.weights.clone().unwrap_or_default(),
            count: n,
            reason: "all zero",
        }
        .into());
    }
    // Weights on mean 1 (as R `did`): every result is the same for any positive scaling.
    crate::regression::normalise_weights(&mut w);
    // Clusters: constant within unit.
    let (cluster, n_clusters) = match (ccol, &p.cluster) {
        (Some(col), Some(name)) if *name != p.unit => {
            let rows =
                Rows::Subset((0..n_rows).filter(|&i| pos_of[panel.unit.codes[i] as usize] != usize::MAX).collect());
            if let Some(i) = rows.iter().find(|&i| col.is_missing(i)) {
                return Err(DataError::InvalidValue {
                    name: name.clone(),
                    reason: format!("missing cluster at row {i}; every used unit needs a cluster"),
                }
                .into());
            }
            let fac = Factor::encode(col, &rows);
            let mut cl = vec![u32::MAX; n];
            for (kk, i) in rows.iter().enumerate() {
                let pos = pos_of[panel.unit.codes[i] as usize];
                let c = fac.codes[kk];
                if cl[pos] == u32::MAX {
                    cl[pos] = c;
                } else if cl[pos] != c {
                    return Err(DidError::VariesWithinUnit {
                        role: "cluster",
                        column: name.clone(),
                        unit_name: p.unit.clone(),
                        unit: panel.unit.labels[units[pos]].clone(),
                    }
                    .into());
                }
            }
            crate::data::require_clusters(name, fac.n_levels())?;
            (cl, fac.n_levels())
        }
        _ => ((0..n as u32).collect(), n),
    };
    let cohort: Vec<i64> = units.iter().map(|&u| cohort_of(u)).collect();
    finish(Prepared {
        n,
        periods,
        x_invariant: time_invariant(&x, n, nt, k),
        x_periods: nt,
        y,
        x,
        k,
        w,
        cohort,
        cluster,
        n_clusters,
        blocks: Vec::new(),
        treated,
        drops,
        timing: timing.report,
        moments: Vec::new(),
    })
}

/// Drop covariates that are constant or a linear combination of the intercept and earlier
/// covariates over the used unit-periods (the rule of `feols` and `sun_abraham`:
/// [`independent_columns`] on the Gram matrix of `[1, X]`, pivots relative to the squared
/// column norms below 1e-10), compacting `prep.x`; returns the names dropped. Without the
/// drop every cell's design would be singular (all ATT(g,t) NaN). With time-invariant
/// covariates the first period's rows decide (the Gram matrix of all periods is `T` times theirs).
fn drop_collinear_covariates(prep: &mut Prepared, names: &[String]) -> Vec<String> {
    let (k, xp) = (prep.k, prep.x_periods);
    if k == 0 {
        return Vec::new();
    }
    let (step, rows) = if prep.x_invariant { (xp * k, prep.n) } else { (k, prep.n * xp) };
    let p1 = k + 1;
    let chunk = 1 << 14;
    let x = &prep.x;
    let parts: Vec<Vec<f64>> = (0..rows.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            let mut g = vec![0.0; p1 * p1];
            let mut row = vec![1.0; p1];
            for r in c * chunk..((c + 1) * chunk).min(rows) {
                row[1..].copy_from_slice(&x[r * step..r * step + k]);
                for a in 0..p1 {
                    for b in a..p1 {
                        g[a * p1 + b] += row[a] * row[b];
                    }
                }
            }
            g
        })
        .collect();
    let mut g = vec![vec![0.0; p1]; p1];
    for part in &parts {
        for a in 0..p1 {
            for b in a..p1 {
                g[a][b] += part[a * p1 + b];
                g[b][a] = g[a][b];
            }
        }
    }
    let scale: Vec<f64> = (0..p1).map(|j| g[j][j]).collect();
    let keep = independent_columns(&g, &scale, 1e-10);
    let kept: Vec<usize> = keep.iter().filter(|&&j| j > 0).map(|j| j - 1).collect();
    if kept.len() == k {
        return Vec::new();
    }
    let dropped = (0..k).filter(|j| !kept.contains(j)).map(|j| names[j].clone()).collect();
    let k2 = kept.len();
    let mut x2 = vec![0.0; prep.n * xp * k2];
    for (dst, src) in x2.chunks_mut(k2.max(1)).zip(prep.x.chunks(k)) {
        for (d, &j) in dst.iter_mut().zip(&kept) {
            *d = src[j];
        }
    }
    if k2 == 0 {
        x2.clear();
    }
    prep.x = x2;
    prep.k = k2;
    dropped
}

/// The columns `att_gt` reads with the rows put in (unit, period) order, for the sorted path,
/// when the panel is balanced (one row per unit and period; [`Panel::new`] has checked that no
/// pair repeats): row `i` goes to `unit * T + period` (a counting sort with one slot per row).
/// Ids are coded once by [`Panel::new`] (a lookup table for integer ids, the frame library's
/// codes for text and categories).
/// Units become their level index in [`Panel`]'s order and periods their values, so the sorted
/// path sees the units in the order the general path uses; it still validates everything and
/// declines (`None`) whatever the general path must decide. `None` also for parameters or
/// columns it does not take (categorical outcome, cohort or covariates).
fn sorted_copy(p: &AttGt, frame: &Frame<'_>, panel: &Panel) -> Option<Frame<'static>> {
    use std::borrow::Cow;
    let (nu, nt, n) = (panel.unit.n_levels(), panel.time.n_levels(), frame.n_rows());
    if !sorted::eligible(p) || n != nu * nt || u32::try_from(n).is_err() {
        return None;
    }
    let slot: Vec<u32> = panel.unit.codes.iter().zip(&panel.time.codes).map(|(&u, &t)| u * nt as u32 + t).collect();
    // Scattered (sequential reads, each row written once): every slot is filled since the
    // panel is balanced without repeated pairs.
    fn scatter<T: Copy + Default>(v: &[T], slot: &[u32]) -> Vec<T> {
        let mut out = vec![T::default(); v.len()];
        for (&x, &s) in v.iter().zip(slot) {
            out[s as usize] = x;
        }
        out
    }
    let mut names: Vec<&str> = vec![&p.outcome, &p.cohort];
    names.extend(p.covariates.iter().map(String::as_str));
    names.sort_unstable();
    names.dedup();
    if names.contains(&p.unit.as_str()) || names.contains(&p.time.as_str()) {
        return None;
    }
    let gathered: Vec<Option<Column<'static>>> = names
        .par_iter()
        .map(|name| match frame.column(name).ok()? {
            Column::Float(v) => Some(Column::Float(Cow::Owned(scatter(v, &slot)))),
            Column::Int(v) => Some(Column::Int(Cow::Owned(scatter(v, &slot)))),
            Column::Categorical { .. } => None,
        })
        .collect();
    let mut f = Frame::new();
    f.push(p.unit.clone(), Column::Int(Cow::Owned((0..n).map(|r| (r / nt) as i64).collect()))).ok()?;
    let periods = &panel.periods;
    f.push(p.time.clone(), Column::Int(Cow::Owned((0..n).map(|r| periods[r % nt]).collect()))).ok()?;
    for (name, col) in names.iter().zip(gathered) {
        f.push(name.to_string(), col?).ok()?;
    }
    Some(f)
}

/// Whether each unit's covariates (`(unit, period, k)` row-major) are the same in every period.
pub(crate) fn time_invariant(x: &[f64], n: usize, nt: usize, k: usize) -> bool {
    let row = nt * k;
    (0..n).into_par_iter().with_min_len(4096).all(|u| {
        let xs = &x[u * row..(u + 1) * row];
        xs[k..].iter().zip(xs).fold(true, |acc, (a, b)| acc & (a == b))
    })
}

/// Kept units (`keep`) sorted by (cohort, unit), never treated first: a bucket per cohort
/// (few), filled in unit order.
/// `cohorts`: the kept treated cohorts, ascending ([`Timing::cohorts`]).
fn cohort_order(timing: &Timing, cohorts: &[i64], keep: impl Fn(usize) -> bool) -> Vec<usize> {
    let level = |u: usize| match timing.cohort[u] {
        None => 0,
        Some(g) => 1 + cohorts.binary_search(&g).expect("kept units have kept cohorts"),
    };
    let mut start = vec![0usize; cohorts.len() + 2];
    for u in (0..timing.cohort.len()).filter(|&u| keep(u)) {
        start[level(u) + 1] += 1;
    }
    for l in 1..start.len() {
        start[l] += start[l - 1];
    }
    let mut units = vec![0usize; start[cohorts.len() + 1]];
    for u in (0..timing.cohort.len()).filter(|&u| keep(u)) {
        let l = level(u);
        units[start[l]] = u;
        start[l] += 1;
    }
    units
}

/// (cohort, start, end) blocks of cohort-sorted units.
pub(crate) fn cohort_blocks(cohort: &[i64]) -> Vec<(i64, usize, usize)> {
    let mut blocks: Vec<(i64, usize, usize)> = Vec::new();
    for (pos, &g) in cohort.iter().enumerate() {
        match blocks.last_mut() {
            Some(b) if b.0 == g => b.2 = pos + 1,
            _ => blocks.push((g, pos, pos + 1)),
        }
    }
    blocks
}

/// Fill in the cohort blocks and keep the treated cohorts that have units.
fn finish(mut prep: Prepared) -> crate::Result<Prepared> {
    prep.blocks = cohort_blocks(&prep.cohort);
    // Cohorts that lost all their units to balancing have no estimates.
    let blocks = &prep.blocks;
    prep.treated.retain(|g| blocks.iter().any(|b| b.0 == *g));
    if prep.treated.is_empty() {
        return Err(DidError::NothingToEstimate {
            reason: "no treated cohort is left after balancing the panel".into(),
        }
        .into());
    }
    Ok(prep)
}

/// One (g, t) comparison: indices into `periods`.
#[derive(Debug, Clone, Copy)]
struct Plan {
    g: i64,
    cur: usize,
    base: usize,
    /// Universal base cell: 0 by construction.
    zero: bool,
}

fn plan(prep: &Prepared, p: &AttGt) -> Vec<Plan> {
    let per = &prep.periods;
    let nt = per.len();
    let mut out = Vec::new();
    for &g in &prep.treated {
        let Some(last_pre) = per.iter().rposition(|&t| t + p.anticipation < g) else { continue };
        match p.base_period {
            BasePeriod::Varying => {
                for cur in 1..nt {
                    let base = if g - p.anticipation <= per[cur] { last_pre } else { cur - 1 };
                    out.push(Plan { g, cur, base, zero: false });
                }
            }
            BasePeriod::Universal => {
                for cur in 0..nt {
                    out.push(Plan { g, cur, base: last_pre, zero: cur == last_pre });
                }
            }
        }
    }
    out
}

struct CellOut {
    att: f64,
    inf: CellInfluence,
    n_treated: usize,
    n_control: usize,
    trimmed: usize,
    failure: Option<String>,
}

/// The units of one comparison: cohort g's block and its control blocks.
struct CellUnits {
    /// Half-open ranges of unit positions, ascending.
    ranges: Vec<(usize, usize)>,
    treated_start: usize,
    n_treated: usize,
    n_control: usize,
}

fn cell_units(prep: &Prepared, p: &AttGt, pl: &Plan) -> CellUnits {
    let treated_block = prep.blocks.iter().find(|b| b.0 == pl.g).copied().expect("treated cohort has a block");
    let threshold = prep.periods[pl.cur.max(pl.base)] + p.anticipation;
    let controls: Vec<(usize, usize)> = prep
        .blocks
        .iter()
        .filter(|b| match p.control_group {
            ControlGroup::NeverTreated => b.0 == 0,
            ControlGroup::NotYetTreated => b.0 == 0 || (b.0 > threshold && b.0 != pl.g),
        })
        .map(|b| (b.1, b.2))
        .collect();
    let n_control = controls.iter().map(|(a, b)| b - a).sum();
    let mut ranges = vec![(treated_block.1, treated_block.2)];
    ranges.extend(controls);
    ranges.sort_unstable();
    CellUnits { ranges, treated_start: treated_block.1, n_treated: treated_block.2 - treated_block.1, n_control }
}

/// Whether a cell has an estimate to compute (not the universal base cell, has controls).
fn estimable(pl: &Plan, units: &CellUnits) -> bool {
    !pl.zero && units.n_control > 0
}

/// Weighted sums $(W_1, \sum_{D=1} w\Delta Y, W_0, \sum_{D=0} w\Delta Y)$ of each cell without
/// covariates: one parallel pass over chunks of units, every cell's part of a chunk at once
/// (the chunk's outcomes stay in cache), partial sums added in chunk order.
fn closed_form_sums(prep: &Prepared, cells: &[(&Plan, &CellUnits)]) -> Vec<[f64; 4]> {
    let n = prep.n;
    let chunk = 2048;
    let parts: Vec<Vec<[f64; 4]>> = (0..n.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            let (lo, hi) = (c * chunk, ((c + 1) * chunk).min(n));
            cells
                .iter()
                .map(|(pl, units)| {
                    let (ycur, ybase) = (&prep.y[pl.cur * n..], &prep.y[pl.base * n..]);
                    let mut acc = [0.0; 4];
                    for &(a, b) in &units.ranges {
                        let (a0, b0) = (a.max(lo), b.min(hi));
                        if a0 >= b0 {
                            continue;
                        }
                        let (mut sw, mut swy) = (0.0, 0.0);
                        for ((w, yc), yb) in prep.w[a0..b0].iter().zip(&ycur[a0..b0]).zip(&ybase[a0..b0]) {
                            sw += w;
                            swy += w * (yc - yb);
                        }
                        let d = if a == units.treated_start { 0 } else { 2 };
                        acc[d] += sw;
                        acc[d + 1] += swy;
                    }
                    acc
                })
                .collect()
        })
        .collect();
    (0..cells.len())
        .map(|k| {
            let mut acc = [0.0; 4];
            for part in &parts {
                for (a, v) in acc.iter_mut().zip(&part[k]) {
                    *a += v;
                }
            }
            acc
        })
        .collect()
}

/// [`closed_form_sums`] from the blocks' outcome moments (unit weights): a block of $n_b$
/// units adds $n_b$ and $n_b (m_{b,cur} - m_{b,base})$.
fn moment_sums(prep: &Prepared, cells: &[(&Plan, &CellUnits)]) -> Vec<[f64; 4]> {
    cells
        .iter()
        .map(|(pl, units)| {
            let mut acc = [0.0; 4];
            for &(a, _) in &units.ranges {
                let b = prep.blocks.iter().position(|bl| bl.1 == a).expect("cell ranges are cohort blocks");
                let m = &prep.moments[b];
                let d = if a == units.treated_start { 0 } else { 2 };
                acc[d] += m.n;
                acc[d + 1] += m.n * (m.mean[pl.cur] - m.mean[pl.base]);
            }
            acc
        })
        .collect()
}

/// One ATT(g,t) (its standard error is filled in later from the influence functions).
/// `sums`: the cell's [`closed_form_sums`] when it has no covariates.
fn run_cell(prep: &Prepared, p: &AttGt, pl: &Plan, units: CellUnits, sums: Option<[f64; 4]>) -> CellOut {
    let per = &prep.periods;
    let empty = |failure: Option<String>, n_treated, n_control| CellOut {
        att: if failure.is_some() { f64::NAN } else { 0.0 },
        inf: CellInfluence::default(),
        n_treated,
        n_control,
        trimmed: 0,
        failure,
    };
    let (n_treated, n_control) = (units.n_treated, units.n_control);
    if pl.zero {
        return empty(None, n_treated, n_control);
    }
    if n_control == 0 {
        return empty(Some(format!("no control units for cohort {} in period {}", pl.g, per[pl.cur])), n_treated, 0);
    }
    if let Some(out) = sums.and_then(|s| closed_form_cell(prep, p, pl, &units, s)) {
        return out;
    }
    let cell = design_cell(prep, &units, pl.cur.min(pl.base), cell_dy(prep, pl, &units));
    let fit = estimate(&cell, p.method, p.trim_level);
    finish_cell(prep, pl, units, fit)
}

/// The 2x2 comparison of `units` without its outcome change (`dy` as given): treated
/// indicator, weights normalised to mean 1, and the design (intercept, covariates in period
/// `early`, column-major).
fn design_cell(prep: &Prepared, units: &CellUnits, early: usize, dy: Vec<f64>) -> Cell {
    let n1 = units.n_treated + units.n_control;
    let pcols = 1 + prep.k;
    let (xp, k) = (prep.x_periods, prep.k);
    let early = early.min(xp - 1);
    let mut cell =
        Cell { dy, d: Vec::with_capacity(n1), w: Vec::with_capacity(n1), x: vec![1.0; n1 * pcols], n: n1, p: pcols };
    let treated = units.treated_start..units.treated_start + units.n_treated;
    let mut r = 0;
    for &(a, b) in &units.ranges {
        for u in a..b {
            cell.d.push(if treated.contains(&u) { 1.0 } else { 0.0 });
            cell.w.push(prep.w[u]);
            for (j, v) in prep.x[(u * xp + early) * k..(u * xp + early + 1) * k].iter().enumerate() {
                cell.x[(j + 1) * n1 + r] = *v;
            }
            r += 1;
        }
    }
    let mw = cell.w.iter().sum::<f64>() / n1 as f64;
    cell.w.iter_mut().for_each(|v| *v /= mw);
    cell
}

/// The outcome change $Y_{cur} - Y_{base}$ of the cell's units, in their order.
fn cell_dy(prep: &Prepared, pl: &Plan, units: &CellUnits) -> Vec<f64> {
    let (ycur, ybase) =
        (&prep.y[pl.cur * prep.n..(pl.cur + 1) * prep.n], &prep.y[pl.base * prep.n..(pl.base + 1) * prep.n]);
    units.ranges.iter().flat_map(|&(a, b)| ycur[a..b].iter().zip(&ybase[a..b]).map(|(c, b)| c - b)).collect()
}

/// A cell's output from its 2x2 fit (influence values rescaled to the `n` units).
fn finish_cell(prep: &Prepared, pl: &Plan, units: CellUnits, fit: Result<CellFit, CellFailure>) -> CellOut {
    let (n_treated, n_control) = (units.n_treated, units.n_control);
    match fit {
        Err(f) => {
            let why = match f {
                CellFailure::Singular(what) => format!("the {what} design is singular"),
                CellFailure::Overlap(m) => format!("propensity scores reach {m:.4} (no overlap)"),
            };
            let failure = Some(format!("cohort {} in period {}: {why}", pl.g, prep.periods[pl.cur]));
            CellOut { att: f64::NAN, inf: CellInfluence::default(), n_treated, n_control, trimmed: 0, failure }
        }
        Ok(fit) => {
            let scale = prep.n as f64 / (n_treated + n_control) as f64;
            let values: Vec<f64> = fit.inf.iter().map(|v| v * scale).collect();
            let inf = CellInfluence { ranges: units.ranges, values, closed: None };
            CellOut { att: fit.att, inf, n_treated, n_control, trimmed: fit.n_trimmed, failure: None }
        }
    }
}

/// Every cell when there are covariates. Cells whose comparisons have the same units and the
/// same covariate values share one [`Design`] (propensity score fitted once, Gram matrices
/// built once): with time-invariant covariates and never-treated controls, one per cohort
/// instead of one per period. Designs, and the cells of each design, run in parallel; each
/// cell's result is that of [`run_cell`] (same arithmetic).
fn covariate_cells(prep: &Prepared, p: &AttGt, plans: &[Plan], units: Vec<CellUnits>) -> Vec<CellOut> {
    let mut outs: Vec<Option<CellOut>> = (0..plans.len()).map(|_| None).collect();
    // Design key: the units and the period the covariates are read in (any, when they are constant).
    type Key = (Vec<(usize, usize)>, usize, usize);
    let mut groups: Vec<(Key, Vec<(usize, CellUnits)>)> = Vec::new();
    for (k, (pl, u)) in plans.iter().zip(units).enumerate() {
        if !estimable(pl, &u) {
            outs[k] = Some(run_cell(prep, p, pl, u, None));
            continue;
        }
        let period = if prep.x_invariant && !tests::unshared() { 0 } else { pl.cur.min(pl.base) };
        let mut key = (u.ranges.clone(), u.treated_start, period);
        if tests::unshared() {
            key.0.push((k, k));
        }
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1.push((k, u)),
            None => groups.push((key, vec![(k, u)])),
        }
    }
    let done: Vec<Vec<(usize, CellOut)>> = groups
        .into_par_iter()
        .map(|((_, _, early), cells)| {
            let cell = design_cell(prep, &cells[0].1, early, Vec::new());
            let design = Design::new(&cell, p.method, p.trim_level);
            cells
                .into_par_iter()
                .map(|(k, u)| {
                    let pl = &plans[k];
                    let fit = design.as_ref().map_err(Clone::clone).and_then(|d| d.fit(&cell, &cell_dy(prep, pl, &u)));
                    (k, finish_cell(prep, pl, u, fit))
                })
                .collect()
        })
        .collect();
    for (k, o) in done.into_iter().flatten() {
        outs[k] = Some(o);
    }
    outs.into_iter().map(|o| o.expect("every cell is run")).collect()
}

/// A cell without covariates in closed form: every method (`reg`, `ipw`, `dr`) reduces to the
/// difference of the weighted mean changes, $\widehat{ATT} = \bar{\Delta Y}_1 - \bar{\Delta Y}_0$
/// with $\bar{\Delta Y}_d = \sum_{D_i = d} w_i \Delta Y_i / W_d$, and the influence function over
/// the $n$ units is $\psi_i = n w_i (\Delta Y_i - \bar{\Delta Y}_1)/W_1$ for treated units and
/// $-n w_i (\Delta Y_i - \bar{\Delta Y}_0)/W_0$ for controls: the propensity score is the
/// constant $\pi = W_1/(W_0 + W_1)$, the outcome regression the control mean, and their
/// estimation terms cancel (the algebra of DRDID's `drdid_panel` with an intercept only).
/// From the cell's weighted sums ([`closed_form_sums`]), no design matrix. `None` when the
/// general path must decide (a zero weight total, or `ipw`/`dr` with $\pi$ at the overlap or
/// trimming limits), so the results and failures are those of [`estimate`].
fn closed_form_cell(prep: &Prepared, p: &AttGt, pl: &Plan, units: &CellUnits, sums: [f64; 4]) -> Option<CellOut> {
    if !closed_form_applies(p, sums) {
        return None;
    }
    let [w1, s1, w0, s0] = sums;
    let (m1, m0) = (s1 / w1, s0 / w0);
    let n = prep.n as f64;
    let closed = ClosedForm {
        cur: pl.cur,
        base: pl.base,
        treated_start: units.treated_start,
        mean: [m0, m1],
        scale: [-n / w0, n / w1],
    };
    let inf = CellInfluence { ranges: units.ranges.clone(), values: Vec::new(), closed: Some(closed) };
    let (n_treated, n_control) = (units.n_treated, units.n_control);
    Some(CellOut { att: m1 - m0, inf, n_treated, n_control, trimmed: 0, failure: None })
}

/// Whether [`closed_form_cell`] applies to a cell with these sums.
fn closed_form_applies(p: &AttGt, [w1, _, w0, _]: [f64; 4]) -> bool {
    if !(w1 > 0.0 && w0 > 0.0) {
        return false;
    }
    if p.method != super::params::EstMethod::Reg {
        let ps = w1 / (w0 + w1);
        if ps >= 0.999 || ps.min(1.0 - 1e-6) >= p.trim_level {
            return false;
        }
    }
    true
}

fn att_gt(p: &Validated<AttGt>, frame: &Frame<'_>) -> crate::Result<GroupTimeEffects> {
    estimate_all(p, frame, true, false)
}

impl Validated<AttGt> {
    /// As [`fit`](Validated::<AttGt>::fit), but on a sorted balanced panel without bootstrap
    /// the period-wise outcome copy is not made (estimates and analytic standard errors come
    /// from the cohort moments): the result's influence functions then lack the outcomes
    /// ([`Influence::outcomes_deferred`]), and an aggregation with a bootstrap needs
    /// [`GroupTimeEffects::restore_outcomes`] first, from the same data.
    ///
    /// # Errors
    /// As `fit`.
    pub fn fit_deferred(&self, frame: &Frame<'_>) -> crate::Result<GroupTimeEffects> {
        estimate_all(self, frame, true, true)
    }
}

impl GroupTimeEffects {
    /// Rebuild the outcome copy that [`Validated::<AttGt>::fit_deferred`] left out, from the
    /// data of the fit (a no-op when nothing was deferred).
    ///
    /// # Errors
    /// [`DidError::DataChanged`] when `frame` does not give the same units and outcome
    /// moments as the fit; the errors of `fit`.
    pub fn restore_outcomes(&mut self, frame: &Frame<'_>) -> crate::Result<()> {
        if !self.influence.outcomes_deferred {
            return Ok(());
        }
        let prep = prepare(&self.params, frame, true)?;
        let inf = &mut self.influence;
        if prep.moments != inf.moments || prep.cohort != inf.unit_cohort || prep.y.len() != prep.n * prep.periods.len()
        {
            return Err(DidError::DataChanged.into());
        }
        inf.y = prep.y;
        inf.outcomes_deferred = false;
        Ok(())
    }
    /// Check that `frame` gives the data of the fit (the same units, cohorts and outcome
    /// moments, or outcomes where no moments were kept), so that a later resampling on it
    /// (`ritest`) is about this result.
    ///
    /// # Errors
    /// [`DidError::DataChanged`] when they differ; the errors of `fit`.
    pub fn same_data(&self, frame: &Frame<'_>) -> crate::Result<()> {
        let inf = &self.influence;
        let prep = prepare(&self.params, frame, inf.moments.is_empty())?;
        let same = prep.cohort == inf.unit_cohort
            && if inf.moments.is_empty() { prep.y == inf.y } else { prep.moments == inf.moments };
        if same {
            Ok(())
        } else {
            Err(DidError::DataChanged.into())
        }
    }
}

/// Every ATT(g,t); `closed_form: false` sends cells without covariates through the general
/// 2x2 estimators too (for the tests that compare both paths).
/// `defer`: let the sorted path leave out the outcome copy when nothing needs it (no
/// bootstrap, every cell in closed form; else the data are prepared again with it).
pub(crate) fn estimate_all(
    p: &Validated<AttGt>,
    frame: &Frame<'_>,
    closed_form: bool,
    defer: bool,
) -> crate::Result<GroupTimeEffects> {
    let defer = defer && closed_form && p.bootstrap.is_none();
    let mut prep = prepare(p, frame, !defer)?;
    let collinear = drop_collinear_covariates(&mut prep, &p.covariates);
    if prep.moments.len() != prep.blocks.len() {
        prep.moments.clear();
    }
    let plans = plan(&prep, p);
    let units: Vec<CellUnits> = plans.iter().map(|pl| cell_units(&prep, p, pl)).collect();
    let mut sums: Vec<Option<[f64; 4]>> = vec![None; plans.len()];
    if closed_form && prep.k == 0 {
        let which: Vec<usize> = (0..plans.len()).filter(|&k| estimable(&plans[k], &units[k])).collect();
        let cells: Vec<(&Plan, &CellUnits)> = which.iter().map(|&k| (&plans[k], &units[k])).collect();
        let all = if prep.moments.is_empty() { closed_form_sums(&prep, &cells) } else { moment_sums(&prep, &cells) };
        for (&k, s) in which.iter().zip(all) {
            sums[k] = Some(s);
        }
    }
    let deferred = prep.y.is_empty();
    if deferred
        && !(0..plans.len())
            .all(|k| !estimable(&plans[k], &units[k]) || sums[k].is_some_and(|s| closed_form_applies(p, s)))
    {
        prep = prepare(p, frame, true)?;
    }
    let deferred = prep.y.is_empty();
    // Cells without covariates are a few operations each (closed form): in parallel only with covariates.
    let run = |((pl, units), sums): ((&Plan, CellUnits), Option<[f64; 4]>)| run_cell(&prep, p, pl, units, sums);
    let mut outs: Vec<CellOut> = if prep.k == 0 {
        plans.iter().zip(units).zip(sums).map(run).collect()
    } else {
        covariate_cells(&prep, p, &plans, units)
    };
    let mut warnings = Vec::new();
    if !collinear.is_empty() {
        warnings.push(Diagnostic::new(
            crate::results::DiagnosticCode::Collinearity,
            format!("dropped for collinearity: {}", collinear.join(", ")),
        ));
    }
    let failed: Vec<&str> = outs.iter().filter_map(|o| o.failure.as_deref()).collect();
    if !failed.is_empty() {
        warnings.push(Diagnostic::new(
            if failed.iter().any(|f| f.contains("overlap")) {
                DiagnosticCode::Overlap
            } else {
                DiagnosticCode::Identification
            },
            format!("{} ATT(g,t) could not be estimated and are NaN: {}", failed.len(), failed.join("; ")),
        ));
    }
    let trimmed: usize = outs.iter().map(|o| o.trimmed).sum();
    if trimmed > 0 {
        warnings.push(Diagnostic::new(
            DiagnosticCode::Overlap,
            format!(
                "{trimmed} control unit-comparisons had propensity scores >= {} and got zero weight (trimmed); overlap is weak",
                p.trim_level
            ),
        ));
    }
    let small: Vec<String> = prep
        .treated
        .iter()
        .filter_map(|g| prep.blocks.iter().find(|b| b.0 == *g).filter(|b| b.2 - b.1 < 2).map(|_| g.to_string()))
        .collect();
    if !small.is_empty() {
        warnings.push(Diagnostic::new(
            DiagnosticCode::SmallClusters,
            format!(
                "cohort(s) {} have a single unit: their ATT(g,t) have no standard error (reported as NaN)",
                small.join(", ")
            ),
        ));
    }
    if prep.n_clusters < 30 {
        warnings.push(Diagnostic::new(
            DiagnosticCode::SmallClusters,
            format!("only {} clusters: influence-function standard errors may be too small", prep.n_clusters),
        ));
    }
    let z = Normal::standard().inverse_cdf(1.0 - p.alpha / 2.0);
    let influence = Influence {
        unit_cohort: std::mem::take(&mut prep.cohort),
        unit_weight: std::mem::take(&mut prep.w),
        unit_cluster: std::mem::take(&mut prep.cluster),
        n_clusters: prep.n_clusters,
        y: std::mem::take(&mut prep.y),
        cells: outs.iter_mut().map(|o| std::mem::take(&mut o.inf)).collect(),
        moments: std::mem::take(&mut prep.moments),
        outcomes_deferred: deferred,
    };
    // Cells with fewer than 2 treated units get no standard error (nor cells without estimate:
    // their influence function is empty, hence NaN).
    let mut se: Vec<f64> = cell_std_errors(&influence)
        .into_iter()
        .zip(&outs)
        .map(|(s, o)| if o.n_treated >= 2 { s } else { f64::NAN })
        .collect();
    let (mut band, mut crit, mut se_type) = (Band::Pointwise, z, "analytic".to_string());
    if let Some(b) = p.bootstrap {
        let sums = cell_cluster_sums(&influence);
        let draws = multiplier_bootstrap(
            &sums,
            prep.n_clusters,
            influence.cells.len(),
            1.0 / prep.n as f64,
            b.n_boot,
            b.weights,
            p.seed.unwrap_or(0),
        )?;
        let bse = draws.std_errors();
        for (s, (b, o)) in se.iter_mut().zip(bse.iter().zip(&outs)) {
            *s = if s.is_finite() && o.n_treated >= 2 { *b } else { f64::NAN };
        }
        let cols: Vec<usize> = (0..influence.cells.len()).collect();
        let c = draws.sup_t_critical(&se, &cols, p.alpha);
        se_type = format!("bootstrap ({} {} draws)", b.n_boot, format!("{:?}", b.weights).to_lowercase());
        if c.is_finite() && c >= z {
            band = Band::Simultaneous;
            crit = c;
        } else {
            warnings.push(Diagnostic::new(
                DiagnosticCode::Bootstrap,
                "the simultaneous critical value could not be computed; intervals are pointwise",
            ));
        }
    }
    let effects = plans
        .iter()
        .zip(&outs)
        .zip(&se)
        .map(|((pl, o), &s)| GroupTimeEffect {
            cohort: pl.g,
            time: prep.periods[pl.cur],
            base_period: prep.periods[pl.base],
            event_time: prep.periods[pl.cur] - pl.g,
            post: pl.g <= prep.periods[pl.cur],
            estimate: o.att,
            std_error: s,
            conf_low: o.att - crit * s,
            conf_high: o.att + crit * s,
            n_treated: o.n_treated,
            n_control: o.n_control,
        })
        .collect();
    let cohorts = prep
        .treated
        .iter()
        .map(|g| {
            let b = prep.blocks.iter().find(|b| b.0 == *g).expect("block");
            super::cohort::CohortCount { cohort: *g, n_units: b.2 - b.1 }
        })
        .collect();
    let n_never_treated = prep.blocks.iter().find(|b| b.0 == 0).map_or(0, |b| b.2 - b.1);
    let clusters = match &p.cluster {
        Some(c) if *c != p.unit => Some((c.clone(), prep.n_clusters)),
        _ => None,
    };
    Ok(GroupTimeEffects {
        effects,
        band,
        critical_value: crit,
        std_error_type: se_type,
        n_units: prep.n,
        n_obs: prep.n * prep.periods.len(),
        periods: prep.periods.clone(),
        cohorts,
        n_never_treated,
        clusters,
        timing: prep.timing.clone(),
        drops: prep.drops.clone(),
        params: (**p).clone(),
        warnings,
        version: crate::VERSION.to_string(),
        influence,
    })
}

#[cfg(test)]
#[path = "att_gt_tests.rs"]
mod tests;

#[cfg(not(test))]
mod tests {
    /// Tests can send `prepare` down the general path only; never outside tests.
    #[inline]
    pub(super) fn general_only() -> bool {
        false
    }
    /// Tests can give every cell its own design; never outside tests.
    #[inline]
    pub(super) fn unshared() -> bool {
        false
    }
}
