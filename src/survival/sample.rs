//! From a frame to a survival sample: times, events, weights, strata and regressors checked,
//! missing values and zero weights dropped and counted (through the regression family's sample
//! builder, so `C()`, interactions and the drop report are the same as `feols`), and each
//! stratum's rows sorted once by stop time and by start time.

use rayon::prelude::*;

use super::SurvivalError;
use crate::data::{DataError, Factor, Frame, Rows};
use crate::regression::{build_sample, ColumnRecipe, Formula, FormulaFactor, SampleSpec, SurvFormula, Term};
use crate::results::DropReport;

/// One stratum's rows (indices into the sample), sorted by stop and by start, descending.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stratum {
    pub by_stop: Vec<u32>,
    pub by_start: Vec<u32>,
}

/// The checked sample a Cox fit runs on.
#[derive(Debug, Clone)]
pub(crate) struct CoxSample {
    pub n: usize,
    pub p: usize,
    /// Regressor recipes (kept columns only).
    pub recipes: Vec<ColumnRecipe>,
    /// Centred regressors, column-major `n x p`.
    pub x: Vec<f64>,
    /// Weighted means subtracted from each regressor.
    pub means: Vec<f64>,
    pub start: Option<Vec<f64>>,
    pub stop: Vec<f64>,
    pub event: Vec<bool>,
    pub weights: Vec<f64>,
    pub offset: Vec<f64>,
    /// Stratum code of each row and labels.
    pub strata_codes: Vec<u32>,
    pub strata_labels: Vec<String>,
    pub strata: Vec<Stratum>,
    pub cluster: Option<Factor>,
    /// Input row of each sample row (the sample is stored sorted by stratum and stop time).
    pub input_rows: Vec<usize>,
    pub drops: DropReport,
    /// Rows dropped for a zero duration (`Surv(time, event)` with time 0).
    pub n_zero_duration: usize,
    /// Regressors dropped as collinear.
    pub collinear: Vec<String>,
}

/// Check that times are >= 0.
pub(crate) fn check_nonnegative(column: &str, t: &[f64], rows: &Rows) -> Result<(), SurvivalError> {
    let bad: Vec<usize> = (0..t.len()).filter(|&k| t[k] < 0.0).collect();
    match bad.first() {
        Some(&k) => {
            Err(SurvivalError::NegativeTime { column: column.to_string(), count: bad.len(), first_row: rows.get(k) })
        }
        None => Ok(()),
    }
}

/// Check that every `stop > start`.
pub(crate) fn check_intervals(start: &[f64], stop: &[f64], rows: &Rows) -> Result<(), SurvivalError> {
    let bad: Vec<usize> = (0..stop.len()).filter(|&k| stop[k] <= start[k]).collect();
    match bad.first() {
        Some(&k) => Err(SurvivalError::StopNotAfterStart {
            count: bad.len(),
            first_row: rows.get(k),
            start: start[k],
            stop: stop[k],
        }),
        None => Ok(()),
    }
}

/// Event indicators from a 0/1 column (any other value is an [`SurvivalError::UndeclaredEvent`]).
pub(crate) fn check_events(column: &str, e: &[f64], rows: &Rows) -> Result<Vec<bool>, SurvivalError> {
    if let Some(k) = e.iter().position(|&v| v != 0.0 && v != 1.0) {
        return Err(SurvivalError::UndeclaredEvent {
            column: column.to_string(),
            value: e[k],
            first_row: rows.get(k),
            allowed: vec![0, 1],
        });
    }
    Ok(e.iter().map(|&v| v == 1.0).collect())
}

/// Sort each stratum's rows by stop (and start) time, descending; strata in parallel.
pub(crate) fn sort_strata(codes: &[u32], n_strata: usize, stop: &[f64], start: Option<&[f64]>) -> Vec<Stratum> {
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); n_strata];
    for (i, &c) in codes.iter().enumerate() {
        members[c as usize].push(i as u32);
    }
    members
        .into_par_iter()
        .map(|m| {
            let mut by_stop = m.clone();
            by_stop.sort_by(|&a, &b| stop[b as usize].total_cmp(&stop[a as usize]));
            let by_start = match start {
                Some(s) => {
                    let mut v = m;
                    v.sort_unstable_by(|&a, &b| s[b as usize].total_cmp(&s[a as usize]));
                    v
                }
                None => Vec::new(),
            };
            Stratum { by_stop, by_start }
        })
        .collect()
}

