//! The Goodman-Bacon decomposition of a two-way fixed-effects DiD estimate.
//!
//! # Model
//! The TWFE coefficient $\hat\beta$ of $y_{it} = \alpha_i + \lambda_t + \beta D_{it} + e_{it}$,
//! with $D_{it} = 1\{t \ge g_i\}$ on a balanced panel, is a weighted average of every 2x2 DiD
//! between two timing groups (Goodman-Bacon 2021, Theorem 1):
//! $\hat\beta = \sum_{k} s_{kU}\hat\beta_{kU} + \sum_{k<l} (s^k_{kl}\hat\beta^k_{kl} + s^l_{kl}\hat\beta^l_{kl})$,
//! with weights that are non-negative and sum to one.
//!
//! A timing group is the set of units with the same number of treated periods: never treated
//! ($\bar D = 0$), treated from period $g$, or always treated ($\bar D = 1$, cohort at or before
//! the first period). For groups $k$ (treated earlier) and $l$, with shares $n_k, n_l$ of the
//! units, treated fractions of periods $\bar D_k > \bar D_l$, $n_{kl} = n_k/(n_k+n_l)$ and
//! $\hat V^D$ the variance of the two-way demeaned $D$:
//! - $s^k_{kl} = ((n_k+n_l)(1-\bar D_l))^2\, n_{kl}(1-n_{kl})\, \frac{\bar D_k-\bar D_l}{1-\bar D_l}\frac{1-\bar D_k}{1-\bar D_l} / \hat V^D$:
//!   $k$ treated, $l$ not yet treated as control, periods before $l$ is treated
//!   (`earlier_vs_later`; with $l$ never treated this is $s_{kU}$, `treated_vs_never`);
//! - $s^l_{kl} = ((n_k+n_l)\bar D_k)^2\, n_{kl}(1-n_{kl})\, \frac{\bar D_l}{\bar D_k}\frac{\bar D_k-\bar D_l}{\bar D_k} / \hat V^D$:
//!   $l$ treated, the already treated $k$ as control, periods from $k$'s treatment on
//!   (`later_vs_earlier`, or `later_vs_always` when $k$ is always treated). These are the
//!   "forbidden" comparisons that bias TWFE when effects change over time.
//!
//! Each $\hat\beta$ is the 2x2 DiD of cell means: (treated group's mean after minus before its
//! treatment, inside the window) minus (the same for the control group). The result reports
//! the TWFE estimate from [`crate::regression::feols`] next to $\sum s \hat\beta$ so the
//! identity can be checked.
//!
//! # Defaults
//! No options beyond the column roles; covariates and sampling weights are not supported
//! (Goodman-Bacon's controlled decomposition is a different estimator).
//!
//! # Errors
//! [`DidError::UnbalancedPanel`] (units with a missing outcome are dropped and counted first),
//! [`DidError::NothingToEstimate`] without variation in treatment timing, cohort errors from
//! [`Timing`](super::Timing).
//!
//! # References
//! Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
//! Journal of Econometrics 225(2). Matched against pybacondecomp 0.1.0 (a port of Stata's
//! `bacondecomp`) in `tests/did_event_reference.rs`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::staggered::{model_frame, require_name, timing_source, Staggered, TIME, UNIT, Y};
use super::{DidError, TimingReport};
use crate::data::{Column, Frame};
use crate::regression::{Feols, Vcov};
use crate::results::{Diagnostic, DiagnosticCode};
use crate::traits::Validated;
use crate::Result;

/// The Goodman-Bacon decomposition: `Bacon::new(outcome, unit, time, cohort)`.
///
/// `cohort` is the first treated period (0 or missing: never treated; at or before the first
/// period: always treated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bacon {
    /// Outcome column.
    pub outcome: String,
    /// Unit id column.
    pub unit: String,
    /// Period column (whole numbers).
    pub time: String,
    /// First treated period column; empty when `treatment` is given.
    pub cohort: String,
    /// Instead of `cohort`: a 0/1 treatment column (the cohort is its first period at 1; it
    /// must not switch off).
    #[serde(default)]
    pub treatment: Option<String>,
}

