//! Sun & Abraham's interaction-weighted event study and the TWFE event study, both as `feols`
//! regressions with relative-time dummies.
//!
//! # Model
//! **Sun & Abraham (2021).** With control units $C$ (never treated; when there are none, the
//! last-treated cohort, with the periods from its adoption on dropped),
//! $y_{it} = \alpha_i + \lambda_t + \sum_{g \notin C} \sum_{e \ne -1} \delta_{g,e}\, 1\{G_i = g\}\,1\{t - g = e\} + x_{it}'\gamma + \varepsilon_{it}$.
//! Each $\delta_{g,e}$ is the cohort-specific effect at event time $e$ relative to $e = -1$.
//! The interaction-weighted estimate averages them with the cohorts' shares of the cell:
//! $\hat\beta_e = \sum_g \hat w_{g,e}\hat\delta_{g,e}$, $\hat w_{g,e} = n_{g,e} / \sum_{g'} n_{g',e}$
//! ($n$ = observations in the estimation sample), and the ATT averages every post-treatment
//! cell ($e \ge 0$) with weights proportional to $n_{g,e}$. Standard errors by the delta method
//! from the `feols` covariance, $\sqrt{w' V w}$, treating the shares as fixed (as fixest's
//! `sunab` aggregation and pyfixest do).
//!
//! **TWFE event study.** $y_{it} = \alpha_i + \lambda_t + \sum_{e \ne r} \beta_e 1\{t - G_i = e\} + x_{it}'\gamma + \varepsilon_{it}$
//! with reference event time $r$ (default $-1$), never-treated units in the reference, and
//! optional binned end points (event times beyond `min_event_time`/`max_event_time` are
//! pooled into the end bins). Biased under heterogeneous dynamic effects; kept as the
//! benchmark the robust estimators are compared with.
//!
//! **Wild cluster bootstrap** (`wildboot`). After the fit, each event-time effect
//! $\hat\beta_e = r_e'\hat\delta$ is tested ($r_e'\delta = 0$) and given a test-inversion interval by
//! the `feols` wild cluster bootstrap ([`Validated::<FeolsChecked>::wildboot_each`](crate::regression::FeolsChecked),
//! bootstrapped and clustered by the fit's cluster variable) with the linear combination $r_e$ of
//! the cell coefficients: the same numbers as `feols(...).wildboot` of that combination on the same
//! model and seed. The cohort shares in $r_e$ are treated as fixed, as in the delta-method
//! standard errors (and fixest's aggregation). One seed serves every event time (drawn once when
//! none is given, and reported in the result's params). The interval's level is the option's own
//! `alpha` (Python passes the estimator's). With Rademacher weights and $2^G \le$ `reps` every
//! sign vector is used (exact, seed-free). The ATT of Sun-Abraham gets no bootstrap.
//!
//! # Defaults
//! Standard errors CR1 clustered by unit (or `cluster`) with fixest's small-sample correction,
//! t(G - 1) tests; `alpha = 0.05`; no covariates; TWFE reference `-1`, no binning.
//!
//! # Errors
//! [`DidError::NothingToEstimate`] without a treated cohort to estimate (or without any control
//! units), data and cohort errors as in [`Timing`](super::Timing), `feols` errors.
//!
//! # References
//! Sun, L. & Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
//! heterogeneous treatment effects. Journal of Econometrics 225(2). Matched against pyfixest
//! 0.60's saturated event study (`event_study(estimator="saturated")` and its `aggregate()`,
//! = fixest `sunab`) and its TWFE event study in `tests/did_event_reference.rs`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event_result::{
    CohortEffect, EventStudyMethod, EventStudyParams, EventStudyResult, EventTimeEstimate, WaldTest,
};
use super::staggered::{
    model_frame, quote, require_name, show_list, spacing_advice, timing_source, Staggered, TIME, UNIT, Y,
};
use super::DidError;
use crate::data::{Column, Frame};
use crate::inference::{fresh_seed, RefDist, WildBoot, WildBootResult, FEW_TREATED};
use crate::regression::{Feols, FeolsResult, Vcov};
use crate::results::{Diagnostic, DiagnosticCode, Estimate};
use crate::traits::Validated;
use crate::Result;

