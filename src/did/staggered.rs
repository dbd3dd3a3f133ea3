//! Input shared by the event-study estimators (Bacon, Sun-Abraham, TWFE event study,
//! imputation): the validated panel, each unit's cohort (through [`Timing`]) and the outcome,
//! plus the small frame builder that hands sub-samples to `feols`.

use std::borrow::Cow;

use super::cohort::{CohortSource, Timing};
use crate::data::{Column, DataError, Frame, Panel};
use crate::results::{Diagnostic, DiagnosticCode};
use crate::Result;

/// Internal column names of the frames passed to `feols` (the leading dot keeps them apart
/// from user columns, which keep their own names).
pub(crate) const Y: &str = ".y";
pub(crate) const UNIT: &str = ".unit";
pub(crate) const TIME: &str = ".time";

/// A validated staggered-adoption panel.
#[derive(Debug, Clone)]
pub(crate) struct Staggered {
    /// Unit and period ids.
    pub panel: Panel,
    /// Cohort (first treated period) of each unit; first-period-treated units marked.
    pub timing: Timing,
    /// Outcome of each input row (`NaN`: missing).
    pub y: Vec<f64>,
    /// The column the timing comes from (cohort or 0/1 treatment), for messages.
    pub timing_column: String,
}

impl Staggered {
    /// Validate `unit` x `time` as a panel, the timing (a cohort column, 0 or missing: never
    /// treated, or a 0/1 treatment column that must not switch off) and the outcome (numeric,
    /// finite where present).
    pub fn new(
        frame: &Frame<'_>,
        outcome: &str,
        unit: &str,
        time: &str,
        source: CohortSource<'_>,
    ) -> Result<Staggered> {
        let panel = Panel::new(frame, unit, time)?;
        let timing = Timing::new(frame, &panel, source, 0)?;
        let timing_column = match source {
            CohortSource::FirstTreated(c) | CohortSource::Treatment(c) => c.to_string(),
        };
        let ycol = frame.numeric(outcome, "the outcome")?;
        let y: Vec<f64> = (0..frame.n_rows()).map(|i| ycol.value(i).unwrap_or(f64::NAN)).collect();
        let bad: Vec<usize> = (0..y.len()).filter(|&i| y[i].is_infinite()).collect();
        if let Some(&first_row) = bad.first() {
            return Err(DataError::NonFinite { name: outcome.to_string(), count: bad.len(), first_row }.into());
        }
        Ok(Staggered { panel, timing, y, timing_column })
    }

    /// Number of input rows.
    pub fn n_rows(&self) -> usize {
        self.y.len()
    }

    /// Unit code of row `i`.
    #[inline]
    pub fn unit(&self, i: usize) -> usize {
        self.panel.unit.codes[i] as usize
    }

    /// Period index (into `panel.periods`) of row `i`.
    #[inline]
    pub fn t(&self, i: usize) -> usize {
        self.panel.time.codes[i] as usize
    }

    /// Period value of row `i`.
    #[inline]
    pub fn period(&self, i: usize) -> i64 {
        self.panel.periods[self.t(i)]
    }

    /// Cohort of row `i`'s unit (`None`: never treated within the panel).
    #[inline]
    pub fn cohort(&self, i: usize) -> Option<i64> {
        self.timing.cohort[self.unit(i)]
    }

    /// Whether row `i`'s unit was treated in the first period (no pre-treatment period).
    #[inline]
    pub fn first_period_treated(&self, i: usize) -> bool {
        self.timing.dropped[self.unit(i)]
    }

    /// Relative period `t - g` of row `i` in periods (`None` for never-treated units).
    #[inline]
    pub fn event_time(&self, i: usize) -> Option<i64> {
        self.cohort(i).map(|g| self.period(i) - g)
    }

    /// Treated cohorts (of kept units) with a single unit: their cohort-level effects rest on
    /// one unit and get no standard error.
    pub fn single_unit_cohorts(&self) -> Vec<i64> {
        self.timing.cohorts().iter().filter(|c| c.n_units < 2).map(|c| c.cohort).collect()
    }

    /// The warning for [`Self::single_unit_cohorts`], if any.
    pub fn single_unit_warning(&self) -> Option<Diagnostic> {
        let small = self.single_unit_cohorts();
        (!small.is_empty()).then(|| {
            let list: Vec<String> = small.iter().map(i64::to_string).collect();
            Diagnostic::new(
                DiagnosticCode::SmallClusters,
                format!(
                    "cohort(s) {} of `{}` have a single unit: their cohort-level effects get no standard error (NaN), and event-time standard errors that include them may be too small",
                    list.join(", "),
                    self.timing_column
                ),
            )
        })
    }
}

