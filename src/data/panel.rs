//! A validated panel: one row per (unit, period), ids encoded once.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::{Column, DataError, Factor, Frame, Rows};

/// A panel whose rows arrive sorted: integer unit ids strictly increasing from one unit to the
/// next, every unit observed in the same strictly increasing integer periods, one row each.
/// Unit `u` (the `u`-th smallest id, as in [`Panel::new`]'s level order) holds rows
/// `u * T..(u + 1) * T`, row `u * T + s` is period `periods[s]`: no encoding is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortedPanel<'f> {
    ids: &'f [i64],
    ts: &'f [i64],
    /// Number of units.
    pub n_units: usize,
    /// Period values, ascending (`T` of them).
    pub periods: &'f [i64],
}

impl<'f> SortedPanel<'f> {
    /// The layout the first unit's rows imply (`T` = the run length of the first id, its periods
    /// strictly increasing, `T` dividing the rows), in O(T) without hashing or sorting. It is
    /// checked on that unit only: every unit must still pass [`fits`](Self::fits), which callers
    /// do in their own pass over the rows. `None` when the columns are not integers or cannot be
    /// in that layout (then [`Panel::new`] validates and encodes them; it accepts every sorted
    /// panel too, with the same unit and period order).
    pub fn candidate(frame: &'f Frame<'_>, unit: &str, time: &str) -> Option<SortedPanel<'f>> {
        let (Ok(Column::Int(ids)), Ok(Column::Int(ts))) = (frame.column(unit), frame.column(time)) else {
            return None;
        };
        let (ids, ts): (&[i64], &[i64]) = (ids, ts);
        let n = ids.len();
        let nt = ids.iter().take_while(|&&id| id == ids[0]).count();
        if n == 0 || n % nt != 0 || ts.len() != n {
            return None;
        }
        let periods = &ts[..nt];
        if periods.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        Some(SortedPanel { ids, ts, n_units: n / nt, periods })
    }

    /// Whether the rows of `units` are in the layout: each unit's id the same in all its rows
    /// and above the previous unit's, its periods the first unit's. Long loops over the rows
    /// (they vectorise) and one compare per unit.
    pub fn fits(&self, units: Range<usize>) -> bool {
        let nt = self.periods.len();
        let rows = units.start * nt..units.end * nt;
        let tiled = self.periods.repeat(BLOCK_UNITS);
        let periods = self.ts[rows.clone()].chunks(tiled.len()).fold(true, |acc, c| acc & (c == &tiled[..c.len()]));
        let rising =
            (units.start.max(1)..units.end).fold(true, |acc, u| acc & (self.ids[u * nt - 1] < self.ids[u * nt]));
        periods && rising && constant_within_units(&self.ids[rows], nt, |v| v as u64)
    }

    /// Periods per unit.
    pub fn n_periods(&self) -> usize {
        self.periods.len()
    }
}

/// Units per block of the long loops of [`SortedPanel::fits`] and [`constant_within_units`].
const BLOCK_UNITS: usize = 64;

/// Whether `v`, whole units of `nt` rows each, is the same within each unit (compared as
/// `bits`): each row against the next, unit boundaries masked out, in blocks of whole units
/// (a loop without branches that vectorises).
pub(crate) fn constant_within_units<T: Copy>(v: &[T], nt: usize, bits: impl Fn(T) -> u64) -> bool {
    let block = nt * BLOCK_UNITS;
    let keep: Vec<u64> = (1..=block).map(|k| if k % nt == 0 { 0 } else { u64::MAX }).collect();
    let mut differ = 0;
    for c in v.chunks(block) {
        for ((&a, &b), m) in c.iter().zip(&c[1..]).zip(&keep) {
            differ |= (bits(a) ^ bits(b)) & m;
        }
    }
    differ == 0
}

/// A validated unit x period panel over a frame.
///
/// Checks on construction: both columns exist, the time column is numeric and whole, unit
/// and time have no missing values, and no (unit, time) pair repeats.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Unit of each row.
    pub unit: Factor,
    /// Period index of each row (into `periods`).
    pub time: Factor,
    /// Period values, ascending.
    pub periods: Vec<i64>,
    /// Name of the unit column.
    pub unit_name: String,
    /// Name of the time column.
    pub time_name: String,
}

/// Shape facts of a panel, for summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PanelInfo {
    /// Rows.
    pub n_obs: usize,
    /// Distinct units.
    pub n_units: usize,
    /// Distinct periods.
    pub n_periods: usize,
    /// First period.
    pub first_period: i64,
    /// Last period.
    pub last_period: i64,
    /// Every unit observed in every period.
    pub balanced: bool,
}