const CELL: &str = ".cell";
const REF: &str = "ref";

/// Sun & Abraham's interaction-weighted event study.
///
/// # Defaults
/// `covariates` none, `cluster` the unit, `alpha` 0.05.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SunAbraham {
    /// Outcome column.
    pub outcome: String,
    /// Unit id column.
    pub unit: String,
    /// Period column.
    pub time: String,
    /// First treated period column (0 or missing: never treated); empty when `treatment` is given.
    pub cohort: String,
    /// Instead of `cohort`: a 0/1 treatment column (the cohort is its first period at 1; it
    /// must not switch off).
    pub treatment: Option<String>,
    /// Time-varying covariates added linearly.
    pub covariates: Vec<String>,
    /// Cluster column (default: the unit).
    pub cluster: Option<String>,
    /// 1 - confidence level.
    pub alpha: f64,
    /// Wild cluster bootstrap p-values and intervals for the event-time effects (default: none).
    pub wildboot: Option<WildBoot>,
}

/// TWFE event study with relative-time dummies.
///
/// # Defaults
/// `reference` -1, no binning, `covariates` none, `cluster` the unit, `alpha` 0.05.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TwfeEventStudy {
    /// Outcome column.
    pub outcome: String,
    /// Unit id column.
    pub unit: String,
    /// Period column.
    pub time: String,
    /// First treated period column (0 or missing: never treated); empty when `treatment` is given.
    pub cohort: String,
    /// Instead of `cohort`: a 0/1 treatment column (the cohort is its first period at 1; it
    /// must not switch off).
    pub treatment: Option<String>,
    /// Reference event time (left out).
    pub reference: i64,
    /// Event times below this are pooled into it.
    pub min_event_time: Option<i64>,
    /// Event times above this are pooled into it.
    pub max_event_time: Option<i64>,
    /// Time-varying covariates added linearly.
    pub covariates: Vec<String>,
    /// Cluster column (default: the unit).
    pub cluster: Option<String>,
    /// 1 - confidence level.
    pub alpha: f64,
    /// Wild cluster bootstrap p-values and intervals for the event-time effects (default: none).
    pub wildboot: Option<WildBoot>,
}

impl Default for SunAbraham {
    fn default() -> Self {
        SunAbraham::new("", "", "", "")
    }
}

impl Default for TwfeEventStudy {
    fn default() -> Self {
        TwfeEventStudy::new("", "", "", "")
    }
}

fn check_common(
    outcome: &str,
    unit: &str,
    time: &str,
    cohort: &str,
    treatment: Option<&str>,
    alpha: f64,
) -> Result<()> {
    require_name("outcome", outcome)?;
    require_name("unit", unit)?;
    require_name("time", time)?;
    timing_source(cohort, treatment)?;
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(crate::ParamsError::InvalidParam {
            name: "alpha",
            value: alpha.to_string(),
            reason: "must be between 0 and 1".into(),
        }
        .into());
    }
    Ok(())
}

/// Check the bootstrap options (`reps = 0`, alpha) before fitting.
fn check_boot(wildboot: Option<&WildBoot>) -> Result<()> {
    if let Some(w) = wildboot {
        w.clone().validate()?;
    }
    Ok(())
}

impl SunAbraham {
    /// Params for the given column roles, other options at their defaults.
    pub fn new(
        outcome: impl Into<String>,
        unit: impl Into<String>,
        time: impl Into<String>,
        cohort: impl Into<String>,
    ) -> Self {
        SunAbraham {
            outcome: outcome.into(),
            unit: unit.into(),
            time: time.into(),
            cohort: cohort.into(),
            treatment: None,
            covariates: Vec::new(),
            cluster: None,
            alpha: 0.05,
            wildboot: None,
        }
    }

    /// Add covariates.
    pub fn covariates<S: Into<String>>(mut self, cols: impl IntoIterator<Item = S>) -> Self {
        self.covariates = cols.into_iter().map(Into::into).collect();
        self
    }

    /// Cluster by a column other than the unit.
    pub fn cluster(mut self, col: impl Into<String>) -> Self {
        self.cluster = Some(col.into());
        self
    }

