//! From a frame to the benchmarking sample: units with zero size excluded and reported, rates
//! checked, frame conditions required, one row per unit (and period), and the design matrix
//! (intercept, frame conditions, period dummies).

use super::params::{Benchmark, ExpectedModel};
use super::BenchmarkError;
use crate::data::{Column, Factor, Frame, Rows};
use crate::linalg::{gram, independent_columns};
use crate::Result;

/// The benchmarking sample.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    /// Unit of each row.
    pub unit: Factor,
    /// Period of each row (panel only).
    pub period: Option<Factor>,
    /// Observed rate.
    pub rate: Vec<f64>,
    /// Size (refugees) when given.
    pub size: Option<Vec<f64>>,
    /// Column-major `n x k` design: intercept, frame conditions, period dummies.
    pub x: Vec<f64>,
    /// Regressor names.
    pub names: Vec<String>,
    /// Frame conditions per row (row-major `n x f`), for clustering.
    pub frame: Vec<Vec<f64>>,
    /// Units (with period) excluded for zero size.
    pub dropped_zero_size: Vec<String>,
    /// Rows in the input.
    pub n_input: usize,
}

impl Sample {
    pub fn n(&self) -> usize {
        self.rate.len()
    }
    pub fn k(&self) -> usize {
        self.names.len()
    }
}

fn label_of(unit: &Column<'_>, period: Option<&Column<'_>>, i: usize) -> String {
    match period {
        Some(p) => format!("{} ({})", unit.label(i), p.label(i)),
        None => unit.label(i),
    }
}

pub(crate) fn prepare(frame: &Frame<'_>, p: &Benchmark) -> Result<Sample> {
    let n_input = frame.n_rows();
    let unit_col = frame.column(&p.unit)?;
    let time_col = p.time.as_deref().map(|t| frame.column(t)).transpose()?;
    let outcome = frame.numeric(&p.outcome, "the outcome")?;
    let size_col = p.size.as_deref().map(|s| frame.numeric(s, "size")).transpose()?;
    let frame_cols: Vec<&Column<'_>> =
        p.frame_conditions.iter().map(|c| frame.numeric(c, "a frame condition")).collect::<Result<_, _>>()?;
    // 1. Zero size: excluded and reported; negative or missing size: error.
    let mut keep = vec![true; n_input];
    let mut dropped_zero_size = Vec::new();
    if let (Some(sc), Some(name)) = (size_col, p.size.as_deref()) {
        for (i, k) in keep.iter_mut().enumerate() {
            let v = sc.value(i).unwrap_or(f64::NAN);
            if v == 0.0 {
                *k = false;
                dropped_zero_size.push(label_of(unit_col, time_col, i));
            } else if !(v.is_finite() && v > 0.0) {
                return Err(BenchmarkError::InvalidSize { name: name.into(), unit: unit_col.label(i), value: v }.into());
            }
        }
    }
    // 2. Missing values: an error naming the column and the first unit.
    let check_missing = |name: &str, col: &Column<'_>| -> Result<()> {
        let miss: Vec<usize> = (0..n_input).filter(|&i| keep[i] && col.is_missing(i)).collect();
        if let Some(&first) = miss.first() {
            return Err(BenchmarkError::MissingValues {
                name: name.into(),
                count: miss.len(),
                first: label_of(unit_col, time_col, first),
            }
            .into());
        }
        if let Column::Float(v) = col {
            if let Some(i) = (0..n_input).find(|&i| keep[i] && v[i].is_infinite()) {
                return Err(crate::data::DataError::NonFinite {
                    name: name.into(),
                    count: v.iter().filter(|x| x.is_infinite()).count(),
                    first_row: i,
                }
                .into());
            }
        }
        Ok(())
    };
    check_missing(&p.unit, unit_col)?;
    if let (Some(t), Some(c)) = (p.time.as_deref(), time_col) {
        check_missing(t, c)?;
    }
    check_missing(&p.outcome, outcome)?;
    for (name, col) in p.frame_conditions.iter().zip(&frame_cols) {
        check_missing(name, col)?;
    }
    let rows = Rows::All(n_input).filter(&keep);
    if rows.is_empty() {
        return Err(crate::data::DataError::Empty { reason: "every unit has zero size".into() }.into());
    }
    // 3. Rates.
    let rate: Vec<f64> = rows.iter().map(|i| outcome.value(i).unwrap_or(f64::NAN)).collect();
    let needs_rate = p.resolved_model() == ExpectedModel::Binomial || p.size.is_some();
    if needs_rate {
        let bad: Vec<usize> = (0..rate.len()).filter(|&k| !(0.0..=1.0).contains(&rate[k])).collect();
        if let Some(&k) = bad.first() {
            return Err(BenchmarkError::RateOutOfRange {
                name: p.outcome.clone(),
                count: bad.len(),
                value: rate[k],
                unit: unit_col.label(rows.get(k)),
            }
            .into());
        }
    }
    // 4. One row per unit (and period).
    let unit = Factor::encode(unit_col, &rows);
    let period = time_col.map(|c| Factor::encode(c, &rows));
    let key = match &period {
        Some(pf) => Factor::interact(&unit, pf),
        None => unit.clone(),
    };
    if key.n_levels() < rows.len() {
        let counts = key.counts();
        let (lvl, &count) = counts.iter().enumerate().max_by_key(|(_, c)| **c).unwrap_or((0, &0));
        let k = key.codes.iter().position(|&c| c as usize == lvl).unwrap_or(0);
        let period_txt =
            period.as_ref().map(|pf| format!(" in period {}", pf.labels[pf.codes[k] as usize])).unwrap_or_default();
        return Err(BenchmarkError::DuplicateUnit {
            unit: unit.labels[unit.codes[k] as usize].clone(),
            count,
            period: period_txt,
        }
        .into());
    }
    // 5. Design.
    let n = rows.len();
    let mut names = vec!["Intercept".to_string()];
    let mut x = vec![1.0; n];
    let mut frame_rows = vec![Vec::with_capacity(frame_cols.len()); n];
    for (name, col) in p.frame_conditions.iter().zip(&frame_cols) {
        names.push(name.clone());
        for (k, i) in rows.iter().enumerate() {
            let v = col.value(i).unwrap_or(f64::NAN);
            x.push(v);
            frame_rows[k].push(v);
        }
    }
    if let (Some(pf), Some(t)) = (&period, p.time.as_deref()) {
        for lvl in 1..pf.n_levels() {
            names.push(format!("C({t})[T.{}]", pf.labels[lvl]));
            x.extend(pf.codes.iter().map(|&c| f64::from(u8::from(c as usize == lvl))));
        }
    }
    if n <= names.len() {
        return Err(BenchmarkError::TooFewUnits { n_units: n, n_params: names.len() }.into());
    }
    // 6. Frame conditions that are constant or linear combinations of the others (and of the
    //    period effects) cannot be told apart: a specific error rather than a singular fit.
    let k = names.len();
    let g = gram(&x, n, k, None);
    let scale: Vec<f64> = (0..k).map(|j| g[j][j]).collect();
    let kept = independent_columns(&g, &scale, 1e-10);
    if kept.len() < k {
        let names: Vec<String> = (0..k).filter(|j| !kept.contains(j)).map(|j| names[j].clone()).collect();
        return Err(BenchmarkError::CollinearFrameConditions { names }.into());
    }
    let size = size_col.map(|c| rows.iter().map(|i| c.value(i).unwrap_or(f64::NAN)).collect());
    Ok(Sample { unit, period, rate, size, x, names, frame: frame_rows, dropped_zero_size, n_input })
}
