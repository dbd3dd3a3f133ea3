//! Options of `att_gt` and of its aggregations, validated before fitting.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use super::cohort::ControlGroup;
use crate::error::ParamsError;
use crate::traits::Validated;

macro_rules! choice {
    ($t:ident, $name:literal, $($v:ident => $s:literal),+) => {
        impl FromStr for $t {
            type Err = ParamsError;
            fn from_str(s: &str) -> Result<Self, ParamsError> {
                match s {
                    $($s => Ok($t::$v),)+
                    _ => Err(ParamsError::UnknownChoice {
                        name: $name,
                        value: s.to_string(),
                        valid: vec![$($s.to_string()),+],
                    }),
                }
            }
        }
        impl $t {
            /// The name used in Python and serde.
            pub fn as_str(&self) -> &'static str {
                match self { $($t::$v => $s,)+ }
            }
        }
    };
}

/// How each 2x2 ATT(g,t) is estimated (Sant'Anna & Zhao 2020 for `Dr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EstMethod {
    /// Doubly robust: outcome regression on the controls plus normalised inverse probability weights.
    #[default]
    Dr,
    /// Normalised (Hajek) inverse probability weighting with a logit propensity score.
    Ipw,
    /// Outcome regression on the controls' change in outcome.
    Reg,
}
choice!(EstMethod, "method", Dr => "dr", Ipw => "ipw", Reg => "reg");

/// Which period each ATT(g,t) is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BasePeriod {
    /// Pre-treatment cells compare t with t-1; post-treatment cells with g - anticipation - 1.
    #[default]
    Varying,
    /// Every cell compares with g - anticipation - 1 (that cell is 0 by construction).
    Universal,
}
choice!(BasePeriod, "base_period", Varying => "varying", Universal => "universal");

choice!(ControlGroup, "control_group", NeverTreated => "never_treated", NotYetTreated => "not_yet_treated");

/// Multiplier distribution of the bootstrap (`mammen`, `rademacher`, `webb`, `normal`).
pub use crate::inference::BootWeights as BootstrapWeights;

/// Multiplier bootstrap of the influence functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bootstrap {
    /// Number of draws.
    pub n_boot: usize,
    /// Multiplier distribution.
    pub weights: BootstrapWeights,
}

/// Callaway & Sant'Anna (2021) group-time average treatment effects ATT(g,t).
///
/// # Defaults
/// - `covariates`: none; `control_group`: never treated; `method`: doubly robust;
/// - `anticipation`: 0; `base_period`: varying;
/// - `weights`, `cluster`: none (clustered by unit);
/// - `alpha`: 0.05; `bootstrap`: none (analytic standard errors, pointwise intervals);
/// - `seed`: none (bootstrap seeded with 0);
/// - `trim_level`: 0.995 (controls with a propensity score above it get zero weight, as DRDID).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttGt {
    /// Outcome column.
    pub outcome: String,
    /// Unit id column.
    pub unit: String,
    /// Period column (whole numbers).
    pub time: String,
    /// First treated period (0 or missing: never treated).
    pub cohort: String,
    /// Alternatively, a 0/1 treatment column from which the cohort is derived (it must stay
    /// on once it starts); used when set, and then `cohort` may be empty.
    pub treatment: Option<String>,
    /// Covariates (numeric); taken at the earlier of the two periods of each comparison.
    pub covariates: Vec<String>,
    /// Control group.
    pub control_group: ControlGroup,
    /// 2x2 estimator.
    pub method: EstMethod,
    /// Periods of anticipation (treatment effects may start this many periods before g).
    pub anticipation: i64,
    /// Base period.
    pub base_period: BasePeriod,
    /// Sampling weights column (constant within unit).
    pub weights: Option<String>,
    /// Cluster column at or above the unit (constant within unit); `None` clusters by unit.
    pub cluster: Option<String>,
    /// 1 - confidence level.
    pub alpha: f64,
    /// Multiplier bootstrap (standard errors and a uniform band); `None` for analytic.
    pub bootstrap: Option<Bootstrap>,
    /// Bootstrap seed.
    pub seed: Option<u64>,
    /// Propensity-score trimming level for controls.
    pub trim_level: f64,
}

impl Default for AttGt {
    fn default() -> Self {
        AttGt::new("", "", "", "")
    }
}

impl AttGt {
    /// Params for the four column roles with every option at its default.
    pub fn new(outcome: &str, unit: &str, time: &str, cohort: &str) -> Self {
        AttGt {
            outcome: outcome.into(),
            unit: unit.into(),
            time: time.into(),
            cohort: cohort.into(),
            treatment: None,
            covariates: Vec::new(),
            control_group: ControlGroup::NeverTreated,
            method: EstMethod::Dr,
            anticipation: 0,
            base_period: BasePeriod::Varying,
            weights: None,
            cluster: None,
            alpha: 0.05,
            bootstrap: None,
            seed: None,
            trim_level: 0.995,
        }
    }

    /// Derive the cohort from a 0/1 treatment column.
    pub fn treatment(mut self, col: impl Into<String>) -> Self {
        self.treatment = Some(col.into());
        self
    }

    /// The column that defines the timing (treatment when set, else cohort).
    pub fn timing_column(&self) -> &str {
        self.treatment.as_deref().unwrap_or(&self.cohort)
    }

