//! `att_gt` preparation when the rows arrive as a sorted balanced panel ([`SortedPanel`]:
//! integer ids ascending, every unit in the same periods) and only the outcome, the cohort and
//! float covariates are used (no weights, clusters above the unit or 0/1 treatment column).
//! That is the common case, and it needs no id encoding: unit `u`'s rows are `u*T..(u+1)*T`.
//! Other balanced panels (shuffled rows, text, categorical or wide integer ids) are put in this
//! layout by a counting sort first (`sorted_copy` in `att_gt.rs`).
//!
//! Cost: one parallel pass over fixed chunks of units reads each row once: it checks the layout
//! ([`SortedPanel::fits`]), that each unit's cohort is one valid value and its outcomes are
//! finite (long branch-free loops over the rows), applies the timing rules of
//! [`Timing::from_cohorts`](super::cohort::Timing) as a code per cohort value, sorts the
//! chunk's units by cohort (counting sort, unit order kept) and accumulates each cohort's
//! outcome moments ([`BlockMoments`], batches of 64 units merged with the pairwise update,
//! chunks merged in order). Memory beyond the input: O(units) for the cohorts. The cells' means and all
//! standard errors by unit follow from the moments (with never-treated or not-yet-treated
//! controls alike: a cell's control mean is the size-weighted mean of its control blocks'
//! means); the period-wise outcome copy is made only when asked for (`outcomes`).
//!
//! Covariates must be finite in every row; they are stored once per unit when every unit's
//! values are the same in all periods (checked per chunk), else per unit and period.
//!
//! Anything unusual (a missing or infinite outcome or covariate, an invalid or varying cohort, no
//! never-treated units, fewer than two periods, non-float outcomes, rows out of the layout,
//! periods spanning more than [`MAX_SPAN`], 0 among the periods: a cohort 0 may be ambiguous)
//! returns `None` and the general [`super::prepare`] handles it, with its drops, reports and
//! errors; the units, their order and every value are then the same as the general path would give.

use std::collections::BTreeMap;
use std::ops::Range;

use rayon::prelude::*;

use super::{finish, Prepared};
use crate::data::{constant_within_units, Column, Frame, SortedPanel};
use crate::did::cohort::{cohort_value, CohortCount, TimingReport};
use crate::did::params::AttGt;
use crate::did::result::{BlockMoments, DidDrops, MOMENT_BATCH as BATCH};

/// Units per chunk of the parallel pass (fixed, so the result does not depend on the number
/// of threads).
const CHUNK: usize = 2048;
/// Widest range of treated cohorts (`last - first` period) the sorted path takes.
const MAX_SPAN: usize = 4096;

