//! `att_gt` preparation when the rows arrive as a sorted balanced panel ([`SortedPanel`]:
//! integer ids ascending, every unit in the same periods) and nothing but the outcome and the
//! cohort is used (no covariates, weights, clusters above the unit or 0/1 treatment column).
//! That is the common case, and it needs no id encoding: unit `u`'s rows are `u*T..(u+1)*T`.
//!
//! Cost: one parallel pass over the ids and periods ([`SortedPanel::detect`]), one over the
//! cohorts (each unit's must be constant) and, when asked for, one copying the outcome into the period-wise
//! layout, instead of hashing ids, encoding labels and scattering row by row. One parallel pass
//! over fixed chunks of units accumulates each cohort's outcome moments ([`BlockMoments`],
//! batches of 64 units merged with the pairwise update), from which the cells' means and all
//! standard errors by unit follow (with never-treated or not-yet-treated controls alike: a
//! cell's control mean is the size-weighted mean of its control blocks' means); the
//! period-wise outcome copy is made only when asked for (`outcomes`).
//!
//! Anything unusual (a missing or infinite outcome, an invalid or varying cohort, no
//! never-treated units, fewer than two periods, non-float outcomes) returns `None` and the
//! general [`super::prepare`] handles it, with its drops, reports and errors; the units, their
//! order and every value are then the same as the general path would give.

use rayon::prelude::*;

use super::{finish, Prepared};
use crate::data::{Column, Frame, SortedPanel};
use crate::did::cohort::{cohort_value, Timing};
use crate::did::params::AttGt;
use crate::did::result::{BlockMoments, DidDrops};

/// Units per batch of the moment accumulation.
const BATCH: usize = 64;