/// Which two timing groups a 2x2 comparison contrasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonKind {
    /// A treated group against never-treated units.
    TreatedVsNever,
    /// An earlier-treated group against a later-treated group before it is treated.
    EarlierVsLater,
    /// A later-treated group against an already treated group (the problematic comparison).
    LaterVsEarlier,
    /// A treated group against units treated in every period.
    LaterVsAlways,
}

impl ComparisonKind {
    /// The snake_case name (as in Python).
    pub fn name(self) -> &'static str {
        match self {
            ComparisonKind::TreatedVsNever => "treated_vs_never",
            ComparisonKind::EarlierVsLater => "earlier_vs_later",
            ComparisonKind::LaterVsEarlier => "later_vs_earlier",
            ComparisonKind::LaterVsAlways => "later_vs_always",
        }
    }
}

/// One 2x2 comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BaconComparison {
    /// The treated group: its first treated period.
    pub treated: String,
    /// The control group: its first treated period, `never` or `always`.
    pub control: String,
    /// Kind of comparison.
    pub kind: ComparisonKind,
    /// The 2x2 DiD estimate.
    pub estimate: f64,
    /// Its weight in the TWFE estimate.
    pub weight: f64,
}

/// Weight and weighted average estimate of one kind of comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BaconSummary {
    /// Kind.
    pub kind: ComparisonKind,
    /// Sum of the weights.
    pub weight: f64,
    /// Weighted average of the estimates.
    pub estimate: f64,
    /// Number of comparisons.
    pub n_comparisons: usize,
}

/// The decomposition: every 2x2 comparison with its weight, and the TWFE estimate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BaconDecomposition {
    /// TWFE coefficient of the treatment dummy (`feols(y ~ D | unit + time)`).
    pub twfe_estimate: f64,
    /// Its standard error (CR1 by unit), for reference.
    pub twfe_std_error: f64,
    /// The weighted sum of the 2x2 estimates (equals `twfe_estimate` up to rounding).
    pub weighted_sum: f64,
    /// Every comparison with positive weight.
    pub comparisons: Vec<BaconComparison>,
    /// Totals by kind.
    pub summary: Vec<BaconSummary>,
    /// Observations used.
    pub n_obs: usize,
    /// Units used.
    pub n_units: usize,
    /// Periods.
    pub n_periods: usize,
    /// Units dropped because their outcome is missing in some period.
    pub n_units_dropped_missing: usize,
    /// Cohort recoding report (cohorts after the last period count as never treated).
    pub timing: TimingReport,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
    /// The params used.
    pub params: Bacon,
    /// virkning version.
    pub version: String,
}

impl Bacon {
    /// Params for the given column roles.
    pub fn new(
        outcome: impl Into<String>,
        unit: impl Into<String>,
        time: impl Into<String>,
        cohort: impl Into<String>,
    ) -> Self {
        Bacon { outcome: outcome.into(), unit: unit.into(), time: time.into(), cohort: cohort.into(), treatment: None }
    }

    /// Take the timing from a 0/1 treatment column instead of the cohort column.
    pub fn treatment(mut self, col: impl Into<String>) -> Self {
        self.cohort.clear();
        self.treatment = Some(col.into());
        self
    }

    /// Check the params.
    ///
    /// # Errors
    /// [`crate::ParamsError::InvalidParam`] for an empty column name.
    pub fn validate(self) -> Result<Validated<Bacon>> {
        require_name("outcome", &self.outcome)?;
        require_name("unit", &self.unit)?;
        require_name("time", &self.time)?;
        timing_source(&self.cohort, self.treatment.as_deref())?;
        Ok(Validated::new(self))
    }

    /// Validate and decompose.
    ///
    /// # Errors
    /// See [`Validated::<Bacon>::fit`].
    pub fn fit(self, frame: &Frame<'_>) -> Result<BaconDecomposition> {
        self.validate()?.fit(frame)
    }
}

