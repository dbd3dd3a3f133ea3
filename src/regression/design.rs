//! From a frame and a formula to the estimation sample: missing values and zero weights
//! dropped and counted, singletons removed, regressors expanded (dummies, interactions), fixed
//! effects and clusters encoded. The recipe of every regressor is kept for prediction.

use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::formula::{Factor as Part, Formula};
use super::RegressionError;
use crate::data::{Column, DataError, Factor, Frame, Rows};
use crate::results::DropReport;

/// One multiplicative piece of a regressor's recipe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// The numeric value of a column.
    Value(String),
    /// 1 when the column's label equals `label`, else 0.
    Level {
        /// Column.
        column: String,
        /// Level label.
        label: String,
    },
}

/// How a regressor is computed from data: the product of its components (empty = intercept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnRecipe {
    /// Regressor name.
    pub name: String,
    /// Components multiplied together.
    pub components: Vec<Component>,
}

/// The estimation sample, ready to demean.
#[derive(Debug, Clone)]
pub(crate) struct ModelFrame {
    /// Input rows used.
    pub rows: Rows,
    /// Outcome then regressors, column-major `n x (1 + k)`.
    pub yx: Vec<f64>,
    /// Regressor recipes (k).
    pub recipes: Vec<ColumnRecipe>,
    /// Weights on the sample.
    pub weights: Option<Vec<f64>>,
    /// Fixed-effect dimensions (name, factor).
    pub fixed_effects: Vec<(String, Arc<Factor>)>,
    /// Cluster variables (name, factor); shared with a fixed effect of the same name.
    pub clusters: Vec<(String, Arc<Factor>)>,
    /// What was dropped.
    pub drops: DropReport,
}

impl ModelFrame {
    pub fn n(&self) -> usize {
        self.rows.len()
    }
    pub fn k(&self) -> usize {
        self.recipes.len()
    }
}

/// Drop regressors (columns 1.. of the column-major `yx`, n rows) whose relative Cholesky
/// pivot, given the column scales `scale`, is below `tol`, compacting `yx` in place. Returns the
/// kept column indices, the names dropped and the Gram matrix of all regressors.
pub(crate) fn drop_collinear(
    yx: &mut Vec<f64>,
    recipes: &[ColumnRecipe],
    weights: Option<&[f64]>,
    scale: &[f64],
    tol: f64,
) -> Result<(Vec<usize>, Vec<String>, Vec<Vec<f64>>), RegressionError> {
    let k = recipes.len();
    let n = yx.len() / (k + 1);
    let names: Vec<String> = recipes.iter().map(|r| r.name.clone()).collect();
    let g_full = crate::linalg::gram(&yx[n..], n, k, weights);
    let keep = crate::linalg::independent_columns(&g_full, scale, tol);
    if keep.is_empty() {
        return Err(RegressionError::AllCollinear { names });
    }
    let collinear: Vec<String> = (0..k).filter(|j| !keep.contains(j)).map(|j| names[j].clone()).collect();
    if keep.len() < k {
        for (dst, &src) in keep.iter().enumerate() {
            if dst != src {
                yx.copy_within((src + 1) * n..(src + 2) * n, (dst + 1) * n);
            }
        }
        yx.truncate((keep.len() + 1) * n);
    }
    Ok((keep, collinear, g_full))
}

/// Options of the sample construction.
pub(crate) struct SampleSpec<'s> {
    pub formula: &'s Formula,
    pub weights: Option<&'s str>,
    pub clusters: &'s [String],
    pub drop_singletons: bool,
}

/// Role of a column, for messages and checks.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Numeric(&'static str),
    AnyType,
}