    /// Add wild cluster bootstrap p-values and intervals to the event-time effects.
    pub fn wildboot(mut self, boot: WildBoot) -> Self {
        self.wildboot = Some(boot);
        self
    }

    /// Take the timing from a 0/1 treatment column instead of the cohort column.
    pub fn treatment(mut self, col: impl Into<String>) -> Self {
        self.cohort.clear();
        self.treatment = Some(col.into());
        self
    }

    /// Check the options.
    ///
    /// # Errors
    /// [`crate::ParamsError::InvalidParam`] for an empty column name or alpha outside (0, 1).
    pub fn validate(self) -> Result<Validated<SunAbraham>> {
        check_common(&self.outcome, &self.unit, &self.time, &self.cohort, self.treatment.as_deref(), self.alpha)?;
        check_boot(self.wildboot.as_ref())?;
        Ok(Validated::new(self))
    }

    /// Validate and fit.
    ///
    /// # Errors
    /// See the module docs.
    pub fn fit(self, frame: &Frame<'_>) -> Result<EventStudyResult> {
        self.validate()?.fit(frame)
    }
}

impl TwfeEventStudy {
    /// Params for the given column roles, other options at their defaults.
    pub fn new(
        outcome: impl Into<String>,
        unit: impl Into<String>,
        time: impl Into<String>,
        cohort: impl Into<String>,
    ) -> Self {
        TwfeEventStudy {
            outcome: outcome.into(),
            unit: unit.into(),
            time: time.into(),
            cohort: cohort.into(),
            treatment: None,
            reference: -1,
            min_event_time: None,
            max_event_time: None,
            covariates: Vec::new(),
            cluster: None,
            alpha: 0.05,
            wildboot: None,
        }
    }

    /// Add wild cluster bootstrap p-values and intervals to the event-time effects.
    pub fn wildboot(mut self, boot: WildBoot) -> Self {
        self.wildboot = Some(boot);
        self
    }

    /// Take the timing from a 0/1 treatment column instead of the cohort column.
    pub fn treatment(mut self, col: impl Into<String>) -> Self {
        self.cohort.clear();
        self.treatment = Some(col.into());
        self
    }

    /// Pool event times outside `[min, max]` into the end bins.
    pub fn bin(mut self, min: Option<i64>, max: Option<i64>) -> Self {
        self.min_event_time = min;
        self.max_event_time = max;
        self
    }

    /// Check the options.
    ///
    /// # Errors
    /// [`crate::ParamsError::InvalidParam`] for an empty column name, alpha outside (0, 1), or a
    /// reference outside the bins.
    pub fn validate(self) -> Result<Validated<TwfeEventStudy>> {
        check_common(&self.outcome, &self.unit, &self.time, &self.cohort, self.treatment.as_deref(), self.alpha)?;
        check_boot(self.wildboot.as_ref())?;
        let lo = self.min_event_time.unwrap_or(i64::MIN);
        let hi = self.max_event_time.unwrap_or(i64::MAX);
        if lo > hi || self.reference < lo || self.reference > hi {
            return Err(crate::ParamsError::InvalidParam {
                name: "reference",
                value: self.reference.to_string(),
                reason: format!(
                    "the reference event time must lie inside [min_event_time, max_event_time] = [{lo}, {hi}]"
                ),
            }
            .into());
        }
        Ok(Validated::new(self))
    }

    /// Validate and fit.
    ///
    /// # Errors
    /// See the module docs.
    pub fn fit(self, frame: &Frame<'_>) -> Result<EventStudyResult> {
        self.validate()?.fit(frame)
    }
}

/// A dummy regression: cell labels (index 0 is the reference), the cell of each used row, and the fit.
struct CellFit {
    labels: Vec<String>,
    fit: FeolsResult,
    /// Observations by cell in the estimation sample.
    counts: Vec<usize>,
    n_units: usize,
    cluster: (String, usize),
    /// The model frame and `feols` params of the fit (for the bootstrap).
    mf: Frame<'static>,
    params: Feols,
}

struct Spec<'p> {
    unit: &'p str,
    covariates: &'p [String],
    cluster: Option<&'p str>,
    alpha: f64,
}

