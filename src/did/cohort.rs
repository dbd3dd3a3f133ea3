//! Treatment timing shared by the staggered DiD estimators: each unit's cohort (first treated
//! period) from a first-treated column or a 0/1 treatment column, validated once.
//!
//! Rules (R `did` 2.x conventions, errors where R would silently do something odd):
//! - the cohort is the first treated period; `0`, missing or `+inf` mean never treated;
//! - when `0` is also a period of the panel, a cohort value `0` is ambiguous (never treated, or
//!   first treated in period 0?) and an error ([`DidError::AmbiguousNeverTreated`]): mark
//!   never-treated units with a missing value there, or give a 0/1 treatment column;
//! - the cohort must be the same in every row of a unit ([`DidError::CohortVaries`]);
//! - a 0/1 treatment must stay on once it starts ([`DidError::TreatmentSwitchesOff`]);
//! - a cohort after the last period (plus anticipation) is never treated within the panel and is
//!   recoded as never treated (counted in [`TimingReport::treated_after_last_period`]);
//! - units treated in the first period (cohort <= first period + anticipation) have no
//!   pre-treatment period: they are dropped and reported per cohort
//!   ([`TimingReport::first_period_treated`]);
//! - [`Timing::require_controls`] checks that the control group exists: no never-treated unit
//!   with `control_group = "never_treated"` is [`DidError::NoNeverTreated`], whose message
//!   names `not_yet_treated` as the fix.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::DidError;
use crate::data::{Column, DataError, Frame, Panel};

/// Which units serve as controls for a treated cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlGroup {
    /// Units never treated within the panel.
    #[default]
    NeverTreated,
    /// Never-treated units and units not yet treated (and not anticipating) in both periods compared.
    NotYetTreated,
}

/// Where the treatment timing comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CohortSource<'a> {
    /// A column holding the first treated period (0 or missing: never treated).
    FirstTreated(&'a str),
    /// A 0/1 treatment column; the cohort is the first period where it is 1.
    Treatment(&'a str),
}

/// Units of one cohort, for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortCount {
    /// First treated period.
    pub cohort: i64,
    /// Number of units.
    pub n_units: usize,
}

/// What the timing validation changed or dropped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TimingReport {
    /// Units in the panel.
    pub n_units: usize,
    /// Units never treated within the panel (after recoding late cohorts).
    pub n_never_treated: usize,
    /// Units whose cohort is after the last period (plus anticipation): counted as never treated.
    pub treated_after_last_period: usize,
    /// Units treated in the first period (no pre-treatment period), dropped, by cohort.
    pub first_period_treated: Vec<CohortCount>,
}

impl TimingReport {
    /// One sentence for summaries, empty when nothing happened.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.first_period_treated.is_empty() {
            let n: usize = self.first_period_treated.iter().map(|c| c.n_units).sum();
            let which: Vec<String> =
                self.first_period_treated.iter().map(|c| format!("cohort {}: {}", c.cohort, c.n_units)).collect();
            parts.push(format!(
                "{n} unit(s) treated in the first period (no pre-treatment period) dropped ({})",
                which.join(", ")
            ));
        }
        if self.treated_after_last_period > 0 {
            parts.push(format!(
                "{} unit(s) first treated after the last period counted as never treated",
                self.treated_after_last_period
            ));
        }
        parts.join("; ")
    }
}

/// Each unit's cohort, by unit level of the panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Cohort of each unit level (`None`: never treated). First-period-treated units keep their
    /// cohort here but are marked in `dropped`.
    pub cohort: Vec<Option<i64>>,
    /// Units dropped because they were treated in the first period.
    pub dropped: Vec<bool>,
    /// The report.
    pub report: TimingReport,
}

impl Timing {
    /// Validate the timing of every unit of `panel` (all rows of `frame`).
    ///
    /// # Errors
    /// [`DidError::CohortVaries`], [`DidError::InvalidCohort`], [`DidError::TreatmentSwitchesOff`];
    /// a missing or non-numeric column is a [`DataError`] (wrapped in `crate::Error`).
    pub fn new(
        frame: &Frame<'_>,
        panel: &Panel,
        source: CohortSource<'_>,
        anticipation: i64,
    ) -> Result<Timing, crate::Error> {
        let raw = raw_cohorts(frame, panel, source)?;
        Ok(Timing::from_cohorts(raw, &panel.periods, anticipation))
    }