impl Panel {
    /// Validate `unit` and `time` columns of `frame` as a panel.
    ///
    /// # Errors
    /// [`DataError::ColumnNotFound`], [`DataError::NotNumeric`] (time), [`DataError::InvalidValue`]
    /// (missing or fractional periods), [`DataError::DuplicateKeys`] naming the first duplicate.
    pub fn new(frame: &Frame<'_>, unit: &str, time: &str) -> Result<Panel, DataError> {
        let ucol = frame.column(unit)?;
        let tcol = frame.numeric(time, "the time period")?;
        let n = frame.n_rows();
        if n == 0 {
            return Err(DataError::Empty { reason: "the data has no rows".into() });
        }
        for (col, name) in [(ucol, unit), (tcol, time)] {
            if let Some(i) = (0..n).find(|&i| col.is_missing(i)) {
                return Err(DataError::InvalidValue {
                    name: name.to_string(),
                    reason: format!("missing value at row {i}; panel ids and periods must be complete"),
                });
            }
        }
        let whole = |i: usize| tcol.value(i).is_none_or(|t| t.fract() == 0.0 && t.is_finite());
        if let Some(i) = (0..n).find(|&i| matches!(tcol, Column::Float(_)) && !whole(i)) {
            return Err(DataError::InvalidValue {
                name: time.to_string(),
                reason: format!("periods must be whole numbers (row {i} has {})", tcol.label(i)),
            });
        }
        let rows = Rows::All(n);
        let ufac = Factor::encode(ucol, &rows);
        let tfac = Factor::encode(tcol, &rows);
        let periods: Vec<i64> = tfac.labels.iter().map(|l| l.parse::<i64>().unwrap_or_default()).collect();
        let nt = tfac.n_levels();
        let mut seen = vec![false; ufac.n_levels() * nt];
        let mut dup = 0usize;
        let mut first = None;
        for i in 0..n {
            let cell = ufac.codes[i] as usize * nt + tfac.codes[i] as usize;
            if seen[cell] {
                dup += 1;
                first.get_or_insert(i);
            }
            seen[cell] = true;
        }
        if let Some(i) = first {
            return Err(DataError::DuplicateKeys {
                unit: unit.to_string(),
                time: time.to_string(),
                count: dup,
                first_unit: ucol.label(i),
                first_time: tcol.label(i),
            });
        }
        Ok(Panel { unit: ufac, time: tfac, periods, unit_name: unit.into(), time_name: time.into() })
    }

    /// Shape facts.
    pub fn info(&self) -> PanelInfo {
        let n_obs = self.unit.codes.len();
        PanelInfo {
            n_obs,
            n_units: self.unit.n_levels(),
            n_periods: self.time.n_levels(),
            first_period: self.periods.first().copied().unwrap_or_default(),
            last_period: self.periods.last().copied().unwrap_or_default(),
            balanced: n_obs == self.unit.n_levels() * self.time.n_levels(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;
    use std::borrow::Cow;

    #[test]
    fn duplicates_are_named() {
        let f = Frame::new()
            .with_column("id", Column::Int(Cow::Owned(vec![1, 1, 2, 2])))
            .unwrap()
            .with_column("year", Column::Int(Cow::Owned(vec![2000, 2001, 2000, 2000])))
            .unwrap();
        let err = Panel::new(&f, "id", "year").unwrap_err();
        assert!(matches!(err, DataError::DuplicateKeys { count: 1, ref first_unit, .. } if first_unit == "2"));
    }

    #[test]
    fn sorted_layout_is_recognised_only_when_exact() {
        let frame = |id: Vec<i64>, t: Vec<i64>| {
            Frame::new()
                .with_column("id", Column::Int(Cow::Owned(id)))
                .unwrap()
                .with_column("t", Column::Int(Cow::Owned(t)))
                .unwrap()
        };
        let f = frame(vec![3, 3, 3, 7, 7, 7], vec![1, 2, 4, 1, 2, 4]);
        let detect = |f: &Frame<'_>| {
            SortedPanel::candidate(f, "id", "t")
                .filter(|sp| sp.fits(0..sp.n_units))
                .map(|sp| (sp.n_units, sp.periods.to_vec()))
        };
        assert_eq!(detect(&f), Some((2, vec![1, 2, 4])));
        // Same panel as Panel::new sees it: units in id order, periods ascending.
        let p = Panel::new(&f, "id", "t").unwrap();
        assert_eq!((p.unit.n_levels(), p.periods.clone()), (2, vec![1, 2, 4]));
        for (id, t) in [
            (vec![7, 7, 7, 3, 3, 3], vec![1, 2, 4, 1, 2, 4]), // units descending
            (vec![3, 3, 3, 7, 7, 7], vec![1, 2, 4, 1, 4, 2]), // periods out of order
            (vec![3, 3, 3, 7, 7, 3], vec![1, 2, 4, 1, 2, 4]), // id changes inside a unit
            (vec![3, 3, 3, 7, 7], vec![1, 2, 4, 1, 2]),       // unbalanced
            (vec![3, 3, 7, 7, 7, 7], vec![1, 1, 1, 2, 3, 4]), // repeated period
        ] {
            assert_eq!(detect(&frame(id, t)), None);
        }
        let f = Frame::new()
            .with_column("id", Column::Float(Cow::Owned(vec![1.0, 1.0])))
            .unwrap()
            .with_column("t", Column::Int(Cow::Owned(vec![1, 2])))
            .unwrap();
        assert_eq!(detect(&f), None);
    }

    #[test]
    fn unbalanced_panel_is_reported() {
        let f = Frame::new()
            .with_column("id", Column::Int(Cow::Owned(vec![1, 1, 2])))
            .unwrap()
            .with_column("year", Column::Float(Cow::Owned(vec![2000.0, 2001.0, 2000.0])))
            .unwrap();
        let info = Panel::new(&f, "id", "year").unwrap().info();
        assert_eq!((info.n_units, info.n_periods, info.balanced), (2, 2, false));
        assert_eq!((info.first_period, info.last_period), (2000, 2001));
    }
}
