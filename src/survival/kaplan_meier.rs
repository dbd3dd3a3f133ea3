//! Kaplan & Meier (1958) product-limit survival curves with Greenwood's variance, the
//! Nelson-Aalen cumulative hazard, left truncation, case weights and quantiles, as R survival's
//! `survfit` and `quantile.survfit`.
//!
//! At each distinct time $t_j$ with weighted risk set $n_j$ (rows with entry $< t_j \le$ exit) and
//! weighted events $d_j$: $\hat S(t) = \prod_{t_j \le t} (1 - d_j/n_j)$,
//! $\widehat{\mathrm{Var}}(\log \hat S) = \sum_{t_j \le t} d_j / (n_j (n_j - d_j))$ (Greenwood),
//! $\hat\Lambda(t) = \sum d_j/n_j$ with standard error $\sqrt{\sum d_j/n_j^2}$.
//! Intervals with $\sigma$ the Greenwood standard error of $\log \hat S$: `log`
//! $\hat S e^{\pm z\sigma}$ (upper capped at 1), `log-log`
//! $\exp(-\exp(\log(-\log \hat S) \mp z\sigma/\log \hat S))$, `plain` $\hat S (1 \pm z\sigma)$ in [0, 1].
//!
//! Quantile $p$: the first time the curve reaches $1 - \hat S \ge p$; when it sits exactly at
//! $p$ over an interval, the midpoint (R's `findq`, tolerance $\sqrt{\epsilon}$); the interval
//! ends are the same rule applied to the pointwise band.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::params::{check_alpha, ConfType, KaplanMeier};
use super::sample::{check_events, check_intervals, check_nonnegative};
use super::SurvivalError;
use crate::data::Frame;
use crate::regression::{build_sample, Formula, FormulaFactor, SampleSpec, Term};
use crate::results::{Diagnostic, DropReport};
use crate::traits::Validated;

/// Risk-set counts at one distinct time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Step {
    pub time: f64,
    pub n_risk: f64,
    pub n_event: f64,
    pub n_censor: f64,
}

/// Weighted risk-set counts at every distinct exit time (ascending).
pub(crate) fn km_steps(start: Option<&[f64]>, stop: &[f64], event: &[bool], w: &[f64]) -> Vec<Step> {
    let n = stop.len();
    // Sort (time, weight, event) records themselves (no indirection), in parallel.
    let mut recs: Vec<(f64, f64, bool)> = (0..n).map(|i| (stop[i], w[i], event[i])).collect();
    recs.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = w.iter().sum();
    let starts: Option<Vec<(f64, f64)>> = start.map(|s| {
        let mut v: Vec<(f64, f64)> = s.iter().zip(w).map(|(a, b)| (*a, *b)).collect();
        v.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        v
    });
    let mut out = Vec::new();
    let (mut gone, mut k, mut sp, mut entered) = (0.0, 0, 0, 0.0);
    while k < n {
        let t = recs[k].0;
        let (mut d, mut c) = (0.0, 0.0);
        let mut j = k;
        while j < n && recs[j].0 == t {
            if recs[j].2 {
                d += recs[j].1;
            } else {
                c += recs[j].1;
            }
            j += 1;
        }
        // At risk: exit >= t minus those entering at or after t.
        let n_risk = match &starts {
            Some(sv) => {
                while sp < sv.len() && sv[sp].0 < t {
                    entered += sv[sp].1;
                    sp += 1;
                }
                (total - gone) - (total - entered)
            }
            None => total - gone,
        };
        out.push(Step { time: t, n_risk, n_event: d, n_censor: c });
        gone += d + c;
        k = j;
    }
    out
}

/// One survival curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KmCurve {
    /// Group label ("all" without groups).
    pub group: String,
    /// Distinct times.
    pub time: Vec<f64>,
    /// Weighted number at risk just before each time.
    pub n_risk: Vec<f64>,
    /// Weighted events at each time.
    pub n_event: Vec<f64>,
    /// Weighted censorings at each time.
    pub n_censor: Vec<f64>,
    /// Survival.
    pub surv: Vec<f64>,
    /// Greenwood standard error of log survival (R's `std.err`).
    pub std_error: Vec<f64>,
    /// Pointwise interval.
    pub conf_low: Vec<f64>,
    /// Pointwise interval.
    pub conf_high: Vec<f64>,
    /// Nelson-Aalen cumulative hazard.
    pub cumhaz: Vec<f64>,
    /// Its standard error.
    pub std_cumhaz: Vec<f64>,
}

/// Survival quantiles of one curve with their intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KmQuantile {
    /// Group label.
    pub group: String,
    /// Probability (0.5 = median).
    pub prob: f64,
    /// Time at which the curve reaches 1 - prob (NaN when it never does).
    pub estimate: f64,
    /// Lower end of the interval.
    pub conf_low: f64,
    /// Upper end (NaN when the band never reaches 1 - prob).
    pub conf_high: f64,
}

