//! Params validated into a checked form before fitting (linfa's ParamGuard idea, without generics).

use std::ops::Deref;

/// Params that passed `validate()`. Only `validate()` can build one, so `fit` on a
/// `Validated<P>` never re-checks options.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated<P>(P);

impl<P> Validated<P> {
    /// Wrap checked params (crate-internal: call the params' `validate()`).
    pub(crate) fn new(p: P) -> Self {
        Validated(p)
    }

    /// The checked params.
    pub fn into_inner(self) -> P {
        self.0
    }
}

impl<P> Deref for Validated<P> {
    type Target = P;
    fn deref(&self) -> &P {
        &self.0
    }
}