/// A timing group: units with the same number of treated periods.
struct Group {
    /// Treated periods (0: never, T: always).
    k: usize,
    /// Units.
    n: usize,
    /// Mean outcome by period.
    mean: Vec<f64>,
}

impl Validated<Bacon> {
    /// Decompose the TWFE estimate on `frame`.
    ///
    /// # Errors
    /// Data and cohort errors, [`DidError::UnbalancedPanel`], [`DidError::NothingToEstimate`].
    pub fn fit(&self, frame: &Frame<'_>) -> Result<BaconDecomposition> {
        let p = &**self;
        let data =
            Staggered::new(frame, &p.outcome, &p.unit, &p.time, timing_source(&p.cohort, p.treatment.as_deref())?)?;
        let nt = data.panel.periods.len();
        let n_units_all = data.panel.unit.n_levels();
        // Units with a missing outcome in some period are dropped whole (the decomposition needs balance).
        let mut rows_of_unit = vec![0usize; n_units_all];
        let mut missing = vec![false; n_units_all];
        for i in 0..data.n_rows() {
            rows_of_unit[data.unit(i)] += 1;
            missing[data.unit(i)] |= data.y[i].is_nan();
        }
        let n_dropped = missing.iter().filter(|m| **m).count();
        let keep_unit: Vec<bool> = missing.iter().map(|m| !m).collect();
        let n_units = keep_unit.iter().filter(|k| **k).count();
        if n_units == 0 {
            return Err(DidError::NothingToEstimate { reason: "every unit has a missing outcome".into() }.into());
        }
        let unbalanced = (0..n_units_all).any(|u| keep_unit[u] && rows_of_unit[u] != nt);
        let rows: Vec<usize> = (0..data.n_rows()).filter(|&i| keep_unit[data.unit(i)]).collect();
        if unbalanced {
            return Err(DidError::UnbalancedPanel {
                estimator: "the Bacon decomposition",
                n_obs: rows.len(),
                n_units,
                n_periods: nt,
            }
            .into());
        }
        // Treated periods of each unit: D_it = 1{t >= g}.
        let treated_periods = |g: Option<i64>| g.map_or(0, |g| data.panel.periods.iter().filter(|&&t| t >= g).count());
        let k_of_unit: Vec<usize> = data.timing.cohort.iter().map(|&g| treated_periods(g)).collect();
        let mut groups: Vec<Group> = Vec::new();
        let mut group_of_k = vec![usize::MAX; nt + 1];
        for u in (0..n_units_all).filter(|&u| keep_unit[u]) {
            let k = k_of_unit[u];
            if group_of_k[k] == usize::MAX {
                group_of_k[k] = groups.len();
                groups.push(Group { k, n: 0, mean: vec![0.0; nt] });
            }
            groups[group_of_k[k]].n += 1;
        }
        for &i in &rows {
            let g = &mut groups[group_of_k[k_of_unit[data.unit(i)]]];
            g.mean[data.t(i)] += data.y[i];
        }
        for g in &mut groups {
            let n = g.n as f64;
            g.mean.iter_mut().for_each(|m| *m /= n);
        }
        groups.sort_by_key(|g| std::cmp::Reverse(g.k));
        if !groups.iter().any(|g| g.k > 0 && g.k < nt) {
            return Err(DidError::NothingToEstimate {
                reason: format!(
                    "no unit in `{}` starts treatment inside the panel, so D does not vary within units",
                    data.timing_column
                ),
            }
            .into());
        }
        let label = |k: usize| match k {
            0 => "never".to_string(),
            k if k == nt => "always".to_string(),
            k => data.panel.periods[nt - k].to_string(),
        };

        // Variance of the two-way demeaned treatment dummy (balanced panel: closed form).
        let tf = nt as f64;
        let nu = n_units as f64;
        let share_t: Vec<f64> =
            (0..nt).map(|t| groups.iter().filter(|g| t >= nt - g.k).map(|g| g.n as f64).sum::<f64>() / nu).collect();
        let dbar = share_t.iter().sum::<f64>() / tf;
        let mut vd = 0.0;
        for g in &groups {
            let di = g.k as f64 / tf;
            for (t, st) in share_t.iter().enumerate() {
                let d = if t >= nt - g.k { 1.0 } else { 0.0 };
                let r = d - di - st + dbar;
                vd += g.n as f64 * r * r;
            }
        }
        vd /= nu * tf;

        // Mean of `m` over period indices in [a, b).
        let avg = |m: &[f64], a: usize, b: usize| m[a..b].iter().sum::<f64>() / (b - a) as f64;
        // 2x2 DiD inside the window [lo, hi) with the treated group starting at `start`.
        let did = |tr: &Group, co: &Group, lo: usize, start: usize, hi: usize| {
            (avg(&tr.mean, start, hi) - avg(&tr.mean, lo, start))
                - (avg(&co.mean, start, hi) - avg(&co.mean, lo, start))
        };
        let mut comparisons = Vec::new();
        for (a, ga) in groups.iter().enumerate() {
            for gb in &groups[a + 1..] {
                // ga treated earlier (more treated periods) than gb.
                let (na, nb) = (ga.n as f64 / nu, gb.n as f64 / nu);
                let (da, db) = (ga.k as f64 / tf, gb.k as f64 / tf);
                let nab = na / (na + nb);
                let pair = nab * (1.0 - nab);
                // ga treated, gb (not yet or never treated) as control, before gb is treated.
                if ga.k < nt {
                    let w =
                        ((na + nb) * (1.0 - db)).powi(2) * pair * (da - db) / (1.0 - db) * (1.0 - da) / (1.0 - db) / vd;
                    if w > 0.0 {
                        let kind =
                            if gb.k == 0 { ComparisonKind::TreatedVsNever } else { ComparisonKind::EarlierVsLater };
                        let est = did(ga, gb, 0, nt - ga.k, nt - gb.k);
                        comparisons.push(BaconComparison {
                            treated: label(ga.k),
                            control: label(gb.k),
                            kind,
                            estimate: est,
                            weight: w,
                        });
                    }
                }
                // gb treated, the already treated ga as control, from ga's treatment on.
                if gb.k > 0 {
                    let w = ((na + nb) * da).powi(2) * pair * (db / da) * (da - db) / da / vd;
                    if w > 0.0 {
                        let kind =
                            if ga.k == nt { ComparisonKind::LaterVsAlways } else { ComparisonKind::LaterVsEarlier };
                        let est = did(gb, ga, nt - ga.k, nt - gb.k, nt);
                        comparisons.push(BaconComparison {
                            treated: label(gb.k),
                            control: label(ga.k),
                            kind,
                            estimate: est,
                            weight: w,
                        });
                    }
                }
            }
        }
        let weighted_sum: f64 = comparisons.iter().map(|c| c.weight * c.estimate).sum();
        let mut summary: Vec<BaconSummary> = Vec::new();
        for c in &comparisons {
            match summary.iter_mut().find(|s| s.kind == c.kind) {
                Some(s) => {
                    s.weight += c.weight;
                    s.estimate += c.weight * c.estimate;
                    s.n_comparisons += 1;
                }
                None => summary.push(BaconSummary {
                    kind: c.kind,
                    weight: c.weight,
                    estimate: c.weight * c.estimate,
                    n_comparisons: 1,
                }),
            }
        }
        summary.iter_mut().for_each(|s| s.estimate /= s.weight);
        summary.sort_by_key(|s| s.kind as u8);

        // The TWFE estimate itself, from feols on the same sample.
        let d: Vec<f64> =
            rows.iter().map(|&i| if data.t(i) >= nt - k_of_unit[data.unit(i)] { 1.0 } else { 0.0 }).collect();
        let mf = model_frame(&data, frame, &rows, &[], vec![(".d".into(), Column::Float(d.into()))])?;
        let fit = Feols::new(format!("{Y} ~ .d | {UNIT} + {TIME}"))
            .vcov(Vcov::cr1([UNIT]))
            .drop_singletons(false)
            .fit(&mf)?;
        let twfe = fit.coef(".d").ok_or_else(|| DidError::NothingToEstimate {
            reason: "the treatment dummy is collinear with the unit and period effects".into(),
        })?;
        let mut warnings = Vec::new();
        let total: f64 = comparisons.iter().map(|c| c.weight).sum();
        if (total - 1.0).abs() > 1e-8 || (weighted_sum - twfe.estimate).abs() > 1e-8 * (1.0 + twfe.estimate.abs()) {
            warnings.push(Diagnostic::new(
                DiagnosticCode::Decomposition,
                format!(
                    "weights sum to {total} and the weighted sum is {weighted_sum} against the TWFE estimate {}",
                    twfe.estimate
                ),
            ));
        }
        Ok(BaconDecomposition {
            twfe_estimate: twfe.estimate,
            twfe_std_error: twfe.std_error,
            weighted_sum,
            comparisons,
            summary,
            n_obs: rows.len(),
            n_units,
            n_periods: nt,
            n_units_dropped_missing: n_dropped,
            timing: data.timing.report.clone(),
            warnings,
            params: p.clone(),
            version: crate::VERSION.to_string(),
        })
    }
}