    /// Set the covariates.
    pub fn covariates<S: Into<String>>(mut self, cols: impl IntoIterator<Item = S>) -> Self {
        self.covariates = cols.into_iter().map(Into::into).collect();
        self
    }
    /// Set the control group.
    pub fn control_group(mut self, c: ControlGroup) -> Self {
        self.control_group = c;
        self
    }
    /// Set the estimation method.
    pub fn method(mut self, m: EstMethod) -> Self {
        self.method = m;
        self
    }
    /// Set the anticipation periods.
    pub fn anticipation(mut self, a: i64) -> Self {
        self.anticipation = a;
        self
    }
    /// Set the base period.
    pub fn base_period(mut self, b: BasePeriod) -> Self {
        self.base_period = b;
        self
    }
    /// Set the weights column.
    pub fn weights(mut self, col: impl Into<String>) -> Self {
        self.weights = Some(col.into());
        self
    }
    /// Set the cluster column.
    pub fn cluster(mut self, col: impl Into<String>) -> Self {
        self.cluster = Some(col.into());
        self
    }
    /// Set alpha.
    pub fn alpha(mut self, a: f64) -> Self {
        self.alpha = a;
        self
    }
    /// Use the multiplier bootstrap with `n_boot` draws.
    pub fn bootstrap(mut self, n_boot: usize, weights: BootstrapWeights) -> Self {
        self.bootstrap = Some(Bootstrap { n_boot, weights });
        self
    }
    /// Set the seed.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = Some(s);
        self
    }

    /// Check every option.
    ///
    /// # Errors
    /// [`ParamsError::InvalidParam`] naming the option.
    pub fn validate(self) -> Result<Validated<AttGt>, ParamsError> {
        let bad = |name, value: String, reason: &str| ParamsError::InvalidParam { name, value, reason: reason.into() };
        if self.cohort.is_empty() && self.treatment.is_none() {
            return Err(bad("cohort", String::new(), "a cohort column (or a treatment column) is required"));
        }
        for (name, v) in [("outcome", &self.outcome), ("unit", &self.unit), ("time", &self.time)] {
            if v.is_empty() {
                return Err(bad(name, String::new(), "a column name is required"));
            }
        }
        check_alpha(self.alpha)?;
        if self.anticipation < 0 {
            return Err(bad("anticipation", self.anticipation.to_string(), "must be 0 or more periods"));
        }
        if !(self.trim_level > 0.5 && self.trim_level <= 1.0) {
            return Err(bad("trim_level", self.trim_level.to_string(), "must be in (0.5, 1]"));
        }
        if let Some(b) = self.bootstrap {
            crate::inference::check_draws("bootstrap", b.n_boot)?;
        }
        let roles = [&self.outcome, &self.unit, &self.time, &self.cohort];
        if let Some(c) = self.covariates.iter().find(|c| roles.contains(c)) {
            return Err(bad(
                "covariates",
                c.clone(),
                "a column role (outcome, unit, time, cohort) cannot be a covariate",
            ));
        }
        Ok(Validated::new(self))
    }
}

/// Which aggregation of the ATT(g,t).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggregationKind {
    /// One number: post-treatment ATT(g,t) weighted by cohort size.
    Simple,
    /// By event time e = t - g (an event study).
    Dynamic,
    /// By cohort, over its post-treatment periods.
    Group,
    /// By calendar period, over the cohorts treated by then.
    Calendar,
}
choice!(AggregationKind, "aggregation", Simple => "simple", Dynamic => "dynamic", Group => "group", Calendar => "calendar");

/// Options of [`crate::did::GroupTimeEffects::aggregate`]; unset ones inherit from the fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Aggregate {
    /// The aggregation.
    pub kind: AggregationKind,
    /// Smallest event time kept (dynamic; also limits simple and group).
    pub min_e: Option<i64>,
    /// Largest event time kept.
    pub max_e: Option<i64>,
    /// Keep only cohorts observed at every event time 0..=balance_e (dynamic).
    pub balance_e: Option<i64>,
    /// 1 - confidence level (default: the fit's).
    pub alpha: Option<f64>,
    /// Bootstrap (default: the fit's); `Some(None)` (JSON `null`) forces analytic.
    #[serde(deserialize_with = "explicit_null")]
    pub bootstrap: Option<Option<Bootstrap>>,
    /// Seed (default: the fit's).
    pub seed: Option<u64>,
}

impl Default for Aggregate {
    fn default() -> Self {
        Aggregate::new(AggregationKind::Simple)
    }
}

impl Aggregate {
    /// Options for `kind` with everything inherited.
    pub fn new(kind: AggregationKind) -> Self {
        Aggregate { kind, min_e: None, max_e: None, balance_e: None, alpha: None, bootstrap: None, seed: None }
    }
}

/// `null` is `Some(None)`, an absent field `None` (with `#[serde(default)]`).
fn explicit_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Bootstrap>>, D::Error> {
    Option::<Bootstrap>::deserialize(d).map(Some)
}

/// The significance level of intervals and bands must lie strictly between 0 and 1.
pub(crate) fn check_alpha(alpha: f64) -> Result<(), ParamsError> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(ParamsError::InvalidParam {
            name: "alpha",
            value: alpha.to_string(),
            reason: "must be between 0 and 1".into(),
        })
    }
}
