//! Typed columns, borrowed from the caller where possible (numpy arrays cross as views).

use std::borrow::Cow;

/// One column. Missing values: `NaN` in `Float`, code `-1` in `Categorical`; `Int` has none.
#[derive(Debug, Clone)]
pub enum Column<'a> {
    /// Floating-point values; `NaN` marks a missing value.
    Float(Cow<'a, [f64]>),
    /// Integers (ids, years); never missing.
    Int(Cow<'a, [i64]>),
    /// Categories: `codes[i]` indexes `labels`, `-1` is missing.
    Categorical {
        /// Code per row.
        codes: Cow<'a, [i64]>,
        /// Level labels.
        labels: Vec<String>,
    },
}

impl<'a> Column<'a> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Float(v) => v.len(),
            Column::Int(v) => v.len(),
            Column::Categorical { codes, .. } => codes.len(),
        }
    }

    /// A borrowed view of the same values (no copy).
    pub fn view(&self) -> Column<'_> {
        match self {
            Column::Float(v) => Column::Float(Cow::Borrowed(&v[..])),
            Column::Int(v) => Column::Int(Cow::Borrowed(&v[..])),
            Column::Categorical { codes, labels } => {
                Column::Categorical { codes: Cow::Borrowed(&codes[..]), labels: labels.clone() }
            }
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `i` is missing.
    #[inline]
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Column::Float(v) => v[i].is_nan(),
            Column::Int(_) => false,
            Column::Categorical { codes, labels } => codes[i] < 0 || codes[i] as usize >= labels.len(),
        }
    }

    /// Whether the column holds numbers (not categories).
    pub fn is_numeric(&self) -> bool {
        !matches!(self, Column::Categorical { .. })
    }

    /// Numeric value of row `i` (`None` for categorical columns).
    #[inline]
    pub fn value(&self, i: usize) -> Option<f64> {
        match self {
            Column::Float(v) => Some(v[i]),
            Column::Int(v) => Some(v[i] as f64),
            Column::Categorical { .. } => None,
        }
    }

    /// Label of row `i` as text (numbers without a trailing `.0` when whole).
    pub fn label(&self, i: usize) -> String {
        match self {
            Column::Float(v) => format_number(v[i]),
            Column::Int(v) => v[i].to_string(),
            Column::Categorical { codes, labels } => {
                let c = codes[i];
                if c < 0 || c as usize >= labels.len() {
                    "<missing>".to_string()
                } else {
                    labels[c as usize].clone()
                }
            }
        }
    }

    /// A first non-missing example value, for error messages.
    pub fn example(&self) -> String {
        (0..self.len()).find(|&i| !self.is_missing(i)).map(|i| self.label(i)).unwrap_or_default()
    }
}

/// Format a number as a label: whole numbers print without decimals.
pub fn format_number(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}
