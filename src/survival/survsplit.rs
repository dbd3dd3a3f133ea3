//! Spell data to counting-process rows, like R survival's `survSplit` and `tmerge`.
//!
//! A person-level row (entry $a$, exit $b$, event code $e$, programme start dates $p_1..p_m$)
//! becomes the intervals $(c_0, c_1], (c_1, c_2], \dots, (c_{k-1}, c_k]$ with $c_0 = a$, $c_k = b$
//! and the cut points in between: every programme start and every requested `cuts` value
//! inside $(a, b)$. Each interval carries indicators $1\{p_j \le c_{l-1}\}$ (the programme has
//! started: a time-varying covariate), the event code on its last interval only (0 before),
//! and its interval number. A missing programme date means "never"; a start at or before the
//! entry makes the indicator 1 throughout.
//!
//! Checks: negative times, exit <= entry, event codes outside the declared set, and (with an
//! id) two spells of one person that overlap.

use serde::{Deserialize, Serialize};

use super::sample::{check_intervals, check_nonnegative};
use super::SurvivalError;
use crate::data::{Factor, Frame, Rows};

/// Options of [`survsplit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SurvSplit {
    /// Person id (checked for overlapping spells when given).
    pub id: Option<String>,
    /// Entry time column (0 when absent).
    pub entry: Option<String>,
    /// Exit time column.
    pub exit: String,
    /// Event code column (0 = censored).
    pub event: String,
    /// Declared event codes (default `[0, 1]`).
    pub event_codes: Vec<i64>,
    /// Programmes: (indicator name, start-date column).
    pub programmes: Vec<(String, String)>,
    /// Extra cut points (e.g. every 13 weeks).
    pub cuts: Vec<f64>,
}

/// The split rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpellRows {
    /// Input row each interval comes from.
    pub source_row: Vec<usize>,
    /// Interval start.
    pub start: Vec<f64>,
    /// Interval stop.
    pub stop: Vec<f64>,
    /// Event code at the stop (0 except on a spell's last interval).
    pub event: Vec<f64>,
    /// Interval number within the spell (1, 2, ...).
    pub interval: Vec<u32>,
    /// Programme indicators, one column per programme.
    pub programmes: Vec<(String, Vec<f64>)>,
    /// Input rows dropped for a missing entry, exit or event.
    pub n_dropped_missing: usize,
}