/// The timing source of params that name a `cohort` column (first treated period) or a 0/1
/// `treatment` column: exactly one of the two.
pub(crate) fn timing_source<'a>(
    cohort: &'a str,
    treatment: Option<&'a str>,
) -> std::result::Result<CohortSource<'a>, crate::ParamsError> {
    let invalid = |name: &'static str, value: &str, reason: &str| crate::ParamsError::InvalidParam {
        name,
        value: value.to_string(),
        reason: reason.to_string(),
    };
    match (cohort.trim().is_empty(), treatment) {
        (false, None) => Ok(CohortSource::FirstTreated(cohort)),
        (true, Some(t)) if !t.trim().is_empty() => Ok(CohortSource::Treatment(t)),
        (false, Some(t)) => Err(invalid("treatment", t, "give either `cohort` (first treated period) or `treatment` (0/1), not both")),
        (true, _) => Err(invalid(
            "cohort",
            "",
            "a column name is required: `cohort` (first treated period, 0 or missing for never treated) or `treatment` (0/1)",
        )),
    }
}

/// Copy `col` on `rows` into an owned column.
pub(crate) fn subset(col: &Column<'_>, rows: &[usize]) -> Column<'static> {
    match col {
        Column::Float(v) => Column::Float(Cow::Owned(rows.iter().map(|&i| v[i]).collect())),
        Column::Int(v) => Column::Int(Cow::Owned(rows.iter().map(|&i| v[i]).collect())),
        Column::Categorical { codes, labels } => {
            Column::Categorical { codes: Cow::Owned(rows.iter().map(|&i| codes[i]).collect()), labels: labels.clone() }
        }
    }
}

/// A frame for `feols` on `rows`: the outcome as [`Y`], unit and period codes as [`UNIT`] and
/// [`TIME`], the user columns `copy` under their own names, and `extra` columns (already
/// restricted to `rows`).
pub(crate) fn model_frame(
    data: &Staggered,
    frame: &Frame<'_>,
    rows: &[usize],
    copy: &[&str],
    extra: Vec<(String, Column<'static>)>,
) -> Result<Frame<'static>> {
    let mut f = Frame::new();
    f.push(Y, Column::Float(Cow::Owned(rows.iter().map(|&i| data.y[i]).collect())))?;
    f.push(UNIT, Column::Int(Cow::Owned(rows.iter().map(|&i| data.unit(i) as i64).collect())))?;
    f.push(TIME, Column::Int(Cow::Owned(rows.iter().map(|&i| data.period(i)).collect())))?;
    for name in copy {
        if !f.names().iter().any(|n| n == name) {
            f.push(*name, subset(frame.column(name)?, rows))?;
        }
    }
    for (name, col) in extra {
        f.push(name, col)?;
    }
    Ok(f)
}

/// A formula term for a user column (backticks when the name is not a plain identifier).
pub(crate) fn quote(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.') {
        name.to_string()
    } else {
        format!("`{name}`")
    }
}

/// Check that an option naming a column is not empty.
pub(crate) fn require_name(name: &'static str, value: &str) -> std::result::Result<(), crate::ParamsError> {
    if value.trim().is_empty() {
        return Err(crate::ParamsError::InvalidParam {
            name,
            value: String::new(),
            reason: "a column name is required".into(),
        });
    }
    Ok(())
}

/// Up to eight values for a message, `", ..."` when there are more.
pub(crate) fn show_list(xs: &[i64]) -> String {
    let shown: Vec<String> = xs.iter().take(8).map(i64::to_string).collect();
    format!("{}{}", shown.join(", "), if xs.len() > 8 { ", ..." } else { "" })
}

/// The advice of a reference-period error: what the panel's periods look like.
pub(crate) fn spacing_advice(periods: &[i64]) -> String {
    let step = periods.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(1);
    if step > 1 {
        format!(
            "The periods are {} apart at least ({}): recode time as consecutive period numbers (event times then count observed periods), or use did_imputation, which needs no reference period",
            step,
            show_list(periods)
        )
    } else {
        "Choose a reference event time that treated units are observed at, or use did_imputation, which needs no reference period".into()
    }
}
