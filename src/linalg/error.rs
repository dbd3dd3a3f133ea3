//! Errors of the linear-algebra layer.

/// Numerical linear algebra failures.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LinalgError {
    /// A matrix that should be positive definite is not (after collinear columns were dropped).
    #[error("the {what} matrix is not positive definite; the design is (numerically) singular")]
    NotPositiveDefinite {
        /// Which matrix.
        what: &'static str,
    },
    /// Shapes that do not fit together.
    #[error("dimension mismatch in {what}: {detail}")]
    Dimension {
        /// Operation.
        what: &'static str,
        /// Shapes involved.
        detail: String,
    },
    /// An iterative solver stopped before its tolerance.
    #[error(
        "{what} did not converge in {iterations} iterations (tolerance {tolerance:e}, last change {max_change:e})"
    )]
    NotConverged {
        /// Solver.
        what: &'static str,
        /// Iterations run.
        iterations: usize,
        /// Tolerance asked for.
        tolerance: f64,
        /// Largest change in the last iteration.
        max_change: f64,
    },
}