/// Kaplan-Meier curves by group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KaplanMeierResult {
    /// The options used.
    pub params: KaplanMeier,
    /// One curve per group.
    pub curves: Vec<KmCurve>,
    /// Observations used.
    pub n_obs: usize,
    /// Events (unweighted count).
    pub n_events: usize,
    /// What was dropped.
    pub drops: DropReport,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
}

/// Pointwise interval for survival `s` with log-scale standard error `se`.
pub(crate) fn band(s: f64, se: f64, z: f64, ct: ConfType) -> (f64, f64) {
    if !se.is_finite() || s <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    match ct {
        ConfType::Log => (s * (-z * se).exp(), (s * (z * se).exp()).min(1.0)),
        ConfType::LogLog => {
            if s >= 1.0 {
                return (f64::NAN, f64::NAN);
            }
            let l = s.ln();
            let a = (-((-l).ln() + z * se / l).exp()).exp();
            let b = (-((-l).ln() - z * se / l).exp()).exp();
            (a.min(b), a.max(b))
        }
        ConfType::Plain => ((s - z * se * s).max(0.0), (s + z * se * s).min(1.0)),
    }
}

pub(crate) fn curve(group: String, steps: &[Step], z: f64, ct: ConfType) -> KmCurve {
    let m = steps.len();
    let mut c = KmCurve {
        group,
        time: Vec::with_capacity(m),
        n_risk: Vec::with_capacity(m),
        n_event: Vec::with_capacity(m),
        n_censor: Vec::with_capacity(m),
        surv: Vec::with_capacity(m),
        std_error: Vec::with_capacity(m),
        conf_low: Vec::with_capacity(m),
        conf_high: Vec::with_capacity(m),
        cumhaz: Vec::with_capacity(m),
        std_cumhaz: Vec::with_capacity(m),
    };
    let (mut s, mut gw, mut h, mut vh) = (1.0, 0.0, 0.0, 0.0);
    for st in steps {
        if st.n_event > 0.0 {
            s *= 1.0 - st.n_event / st.n_risk;
            gw += st.n_event / (st.n_risk * (st.n_risk - st.n_event));
            h += st.n_event / st.n_risk;
            vh += st.n_event / (st.n_risk * st.n_risk);
        }
        let se = gw.sqrt();
        let (lo, hi) = band(s, se, z, ct);
        c.time.push(st.time);
        c.n_risk.push(st.n_risk);
        c.n_event.push(st.n_event);
        c.n_censor.push(st.n_censor);
        c.surv.push(s);
        c.std_error.push(if s > 0.0 { se } else { f64::NAN });
        c.conf_low.push(lo);
        c.conf_high.push(hi);
        c.cumhaz.push(h);
        c.std_cumhaz.push(vh.sqrt());
    }
    c
}

/// R's `findq`: the time at which the nondecreasing `y = 1 - S` (after `x0`) reaches `p`.
pub(crate) fn findq(x0: f64, time: &[f64], surv: &[f64], p: f64) -> f64 {
    let tol = f64::EPSILON.sqrt();
    let mut x = vec![x0];
    let mut y = vec![0.0];
    for (&t, &s) in time.iter().zip(surv) {
        x.push(t);
        y.push(1.0 - s);
    }
    let xmax = *x.last().unwrap_or(&x0);
    let last_y = *y.last().unwrap_or(&0.0);
    // Drop NaN (missing band values) and repeated values (keep the first of each run).
    let mut xs = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    for (xi, yi) in x.into_iter().zip(y) {
        if yi.is_nan() || ys.contains(&yi) {
            continue;
        }
        xs.push(xi);
        ys.push(yi);
    }
    if ys.iter().copied().fold(f64::NEG_INFINITY, f64::max) < p {
        return f64::NAN;
    }
    if p == 0.0 {
        return xs[0];
    }
    let first_at = |off: f64| ys.iter().position(|&v| v + off >= p);
    let (Some(i1), i2) = (first_at(tol), first_at(-tol)) else {
        return f64::NAN;
    };
    if !last_y.is_nan() && (p - last_y).abs() < tol {
        return (xs[i1] + xmax) / 2.0;
    }
    match i2 {
        Some(i2) => (xs[i1] + xs[i2]) / 2.0,
        None => f64::NAN,
    }
}

impl KaplanMeierResult {
    /// Quantiles (0.5 = median) of every curve with intervals from the pointwise band.
    pub fn quantiles(&self, probs: &[f64]) -> crate::Result<Vec<KmQuantile>> {
        if let Some(&p) = probs.iter().find(|p| !(0.0..=1.0).contains(*p)) {
            return Err(crate::ParamsError::InvalidParam {
                name: "probs",
                value: p.to_string(),
                reason: "probabilities must be in [0, 1]".into(),
            }
            .into());
        }
        let x0 = 0.0f64.min(self.curves.iter().flat_map(|c| c.time.first()).copied().fold(0.0, f64::min));
        Ok(self
            .curves
            .iter()
            .flat_map(|c| {
                probs.iter().map(move |&p| KmQuantile {
                    group: c.group.clone(),
                    prob: p,
                    estimate: findq(x0, &c.time, &c.surv, p),
                    conf_low: findq(x0, &c.time, &c.conf_low, p),
                    conf_high: findq(x0, &c.time, &c.conf_high, p),
                })
            })
            .collect())
    }
}

