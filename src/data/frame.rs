//! A minimal named-column table: what Python passes in and Rust users build by hand.

use super::{Column, DataError};

/// Named columns of equal length. Columns borrow the caller's buffers when built from views.
#[derive(Debug, Clone, Default)]
pub struct Frame<'a> {
    n_rows: usize,
    names: Vec<String>,
    columns: Vec<Column<'a>>,
}

impl<'a> Frame<'a> {
    /// An empty frame.
    pub fn new() -> Self {
        Frame::default()
    }

    /// Add a column; the first column fixes the number of rows.
    ///
    /// # Errors
    /// [`DataError::ColumnLength`] if lengths differ, [`DataError::DuplicateColumn`] on a repeated name.
    pub fn with_column(mut self, name: impl Into<String>, column: Column<'a>) -> Result<Self, DataError> {
        self.push(name, column)?;
        Ok(self)
    }

    /// Add a column in place (see [`Frame::with_column`]).
    pub fn push(&mut self, name: impl Into<String>, column: Column<'a>) -> Result<(), DataError> {
        let name = name.into();
        if self.names.contains(&name) {
            return Err(DataError::DuplicateColumn { name });
        }
        if self.columns.is_empty() {
            self.n_rows = column.len();
        } else if column.len() != self.n_rows {
            return Err(DataError::ColumnLength { name, expected: self.n_rows, got: column.len() });
        }
        self.names.push(name);
        self.columns.push(column);
        Ok(())
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Column names in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The column called `name`.
    ///
    /// # Errors
    /// [`DataError::ColumnNotFound`] listing the available columns.
    pub fn column(&self, name: &str) -> Result<&Column<'a>, DataError> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
            .ok_or_else(|| DataError::ColumnNotFound { name: name.to_string(), available: self.names.clone() })
    }

    /// A numeric column as `f64` values with an error naming its role when it is categorical.
    pub fn numeric(&self, name: &str, role: &'static str) -> Result<&Column<'a>, DataError> {
        let col = self.column(name)?;
        if !col.is_numeric() {
            return Err(DataError::NotNumeric { name: name.to_string(), role, example: col.example() });
        }
        Ok(col)
    }
}
