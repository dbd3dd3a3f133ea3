//! Linear algebra: the only module that calls faer. Gram matrices, SPD solves, collinearity
//! detection, PSD repair, the fixed-effect demeaning engine, one-dimensional minimisation and moment accumulators.

mod collinear;
mod convert;
mod demean;
mod dense;
mod error;
mod minimize;
mod moments;
mod product;
mod schur;
pub mod simplex_qp;

pub use collinear::independent_columns;
pub use demean::{DemeanOptions, DemeanOutcome, Demeaner};
pub use dense::{
    cross, gram, matmul_tn, psd_repair, sandwich, small_spd_solve_logdet, spd_cholesky_lower, spd_logdet,
    spd_solve_inverse,
};
pub use error::LinalgError;
pub use minimize::brent_minimize;
pub use moments::{BlockMoments, MOMENT_BATCH};
pub use product::{matmul_cm, pinv_sym};
pub use simplex_qp::{regularised_fw, simplex_least_squares, ColMat, FwProblem, FwSolution, SimplexLsSolution};
