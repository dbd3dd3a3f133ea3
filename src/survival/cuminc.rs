//! Cumulative incidence with competing risks (Aalen-Johansen; Kalbfleisch & Prentice 1980) and
//! its variance, as R `cmprsk::cuminc` (Gray 1988).
//!
//! With the pooled Kaplan-Meier $\hat S(t-)$ of any event, $n_j$ at risk and $d_{cj}$ events of
//! cause $c$ at time $t_j$: $\hat F_c(t) = \sum_{t_j \le t} \hat S(t_j-)\, d_{cj}/n_j$.
//! The variance accumulates, at every event time, the delta-method terms of Gray's `cinc`
//! routine: with $a = \hat S(t_j-)^2 \tau\, d / n_j^2$ ($\tau = 1 - (d-1)/(n_j-1)$ for $d$ tied
//! events) and $s = \hat S(t_j)$, other-cause events add $(F/s)^2 a$, $(F/s^2) a$, $a/s^2$ and
//! cause-$c$ events $(1 + F/s)^2 a$, $(1 + F/s) a / s$, $a / s^2$ to $(v_1, v_2, v_3)$;
//! $\widehat{\mathrm{Var}}\,\hat F_c(t) = v_1 + F^2 v_3 - 2 F v_2$, reported at the jumps.

use serde::{Deserialize, Serialize};

use super::sample::check_nonnegative;
use super::SurvivalError;
use crate::data::Frame;
use crate::regression::{build_sample, Formula, FormulaFactor, SampleSpec, Term};
use crate::results::DropReport;

/// Options of [`cuminc`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Cuminc {
    /// Time to the first event or censoring.
    pub duration: String,
    /// Event code: 0 = censored, 1, 2, ... = causes.
    pub event: String,
    /// Optional grouping column.
    pub group: Option<String>,
}

/// The cumulative incidence of one cause in one group, at the cause's event times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CifCurve {
    /// Group label ("all" without groups).
    pub group: String,
    /// Cause code.
    pub cause: i64,
    /// Times at which the cause occurs.
    pub time: Vec<f64>,
    /// Cumulative incidence just after each time.
    pub estimate: Vec<f64>,
    /// Its variance.
    pub variance: Vec<f64>,
}

/// Cumulative incidence curves by group and cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CumincResult {
    /// The options used.
    pub params: Cuminc,
    /// One curve per group and cause (groups outer, causes inner).
    pub curves: Vec<CifCurve>,
    /// Causes found.
    pub causes: Vec<i64>,
    /// Observations used.
    pub n_obs: usize,
    /// What was dropped.
    pub drops: DropReport,
}

/// One group's curve for `cause`; `time`, `code` sorted by time.
fn cif(time: &[f64], code: &[i64], cause: i64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = time.len();
    let (mut fk, mut f) = (1.0f64, 0.0f64);
    let (mut v1, mut v2, mut v3) = (0.0, 0.0, 0.0);
    let (mut ts, mut fs, mut vs) = (Vec::new(), Vec::new(), Vec::new());
    let mut l = 0;
    while l < n {
        let rs = (n - l) as f64;
        let t = time[l];
        let (mut nd1, mut nd2) = (0.0, 0.0);
        while l < n && time[l] == t {
            if code[l] == cause {
                nd1 += 1.0;
            } else if code[l] != 0 {
                nd2 += 1.0;
            }
            l += 1;
        }
        let nd = nd1 + nd2;
        if nd == 0.0 {
            continue;
        }
        let fkn = fk * (rs - nd) / rs;
        if nd1 > 0.0 {
            f += fk * nd1 / rs;
        }
        let tied = |d: f64| if d > 1.0 { 1.0 - (d - 1.0) / (rs - 1.0) } else { 1.0 };
        if nd2 > 0.0 && fkn > 0.0 {
            let t6 = fk * fk * tied(nd2) * nd2 / (rs * rs);
            let (t3, t4) = (1.0 / fkn, f / fkn);
            v1 += t4 * t4 * t6;
            v2 += t3 * t4 * t6;
            v3 += t3 * t3 * t6;
        }
        if nd1 > 0.0 {
            let t6 = fk * fk * tied(nd1) * nd1 / (rs * rs);
            let t3 = if fkn > 0.0 { 1.0 / fkn } else { 0.0 };
            let t4 = 1.0 + t3 * f;
            v1 += t4 * t4 * t6;
            v2 += t3 * t4 * t6;
            v3 += t3 * t3 * t6;
            ts.push(t);
            fs.push(f);
            vs.push(v1 + f * f * v3 - 2.0 * f * v2);
        }
        fk = fkn;
    }
    (ts, fs, vs)
}

/// Cumulative incidence of every cause by group.
///
/// # Errors
/// Negative times, event codes that are not non-negative integers, no events, missing columns.
pub fn cuminc(frame: &Frame<'_>, p: &Cuminc) -> crate::Result<CumincResult> {
    frame.numeric(&p.duration, "the duration")?;
    frame.numeric(&p.event, "the event code")?;
    let formula = Formula {
        text: String::new(),
        outcome: p.duration.clone(),
        terms: vec![Term { factors: vec![FormulaFactor::Var(p.event.clone())] }],
        intercept: true,
        fixed_effects: p.group.iter().map(|g| vec![g.clone()]).collect(),
    };
    let mf =
        build_sample(frame, &SampleSpec { formula: &formula, weights: None, clusters: &[], drop_singletons: false })?;
    let n = mf.n();
    let time = mf.yx[..n].to_vec();
    let ev = &mf.yx[2 * n..3 * n];
    check_nonnegative(&p.duration, &time, &mf.rows)?;
    if let Some(k) = ev.iter().position(|&v| v < 0.0 || v.fract() != 0.0) {
        return Err(SurvivalError::UndeclaredEvent {
            column: p.event.clone(),
            value: ev[k],
            first_row: mf.rows.get(k),
            allowed: vec![0, 1, 2],
        }
        .into());
    }
    let code: Vec<i64> = ev.iter().map(|&v| v as i64).collect();
    let mut causes: Vec<i64> = code.iter().copied().filter(|&c| c != 0).collect();
    causes.sort_unstable();
    causes.dedup();
    if causes.is_empty() {
        return Err(SurvivalError::NoEvents { n, group: String::new() }.into());
    }
    let (gcodes, labels) = match mf.fixed_effects.first() {
        Some((_, f)) => (f.codes.clone(), f.labels.clone()),
        None => (vec![0; n], vec!["all".to_string()]),
    };
    let mut curves = Vec::new();
    for (g, label) in labels.iter().enumerate() {
        let mut idx: Vec<usize> = (0..n).filter(|&i| gcodes[i] as usize == g).collect();
        idx.sort_by(|&a, &b| time[a].total_cmp(&time[b]));
        let t: Vec<f64> = idx.iter().map(|&i| time[i]).collect();
        let c: Vec<i64> = idx.iter().map(|&i| code[i]).collect();
        for &cause in &causes {
            let (time, estimate, variance) = cif(&t, &c, cause);
            curves.push(CifCurve { group: label.clone(), cause, time, estimate, variance });
        }
    }
    Ok(CumincResult { params: p.clone(), curves, causes, n_obs: n, drops: mf.drops })
}