pub(crate) fn build(frame: &Frame<'_>, spec: &SampleSpec<'_>) -> Result<ModelFrame, crate::Error> {
    let f = spec.formula;
    let n_input = frame.n_rows();
    // 1. Columns and roles.
    let mut used: Vec<(String, Role)> = vec![(f.outcome.clone(), Role::Numeric("the outcome"))];
    let mut add = |name: &str, role: Role| {
        if let Some(u) = used.iter_mut().find(|(n, _)| n == name) {
            if role != Role::AnyType {
                u.1 = role;
            }
        } else {
            used.push((name.to_string(), role));
        }
    };
    for t in &f.terms {
        for p in &t.factors {
            match p {
                Part::Var(v) | Part::Categorical(v) => add(v, Role::AnyType),
                Part::Indicator { var, by, .. } => {
                    add(var, Role::AnyType);
                    if let Some(b) = by {
                        add(b, Role::Numeric("an i() slope variable"));
                    }
                }
            }
        }
    }
    for fe in f.fixed_effects.iter().flatten() {
        add(fe, Role::AnyType);
    }
    for c in spec.clusters {
        add(c, Role::AnyType);
    }
    if let Some(w) = spec.weights {
        add(w, Role::Numeric("weights"));
    }
    let mut cols: Vec<(&str, &Column<'_>)> = Vec::with_capacity(used.len());
    for (name, role) in &used {
        let col = match role {
            Role::Numeric(r) => frame.numeric(name, r)?,
            Role::AnyType => frame.column(name)?,
        };
        if let Column::Float(v) = col {
            let bad: Vec<usize> =
                v.iter().enumerate().filter(|(_, x)| x.is_infinite()).map(|(i, _)| i).take(1).collect();
            if let Some(&first_row) = bad.first() {
                let count = v.iter().filter(|x| x.is_infinite()).count();
                return Err(DataError::NonFinite { name: name.clone(), count, first_row }.into());
            }
        }
        cols.push((name, col));
    }
    // 2. Missing values and weights.
    let mut keep = vec![true; n_input];
    let mut missing_by_column = Vec::new();
    for (name, col) in &cols {
        let mut c = 0;
        if !matches!(col, Column::Int(_)) {
            for (i, k) in keep.iter_mut().enumerate() {
                if col.is_missing(i) {
                    c += 1;
                    *k = false;
                }
            }
        }
        missing_by_column.push((name.to_string(), c));
    }
    let n_missing = keep.iter().filter(|k| !**k).count();
    let mut n_zero_weight = 0;
    if let Some(wname) = spec.weights {
        let wcol = frame.column(wname)?;
        let mut negative = 0;
        for (i, k) in keep.iter_mut().enumerate() {
            if *k {
                let w = wcol.value(i).unwrap_or(f64::NAN);
                if w < 0.0 {
                    negative += 1;
                } else if w == 0.0 {
                    n_zero_weight += 1;
                    *k = false;
                }
            }
        }
        if negative > 0 {
            return Err(
                DataError::InvalidWeights { name: wname.to_string(), count: negative, reason: "negative" }.into()
            );
        }
    }
    let mut rows = if keep.iter().all(|&k| k) { Rows::All(n_input) } else { Rows::All(n_input).filter(&keep) };
    drop(keep);
    // 3. Fixed effects, singletons.
    let mut fixed_effects: Vec<(String, Arc<Factor>)> = f
        .fixed_effects
        .iter()
        .map(|fe| Ok((fe.join("^"), Arc::new(encode_interacted(frame, fe, &rows)?))))
        .collect::<Result<_, DataError>>()?;
    let mut n_singletons = 0;
    if spec.drop_singletons && !fixed_effects.is_empty() {
        let mut keep = vec![true; rows.len()];
        loop {
            let mut changed = false;
            for (_, fac) in &fixed_effects {
                let mut cnt = vec![0u32; fac.n_levels()];
                for (c, _) in fac.codes.iter().zip(&keep).filter(|(_, k)| **k) {
                    cnt[*c as usize] += 1;
                }
                for (k, c) in keep.iter_mut().zip(&fac.codes) {
                    if *k && cnt[*c as usize] == 1 {
                        *k = false;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        n_singletons = keep.iter().filter(|k| !**k).count();
        if n_singletons > 0 {
            fixed_effects = fixed_effects.into_iter().map(|(n, fac)| (n, Arc::new(fac.subset(&keep)))).collect();
            rows = rows.filter(&keep);
        }
    }
    let drops = DropReport { n_input, n_used: rows.len(), missing_by_column, n_missing, n_singletons, n_zero_weight };
    if rows.is_empty() {
        let d = drops.describe();
        return Err(DataError::Empty { reason: if d.is_empty() { "the data has no rows".into() } else { d } }.into());
    }
    // 4. Regressors.
    let has_fe = !fixed_effects.is_empty();
    let mut recipes: Vec<ColumnRecipe> = Vec::new();
    if f.intercept {
        recipes.push(ColumnRecipe { name: "Intercept".into(), components: Vec::new() });
    }
    let mut seen_full_factor = false;
    for t in &f.terms {
        let lone_categorical = t.factors.len() == 1;
        let mut expansions: Vec<Vec<(String, Vec<Component>)>> = Vec::new();
        for p in &t.factors {
            let drop_first = lone_categorical && (f.intercept || has_fe || seen_full_factor);
            let e = expand(frame, p, &rows, drop_first)?;
            if lone_categorical
                && !drop_first
                && !matches!(p, Part::Var(v) if frame.column(v).is_ok_and(Column::is_numeric))
            {
                seen_full_factor = true;
            }
            expansions.push(e);
        }
        let mut acc: Vec<(String, Vec<Component>)> = vec![(String::new(), Vec::new())];
        for e in expansions {
            acc = acc
                .iter()
                .flat_map(|(n0, c0)| {
                    e.iter().map(move |(n1, c1)| {
                        let name = if n0.is_empty() { n1.clone() } else { format!("{n0}:{n1}") };
                        (name, c0.iter().chain(c1).cloned().collect())
                    })
                })
                .collect();
        }
        for (name, components) in acc {
            if !recipes.iter().any(|r| r.name == name) {
                recipes.push(ColumnRecipe { name, components });
            }
        }
    }
    if recipes.is_empty() {
        return Err(RegressionError::NoRegressors { formula: f.text.clone() }.into());
    }
    // 5. Materialise outcome and regressors, column by column in parallel.
    let n = rows.len();
    let mut yx = vec![0.0; n * (recipes.len() + 1)];
    let outcome = frame.column(&f.outcome)?;
    let evaluators: Vec<Evaluator<'_, '_>> =
        recipes.iter().map(|r| Evaluator::new(frame, &r.components, &rows)).collect::<Result<_, _>>()?;
    {
        let (ycol, xcols) = yx.split_at_mut(n);
        fill_values(outcome, &rows, ycol);
        xcols.par_chunks_mut(n).zip(&evaluators).for_each(|(out, ev)| ev.fill(&rows, out));
    }
    let weights = match spec.weights {
        Some(w) => {
            let mut v = vec![0.0; n];
            fill_values(frame.column(w)?, &rows, &mut v);
            Some(v)
        }
        None => None,
    };
    let clusters = spec
        .clusters
        .iter()
        .map(|c| {
            let fac = match fixed_effects.iter().find(|(name, _)| name == c) {
                Some((_, fe)) => Arc::clone(fe),
                None => Arc::new(Factor::encode(frame.column(c)?, &rows)),
            };
            crate::data::require_clusters(c, fac.n_levels())?;
            Ok::<_, DataError>((c.clone(), fac))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ModelFrame { rows, yx, recipes, weights, fixed_effects, clusters, drops })
}

/// Rescale observation weights to mean 1, in place; returns the factor divided out.
///
/// Regression weights are scale-free ($\hat\beta$ and its variance are unchanged by $w \to cw$), but
/// the sums they enter are not: weights of 1e-200 underflow `X'WX` (standard errors exactly 0) and
/// 1e200 overflow it (NaN). Dividing by the mean first makes every result the same for any positive
/// scaling. The mean is taken as `mean(w / max)` times `max` so that the sum cannot overflow.
pub(crate) fn normalise_weights(w: &mut [f64]) -> f64 {
    let max = w.iter().fold(0.0f64, |m, &v| if v.is_finite() { m.max(v) } else { m });
    if w.is_empty() || max <= 0.0 {
        return 1.0;
    }
    let mean_scaled = w.iter().map(|v| v / max).sum::<f64>() / w.len() as f64;
    w.iter_mut().for_each(|v| *v = (*v / max) / mean_scaled);
    max * mean_scaled
}

/// Encode a fixed effect `a` or an interaction `a^b^...` on `rows`.
fn encode_interacted(frame: &Frame<'_>, parts: &[String], rows: &Rows) -> Result<Factor, DataError> {
    let mut fac = Factor::encode(frame.column(&parts[0])?, rows);
    for p in &parts[1..] {
        fac = Factor::interact(&fac, &Factor::encode(frame.column(p)?, rows));
    }
    Ok(fac)
}

/// The columns one formula factor expands into: (name, components).
fn expand(
    frame: &Frame<'_>,
    p: &Part,
    rows: &Rows,
    drop_first: bool,
) -> Result<Vec<(String, Vec<Component>)>, crate::Error> {
    let dummies = |var: &str,
                   prefix: String,
                   suffix: &str,
                   skip: &dyn Fn(usize, &str) -> bool|
     -> Result<_, crate::Error> {
        let fac = Factor::encode(frame.column(var)?, rows);
        Ok(fac
            .labels
            .iter()
            .enumerate()
            .filter(|(i, l)| !skip(*i, l))
            .map(|(_, l)| {
                (format!("{prefix}{l}{suffix}"), vec![Component::Level { column: var.to_string(), label: l.clone() }])
            })
            .collect::<Vec<_>>())
    };
    match p {
        Part::Var(v) if frame.column(v)?.is_numeric() => Ok(vec![(v.clone(), vec![Component::Value(v.clone())])]),
        Part::Var(v) => dummies(v, format!("{v}[T."), "]", &|i, _| drop_first && i == 0),
        Part::Categorical(v) => dummies(v, format!("C({v})[T."), "]", &|i, _| drop_first && i == 0),
        Part::Indicator { var, by, refs } => {
            let fac = Factor::encode(frame.column(var)?, rows);
            for r in refs {
                if !fac.labels.iter().any(|l| l == r) {
                    return Err(RegressionError::UnknownReference {
                        var: var.clone(),
                        value: r.clone(),
                        levels: fac.labels.iter().take(20).cloned().collect(),
                    }
                    .into());
                }
            }
            let suffix = by.as_ref().map(|b| format!(":{b}")).unwrap_or_default();
            let mut out = dummies(var, format!("{var}::"), &suffix, &|_, l| refs.iter().any(|r| r == l))?;
            if let Some(b) = by {
                out.iter_mut().for_each(|(_, c)| c.push(Component::Value(b.clone())));
            }
            Ok(out)
        }
    }
}

/// Copy a numeric column's values on `rows` into `out`.
fn fill_values(col: &Column<'_>, rows: &Rows, out: &mut [f64]) {
    match (col, rows) {
        (Column::Float(v), Rows::All(_)) => out.copy_from_slice(v),
        (Column::Float(v), _) => out.iter_mut().zip(rows.iter()).for_each(|(o, i)| *o = v[i]),
        (Column::Int(v), _) => out.iter_mut().zip(rows.iter()).for_each(|(o, i)| *o = v[i] as f64),
        (Column::Categorical { .. }, _) => out.iter_mut().for_each(|o| *o = f64::NAN),
    }
}

/// Evaluates one regressor recipe on a frame, with level lookups resolved to codes once.
pub(crate) struct Evaluator<'f, 'a> {
    values: Vec<&'f Column<'a>>,
    levels: Vec<(Factor, u32)>,
}

impl<'f, 'a> Evaluator<'f, 'a> {
    /// Resolve `components` against `frame` on `rows`; a level absent from the rows gives a
    /// code that never matches (so its dummy is 0).
    pub fn new(frame: &'f Frame<'a>, components: &[Component], rows: &Rows) -> Result<Self, DataError> {
        let mut values = Vec::new();
        let mut levels = Vec::new();
        for c in components {
            match c {
                Component::Value(v) => values.push(frame.column(v)?),
                Component::Level { column, label } => {
                    let fac = Factor::encode(frame.column(column)?, rows);
                    let code = fac.labels.iter().position(|l| l == label).map_or(u32::MAX, |p| p as u32);
                    levels.push((fac, code));
                }
            }
        }
        Ok(Evaluator { values, levels })
    }

    /// Fill `out[k]` with the regressor at the `k`-th selected row.
    pub fn fill(&self, rows: &Rows, out: &mut [f64]) {
        match self.values.first() {
            Some(c) => fill_values(c, rows, out),
            None => out.iter_mut().for_each(|o| *o = 1.0),
        }
        for c in self.values.iter().skip(1) {
            out.iter_mut().zip(rows.iter()).for_each(|(o, i)| *o *= c.value(i).unwrap_or(f64::NAN));
        }
        for (fac, code) in &self.levels {
            out.iter_mut().zip(&fac.codes).for_each(|(o, c)| {
                if c != code {
                    *o = 0.0;
                }
            });
        }
    }
}
