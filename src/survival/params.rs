//! Options of the survival estimators: serde structs whose field names and enum strings are the
//! Python keywords.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ParamsError;

fn choice<T>(name: &'static str, s: &str, valid: &[&str]) -> Result<T, ParamsError> {
    Err(ParamsError::UnknownChoice { name, value: s.to_string(), valid: valid.iter().map(|v| v.to_string()).collect() })
}

/// How tied event times enter the partial likelihood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Ties {
    /// Efron (1977): tied events leave the risk set in equal fractions (R's default).
    #[default]
    Efron,
    /// Breslow (1974): every tied event sees the full risk set.
    Breslow,
}

impl FromStr for Ties {
    type Err = ParamsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "efron" => Ok(Ties::Efron),
            "breslow" => Ok(Ties::Breslow),
            _ => choice("ties", s, &["efron", "breslow"]),
        }
    }
}

/// Scale on which pointwise survival intervals are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ConfType {
    /// $\exp(\log S \pm z\,\sigma)$, R's default.
    #[default]
    #[serde(rename = "log")]
    Log,
    /// $\exp(-\exp(\log(-\log S) \pm z\,\sigma/\log S))$.
    #[serde(rename = "log-log")]
    LogLog,
    /// $S \pm z\,\sigma S$, clipped to [0, 1].
    #[serde(rename = "plain")]
    Plain,
}

impl FromStr for ConfType {
    type Err = ParamsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "log" => Ok(ConfType::Log),
            "log-log" | "loglog" => Ok(ConfType::LogLog),
            "plain" => Ok(ConfType::Plain),
            _ => choice("conf_type", s, &["log", "log-log", "plain"]),
        }
    }
}

/// Cox proportional-hazards model (`vk.coxph`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Coxph {
    /// `Surv(time, event) ~ x1 + x2 + strata(z)` or `Surv(start, stop, event) ~ ...`.
    pub formula: String,
    /// Tie handling (default Efron).
    pub ties: Ties,
    /// Observation (case) weights column.
    pub weights: Option<String>,
    /// Offset column (a fixed term of the linear predictor).
    pub offset: Option<String>,
    /// Cluster column for a cluster-robust variance (implies `robust`).
    pub cluster: Option<String>,
    /// Robust (Lin & Wei 1989) variance; with `cluster`, summed within clusters.
    pub robust: bool,
    /// Convergence: relative change of the log partial likelihood (R's `eps`, 1e-9).
    pub tol: f64,
    /// Newton-Raphson iterations at most (R's `iter.max`, 20).
    pub max_iter: usize,
    /// Relative pivot threshold below which a regressor is dropped as collinear.
    pub collinear_tol: f64,
    /// 1 - confidence level.
    pub alpha: f64,
}

impl Default for Coxph {
    fn default() -> Self {
        Coxph {
            formula: String::new(),
            ties: Ties::Efron,
            weights: None,
            offset: None,
            cluster: None,
            robust: false,
            tol: 1e-9,
            max_iter: 20,
            collinear_tol: 1e-10,
            alpha: 0.05,
        }
    }
}

impl Coxph {
    /// Params with defaults for `formula`.
    pub fn new(formula: impl Into<String>) -> Self {
        Coxph { formula: formula.into(), ..Coxph::default() }
    }
    /// Set the tie method.
    pub fn ties(mut self, ties: Ties) -> Self {
        self.ties = ties;
        self
    }
    /// Set the weights column.
    pub fn weights(mut self, w: impl Into<String>) -> Self {
        self.weights = Some(w.into());
        self
    }
    /// Set the offset column.
    pub fn offset(mut self, o: impl Into<String>) -> Self {
        self.offset = Some(o.into());
        self
    }
    /// Cluster-robust variance by this column.
    pub fn cluster(mut self, c: impl Into<String>) -> Self {
        self.cluster = Some(c.into());
        self.robust = true;
        self
    }
    /// Robust (Lin-Wei) variance.
    pub fn robust(mut self, robust: bool) -> Self {
        self.robust = robust;
        self
    }
    /// Set the convergence tolerance.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
}

/// Kaplan-Meier survival curves (`vk.kaplan_meier`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KaplanMeier {
    /// Duration (or exit time with `entry`).
    pub duration: String,
    /// Event indicator (1 = event, 0 = censored).
    pub event: String,
    /// Optional grouping column: one curve per level.
    pub group: Option<String>,
    /// Optional entry time (left truncation: at risk on (entry, duration]).
    pub entry: Option<String>,
    /// Optional case weights.
    pub weights: Option<String>,
    /// Interval scale.
    pub conf_type: ConfType,
    /// 1 - confidence level.
    pub alpha: f64,
}

impl Default for KaplanMeier {
    fn default() -> Self {
        KaplanMeier {
            duration: String::new(),
            event: String::new(),
            group: None,
            entry: None,
            weights: None,
            conf_type: ConfType::Log,
            alpha: 0.05,
        }
    }
}

impl KaplanMeier {
    /// Params for a duration and an event column.
    pub fn new(duration: impl Into<String>, event: impl Into<String>) -> Self {
        KaplanMeier { duration: duration.into(), event: event.into(), ..KaplanMeier::default() }
    }
}

/// Check `alpha` in (0, 1).
pub(crate) fn check_alpha(alpha: f64) -> Result<(), ParamsError> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(ParamsError::InvalidParam { name: "alpha", value: alpha.to_string(), reason: "must be in (0, 1)".into() })
    }
}