/// Fit `y ~ i(cell, ref=ref) + covariates | unit + time` on `rows`.
fn fit_cells(
    data: &Staggered,
    frame: &Frame<'_>,
    rows: &[usize],
    labels: Vec<String>,
    cell: Vec<i64>,
    spec: &Spec<'_>,
) -> Result<CellFit> {
    let mut copy: Vec<&str> = spec.covariates.iter().map(String::as_str).collect();
    if let Some(c) = spec.cluster {
        copy.push(c);
    }
    let col = Column::Categorical { codes: Cow::Owned(cell.clone()), labels: labels.clone() };
    let mf = model_frame(data, frame, rows, &copy, vec![(CELL.into(), col)])?;
    let mut formula = format!("{Y} ~ i({CELL}, ref={REF})");
    for c in spec.covariates {
        formula.push_str(" + ");
        formula.push_str(&quote(c));
    }
    formula.push_str(&format!(" | {UNIT} + {TIME}"));
    let cluster = spec.cluster.unwrap_or(UNIT);
    let mut params = Feols::new(formula).vcov(Vcov::cr1([cluster]));
    params.alpha = spec.alpha;
    let fit = params.clone().fit(&mf)?;
    let mut counts = vec![0usize; labels.len()];
    let mut seen = vec![false; data.panel.unit.n_levels()];
    for k in 0..fit.rows.len() {
        let r = fit.rows.get(k);
        counts[cell[r] as usize] += 1;
        seen[data.unit(rows[r])] = true;
    }
    let n_clusters = fit.clusters.first().map_or(0, |c| c.1);
    let cluster = (spec.cluster.unwrap_or(spec.unit).to_string(), n_clusters);
    Ok(CellFit { labels, fit, counts, n_units: seen.iter().filter(|s| **s).count(), cluster, mf, params })
}

impl CellFit {
    /// Coefficient index and estimate of the cell with label index `j`, if estimated.
    fn coef(&self, j: usize) -> Option<(usize, f64)> {
        let term = format!("{CELL}::{}", self.labels[j]);
        self.fit.coefficients.iter().position(|e| e.term == term).map(|i| (i, self.fit.coefficients[i].estimate))
    }

    /// Estimate `sum_j w_j coef_j` with the delta-method standard error; `weights` are (label index, weight).
    fn combine(&self, term: String, weights: &[(usize, f64)], alpha: f64) -> Option<(Estimate, Vec<f64>)> {
        let k = self.fit.coefficients.len();
        let mut r = vec![0.0; k];
        let mut any = false;
        for &(j, w) in weights {
            let (i, _) = self.coef(j)?;
            r[i] += w;
            any = true;
        }
        if !any {
            return None;
        }
        let est: f64 = r.iter().zip(&self.fit.coefficients).map(|(a, e)| a * e.estimate).sum();
        let var: f64 = (0..k).map(|a| (0..k).map(|b| r[a] * self.fit.vcov[a][b] * r[b]).sum::<f64>()).sum();
        Some((Estimate::new(term, est, var.max(0.0).sqrt(), &RefDist::StudentT(self.fit.df_t), alpha), r))
    }