/// `Prepared` for a sorted balanced panel, or `None` when the general path must decide.
/// `outcomes: false` leaves the period-wise outcome copy `y` empty (the moments are enough
/// for estimates and standard errors by unit).
pub(super) fn prepare(p: &AttGt, frame: &Frame<'_>, outcomes: bool) -> Option<Prepared> {
    if !eligible(p) {
        return None;
    }
    let Ok(Column::Float(y)) = frame.column(&p.outcome) else { return None };
    let y: &[f64] = y;
    let x: Vec<&[f64]> = p
        .covariates
        .iter()
        .map(|c| match frame.column(c) {
            Ok(Column::Float(v)) if v.len() == y.len() => Some(&v[..]),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let Ok(gcol) = frame.numeric(&p.cohort, "the cohort (first treated period)") else { return None };
    let sp = SortedPanel::candidate(frame, &p.unit, &p.time)?;
    let nt = sp.n_periods();
    if nt < 2 || y.len() != sp.n_units * nt || gcol.len() != y.len() {
        return None;
    }
    let span = usize::try_from(sp.periods[nt - 1] - sp.periods[0]).ok().filter(|&s| s <= MAX_SPAN)?;
    if sp.periods.contains(&0) {
        return None; // a cohort 0 may be ambiguous: the general path decides
    }
    let rules = Rules { first: sp.periods[0] + p.anticipation, last: sp.periods[nt - 1] + p.anticipation, span };
    let scan = Scan { sp, gcol, y, x, rules };
    let parts: Vec<ChunkScan> =
        (0..sp.n_units.div_ceil(CHUNK)).into_par_iter().map(|c| scan.chunk(c)).collect::<Option<_>>()?;
    let mut never = BlockMoments::empty(nt);
    let mut treated_moments: BTreeMap<i64, BlockMoments> = BTreeMap::new();
    let mut first_period: BTreeMap<i64, usize> = BTreeMap::new();
    let mut late = 0;
    let x_invariant = parts.iter().all(|c| c.x_invariant);
    for part in &parts {
        never.merge(&part.never);
        for (g, m) in &part.treated {
            treated_moments.entry(*g).or_insert_with(|| BlockMoments::empty(nt)).merge(m);
        }
        for (g, c) in &part.first_period {
            *first_period.entry(*g).or_default() += c;
        }
        late += part.late;
    }
    let n_never = never.n as usize;
    if n_never == 0 || treated_moments.is_empty() {
        return None;
    }
    let treated: Vec<i64> = treated_moments.keys().copied().collect();
    let counts: Vec<usize> = std::iter::once(n_never).chain(treated_moments.values().map(|m| m.n as usize)).collect();
    let n: usize = counts.iter().sum();
    // Units in (cohort, unit) order, never treated first: each level's cohort over its stretch.
    let cohort: Vec<i64> =
        std::iter::once(&0).chain(&treated).zip(&counts).flat_map(|(&g, &c)| std::iter::repeat_n(g, c)).collect();
    let k = scan.x.len();
    let levels = if outcomes || k > 0 { scan.levels(&treated, counts.len()) } else { Vec::new() };
    let y = if outcomes || k > 0 { scan.period_wise(&levels, &counts) } else { Vec::new() };
    let x_periods = if x_invariant { 1 } else { nt };
    let x = scan.covariates(&levels, &counts, x_periods);
    let timing = TimingReport {
        n_units: sp.n_units,
        n_never_treated: n_never,
        treated_after_last_period: late,
        first_period_treated: first_period
            .into_iter()
            .map(|(cohort, n_units)| CohortCount { cohort, n_units })
            .collect(),
    };
    let moments: Vec<BlockMoments> = if k > 0 {
        Vec::new() // counts only (see `level_moments`)
    } else {
        std::iter::once(never).chain(treated_moments.into_values()).collect()
    };
    let missing_by_column = std::iter::once(&p.outcome).chain(&p.covariates).map(|c| (c.clone(), 0)).collect();
    let drops = DidDrops { n_input_rows: scan.y.len(), missing_by_column, ..Default::default() };
    let parts = Prepared {
        n,
        periods: sp.periods.to_vec(),
        y,
        x,
        k,
        x_periods,
        x_invariant,
        w: vec![1.0; n],
        cohort,
        cluster: (0..n as u32).collect(),
        n_clusters: n,
        blocks: Vec::new(),
        treated,
        drops,
        timing,
        moments,
    };
    finish(parts).ok()
}

/// The timing rules of `Timing::from_cohorts` as codes: with `first`/`last` the first/last
/// period plus anticipation, a cohort `first < g <= last` gets code `TREATED + g - first - 1`
/// (`span = last - first` such codes); the others [`Rules::NEVER`] (0 or missing), [`Rules::LATE`] (after
/// `last`: never treated), [`Rules::DROPPED`] (at or before `first`) or [`Rules::INVALID`].
#[derive(Clone, Copy)]
struct Rules {
    first: i64,
    last: i64,
    span: usize,
}

impl Rules {
    const NEVER: usize = 0;
    const LATE: usize = 1;
    const DROPPED: usize = 2;
    const INVALID: usize = 3;
    /// Codes below this are the four above; a treated cohort's code is `4 + (g - first - 1)`.
    const TREATED: usize = 4;

    /// The code of a whole cohort value `g` (0: never treated); selects rather than branches.
    #[inline]
    fn code_int(self, g: i64) -> u16 {
        let rel = g.wrapping_sub(self.first + 1);
        let other = if g == 0 {
            Self::NEVER
        } else if g < 0 {
            Self::INVALID
        } else if g > self.last {
            Self::LATE
        } else {
            Self::DROPPED
        };
        // Only positive cohorts are periods (as `cohort_value` rules on the general path, even
        // when the periods are negative or include 0).
        (if (rel as u64) < self.span as u64 && g > 0 { Self::TREATED + rel as usize } else { other }) as u16
    }

    /// The code of a float cohort (missing, 0 or `+inf`: never treated; fractions invalid).
    #[inline]
    fn code_float(self, g: f64) -> u16 {
        if g.is_nan() || g == 0.0 || g == f64::INFINITY {
            Self::NEVER as u16
        } else if !(g > 0.0 && g.is_finite() && g.fract() == 0.0) {
            Self::INVALID as u16
        } else {
            self.code_int(g as i64)
        }
    }

    /// The cohort of a treated code.
    fn cohort(self, code: usize) -> i64 {
        self.first + 1 + (code - Self::TREATED) as i64
    }
}

/// Whether the parameters are ones the sorted path takes (no weights, clusters above the
/// unit or 0/1 treatment column; covariates are fine).
pub(super) fn eligible(p: &AttGt) -> bool {
    let by_unit = p.cluster.as_ref().is_none_or(|c| *c == p.unit);
    p.weights.is_none() && p.treatment.is_none() && by_unit
}

/// The columns of one sorted-path fit.
struct Scan<'f> {
    sp: SortedPanel<'f>,
    gcol: &'f Column<'f>,
    y: &'f [f64],
    /// Covariates (float columns).
    x: Vec<&'f [f64]>,
    rules: Rules,
}

/// One chunk's share: moments of its never-treated units and of each treated cohort (in order
/// of first appearance), counts of late and first-period cohorts.
struct ChunkScan {
    /// Every covariate is the same in all rows of each unit of the chunk.
    x_invariant: bool,
    never: BlockMoments,
    treated: Vec<(i64, BlockMoments)>,
    first_period: Vec<(i64, usize)>,
    late: usize,
}

impl Scan<'_> {
    /// Unit `u`'s cohort code ([`Rules`]), from its first row.
    #[inline]
    fn unit_code(&self, u: usize) -> usize {
        let row = u * self.sp.n_periods();
        usize::from(match self.gcol {
            Column::Int(v) => self.rules.code_int(v[row]),
            Column::Float(v) => self.rules.code_float(v[row]),
            Column::Categorical { .. } => Rules::INVALID as u16,
        })
    }

    /// Whether each unit of `units` has one cohort in all its rows and finite outcomes.
    fn rows_valid(&self, units: Range<usize>) -> bool {
        let nt = self.sp.n_periods();
        let rows = units.start * nt..units.end * nt;
        let finite = |v: &[f64]| v[rows.clone()].iter().fold(true, |acc, v| acc & v.is_finite());
        finite(self.y)
            && self.x.iter().all(|c| finite(c))
            && match self.gcol {
                Column::Int(v) => constant_within_units(&v[rows], nt, |x| x as u64),
                Column::Float(v) => constant_within_units(&v[rows], nt, f64::to_bits),
                Column::Categorical { .. } => false,
            }
    }

    /// Chunk `c` of units read once; `None` when a unit is out of the layout, its cohort invalid
    /// or varying, or an outcome not finite.
    fn chunk(&self, c: usize) -> Option<ChunkScan> {
        let nt = self.sp.n_periods();
        let units = c * CHUNK..((c + 1) * CHUNK).min(self.sp.n_units);
        if !(self.sp.fits(units.clone()) && self.rows_valid(units.clone())) {
            return None;
        }
        let rules = self.rules;
        let code: Vec<u16> = units.clone().map(|u| self.unit_code(u) as u16).collect();
        let n_codes = Rules::TREATED + rules.span;
        let mut count = vec![0u32; n_codes];
        for &k in &code {
            count[usize::from(k)] += 1;
        }
        if count[Rules::INVALID] > 0 {
            return None;
        }
        let mut first_period: Vec<(i64, usize)> = Vec::new();
        if count[Rules::DROPPED] > 0 {
            for (u, _) in units.clone().zip(&code).filter(|(_, &k)| usize::from(k) == Rules::DROPPED) {
                let g = cohort_value(self.gcol, u * nt).ok()??;
                match first_period.iter_mut().find(|x| x.0 == g) {
                    Some(x) => x.1 += 1,
                    None => first_period.push((g, 1)),
                }
            }
        }
        // Units in (level, unit) order by a counting sort: level 0 never treated (late cohorts
        // included, in unit order), then each treated code; dropped units last, not used.
        let mut next = vec![0u32; n_codes];
        let mut at = count[Rules::NEVER] + count[Rules::LATE];
        for k in Rules::TREATED..n_codes {
            next[k] = at;
            at += count[k];
        }
        next[Rules::DROPPED] = at;
        let mut order = vec![0u32; code.len()];
        for (u, &k) in units.clone().zip(&code) {
            // Never and late share one cursor: level 0.
            let k = if usize::from(k) == Rules::LATE { Rules::NEVER } else { usize::from(k) };
            order[next[k] as usize] = u as u32;
            next[k] += 1;
        }
        let n_never = (count[Rules::NEVER] + count[Rules::LATE]) as usize;
        let mut batch = vec![0.0; BATCH * nt];
        let never = self.level_moments(&order[..n_never], &mut batch);
        let mut start = n_never;
        let mut treated = Vec::new();
        for k in (Rules::TREATED..n_codes).filter(|&k| count[k] > 0) {
            let end = start + count[k] as usize;
            treated.push((rules.cohort(k), self.level_moments(&order[start..end], &mut batch)));
            start = end;
        }
        let rows = units.start * nt..units.end * nt;
        let x_invariant = self.x.iter().all(|c| constant_within_units(&c[rows.clone()], nt, f64::to_bits));
        Some(ChunkScan { x_invariant, never, treated, first_period, late: count[Rules::LATE] as usize })
    }

    /// Outcome moments of `units` in their order, a batch at a time (copied period-wise
    /// into `batch`).
    fn level_moments(&self, units: &[u32], batch: &mut [f64]) -> BlockMoments {
        let nt = self.sp.n_periods();
        let (mut acc, mut part) = (BlockMoments::empty(nt), BlockMoments::empty(nt));
        if !self.x.is_empty() {
            // With covariates the cells are not in closed form: only the counts are needed.
            acc.n = units.len() as f64;
            return acc;
        }
        for batch_units in units.chunks(BATCH) {
            for (k, &u) in batch_units.iter().enumerate() {
                let u = u as usize;
                for (slot, &v) in batch[k..].iter_mut().step_by(BATCH).zip(&self.y[u * nt..(u + 1) * nt]) {
                    *slot = v;
                }
            }
            part.set_to_batch(batch, batch_units.len());
            acc.merge(&part);
        }
        acc
    }

    /// Each unit's level: 0 never treated (late cohorts included), `1 + k` cohort `treated[k]`,
    /// `dropped` (= the number of levels) for units not used.
    fn levels(&self, treated: &[i64], dropped: usize) -> Vec<usize> {
        (0..self.sp.n_units)
            .into_par_iter()
            .with_min_len(CHUNK)
            .map(|u| match self.unit_code(u) {
                Rules::NEVER | Rules::LATE => 0,
                k if k >= Rules::TREATED => treated.binary_search(&self.rules.cohort(k)).map_or(dropped, |l| l + 1),
                _ => dropped,
            })
            .collect()
    }

    /// The outcomes period after period (`T x n`) in (cohort, unit) order: `levels` as from
    /// [`Scan::levels`], `counts` units each; each level's stretch of every period is a
    /// separate slice, filled in parallel by level.
    fn period_wise(&self, levels: &[usize], counts: &[usize]) -> Vec<f64> {
        let nt = self.sp.n_periods();
        let n: usize = counts.iter().sum();
        let mut y = vec![0.0; n * nt];
        let mut pieces: Vec<Vec<&mut [f64]>> = (0..counts.len()).map(|_| Vec::with_capacity(nt)).collect();
        for row in y.chunks_mut(n.max(1)) {
            let mut rest = row;
            for (piece, &c) in pieces.iter_mut().zip(counts) {
                let (head, tail) = rest.split_at_mut(c);
                piece.push(head);
                rest = tail;
            }
        }
        pieces.into_par_iter().enumerate().for_each(|(l, mut rows)| {
            let units = levels.iter().enumerate().filter(|(_, &lv)| lv == l).map(|(u, _)| u);
            for (k, u) in units.enumerate() {
                for (row, &v) in rows.iter_mut().zip(&self.y[u * nt..(u + 1) * nt]) {
                    row[k] = v;
                }
            }
        });
        y
    }

    /// The covariates in (cohort, unit) order, `(unit, period, k)` row-major with `x_periods`
    /// periods per unit (1: each unit's first row, for time-invariant covariates).
    fn covariates(&self, levels: &[usize], counts: &[usize], x_periods: usize) -> Vec<f64> {
        let (nt, k) = (self.sp.n_periods(), self.x.len());
        if k == 0 {
            return Vec::new();
        }
        let mut next: Vec<usize> = counts.iter().scan(0, |at, &c| Some(std::mem::replace(at, *at + c))).collect();
        let n: usize = counts.iter().sum();
        let mut x = vec![0.0; n * x_periods * k];
        for (u, &l) in levels.iter().enumerate().filter(|(_, &l)| l < counts.len()) {
            let pos = next[l];
            next[l] += 1;
            for s in 0..x_periods {
                for (j, c) in self.x.iter().enumerate() {
                    x[(pos * x_periods + s) * k + j] = c[u * nt + s];
                }
            }
        }
        x
    }
}
