//! The synthetic-control family: synthetic difference-in-differences with its SC and DiD
//! special cases ([`Sdid`]), and Abadie-Diamond-Hainmueller synthetic control with predictors,
//! a V matrix and placebo inference.
//!
//! Weights are solved by the simplex QP solvers of [`crate::linalg::simplex_qp`].

mod block;
mod contract;
mod error;
mod placebo;
mod sdid;
mod se;
mod staggered;
mod synthetic_control;

pub use block::SdidMethod;
pub use error::SynthError;
pub use placebo::{LeaveOneOut, PlaceboFit, ScResult};
pub use sdid::{Sdid, SdidCohort, SdidResult};
pub use se::{Draws, SdidSe};
pub use synthetic_control::{ScFit, SyntheticControl};
