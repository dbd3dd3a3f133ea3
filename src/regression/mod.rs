//! Linear models with fixed effects: the formula grammar and `feols`.

mod design;
mod error;
mod feols;
mod formula;
mod params;
mod result;

pub use design::{ColumnRecipe, Component};
pub use error::RegressionError;
pub use feols::feols;
pub use formula::{Factor as FormulaFactor, Formula, FormulaError, Term};
pub use params::{Feols, FeolsChecked, Vcov};
pub use result::{FeolsResult, FixedEffectInfo, FixedEffectValues};
