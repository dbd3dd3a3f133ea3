//! Options of `feols`, validated before fitting.

use serde::{Deserialize, Serialize};

use super::formula::Formula;
use crate::error::ParamsError;
use crate::inference::{SmallSampleCorrection, VcovType};
use crate::linalg::DemeanOptions;
use crate::traits::Validated;

/// Which variance to compute, and the cluster variables it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vcov {
    /// Estimator.
    pub kind: VcovType,
    /// Cluster columns (one or more for CR1, exactly one for CR3).
    pub cluster: Vec<String>,
}

impl Vcov {
    /// A variance without clusters (`iid`, `HC1`, `HC3`).
    pub fn new(kind: VcovType) -> Self {
        Vcov { kind, cluster: Vec::new() }
    }

    /// CR1 clustered by the given columns (two or more: multi-way).
    pub fn cr1<S: Into<String>>(cols: impl IntoIterator<Item = S>) -> Self {
        Vcov { kind: VcovType::Cr1, cluster: cols.into_iter().map(Into::into).collect() }
    }

    /// CR3 jackknife by one column.
    pub fn cr3(col: impl Into<String>) -> Self {
        Vcov { kind: VcovType::Cr3, cluster: vec![col.into()] }
    }

    /// Short description: `iid`, `CR1 by countyreal`, ...
    pub fn describe(&self) -> String {
        let name = match self.kind {
            VcovType::Iid => "iid",
            VcovType::Hc1 => "HC1",
            VcovType::Hc3 => "HC3",
            VcovType::Cr1 => "CR1",
            VcovType::Cr3 => "CR3",
        };
        if self.cluster.is_empty() {
            name.to_string()
        } else {
            format!("{name} by {}", self.cluster.join(" + "))
        }
    }
}

/// Fixed-effects OLS: `y ~ x1 + x2 | fe1 + fe2`.
///
/// # Defaults
/// - `vcov`: `None`, meaning fixest's default: CR1 by the first fixed effect when there is one,
///   iid otherwise.
/// - `weights`: none.
/// - `ssc`: [`SmallSampleCorrection::default`] (fixest's).
/// - `drop_singletons`: `true` (iteratively, like reghdfe; fixest and pyfixest keep them by default).
/// - `demean`: [`DemeanOptions::default`] (`tol = 1e-8`, `max_iter = 10_000`).
/// - `collinear_tol`: `1e-10`.
/// - `alpha`: `0.05` (95 % intervals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Feols {
    /// The formula.
    pub formula: String,
    /// Variance estimator; `None` picks fixest's default.
    pub vcov: Option<Vcov>,
    /// Weights column.
    pub weights: Option<String>,
    /// Small-sample correction.
    pub ssc: SmallSampleCorrection,
    /// Remove observations alone in a fixed-effect group.
    pub drop_singletons: bool,
    /// Demeaning tolerance and iteration cap.
    pub demean: DemeanOptions,
    /// Relative pivot threshold below which a regressor counts as collinear.
    pub collinear_tol: f64,
    /// 1 - confidence level.
    pub alpha: f64,
}

impl Default for Feols {
    fn default() -> Self {
        Feols::new("")
    }
}

impl Feols {
    /// Params for `formula` with every other option at its default.
    pub fn new(formula: impl Into<String>) -> Self {
        Feols {
            formula: formula.into(),
            vcov: None,
            weights: None,
            ssc: SmallSampleCorrection::default(),
            drop_singletons: true,
            demean: DemeanOptions::default(),
            collinear_tol: 1e-10,
            alpha: 0.05,
        }
    }

    /// Set the variance estimator.
    pub fn vcov(mut self, vcov: Vcov) -> Self {
        self.vcov = Some(vcov);
        self
    }

    /// Set the weights column.
    pub fn weights(mut self, col: impl Into<String>) -> Self {
        self.weights = Some(col.into());
        self
    }

    /// Set the small-sample correction.
    pub fn ssc(mut self, ssc: SmallSampleCorrection) -> Self {
        self.ssc = ssc;
        self
    }

    /// Keep or drop singletons.
    pub fn drop_singletons(mut self, yes: bool) -> Self {
        self.drop_singletons = yes;
        self
    }

    /// Set the demeaning options.
    pub fn demean(mut self, opts: DemeanOptions) -> Self {
        self.demean = opts;
        self
    }

    /// Set the confidence level through alpha.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Check every option and parse the formula.
    ///
    /// # Errors
    /// [`ParamsError`] for out-of-range options, a formula error for a formula that does not parse.
    pub fn validate(self) -> Result<Validated<FeolsChecked>, crate::Error> {
        let formula = Formula::parse(&self.formula)?;
        let bad = |name, value: String, reason: &str| ParamsError::InvalidParam { name, value, reason: reason.into() };
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(bad("alpha", self.alpha.to_string(), "must be between 0 and 1").into());
        }
        if !(self.demean.tol > 0.0 && self.demean.tol < 1.0) {
            return Err(bad("tol", self.demean.tol.to_string(), "must be positive and below 1").into());
        }
        if self.demean.max_iter == 0 {
            return Err(bad("max_iter", "0".into(), "must be at least 1").into());
        }
        if !(self.collinear_tol > 0.0 && self.collinear_tol < 1.0) {
            return Err(bad("collinear_tol", self.collinear_tol.to_string(), "must be positive and below 1").into());
        }
        let vcov = match self.vcov.clone() {
            Some(v) => v,
            None => match formula.fixed_effects.first() {
                Some(fe) if fe.len() == 1 => Vcov::cr1([fe[0].clone()]),
                _ => Vcov::new(VcovType::Iid),
            },
        };
        use VcovType::*;
        match (vcov.kind, vcov.cluster.len()) {
            (Iid | Hc1 | Hc3, 0) | (Cr1, 1..) | (Cr3, 1) => {}
            (Iid | Hc1 | Hc3, _) => return Err(bad("vcov", vcov.describe(), "takes no cluster variable").into()),
            (Cr1, _) => return Err(bad("vcov", vcov.describe(), "CR1 needs at least one cluster column").into()),
            (Cr3, _) => return Err(bad("vcov", vcov.describe(), "CR3 needs exactly one cluster column").into()),
        }
        Ok(Validated::new(FeolsChecked { params: self, formula, vcov }))
    }
}

/// `Feols` params after validation: the parsed formula and the resolved variance.
#[derive(Debug, Clone, PartialEq)]
pub struct FeolsChecked {
    /// The params as given.
    pub params: Feols,
    /// The parsed formula.
    pub formula: Formula,
    /// The variance to compute (default resolved).
    pub vcov: Vcov,
}