    /// Wild cluster bootstrap of `r'coef = 0` for every `r` by the `feols` bootstrap of this fit
    /// (the design partialled once; the same options and seed for each).
    fn wildboot(&self, rs: &[&[f64]], boot: &Validated<WildBoot>) -> Result<Vec<WildBootResult>> {
        let terms: Vec<Vec<(String, f64)>> = rs
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&self.fit.coefficients)
                    .filter(|(w, _)| **w != 0.0)
                    .map(|(w, e)| (e.term.clone(), *w))
                    .collect()
            })
            .collect();
        let hyps: Vec<&[(String, f64)]> = terms.iter().map(Vec::as_slice).collect();
        self.params.clone().validate()?.wildboot_each(&self.mf, &hyps, 0.0, None, None, boot)
    }

    fn drop_missing(&self) -> usize {
        self.fit.drops.n_missing
    }

    /// The fit's warnings with the internal cell names replaced by `name` (e.g. `event_time::`).
    /// `feols` flags every cell dummy treated in fewer than [`FEW_TREATED`] clusters, with advice
    /// for a single regressor; here they become one warning listing the cells.
    fn warnings(&self, name: &str, what: &str) -> Vec<Diagnostic> {
        let internal = format!("{CELL}::");
        let mut few: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for w in &self.fit.warnings {
            let cell = self.labels.iter().skip(1).find(|l| w.message.starts_with(&format!("`{internal}{l}`:")));
            match cell {
                Some(l) if w.code == DiagnosticCode::SmallClusters => few.push(l),
                _ => out.push(Diagnostic { message: w.message.replace(&internal, name), ..w.clone() }),
            }
        }
        if !few.is_empty() {
            let shown: Vec<&str> = few.iter().take(4).copied().collect();
            out.push(Diagnostic::new(
                DiagnosticCode::SmallClusters,
                format!(
                    "{} of {} {what} coefficients rest on fewer than {FEW_TREATED} treated clusters ({}{}): their cluster-robust standard errors are likely too small; use the restricted wild cluster bootstrap option (`bootstrap=vk.Bootstrap(weights=\"webb\")`)",
                    few.len(),
                    self.labels.len() - 1,
                    shown.join(", "),
                    if few.len() > shown.len() { ", ..." } else { "" }
                ),
            ));
        }
        out
    }
}

/// Aggregated covariance `R V R'` of the rows of `r`.
fn quad(rs: &[Vec<f64>], v: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let vr: Vec<Vec<f64>> =
        rs.iter().map(|r| v.iter().map(|row| row.iter().zip(r).map(|(a, b)| a * b).sum()).collect()).collect();
    rs.iter().map(|a| vr.iter().map(|b| a.iter().zip(b).map(|(x, y)| x * y).sum()).collect()).collect()
}

/// The bootstrap options with the seed fixed (one seed for every event time), validated.
fn boot_options(wildboot: &Option<WildBoot>) -> Result<Option<Validated<WildBoot>>> {
    match wildboot {
        None => Ok(None),
        Some(w) => {
            let seed = w.seed.unwrap_or_else(fresh_seed);
            Ok(Some(w.clone().seed(seed).validate()?))
        }
    }
}

/// Event-time table (with bootstrap inference when `boot` is set), post-period covariance and
/// pre-trend test from aggregation rows.
fn assemble(
    cf: &CellFit,
    rows: Vec<(i64, Estimate, Vec<f64>, usize)>,
    boot: Option<&Validated<WildBoot>>,
) -> Result<(Vec<EventTimeEstimate>, Vec<Vec<f64>>, Option<WaldTest>)> {
    let post: Vec<Vec<f64>> = rows.iter().filter(|r| r.0 >= 0).map(|r| r.2.clone()).collect();
    let pre: Vec<&(i64, Estimate, Vec<f64>, usize)> = rows.iter().filter(|r| r.0 < 0).collect();
    let pre_rows: Vec<Vec<f64>> = pre.iter().map(|r| r.2.clone()).collect();
    let pre_b: Vec<f64> = pre.iter().map(|r| r.1.estimate).collect();
    let test = WaldTest::chi2("every pre-treatment event-time effect is zero", &pre_b, &quad(&pre_rows, &cf.fit.vcov));
    let vcov = quad(&post, &cf.fit.vcov);
    let boots = match boot {
        Some(b) => {
            cf.wildboot(&rows.iter().map(|r| r.2.as_slice()).collect::<Vec<_>>(), b)?.into_iter().map(Some).collect()
        }
        None => vec![None; rows.len()],
    };
    let table = rows
        .into_iter()
        .zip(boots)
        .map(|((e, estimate, _, n_obs), b)| {
            let row = EventTimeEstimate::new(e, estimate, n_obs);
            match b {
                Some(b) => row.with_boot(&b),
                None => row,
            }
        })
        .collect();
    Ok((table, vcov, test))
}