impl fmt::Display for BaconDecomposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let timing = self.params.treatment.as_deref().unwrap_or(&self.params.cohort);
        writeln!(f, "Goodman-Bacon decomposition of TWFE: {} on {timing}", self.params.outcome)?;
        writeln!(f, "TWFE estimate: {:.6} (weighted sum of 2x2: {:.6})", self.twfe_estimate, self.weighted_sum)?;
        writeln!(f, "{:<18} {:>10} {:>12} {:>6}", "comparison", "weight", "avg. est.", "n")?;
        for s in &self.summary {
            writeln!(f, "{:<18} {:>10.5} {:>12.6} {:>6}", s.kind.name(), s.weight, s.estimate, s.n_comparisons)?;
        }
        write!(f, "Observations: {} ({} units x {} periods)", self.n_obs, self.n_units, self.n_periods)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    /// Three groups (2, 3, never) over 4 periods with dynamic effects: the identity holds and
    /// each 2x2 equals its hand computation.
    #[test]
    fn weights_sum_to_one_and_reproduce_twfe() {
        let mut unit = Vec::new();
        let mut time = Vec::new();
        let mut cohort = Vec::new();
        let mut y = Vec::new();
        let cohorts = [2i64, 2, 3, 3, 3, 0, 0, 1];
        for (u, &g) in cohorts.iter().enumerate() {
            for t in 1..=4i64 {
                unit.push(u as i64);
                time.push(t);
                cohort.push(g as f64);
                let e = if g > 0 && t >= g { (t - g + 1) as f64 } else { 0.0 };
                y.push(0.3 * u as f64 + 0.1 * (t * t) as f64 + e + 0.01 * ((u * 7 + t as usize * 3) % 5) as f64);
            }
        }
        let f = Frame::new()
            .with_column("u", Column::Int(Cow::Owned(unit)))
            .unwrap()
            .with_column("t", Column::Int(Cow::Owned(time)))
            .unwrap()
            .with_column("g", Column::Float(Cow::Owned(cohort)))
            .unwrap()
            .with_column("y", Column::Float(Cow::Owned(y)))
            .unwrap();
        let r = Bacon::new("y", "u", "t", "g").fit(&f).unwrap();
        let total: f64 = r.comparisons.iter().map(|c| c.weight).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        assert!((r.weighted_sum - r.twfe_estimate).abs() < 1e-10, "{} vs {}", r.weighted_sum, r.twfe_estimate);
        assert!(r.warnings.is_empty());
        let kinds: Vec<_> = r.summary.iter().map(|s| s.kind).collect();
        assert!(kinds.contains(&ComparisonKind::LaterVsAlways) && kinds.contains(&ComparisonKind::LaterVsEarlier));
    }
}
