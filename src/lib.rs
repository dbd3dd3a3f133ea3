//! # virkning: what works in getting refugees into jobs
//!
//! Program evaluation for labour-market integration across municipalities: fixed-effects
//! regression ([`regression`]), and (in progress) staggered difference-in-differences, synthetic
//! control, benchmarking of municipalities and individual-level models. The same crate is the
//! Rust API and the engine behind the Python package (`pip install virkning`).
//!
//! Data come in as a [`data::Frame`] of named columns (borrowed, not copied); estimators take
//! builder params (`Feols::new(formula).vcov(...)`), validate them, fit, and return plain serde
//! results.
//!
//! ```
//! use std::borrow::Cow;
//! use virkning::data::{Column, Frame};
//! use virkning::regression::Feols;
//! let frame = Frame::new()
//!     .with_column("y", Column::Float(Cow::Owned(vec![1.0, 3.0, 5.1, 7.0]))).unwrap()
//!     .with_column("x", Column::Float(Cow::Owned(vec![0.0, 1.0, 2.0, 3.0]))).unwrap();
//! let fit = Feols::new("y ~ x").fit(&frame).unwrap();
//! assert!((fit.coef("x").unwrap().estimate - 2.01).abs() < 1e-12);
//! ```
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod benchmarking;
pub mod data;
pub mod did;
pub mod error;
pub mod inference;
pub mod linalg;
pub mod registry;
pub mod regression;
pub mod results;
pub mod simulate;
pub mod survival;
pub mod synth;
pub mod traits;

#[cfg(feature = "python")]
mod python;

pub use error::{Error, ParamsError, Result};

/// The crate version, recorded in every result.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