impl Validated<SunAbraham> {
    /// Fit on `frame`.
    ///
    /// # Errors
    /// See the module docs.
    pub fn fit(&self, frame: &Frame<'_>) -> Result<EventStudyResult> {
        let p = &**self;
        let data =
            Staggered::new(frame, &p.outcome, &p.unit, &p.time, timing_source(&p.cohort, p.treatment.as_deref())?)?;
        let mut warnings = Vec::new();
        // Control units: never treated, else the last-treated cohort (periods from its start dropped).
        let kept = |i: usize| !data.first_period_treated(i);
        let has_never = (0..data.n_rows()).any(|i| kept(i) && data.cohort(i).is_none());
        let last = (0..data.n_rows()).filter(|&i| kept(i)).filter_map(|i| data.cohort(i)).max();
        let (control_cohort, control) = match (has_never, last) {
            (true, _) => (None, "never_treated".to_string()),
            (false, Some(g)) => {
                warnings.push(Diagnostic::new(
                    DiagnosticCode::ControlGroup,
                    format!("no never-treated units: cohort {g} (the last treated) serves as control and periods from {g} on are dropped"),
                ));
                (Some(g), format!("last_treated ({g})"))
            }
            (false, None) => {
                return Err(DidError::NothingToEstimate {
                    reason: format!("no treated cohort in `{}`", data.timing_column),
                }
                .into())
            }
        };
        let rows: Vec<usize> =
            (0..data.n_rows()).filter(|&i| kept(i) && control_cohort.is_none_or(|gl| data.period(i) < gl)).collect();
        // Cells g:e for treated cohorts; controls and e = -1 are the reference.
        let mut index: BTreeMap<(i64, i64), usize> = BTreeMap::new();
        let key = |i: usize| match data.cohort(i) {
            Some(g) if Some(g) != control_cohort => data.event_time(i).filter(|&e| e != -1).map(|e| (g, e)),
            _ => None,
        };
        for &i in &rows {
            if let Some(k) = key(i) {
                index.insert(k, 0);
            }
        }
        if index.is_empty() {
            return Err(DidError::NothingToEstimate {
                reason: "no treated cohort is observed outside its reference period".into(),
            }
            .into());
        }
        // Every treated cohort needs rows at its reference e = -1 (else a cell dummy would be
        // dropped as collinear and silently become the reference).
        let mut at_ref: BTreeMap<i64, bool> = index.keys().map(|&(g, _)| (g, false)).collect();
        for &i in rows.iter().filter(|&&i| !data.y[i].is_nan()) {
            if let (Some(g), Some(-1)) = (data.cohort(i), data.event_time(i)) {
                at_ref.entry(g).and_modify(|seen| *seen = true);
            }
        }
        let missing: Vec<i64> = at_ref.iter().filter(|(_, seen)| !**seen).map(|(g, _)| *g).collect();
        if !missing.is_empty() {
            return Err(DidError::ReferenceNotObserved {
                estimator: "sun_abraham",
                reference: -1,
                what: format!(
                    "cohort(s) {} of `{}` are not observed at event time -1 (the period before treatment)",
                    show_list(&missing),
                    data.timing_column
                ),
                advice: spacing_advice(&data.panel.periods),
            }
            .into());
        }
        let mut labels = vec![REF.to_string()];
        for (j, ((g, e), slot)) in index.iter_mut().enumerate() {
            *slot = j + 1;
            labels.push(format!("{g}:{e}"));
        }
        let cell: Vec<i64> = rows.iter().map(|&i| key(i).map_or(0, |k| index[&k] as i64)).collect();
        let spec = Spec { unit: &p.unit, covariates: &p.covariates, cluster: p.cluster.as_deref(), alpha: p.alpha };
        let cf = fit_cells(&data, frame, &rows, labels, cell, &spec)?;
        let lost: Vec<String> = index
            .iter()
            .filter(|(_, &j)| cf.counts[j] > 0 && cf.coef(j).is_none())
            .map(|((g, e), _)| format!("{g}:{e}"))
            .collect();
        if !lost.is_empty() {
            return Err(DidError::NotIdentified {
                estimator: "sun_abraham",
                what: format!("cohort:event_time cell(s) {}", lost.join(", ")),
                advice: "check that every cohort is observed at the reference event time and that the periods are consecutive",
            }
            .into());
        }
        warnings.extend(cf.warnings("cohort:event_time ", "cohort x event-time"));

        // Interaction weights by event time: cohort shares of the cell's observations.
        let mut by_e: BTreeMap<i64, Vec<(i64, usize)>> = BTreeMap::new();
        for (&(g, e), &j) in &index {
            if cf.coef(j).is_some() && cf.counts[j] > 0 {
                by_e.entry(e).or_default().push((g, j));
            }
        }
        let single = data.single_unit_cohorts();
        warnings.extend(data.single_unit_warning());
        let mut cohort_effects = Vec::new();
        let mut agg = Vec::new();
        for (&e, cells) in &by_e {
            let total: usize = cells.iter().map(|&(_, j)| cf.counts[j]).sum();
            let w: Vec<(usize, f64)> = cells.iter().map(|&(_, j)| (j, cf.counts[j] as f64 / total as f64)).collect();
            for (&(g, j), &(_, wj)) in cells.iter().zip(&w) {
                let c = &cf.fit.coefficients[cf.coef(j).map(|x| x.0).unwrap_or_default()];
                let est = Estimate { term: format!("cohort::{g}:event_time::{e}"), ..c.clone() };
                let cell = CohortEffect { cohort: g, event_time: e, estimate: est, weight: wj, n_obs: cf.counts[j] };
                cohort_effects.push(if single.contains(&g) { cell.without_std_error() } else { cell });
            }
            if let Some((est, r)) = cf.combine(format!("event_time::{e}"), &w, p.alpha) {
                agg.push((e, est, r, total));
            }
        }
        let post: Vec<(usize, usize)> = by_e
            .iter()
            .filter(|(e, _)| **e >= 0)
            .flat_map(|(_, c)| c.iter().map(|&(_, j)| (j, cf.counts[j])))
            .collect();
        let n_post: usize = post.iter().map(|x| x.1).sum();
        let att_w: Vec<(usize, f64)> = post.iter().map(|&(j, n)| (j, n as f64 / n_post as f64)).collect();
        let att = cf.combine("ATT".into(), &att_w, p.alpha).map(|x| x.0);
        let boot = boot_options(&p.wildboot)?;
        let (event_times, vcov, pretrend) = assemble(&cf, agg, boot.as_ref())?;
        Ok(EventStudyResult {
            method: EventStudyMethod::SunAbraham,
            event_times,
            vcov,
            att,
            cohort_effects,
            pretrend,
            reference: Some(-1),
            n_obs: cf.fit.n_obs,
            n_units: cf.n_units,
            cluster: cf.cluster.clone(),
            n_missing: cf.drop_missing(),
            control,
            timing: data.timing.report.clone(),
            warnings,
            params: EventStudyParams::SunAbraham(SunAbraham { wildboot: boot.map(|b| b.into_inner()), ..p.clone() }),
            df_t: Some(cf.fit.df_t),
            version: crate::VERSION.to_string(),
        })
    }
}