    /// Apply the rules above to each unit's raw cohort (`None`: never treated), given the
    /// panel's ascending `periods`: late cohorts recoded, first-period cohorts dropped.
    pub(crate) fn from_cohorts(raw: Vec<Option<i64>>, periods: &[i64], anticipation: i64) -> Timing {
        let n_units = raw.len();
        let first = periods.first().copied().unwrap_or_default();
        let last = periods.last().copied().unwrap_or_default();
        let mut report = TimingReport { n_units, ..Default::default() };
        let mut cohort = raw;
        let mut dropped = vec![false; n_units];
        for (u, c) in cohort.iter_mut().enumerate() {
            match *c {
                Some(g) if g > last + anticipation => {
                    *c = None;
                    report.treated_after_last_period += 1;
                }
                Some(g) if g <= first + anticipation => {
                    dropped[u] = true;
                    match report.first_period_treated.iter_mut().find(|x| x.cohort == g) {
                        Some(x) => x.n_units += 1,
                        None => report.first_period_treated.push(CohortCount { cohort: g, n_units: 1 }),
                    }
                }
                _ => {}
            }
        }
        report.first_period_treated.sort_by_key(|c| c.cohort);
        report.n_never_treated = cohort.iter().zip(&dropped).filter(|(c, d)| c.is_none() && !**d).count();
        Timing { cohort, dropped, report }
    }

    /// Treated cohorts of kept units, ascending, with their unit counts.
    pub fn cohorts(&self) -> Vec<CohortCount> {
        // Chunks of units in parallel (counts are exact in any order).
        let chunk = 8192;
        let kept = |c: usize| {
            let r = c * chunk..((c + 1) * chunk).min(self.cohort.len());
            self.cohort[r.clone()].iter().zip(&self.dropped[r]).filter_map(|(c, d)| c.filter(|_| !d))
        };
        let n_chunks = self.cohort.len().div_ceil(chunk);
        let (lo, hi) = (0..n_chunks)
            .into_par_iter()
            .map(|c| kept(c).fold((i64::MAX, i64::MIN), |(lo, hi), g| (lo.min(g), hi.max(g))))
            .reduce(|| (i64::MAX, i64::MIN), |a, b| (a.0.min(b.0), a.1.max(b.1)));
        if lo > hi {
            return Vec::new();
        }
        if hi - lo < 4096 {
            // Cohorts are periods: count them in a table.
            let width = (hi - lo + 1) as usize;
            let counts = (0..n_chunks)
                .into_par_iter()
                .map(|c| {
                    let mut counts = vec![0usize; width];
                    for g in kept(c) {
                        counts[(g - lo) as usize] += 1;
                    }
                    counts
                })
                .reduce(|| vec![0usize; width], |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect());
            return (lo..=hi)
                .zip(counts)
                .filter(|(_, c)| *c > 0)
                .map(|(cohort, n_units)| CohortCount { cohort, n_units })
                .collect();
        }
        let mut out: Vec<CohortCount> = Vec::new();
        for (c, d) in self.cohort.iter().zip(&self.dropped) {
            if let (Some(g), false) = (c, d) {
                match out.iter_mut().find(|x| x.cohort == *g) {
                    Some(x) => x.n_units += 1,
                    None => out.push(CohortCount { cohort: *g, n_units: 1 }),
                }
            }
        }
        out.sort_by_key(|c| c.cohort);
        out
    }

    /// Check that the control group can exist.
    ///
    /// # Errors
    /// [`DidError::NoNeverTreated`] for `NeverTreated` without never-treated units;
    /// [`DidError::NothingToEstimate`] when no treated cohort is left.
    pub fn require_controls(&self, control: ControlGroup, cohort_column: &str) -> Result<(), DidError> {
        let cohorts = self.cohorts();
        if cohorts.is_empty() {
            return Err(DidError::NothingToEstimate {
                reason: format!(
                    "no treated cohort with a pre-treatment period in `{cohort_column}`{}",
                    if self.report.first_period_treated.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", self.report.describe())
                    }
                ),
            });
        }
        if self.report.n_never_treated == 0 {
            match control {
                ControlGroup::NeverTreated => {
                    return Err(DidError::NoNeverTreated { cohort: cohort_column.to_string() })
                }
                ControlGroup::NotYetTreated if cohorts.len() < 2 => {
                    return Err(DidError::NothingToEstimate {
                        reason: format!(
                            "a single treated cohort ({}) and no never-treated units: no unit can serve as a control",
                            cohorts[0].cohort
                        ),
                    })
                }
                ControlGroup::NotYetTreated => {}
            }
        }
        Ok(())
    }
}

/// Each unit's first treated period as given (no recoding or dropping), for permutations.
///
/// # Errors
/// As [`Timing::new`].
pub(crate) fn raw_cohorts(
    frame: &Frame<'_>,
    panel: &Panel,
    source: CohortSource<'_>,
) -> Result<Vec<Option<i64>>, crate::Error> {
    match source {
        CohortSource::FirstTreated(name) => first_treated(frame, panel, name),
        CohortSource::Treatment(name) => from_treatment(frame, panel, name),
    }
}