/// `Prepared` for a sorted balanced panel, or `None` when the general path must decide.
/// `outcomes: false` leaves the period-wise outcome copy `y` empty (the moments are enough
/// for estimates and standard errors by unit).
pub(super) fn prepare(p: &AttGt, frame: &Frame<'_>, outcomes: bool) -> Option<Prepared> {
    let by_unit = p.cluster.as_ref().is_none_or(|c| *c == p.unit);
    if !p.covariates.is_empty() || p.weights.is_some() || p.treatment.is_some() || !by_unit {
        return None;
    }
    let Ok(Column::Float(ysrc)) = frame.column(&p.outcome) else { return None };
    let Ok(gcol) = frame.numeric(&p.cohort, "the cohort (first treated period)") else { return None };
    let sp = SortedPanel::detect(frame, &p.unit, &p.time)?;
    let nt = sp.n_periods();
    if nt < 2 {
        return None;
    }
    // Each unit's cohort: one valid value, the same in all its rows.
    let mut raw: Vec<Option<i64>> = vec![None; sp.n_units];
    let chunk = 4096;
    let valid = raw.par_chunks_mut(chunk).enumerate().all(|(c, out)| {
        out.iter_mut().enumerate().all(|(k, slot)| {
            let rows = (c * chunk + k) * nt..(c * chunk + k + 1) * nt;
            let constant = match gcol {
                Column::Int(v) => v[rows.clone()].iter().all(|&x| x == v[rows.start]),
                Column::Float(v) => v[rows.clone()].iter().all(|x| x.to_bits() == v[rows.start].to_bits()),
                Column::Categorical { .. } => false,
            };
            match cohort_value(gcol, rows.start) {
                Ok(g) if constant => {
                    *slot = g;
                    true
                }
                _ => false,
            }
        })
    });
    if !valid {
        return None;
    }
    let timing = Timing::from_cohorts(raw, &sp.periods, p.anticipation);
    if timing.report.n_never_treated == 0 || timing.require_controls(p.control_group, &p.cohort).is_err() {
        return None;
    }
    let treated: Vec<i64> = timing.cohorts().iter().map(|c| c.cohort).collect();
    // Units in (cohort, unit) order, as `cohort_order` gives: each unit's level (0: never
    // treated, then the treated cohorts; `n_levels`: dropped), counts per level, then every
    // level fills its own stretch of positions from the input read in order.
    let n_levels = treated.len() + 1;
    if n_levels >= usize::from(u8::MAX) {
        return None;
    }
    // Level of a cohort: a table over the cohorts' range when it is small (periods), else a search.
    let (lo, hi) = (treated[0], treated[treated.len() - 1]);
    let mut table = vec![n_levels as u8; if hi - lo < 4096 { (hi - lo + 1) as usize } else { 0 }];
    if !table.is_empty() {
        for (l, &g) in treated.iter().enumerate() {
            table[(g - lo) as usize] = l as u8 + 1;
        }
    }
    let levels: Vec<u8> = (0..sp.n_units)
        .into_par_iter()
        .with_min_len(chunk)
        .map(|u| match timing.cohort[u] {
            _ if timing.dropped[u] => n_levels as u8,
            None => 0,
            Some(g) if !table.is_empty() => table[(g - lo) as usize],
            Some(g) => treated.binary_search(&g).map_or(n_levels as u8, |l| l as u8 + 1),
        })
        .collect();
    let mut count = vec![0usize; n_levels + 1];
    for &l in &levels {
        count[usize::from(l)] += 1;
    }
    let n: usize = count[..n_levels].iter().sum();
    // Each level's outcome moments and the finiteness check: one parallel pass over fixed
    // chunks of units (so the result does not depend on the number of threads), a batch of
    // units per level at a time, chunks merged in order.
    let chunk_moments = |c: usize| {
        let mut acc: Vec<BlockMoments> = (0..n_levels).map(|_| BlockMoments::empty(nt)).collect();
        let mut batch = vec![0.0; n_levels * BATCH * nt];
        let mut len = vec![0usize; n_levels];
        let mut ok = true;
        for u in c * chunk..((c + 1) * chunk).min(sp.n_units) {
            let l = usize::from(levels[u]);
            if l == n_levels {
                continue;
            }
            let buf = &mut batch[l * BATCH * nt..(l + 1) * BATCH * nt];
            for (j, &v) in ysrc[u * nt..(u + 1) * nt].iter().enumerate() {
                buf[j * BATCH + len[l]] = v;
                ok &= v.is_finite();
            }
            len[l] += 1;
            if len[l] == BATCH {
                acc[l].merge(&BlockMoments::of_batch(buf, BATCH, BATCH, nt));
                len[l] = 0;
            }
        }
        for (l, a) in acc.iter_mut().enumerate() {
            a.merge(&BlockMoments::of_batch(&mut batch[l * BATCH * nt..(l + 1) * BATCH * nt], BATCH, len[l], nt));
        }
        (ok, acc)
    };
    let parts: Vec<(bool, Vec<BlockMoments>)> =
        (0..sp.n_units.div_ceil(chunk)).into_par_iter().map(chunk_moments).collect();
    let finite = parts.iter().all(|p| p.0);
    let mut level_moments: Vec<BlockMoments> = (0..n_levels).map(|_| BlockMoments::empty(nt)).collect();
    for (_, part) in &parts {
        for (m, pm) in level_moments.iter_mut().zip(part) {
            m.merge(pm);
        }
    }
    // A non-finite outcome anywhere (dropped units included) leaves it to the general path,
    // before anything is copied.
    let dropped_finite = (0..sp.n_units)
        .filter(|&u| usize::from(levels[u]) == n_levels)
        .all(|u| ysrc[u * nt..(u + 1) * nt].iter().all(|v| v.is_finite()));
    if !(finite && dropped_finite) {
        return None;
    }
    // Moments of the levels with units: the cohort blocks, in order.
    let moments: Vec<BlockMoments> = level_moments.into_iter().filter(|m| m.n > 0.0).collect();
    // Units in (cohort, unit) order: each level's cohort repeated over its stretch.
    let level_cohort: Vec<i64> = std::iter::once(0).chain(treated.iter().copied()).collect();
    let cohort: Vec<i64> =
        count[..n_levels].iter().zip(&level_cohort).flat_map(|(&c, &g)| std::iter::repeat_n(g, c)).collect();
    // Outcomes period after period (only when asked for): each level's stretch of every row is
    // a separate slice, filled in parallel by level.
    let mut y = if outcomes { vec![0.0; n * nt] } else { Vec::new() };
    let mut pieces: Vec<Vec<&mut [f64]>> = (0..n_levels).map(|_| Vec::with_capacity(nt)).collect();
    for row in y.chunks_mut(n.max(1)) {
        let mut rest = row;
        for (piece, &c) in pieces.iter_mut().zip(&count) {
            let (head, tail) = rest.split_at_mut(c);
            piece.push(head);
            rest = tail;
        }
    }
    if outcomes {
        pieces.into_par_iter().enumerate().for_each(|(l, mut rows)| {
            let units = levels.iter().enumerate().filter(|(_, &lv)| usize::from(lv) == l).map(|(u, _)| u);
            for (k, u) in units.enumerate() {
                for (row, &v) in rows.iter_mut().zip(&ysrc[u * nt..(u + 1) * nt]) {
                    row[k] = v;
                }
            }
        });
    }
    let drops =
        DidDrops { n_input_rows: ysrc.len(), missing_by_column: vec![(p.outcome.clone(), 0)], ..Default::default() };
    let parts = Prepared {
        n,
        periods: sp.periods,
        y,
        x: Vec::new(),
        k: 0,
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
