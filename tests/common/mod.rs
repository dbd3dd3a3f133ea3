//! Helpers shared by the Rust integration tests: fixture paths, a small CSV reader, tolerances.
#![allow(dead_code)]

use std::borrow::Cow;
use std::path::PathBuf;

use virkning::data::{Column, Frame};

/// Path of a file under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// Read a CSV of numbers and text into a frame: a column whose values all parse as numbers is
/// `Float` (empty or `NA` = missing), any other column is categorical.
pub fn read_csv(rel: &str) -> Frame<'static> {
    let text = std::fs::read_to_string(fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut lines = text.lines();
    let header: Vec<String> =
        split(lines.next().unwrap()).into_iter().map(|s| s.trim_matches('"').to_string()).collect();
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); header.len()];
    for line in lines.filter(|l| !l.trim().is_empty()) {
        for (c, v) in cells.iter_mut().zip(split(line)) {
            c.push(v.trim_matches('"').to_string());
        }
    }
    let mut frame = Frame::new();
    for (name, vals) in header.into_iter().zip(cells) {
        let missing = |s: &str| s.is_empty() || s == "NA" || s == "nan";
        let nums: Option<Vec<f64>> =
            vals.iter().map(|s| if missing(s) { Some(f64::NAN) } else { s.parse::<f64>().ok() }).collect();
        let col = match nums {
            Some(v) => Column::Float(Cow::Owned(v)),
            None => {
                let mut labels: Vec<String> = vals.iter().filter(|s| !missing(s)).cloned().collect();
                labels.sort();
                labels.dedup();
                let codes = vals.iter().map(|s| labels.iter().position(|l| l == s).map_or(-1, |p| p as i64)).collect();
                Column::Categorical { codes: Cow::Owned(codes), labels }
            }
        };
        frame.push(name, col).unwrap();
    }
    frame
}

fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
}

/// Relative difference, safe near zero.
pub fn rel_diff(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// Assert `a` equals `b` to `rtol` relative, with context.
#[track_caller]
pub fn assert_close(a: f64, b: f64, rtol: f64, what: &str) {
    assert!(
        rel_diff(a, b) <= rtol || (a - b).abs() < 1e-14,
        "{what}: {a} vs reference {b} (rel diff {:e})",
        rel_diff(a, b)
    );
}

/// A one-way wild bootstrap problem on intercept + x (`x` column-major, `n x 2`), clustered by
/// `cluster`, with the default small-sample correction.
pub fn one_way_problem<'a>(
    x: &'a [f64],
    y: &'a [f64],
    cluster: &'a virkning::data::Factor,
) -> virkning::inference::BootProblem<'a> {
    virkning::inference::BootProblem {
        x,
        y,
        n: y.len(),
        k: 2,
        clusters: vec![("g", cluster)],
        bootcluster: None,
        ssc: virkning::inference::SmallSampleCorrection::default(),
        n_params: 2,
    }
}