fn numeric<'f, 'a>(frame: &'f Frame<'a>, name: &str, role: &'static str) -> Result<&'f Column<'a>, DataError> {
    frame.numeric(name, role)
}

/// Cohort in row `i` of a first-treated column (`None`: never treated), or why it is invalid.
#[inline]
pub(crate) fn cohort_value(col: &Column<'_>, i: usize) -> Result<Option<i64>, &'static str> {
    match col {
        // Integers need no check beyond the sign.
        Column::Int(c) if c[i] >= 0 => Ok((c[i] != 0).then_some(c[i])),
        _ => {
            let v = col.value(i).unwrap_or(f64::NAN);
            if v.is_nan() || v == 0.0 || v == f64::INFINITY {
                Ok(None)
            } else if v < 0.0 || !v.is_finite() {
                Err("a cohort must be a period (positive), 0 or missing for never treated")
            } else if v.fract() != 0.0 {
                Err("a cohort must be a whole period")
            } else {
                Ok(Some(v as i64))
            }
        }
    }
}

fn first_treated(frame: &Frame<'_>, panel: &Panel, name: &str) -> Result<Vec<Option<i64>>, crate::Error> {
    let col = numeric(frame, name, "the cohort (first treated period)")?;
    let n_units = panel.unit.n_levels();
    let mut seen: Vec<Option<Option<i64>>> = vec![None; n_units];
    let invalid = |u: usize, v: f64, reason| DidError::InvalidCohort {
        column: name.to_string(),
        unit_name: panel.unit_name.clone(),
        unit: panel.unit.labels[u].clone(),
        value: crate::data::format_number(v),
        reason,
    };
    // 0 means never treated unless 0 is a period: then it is ambiguous.
    let zero_period = panel.periods.contains(&0);
    let mut zero_unit = vec![false; if zero_period { n_units } else { 0 }];
    for i in 0..col.len() {
        let u = panel.unit.codes[i] as usize;
        let g = cohort_value(col, i).map_err(|reason| invalid(u, col.value(i).unwrap_or(f64::NAN), reason))?;
        if zero_period && col.value(i) == Some(0.0) {
            zero_unit[u] = true;
        }
        match seen[u] {
            None => seen[u] = Some(g),
            Some(prev) if prev != g => {
                let show = |x: Option<i64>| x.map_or("never treated".to_string(), |g| g.to_string());
                return Err(DidError::CohortVaries {
                    column: name.to_string(),
                    unit_name: panel.unit_name.clone(),
                    unit: panel.unit.labels[u].clone(),
                    first: show(prev),
                    second: show(g),
                }
                .into());
            }
            Some(_) => {}
        }
    }
    let n_zero = zero_unit.iter().filter(|z| **z).count();
    if n_zero > 0 {
        return Err(DidError::AmbiguousNeverTreated {
            column: name.to_string(),
            time_name: panel.time_name.clone(),
            n_units: n_zero,
        }
        .into());
    }
    Ok(seen.into_iter().map(|s| s.flatten()).collect())
}

fn from_treatment(frame: &Frame<'_>, panel: &Panel, name: &str) -> Result<Vec<Option<i64>>, crate::Error> {
    let col = numeric(frame, name, "the treatment indicator")?;
    let n_units = panel.unit.n_levels();
    let nt = panel.time.n_levels();
    // Treatment by unit x period (-1: no row or missing).
    let mut grid = vec![-1i8; n_units * nt];
    for i in 0..col.len() {
        let v = col.value(i).unwrap_or(f64::NAN);
        if v.is_nan() {
            continue;
        }
        if v != 0.0 && v != 1.0 {
            return Err(DataError::InvalidValue {
                name: name.to_string(),
                reason: format!("a treatment indicator must be 0 or 1 (row {i} has {})", col.label(i)),
            }
            .into());
        }
        grid[panel.unit.codes[i] as usize * nt + panel.time.codes[i] as usize] = v as i8;
    }
    let mut out = vec![None; n_units];
    for (u, slot) in out.iter_mut().enumerate() {
        let row = &grid[u * nt..(u + 1) * nt];
        let mut start = None;
        for (t, &d) in row.iter().enumerate() {
            match (d, start) {
                (1, None) => start = Some(t),
                (0, Some(_)) => {
                    return Err(DidError::TreatmentSwitchesOff {
                        column: name.to_string(),
                        unit_name: panel.unit_name.clone(),
                        unit: panel.unit.labels[u].clone(),
                        time_name: panel.time_name.clone(),
                        period: panel.periods[t],
                    }
                    .into())
                }
                _ => {}
            }
        }
        *slot = start.map(|t| panel.periods[t]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn frame(cohort: Vec<f64>) -> Frame<'static> {
        Frame::new()
            .with_column("id", Column::Int(Cow::Owned(vec![1, 1, 1, 2, 2, 2, 3, 3, 3])))
            .unwrap()
            .with_column("t", Column::Int(Cow::Owned(vec![1, 2, 3, 1, 2, 3, 1, 2, 3])))
            .unwrap()
            .with_column("g", Column::Float(Cow::Owned(cohort)))
            .unwrap()
    }

    #[test]
    fn cohorts_recoding_and_first_period_drop() {
        let f = frame(vec![2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 9.0, 9.0, 9.0]);
        let p = Panel::new(&f, "id", "t").unwrap();
        let tm = Timing::new(&f, &p, CohortSource::FirstTreated("g"), 0).unwrap();
        assert_eq!(tm.cohort, vec![Some(2), Some(1), None]);
        assert_eq!(tm.dropped, vec![false, true, false]);
        assert_eq!(tm.report.treated_after_last_period, 1);
        assert_eq!(tm.report.first_period_treated, vec![CohortCount { cohort: 1, n_units: 1 }]);
        assert_eq!(tm.cohorts(), vec![CohortCount { cohort: 2, n_units: 1 }]);
        assert!(tm.require_controls(ControlGroup::NeverTreated, "g").is_ok());
        // With anticipation 1, cohort 2 has no pre-treatment period either.
        let tm = Timing::new(&f, &p, CohortSource::FirstTreated("g"), 1).unwrap();
        assert!(matches!(
            tm.require_controls(ControlGroup::NeverTreated, "g"),
            Err(DidError::NothingToEstimate { .. })
        ));
    }

    #[test]
    fn varying_cohort_and_missing_never_treated() {
        let f = frame(vec![2.0, 3.0, 2.0, 0.0, 0.0, 0.0, 3.0, 3.0, 3.0]);
        let p = Panel::new(&f, "id", "t").unwrap();
        let e = Timing::new(&f, &p, CohortSource::FirstTreated("g"), 0).unwrap_err();
        assert!(matches!(e, crate::Error::Did(DidError::CohortVaries { ref unit, .. }) if unit == "1"));
        let f = frame(vec![2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]);
        let p = Panel::new(&f, "id", "t").unwrap();
        let tm = Timing::new(&f, &p, CohortSource::FirstTreated("g"), 0).unwrap();
        let e = tm.require_controls(ControlGroup::NeverTreated, "g").unwrap_err();
        assert!(e.to_string().contains("not_yet_treated"));
        assert!(tm.require_controls(ControlGroup::NotYetTreated, "g").is_ok());
    }

    #[test]
    fn cohort_zero_is_ambiguous_when_zero_is_a_period() {
        let f = Frame::new()
            .with_column("id", Column::Int(Cow::Owned(vec![1, 1, 1, 2, 2, 2])))
            .unwrap()
            .with_column("t", Column::Int(Cow::Owned(vec![-1, 0, 1, -1, 0, 1])))
            .unwrap()
            .with_column("g", Column::Float(Cow::Owned(vec![1.0, 1.0, 1.0, 0.0, 0.0, 0.0])))
            .unwrap()
            .with_column("h", Column::Float(Cow::Owned(vec![1.0, 1.0, 1.0, f64::NAN, f64::NAN, f64::NAN])))
            .unwrap();
        let p = Panel::new(&f, "id", "t").unwrap();
        let e = Timing::new(&f, &p, CohortSource::FirstTreated("g"), 0).unwrap_err();
        assert!(matches!(e, crate::Error::Did(DidError::AmbiguousNeverTreated { n_units: 1, .. })), "{e}");
        assert!(e.to_string().contains("missing value"), "{e}");
        // Missing marks never treated unambiguously.
        let tm = Timing::new(&f, &p, CohortSource::FirstTreated("h"), 0).unwrap();
        assert_eq!(tm.cohort, vec![Some(1), None]);
    }

    #[test]
    fn treatment_indicator_gives_cohorts_and_rejects_switching_off() {
        let f = frame(vec![0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        let p = Panel::new(&f, "id", "t").unwrap();
        let tm = Timing::new(&f, &p, CohortSource::Treatment("g"), 0).unwrap();
        assert_eq!(tm.cohort, vec![Some(2), None, Some(3)]);
        let f = frame(vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        let p = Panel::new(&f, "id", "t").unwrap();
        let e = Timing::new(&f, &p, CohortSource::Treatment("g"), 0).unwrap_err();
        assert!(matches!(e, crate::Error::Did(DidError::TreatmentSwitchesOff { period: 3, .. })));
    }
}