/// Times, events, weights and group codes of a validated individual sample.
pub(crate) struct KmSample {
    pub start: Option<Vec<f64>>,
    pub stop: Vec<f64>,
    pub event: Vec<bool>,
    pub weights: Vec<f64>,
    /// Codes and labels per requested grouping (group, then strata).
    pub factors: Vec<(Vec<u32>, Vec<String>)>,
    pub drops: DropReport,
}

/// Build the sample for KM and log-rank: missing values and zero weights dropped and counted.
pub(crate) fn km_sample(
    frame: &Frame<'_>,
    duration: &str,
    event: &str,
    entry: Option<&str>,
    weights: Option<&str>,
    groups: &[&str],
) -> crate::Result<KmSample> {
    frame.numeric(duration, "the duration")?;
    frame.numeric(event, "the event indicator")?;
    if let Some(e) = entry {
        frame.numeric(e, "the entry time")?;
    }
    let mut terms: Vec<Term> =
        entry.iter().map(|c| Term { factors: vec![FormulaFactor::Var(c.to_string())] }).collect();
    terms.push(Term { factors: vec![FormulaFactor::Var(event.to_string())] });
    let formula = Formula {
        text: String::new(),
        outcome: duration.to_string(),
        terms,
        intercept: true,
        fixed_effects: groups.iter().map(|g| vec![g.to_string()]).collect(),
    };
    let mf = build_sample(frame, &SampleSpec { formula: &formula, weights, clusters: &[], drop_singletons: false })?;
    let n = mf.n();
    let col = |j: usize| mf.yx[j * n..(j + 1) * n].to_vec();
    let stop = col(0);
    let start = entry.map(|_| col(2));
    let ev = col(if entry.is_some() { 3 } else { 2 });
    check_nonnegative(duration, &stop, &mf.rows)?;
    if let (Some(s), Some(name)) = (&start, entry) {
        check_nonnegative(name, s, &mf.rows)?;
        check_intervals(s, &stop, &mf.rows)?;
    }
    let event = check_events(event, &ev, &mf.rows)?;
    let factors = mf.fixed_effects.iter().map(|(_, f)| (f.codes.clone(), f.labels.clone())).collect();
    Ok(KmSample { start, stop, event, weights: mf.weights.unwrap_or_else(|| vec![1.0; n]), factors, drops: mf.drops })
}

impl KaplanMeier {
    /// Check the options.
    pub fn validate(&self) -> crate::Result<Validated<KaplanMeier>> {
        check_alpha(self.alpha)?;
        Ok(Validated::new(self.clone()))
    }

    /// Fit the curves on `frame`.
    ///
    /// # Errors
    /// Negative times, stop <= entry, event codes other than 0/1, no rows, missing columns.
    pub fn fit(&self, frame: &Frame<'_>) -> crate::Result<KaplanMeierResult> {
        self.validate()?.fit(frame)
    }
}

impl Validated<KaplanMeier> {
    /// Fit on `frame` (see [`KaplanMeier::fit`]).
    pub fn fit(&self, frame: &Frame<'_>) -> crate::Result<KaplanMeierResult> {
        let p: &KaplanMeier = self;
        let groups: Vec<&str> = p.group.iter().map(String::as_str).collect();
        let s = km_sample(frame, &p.duration, &p.event, p.entry.as_deref(), p.weights.as_deref(), &groups)?;
        let z = Normal::standard().inverse_cdf(1.0 - p.alpha / 2.0);
        let (codes, labels) = s.factors.first().cloned().unwrap_or_else(|| (vec![0; s.stop.len()], vec!["all".into()]));
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); labels.len()];
        codes.iter().enumerate().for_each(|(i, &c)| members[c as usize].push(i));
        let n_events = s.event.iter().filter(|&&e| e).count();
        let mut warnings = Vec::new();
        let curves = members
            .iter()
            .zip(&labels)
            .map(|(rows, label)| {
                let all = rows.len() == s.stop.len();
                let pick = |v: &[f64]| if all { v.to_vec() } else { rows.iter().map(|&i| v[i]).collect::<Vec<f64>>() };
                let ev: Vec<bool> = if all { s.event.clone() } else { rows.iter().map(|&i| s.event[i]).collect() };
                if !ev.iter().any(|&e| e) {
                    warnings.push(Diagnostic::new(
                        crate::results::DiagnosticCode::NoEvents,
                        format!("group {label}: no events (the curve stays at 1)"),
                    ));
                }
                let steps = km_steps(s.start.as_deref().map(&pick).as_deref(), &pick(&s.stop), &ev, &pick(&s.weights));
                curve(label.clone(), &steps, z, p.conf_type)
            })
            .collect();
        if n_events == 0 {
            return Err(SurvivalError::NoEvents { n: s.stop.len(), group: String::new() }.into());
        }
        Ok(KaplanMeierResult { params: p.clone(), curves, n_obs: s.stop.len(), n_events, drops: s.drops, warnings })
    }
}