/// What the sample builder needs to know.
pub(crate) struct CoxSpec<'s> {
    pub formula: &'s SurvFormula,
    pub weights: Option<&'s str>,
    pub offset: Option<&'s str>,
    pub cluster: Option<&'s str>,
    pub collinear_tol: f64,
}

pub(crate) fn build(frame: &Frame<'_>, spec: &CoxSpec<'_>) -> Result<CoxSample, crate::Error> {
    let sf = spec.formula;
    let stop_col = frame.numeric(&sf.stop, "the stop time")?;
    frame.numeric(&sf.event, "the event indicator")?;
    if let Some(s) = &sf.start {
        frame.numeric(s, "the start time")?;
    }
    if let Some(o) = spec.offset {
        frame.numeric(o, "the offset")?;
    }
    let _ = stop_col;
    // The time, event and offset columns ride along as the first regressors, so that the
    // builder drops and counts their missing values with everything else.
    let mut lead: Vec<String> = sf.start.iter().cloned().collect();
    lead.push(sf.event.clone());
    lead.extend(spec.offset.map(str::to_string));
    let mut terms: Vec<Term> = lead.iter().map(|c| Term { factors: vec![FormulaFactor::Var(c.clone())] }).collect();
    terms.extend(sf.rhs.terms.iter().cloned());
    let formula = Formula {
        text: sf.text.clone(),
        outcome: sf.stop.clone(),
        terms,
        intercept: true,
        fixed_effects: if sf.strata.is_empty() { Vec::new() } else { vec![sf.strata.clone()] },
    };
    let clusters: Vec<String> = spec.cluster.iter().map(|c| c.to_string()).collect();
    let mf = build_sample(
        frame,
        &SampleSpec { formula: &formula, weights: spec.weights, clusters: &clusters, drop_singletons: false },
    )?;
    let n0 = mf.n();
    let col = |j: usize| &mf.yx[j * n0..(j + 1) * n0];
    let stop0 = col(0).to_vec();
    let mut j = 2; // 0 = stop, 1 = intercept
    let start0 = sf.start.as_ref().map(|_| {
        j += 1;
        col(j - 1).to_vec()
    });
    let event_vals = col(j).to_vec();
    j += 1;
    let offset0 = spec.offset.map(|_| {
        j += 1;
        col(j - 1).to_vec()
    });
    let first_x = j;
    let mut recipes: Vec<ColumnRecipe> = mf.recipes[first_x - 1..].to_vec();
    // Checks on times and events.
    check_nonnegative(&sf.stop, &stop0, &mf.rows)?;
    if let (Some(s), Some(name)) = (&start0, &sf.start) {
        check_nonnegative(name, s, &mf.rows)?;
        check_intervals(s, &stop0, &mf.rows)?;
    }
    check_events(&sf.event, &event_vals, &mf.rows)?;
    // Zero durations (time form only) are dropped and counted.
    let keep: Vec<bool> = (0..n0).map(|k| start0.is_some() || stop0[k] > 0.0).collect();
    let n_zero_duration = keep.iter().filter(|k| !**k).count();
    let pick = |v: &[f64]| -> Vec<f64> { v.iter().zip(&keep).filter(|(_, k)| **k).map(|(x, _)| *x).collect() };
    let stop = pick(&stop0);
    let n = stop.len();
    let start = start0.as_deref().map(pick);
    let event: Vec<bool> = event_vals.iter().zip(&keep).filter(|(_, k)| **k).map(|(e, _)| *e == 1.0).collect();
    let weights = mf.weights.as_deref().map_or_else(|| vec![1.0; n], pick);
    let offset = offset0.as_deref().map_or_else(|| vec![0.0; n], pick);
    let rows = if n_zero_duration > 0 { mf.rows.filter(&keep) } else { mf.rows.clone() };
    let mut drops = mf.drops.clone();
    drops.n_used = n;
    if n == 0 || !event.iter().any(|&e| e) {
        return Err(SurvivalError::NoEvents { n, group: String::new() }.into());
    }
    let (strata_codes, strata_labels) = match mf.fixed_effects.first() {
        Some((_, f)) => {
            let f = if n_zero_duration > 0 { f.subset(&keep) } else { (**f).clone() };
            (f.codes, f.labels)
        }
        None => (vec![0; n], vec!["all".to_string()]),
    };
    let cluster = mf.clusters.first().map(|(name, f)| {
        if n_zero_duration > 0 {
            let f = f.subset(&keep);
            if f.n_levels() < 2 {
                return Err(DataError::SingleCluster { name: name.clone() });
            }
            Ok(f)
        } else {
            Ok((**f).clone())
        }
    });
    let cluster = cluster.transpose()?;
    // Regressors: centred by weighted means, collinear columns dropped.
    let p_all = recipes.len();
    let wsum: f64 = weights.iter().sum();
    let mut x: Vec<f64> = Vec::with_capacity(n * p_all);
    let mut scale = Vec::with_capacity(p_all);
    let mut means = Vec::with_capacity(p_all);
    for jj in 0..p_all {
        let c = pick(col(first_x + jj));
        let m = c.iter().zip(&weights).map(|(v, w)| v * w).sum::<f64>() / wsum;
        let ss: f64 = c.iter().zip(&weights).map(|(v, w)| v * v * w).sum();
        scale.push(if ss > 0.0 { ss } else { 1.0 });
        means.push(m);
        x.extend(c.iter().map(|v| v - m));
    }
    let g = crate::linalg::gram(&x, n, p_all, Some(&weights));
    let kept = if p_all == 0 { Vec::new() } else { crate::linalg::independent_columns(&g, &scale, spec.collinear_tol) };
    if p_all > 0 && kept.is_empty() {
        return Err(SurvivalError::AllCollinear { names: recipes.iter().map(|r| r.name.clone()).collect() }.into());
    }
    let collinear: Vec<String> = (0..p_all).filter(|c| !kept.contains(c)).map(|c| recipes[c].name.clone()).collect();
    if kept.len() < p_all {
        let mut x2 = Vec::with_capacity(n * kept.len());
        for &c in &kept {
            x2.extend_from_slice(&x[c * n..(c + 1) * n]);
        }
        x = x2;
        means = kept.iter().map(|&c| means[c]).collect();
        recipes = kept.iter().map(|&c| recipes[c].clone()).collect();
    }
    // Store the rows sorted by stratum, then stop time descending, so that every risk-set pass
    // reads memory in order.
    let mut perm: Vec<u32> = (0..n as u32).collect();
    perm.par_sort_unstable_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        strata_codes[a].cmp(&strata_codes[b]).then(stop[b].total_cmp(&stop[a]))
    });
    let permute = |v: &[f64]| -> Vec<f64> { perm.iter().map(|&i| v[i as usize]).collect() };
    let x: Vec<f64> = x.par_chunks(n.max(1)).flat_map_iter(|col| perm.iter().map(move |&i| col[i as usize])).collect();
    let stop = permute(&stop);
    let start = start.as_deref().map(permute);
    let event: Vec<bool> = perm.iter().map(|&i| event[i as usize]).collect();
    let weights = permute(&weights);
    let offset = permute(&offset);
    let strata_codes: Vec<u32> = perm.iter().map(|&i| strata_codes[i as usize]).collect();
    let cluster =
        cluster.map(|f| Factor { codes: perm.iter().map(|&i| f.codes[i as usize]).collect(), labels: f.labels });
    let input_rows: Vec<usize> = perm.iter().map(|&i| rows.get(i as usize)).collect();
    let strata = sort_strata(&strata_codes, strata_labels.len(), &stop, start.as_deref());
    Ok(CoxSample {
        n,
        p: recipes.len(),
        recipes,
        x,
        means,
        start,
        stop,
        event,
        weights,
        offset,
        strata_codes,
        strata_labels,
        strata,
        cluster,
        input_rows,
        drops,
        n_zero_duration,
        collinear,
    })
}