/// Split person-level spells at programme starts and cut points.
///
/// # Errors
/// [`SurvivalError::NegativeTime`], [`SurvivalError::StopNotAfterStart`],
/// [`SurvivalError::UndeclaredEvent`], [`SurvivalError::OverlappingSpells`], missing or
/// non-numeric columns.
///
/// # Examples
/// ```
/// use std::borrow::Cow;
/// use virkning::data::{Column, Frame};
/// use virkning::survival::{survsplit, SurvSplit};
/// let f = |v: Vec<f64>| Column::Float(Cow::Owned(v));
/// let frame = Frame::new()
///     .with_column("weeks", f(vec![30.0, 10.0])).unwrap()
///     .with_column("job", f(vec![1.0, 0.0])).unwrap()
///     .with_column("igu_start", f(vec![12.0, f64::NAN])).unwrap();
/// let spec = SurvSplit { exit: "weeks".into(), event: "job".into(),
///     programmes: vec![("igu".into(), "igu_start".into())], ..SurvSplit::default() };
/// let out = survsplit(&frame, &spec).unwrap();
/// assert_eq!(out.start, vec![0.0, 12.0, 0.0]);
/// assert_eq!(out.event, vec![0.0, 1.0, 0.0]);
/// assert_eq!(out.programmes[0].1, vec![0.0, 1.0, 0.0]);
/// ```
pub fn survsplit(frame: &Frame<'_>, spec: &SurvSplit) -> crate::Result<SpellRows> {
    let n = frame.n_rows();
    let num = |name: &str, role: &'static str| -> crate::Result<Vec<f64>> {
        let c = frame.numeric(name, role)?;
        Ok((0..n).map(|i| c.value(i).unwrap_or(f64::NAN)).collect())
    };
    let exit = num(&spec.exit, "the exit time")?;
    let event = num(&spec.event, "the event code")?;
    let entry = match &spec.entry {
        Some(e) => num(e, "the entry time")?,
        None => vec![0.0; n],
    };
    let progs: Vec<Vec<f64>> =
        spec.programmes.iter().map(|(_, c)| num(c, "a programme start date")).collect::<Result<_, _>>()?;
    for (name, v) in
        [(&spec.exit, &exit), (&spec.event, &event)].into_iter().chain(spec.entry.as_ref().map(|e| (e, &entry)))
    {
        if let Some(i) = v.iter().position(|x| x.is_infinite()) {
            return Err(crate::data::DataError::NonFinite {
                name: name.clone(),
                count: v.iter().filter(|x| x.is_infinite()).count(),
                first_row: i,
            }
            .into());
        }
    }
    let keep: Vec<bool> = (0..n).map(|i| !(exit[i].is_nan() || event[i].is_nan() || entry[i].is_nan())).collect();
    let rows = Rows::All(n).filter(&keep);
    let pick = |v: &[f64]| -> Vec<f64> { rows.iter().map(|i| v[i]).collect() };
    let (a, b, e) = (pick(&entry), pick(&exit), pick(&event));
    check_nonnegative(spec.entry.as_deref().unwrap_or("entry"), &a, &rows)?;
    check_nonnegative(&spec.exit, &b, &rows)?;
    check_intervals(&a, &b, &rows)?;
    let codes = if spec.event_codes.is_empty() { vec![0, 1] } else { spec.event_codes.clone() };
    if let Some(k) = e.iter().position(|&v| !codes.iter().any(|&c| c as f64 == v)) {
        return Err(SurvivalError::UndeclaredEvent {
            column: spec.event.clone(),
            value: e[k],
            first_row: rows.get(k),
            allowed: codes,
        }
        .into());
    }
    for (j, pv) in progs.iter().enumerate() {
        let pv = pick(pv);
        let nonneg: Vec<f64> = pv.iter().map(|x| if x.is_nan() { 0.0 } else { *x }).collect();
        check_nonnegative(&spec.programmes[j].1, &nonneg, &rows)?;
    }
    if let Some(id) = &spec.id {
        let f = Factor::encode(frame.column(id)?, &rows);
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_unstable_by(|&x, &y| f.codes[x].cmp(&f.codes[y]).then(a[x].total_cmp(&a[y])));
        for w in order.windows(2) {
            let (x, y) = (w[0], w[1]);
            if f.codes[x] == f.codes[y] && a[y] < b[x] {
                return Err(SurvivalError::OverlappingSpells {
                    id: f.labels[f.codes[x] as usize].clone(),
                    first_row: rows.get(x),
                    second_row: rows.get(y),
                }
                .into());
            }
        }
    }
    let mut cuts: Vec<f64> = spec.cuts.iter().copied().filter(|c| c.is_finite()).collect();
    cuts.sort_unstable_by(f64::total_cmp);
    let mut out = SpellRows {
        source_row: Vec::new(),
        start: Vec::new(),
        stop: Vec::new(),
        event: Vec::new(),
        interval: Vec::new(),
        programmes: spec.programmes.iter().map(|(name, _)| (name.clone(), Vec::new())).collect(),
        n_dropped_missing: n - rows.len(),
    };
    let mut points = Vec::new();
    for k in 0..rows.len() {
        let i = rows.get(k);
        points.clear();
        points.push(a[k]);
        points.extend(cuts.iter().copied().filter(|&c| c > a[k] && c < b[k]));
        points.extend(progs.iter().map(|pv| pv[i]).filter(|&p| p > a[k] && p < b[k]));
        points.push(b[k]);
        points.sort_unstable_by(f64::total_cmp);
        points.dedup();
        let m = points.len() - 1;
        for l in 0..m {
            out.source_row.push(i);
            out.start.push(points[l]);
            out.stop.push(points[l + 1]);
            out.event.push(if l + 1 == m { e[k] } else { 0.0 });
            out.interval.push(l as u32 + 1);
            for (j, pv) in progs.iter().enumerate() {
                let started = !pv[i].is_nan() && pv[i] <= points[l];
                out.programmes[j].1.push(if started { 1.0 } else { 0.0 });
            }
        }
    }
    Ok(out)
}
