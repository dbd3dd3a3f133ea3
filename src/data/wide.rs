//! A long panel reshaped to a dense unit x period matrix (the synthetic-control layout).

use super::{DataError, Frame, Panel};

/// A balanced unit x period matrix of one column.
#[derive(Debug, Clone, PartialEq)]
pub struct Wide {
    /// Values, row-major: `values[u * n_periods + t]`.
    pub values: Vec<f64>,
    /// Unit labels (rows), in the panel's level order.
    pub units: Vec<String>,
    /// Periods (columns), ascending.
    pub periods: Vec<i64>,
}

impl Wide {
    /// Reshape `column` of `frame` over `panel`.
    ///
    /// # Errors
    /// [`DataError::NotNumeric`] for a non-numeric column; [`DataError::NonFinite`] for
    /// infinities; [`DataError::MissingCells`] naming units and periods when a cell has no row
    /// or a missing value.
    pub fn new(frame: &Frame<'_>, panel: &Panel, column: &str, role: &'static str) -> Result<Wide, DataError> {
        let col = frame.numeric(column, role)?;
        let (nu, nt) = (panel.unit.n_levels(), panel.time.n_levels());
        let mut values = vec![f64::NAN; nu * nt];
        let mut inf = (0usize, usize::MAX);
        for i in 0..frame.n_rows() {
            let v = col.value(i).unwrap_or(f64::NAN);
            if v.is_infinite() {
                inf.0 += 1;
                inf.1 = inf.1.min(i);
            }
            values[panel.unit.codes[i] as usize * nt + panel.time.codes[i] as usize] = v;
        }
        if inf.0 > 0 {
            return Err(DataError::NonFinite { name: column.into(), count: inf.0, first_row: inf.1 });
        }
        let missing: Vec<usize> = (0..nu * nt).filter(|&c| values[c].is_nan()).collect();
        if !missing.is_empty() {
            let examples = missing
                .iter()
                .take(5)
                .map(|&c| format!("{} @ {}", panel.unit.labels[c / nt], panel.periods[c % nt]))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(DataError::MissingCells { name: column.into(), count: missing.len(), examples });
        }
        Ok(Wide { values, units: panel.unit.labels.clone(), periods: panel.periods.clone() })
    }

    /// Number of units.
    pub fn n_units(&self) -> usize {
        self.units.len()
    }

    /// Number of periods.
    pub fn n_periods(&self) -> usize {
        self.periods.len()
    }

    /// Row of unit `u`.
    pub fn row(&self, u: usize) -> &[f64] {
        let nt = self.n_periods();
        &self.values[u * nt..(u + 1) * nt]
    }

    /// Index of the unit labelled `label`.
    pub fn unit_index(&self, label: &str) -> Option<usize> {
        self.units.iter().position(|l| l == label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;
    use std::borrow::Cow;

    fn frame(y: Vec<f64>) -> Frame<'static> {
        Frame::new()
            .with_column("id", Column::Int(Cow::Owned(vec![1, 1, 2, 2])))
            .unwrap()
            .with_column("year", Column::Int(Cow::Owned(vec![2001, 2000, 2000, 2001])))
            .unwrap()
            .with_column("y", Column::Float(Cow::Owned(y)))
            .unwrap()
    }

    #[test]
    fn reshapes_in_unit_and_period_order() {
        let f = frame(vec![2.0, 1.0, 3.0, 4.0]);
        let p = Panel::new(&f, "id", "year").unwrap();
        let w = Wide::new(&f, &p, "y", "the outcome").unwrap();
        assert_eq!(w.values, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(w.periods, vec![2000, 2001]);
    }

    #[test]
    fn missing_cells_name_unit_and_period() {
        let f = frame(vec![2.0, 1.0, f64::NAN, 4.0]);
        let p = Panel::new(&f, "id", "year").unwrap();
        let e = Wide::new(&f, &p, "y", "the outcome").unwrap_err();
        assert!(e.to_string().contains("2 @ 2000"), "{e}");
    }
}