impl Validated<TwfeEventStudy> {
    /// Fit on `frame`.
    ///
    /// # Errors
    /// See the module docs.
    pub fn fit(&self, frame: &Frame<'_>) -> Result<EventStudyResult> {
        let p = &**self;
        let data =
            Staggered::new(frame, &p.outcome, &p.unit, &p.time, timing_source(&p.cohort, p.treatment.as_deref())?)?;
        let rows: Vec<usize> = (0..data.n_rows()).filter(|&i| !data.first_period_treated(i)).collect();
        let lo = p.min_event_time.unwrap_or(i64::MIN);
        let hi = p.max_event_time.unwrap_or(i64::MAX);
        let key = |i: usize| data.event_time(i).map(|e| e.clamp(lo, hi)).filter(|&e| e != p.reference);
        let mut es: Vec<i64> = rows.iter().filter_map(|&i| key(i)).collect();
        es.sort_unstable();
        es.dedup();
        if es.is_empty() {
            return Err(DidError::NothingToEstimate {
                reason: format!("no treated cohort in `{}`", data.timing_column),
            }
            .into());
        }
        let observed = |i: usize| !data.y[i].is_nan();
        if !rows.iter().any(|&i| observed(i) && data.event_time(i).map(|e| e.clamp(lo, hi)) == Some(p.reference)) {
            let seen: Vec<i64> =
                es.iter().copied().filter(|&e| rows.iter().any(|&i| observed(i) && key(i) == Some(e))).collect();
            return Err(DidError::ReferenceNotObserved {
                estimator: "event_study",
                reference: p.reference,
                what: format!(
                    "no treated unit is observed at the reference event time {} (observed event times: {})",
                    p.reference,
                    show_list(&seen)
                ),
                advice: spacing_advice(&data.panel.periods),
            }
            .into());
        }
        let labels: Vec<String> = std::iter::once(REF.to_string()).chain(es.iter().map(|e| e.to_string())).collect();
        let cell: Vec<i64> =
            rows.iter().map(|&i| key(i).map_or(0, |e| es.binary_search(&e).unwrap_or_default() as i64 + 1)).collect();
        let spec = Spec { unit: &p.unit, covariates: &p.covariates, cluster: p.cluster.as_deref(), alpha: p.alpha };
        let cf = fit_cells(&data, frame, &rows, labels, cell, &spec)?;
        let has_never = rows.iter().any(|&i| data.cohort(i).is_none());
        let lost: Vec<String> = es
            .iter()
            .enumerate()
            .filter(|(j, _)| cf.counts[j + 1] > 0 && cf.coef(j + 1).is_none())
            .map(|(_, e)| e.to_string())
            .collect();
        if has_never && !lost.is_empty() {
            // Name the cohorts never observed at the reference (the usual cause).
            let mut without: Vec<i64> = rows.iter().filter_map(|&i| data.cohort(i)).collect();
            without.sort_unstable();
            without.dedup();
            without.retain(|&g| {
                !rows.iter().any(|&i| {
                    data.cohort(i) == Some(g)
                        && observed(i)
                        && data.event_time(i).map(|e| e.clamp(lo, hi)) == Some(p.reference)
                })
            });
            let cause = if without.is_empty() {
                String::new()
            } else {
                format!(
                    " (cohort(s) {} of `{}` are not observed at the reference event time {})",
                    show_list(&without),
                    data.timing_column,
                    p.reference
                )
            };
            return Err(DidError::NotIdentified {
                estimator: "event_study",
                what: format!("event time(s) {}{cause}", lost.join(", ")),
                advice: "check that every cohort is observed at the reference event time and that the periods are consecutive",
            }
            .into());
        }
        let agg: Vec<_> = es
            .iter()
            .enumerate()
            .filter_map(|(j, &e)| {
                cf.combine(format!("event_time::{e}"), &[(j + 1, 1.0)], p.alpha)
                    .map(|(est, r)| (e, est, r, cf.counts[j + 1]))
            })
            .collect();
        let boot = boot_options(&p.wildboot)?;
        let (event_times, vcov, pretrend) = assemble(&cf, agg, boot.as_ref())?;
        let mut warnings = cf.warnings("event_time::", "event-time");
        let dropped: Vec<String> =
            es.iter().enumerate().filter(|(j, _)| cf.coef(j + 1).is_none()).map(|(_, e)| e.to_string()).collect();
        if !has_never && !dropped.is_empty() {
            warnings.push(Diagnostic::new(
                DiagnosticCode::ControlGroup,
                format!(
                    "no never-treated units: with unit and period effects the event-time dummies are identified only up to a linear trend, so event time(s) {} were dropped as a second reference; the estimates depend on that choice (set it with min_event_time/max_event_time, or use sun_abraham or did_imputation)",
                    dropped.join(", ")
                ),
            ));
        }
        Ok(EventStudyResult {
            method: EventStudyMethod::Twfe,
            event_times,
            vcov,
            att: None,
            cohort_effects: Vec::new(),
            pretrend,
            reference: Some(p.reference),
            n_obs: cf.fit.n_obs,
            n_units: cf.n_units,
            cluster: cf.cluster.clone(),
            n_missing: cf.drop_missing(),
            control: if has_never { "never_treated".into() } else { "not_yet_treated".into() },
            timing: data.timing.report.clone(),
            warnings,
            params: EventStudyParams::Twfe(TwfeEventStudy { wildboot: boot.map(|b| b.into_inner()), ..p.clone() }),
            df_t: Some(cf.fit.df_t),
            version: crate::VERSION.to_string(),
        })
    }
}
