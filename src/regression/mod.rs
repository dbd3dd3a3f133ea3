//! Linear models with fixed effects (the formula grammar and `feols`) and generalised linear
//! models by IRLS (`glm`, `fit_glm`).

mod contract;
mod design;
mod error;
mod feols;
mod formula;
mod glm;
mod irls;
mod mixed;
mod params;
mod partial;
mod result;

pub(crate) use design::normalise_weights;
pub(crate) use design::{build as build_sample, Evaluator, SampleSpec};
pub use design::{ColumnRecipe, Component};
pub use error::RegressionError;
pub use feols::feols;
pub use formula::SurvFormula;
pub use formula::{Factor as FormulaFactor, Formula, FormulaError, Term};
pub use glm::{Glm, GlmChecked, GlmResult};
pub use irls::{fit_glm, fit_glm_columns, fit_glm_with, Family, GlmFit, IrlsOptions};
pub use mixed::{fit_random_intercept, MixedChecked, MixedLm, MixedResult, RandomInterceptFit, VarianceComponents};
pub use params::{Feols, FeolsChecked, Vcov};
pub use partial::Partialled;
pub use result::{FeolsResult, FixedEffectInfo, FixedEffectValues};
